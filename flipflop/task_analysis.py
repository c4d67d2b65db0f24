"""Population analyses of networks trained on the primer's decision tasks (arrays in, arrays out).

- :func:`condition_means`: trajectories averaged over the trials of each condition;
- :func:`choice_selectivity`: each unit's preference for one choice (Song et al. 2016's sort);
- :func:`targeted_axes`: Mante et al. 2013's targeted dimensionality reduction: each unit's
  activity regressed (scikit-learn ``LinearRegression``) onto the task variables; each
  variable's axis is its coefficient vector at the time of largest norm, the axes then
  orthogonalised in order (QR);
- :func:`category_selectivity` / :func:`selectivity_onsets`: Freedman & Assad's category
  tuning index over time and the time each unit becomes category selective;
- :func:`slow_modes`: the eigenvalue closest to 1 of each fixed point and its eigenvector
  (the direction along a line attractor).
"""
from __future__ import annotations

import numpy as np
from sklearn.decomposition import PCA
from sklearn.linear_model import LinearRegression
from sklearn.pipeline import make_pipeline

from flipflop.errors import FlipFlopError


def condition_means(hidden: np.ndarray, *labels: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Mean trajectory (conditions, T, units) over the trials (of ``hidden`` (trials, T, units))
    sharing each distinct combination of ``labels``; returns (keys (conditions, k), means)."""
    hidden = np.asarray(hidden, np.float64)
    stacked = np.stack([np.asarray(v, np.float64) for v in labels], axis=1)
    keys, index = np.unique(stacked, axis=0, return_inverse=True)
    index = index.ravel()
    means = np.stack([hidden[index == i].mean(axis=0) for i in range(len(keys))])
    return keys, means


def window_mean(hidden: np.ndarray, span: np.ndarray) -> np.ndarray:
    """Each trial's mean activity (trials, units) over its own ``[start, stop)`` steps (trials, 2)."""
    t = np.arange(hidden.shape[1])[None, :]
    w = ((t >= span[:, :1]) & (t < span[:, 1:])).astype(np.float64)
    return np.einsum("nt,ntu->nu", w, hidden) / np.maximum(w.sum(axis=1), 1)[:, None]


def choice_selectivity(activity: np.ndarray, choice: np.ndarray) -> np.ndarray:
    """Per unit (units,): mean activity on choice-0 trials minus choice-1 trials, over their
    pooled standard deviation (a d'; 0 for a unit that does not vary). ``activity`` (trials, units)."""
    a, b = activity[choice == 0], activity[choice == 1]
    if not len(a) or not len(b):
        raise FlipFlopError("choice selectivity needs trials of both choices")
    sd = np.sqrt((a.var(axis=0) + b.var(axis=0)) / 2)
    diff = a.mean(axis=0) - b.mean(axis=0)
    return np.where(sd > 1e-9, diff / np.maximum(sd, 1e-9), 0.0)


def selectivity_order(selectivity: np.ndarray, signs: np.ndarray | None = None) -> np.ndarray:
    """Unit order by decreasing selectivity, excitatory units (sign +1) first when ``signs``."""
    if signs is None:
        return np.argsort(-selectivity, kind="stable")
    exc, inh = np.flatnonzero(signs > 0), np.flatnonzero(signs < 0)
    return np.concatenate([exc[np.argsort(-selectivity[exc], kind="stable")],
                           inh[np.argsort(-selectivity[inh], kind="stable")]])


def targeted_axes(hidden: np.ndarray, regressors: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Mante's axes: ``hidden`` (trials, T, units) regressed at every step on ``regressors``
    (trials, k) (with an intercept). Returns (orthonormal axes (k, units), in the regressors'
    order, and the step of largest coefficient norm of each regressor (k,))."""
    n, steps, units = hidden.shape
    fit = LinearRegression().fit(regressors, hidden.reshape(n, -1))
    beta = fit.coef_.T.reshape(regressors.shape[1], steps, units)  # (k, T, units)
    when = np.argmax(np.linalg.norm(beta, axis=-1), axis=1)
    raw = beta[np.arange(len(when)), when]  # (k, units)
    q, r = np.linalg.qr(raw.T)
    q = q * np.sign(np.diag(r))[None, :]  # each axis keeps its regressor's sign
    return q.T, when


def project_axes(hidden: np.ndarray, axes: np.ndarray, mean: np.ndarray | None = None) -> np.ndarray:
    """Activity (..., units) onto ``axes`` (k, units), after subtracting ``mean`` (units,)."""
    x = np.asarray(hidden, np.float64)
    return (x - (0.0 if mean is None else mean)) @ axes.T


def category_selectivity(rates: np.ndarray, category: np.ndarray) -> np.ndarray:
    """Freedman & Assad's category tuning index over time, per unit: (between-category
    minus within-category mean absolute difference of the direction means) over their sum.
    ``rates`` (directions, T, units) mean activity per sample direction; returns (T, units)."""
    diff = np.abs(rates[:, None] - rates[None, :])  # (d, d, T, units)
    same = category[:, None] == category[None, :]
    off = ~np.eye(len(category), dtype=bool)
    within, between = diff[same & off].mean(axis=0), diff[~same].mean(axis=0)
    total = within + between
    return np.where(total > 1e-9, (between - within) / np.maximum(total, 1e-9), 0.0)


def selectivity_onsets(index: np.ndarray, start: int, threshold: float = 0.5, hold: int = 5) -> np.ndarray:
    """Per unit (units,): the first step from ``start`` at which ``index`` (T, units) exceeds
    ``threshold`` for ``hold`` consecutive steps, counted from ``start``; NaN if never."""
    above = index[start:] > threshold
    steps = above.shape[0] - hold + 1
    if steps < 1:
        return np.full(index.shape[1], np.nan)
    run = np.all(np.stack([above[i:i + steps] for i in range(hold)]), axis=0)  # (steps, units)
    first = np.argmax(run, axis=0).astype(np.float64)
    return np.where(run.any(axis=0), first, np.nan)


def slow_modes(jacobians: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """For each Jacobian (K, n, n): the eigenvalue closest to 1 (K,) complex and its real,
    unit eigenvector (K, n): the slow direction of a line attractor."""
    w, v = np.linalg.eig(np.asarray(jacobians, np.float64))
    pick = np.argmin(np.abs(w - 1.0), axis=1)
    values = w[np.arange(len(w)), pick]
    vectors = np.real(v[np.arange(len(w)), :, pick])
    vectors /= np.maximum(np.linalg.norm(vectors, axis=1, keepdims=True), 1e-12)
    return values, vectors


def decode_line(train_states: np.ndarray, values: np.ndarray, points: np.ndarray, n_components: int = 2) -> np.ndarray:
    """The value (e.g. f1, Hz) that a linear decoder fitted on ``train_states`` (n, units) ->
    ``values`` (n,) reads at ``points`` (K, units): where each fixed point sits along the line.
    The decoder reads the states' first ``n_components`` principal components (a handful of
    conditions cannot fit one weight per unit without overfitting)."""
    k = max(1, min(n_components, len(train_states) - 1, train_states.shape[1]))
    return make_pipeline(PCA(k), LinearRegression()).fit(train_states, values).predict(points)
