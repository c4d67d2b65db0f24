"""Activity of a network: its outputs and hidden states, projections, condition averages,
Mante et al.'s targeted axes, and linear decoding (arrays in, arrays out).

- :func:`hidden_states` / :func:`outputs`: the network run on input sequences;
- :func:`project`: SVD (the paper's "PCA") or PCA of activity, as a :class:`Projection`;
- :func:`condition_means`, :func:`window_mean`: trajectories averaged by condition, and
  each trial's mean over its own window;
- :func:`targeted_axes`: Mante et al. 2013's targeted dimensionality reduction: each unit's
  activity regressed (scikit-learn ``LinearRegression``) onto the task variables; each
  variable's axis is its coefficient vector at the time of largest norm, the axes then
  orthogonalised in order (QR); :func:`project_axes` projects onto them;
- :func:`decode_line`: where points (e.g. fixed points) sit along a linearly decoded variable
  (:func:`decode_points`: and how well the decoder fits).
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from sklearn.decomposition import PCA, TruncatedSVD
from sklearn.linear_model import LinearRegression
from sklearn.pipeline import make_pipeline

from flipflop.backend import keras
from flipflop.dynamics.step import hidden_states  # noqa: F401  (the one simulator, re-exported here)
from flipflop.errors import POSITIVE_INT, Constraint, FlipFlopError, check_value, validate_params


def outputs(model: keras.Model, inputs: np.ndarray, batch_size: int = 256) -> np.ndarray:
    """The network's readout for ``inputs`` (N, T, channels): (N, T, outputs) float32."""
    try:
        expected = model.inputs[0].shape[-1]
    except (AttributeError, IndexError, TypeError, ValueError):
        raise FlipFlopError("model has no defined input; build it with keras.Input first") from None
    inputs = np.asarray(inputs, np.float32)
    if inputs.ndim != 3:
        raise FlipFlopError(f"inputs must be (samples, steps, {expected}), got shape {inputs.shape}")
    if expected is not None and inputs.shape[-1] != expected:
        raise FlipFlopError(f"model expects {expected} input channels, got {inputs.shape[-1]}")
    return np.asarray(model.predict(inputs, batch_size=batch_size, verbose=0))


@dataclass(frozen=True)
class Projection:
    """A linear projection fitted to hidden activity.

    ``transform(x) = (x - mean) @ components.T`` for any ``x`` of shape (..., units),
    e.g. fixed points; ``projected`` is the fitted activity in that space.
    """

    projected: np.ndarray  # (..., k): the activity's leading shape, k components
    components: np.ndarray  # (k, units), orthonormal rows
    mean: np.ndarray  # (units,): subtracted before projecting; zeros for "svd"
    variance_ratio: np.ndarray  # (k,): fraction of the activity's variance per component
    method: str  # "svd" or "pca"

    def transform(self, x: np.ndarray) -> np.ndarray:
        """Project points (..., units) into the same k-dimensional space."""
        x = np.asarray(x, np.float64)
        if x.shape[-1:] != self.mean.shape:
            raise FlipFlopError(f"points must have {self.mean.size} coordinates, got shape {x.shape}")
        return (x - self.mean) @ self.components.T


@validate_params(n_components=POSITIVE_INT, method=Constraint("str", choices=("svd", "pca")))
def project(activity: np.ndarray, n_components: int = 3, method: str = "svd",
            seed: int = 0) -> Projection:
    """Reduce activity (T, units) or (N, T, units) (fitted over all N*T steps) to
    ``n_components`` directions.

    - ``"svd"`` (default): what the paper's "PCA" figures actually show, sklearn's
      uncentred ``TruncatedSVD`` (randomized solver, ``random_state=seed``). Its
      ``variance_ratio`` is sklearn's ``explained_variance_ratio_``: the (centred)
      variance of each component's scores over the total variance of the activity.
      Because the directions are not centred, the first one mostly follows the mean
      activity and its ratio can be smaller than later ones'.
    - ``"pca"``: centred sklearn ``PCA``; ratios are decreasing.

    In both cases the ratios lie in [0, 1] and sum to at most 1.
    """
    x = np.asarray(activity, np.float64)
    if x.ndim not in (2, 3):
        raise FlipFlopError(f"activity must be (steps, units) or (samples, steps, units), got shape {x.shape}")
    flat = x.reshape(-1, x.shape[-1])
    if not np.all(np.isfinite(flat)):
        raise FlipFlopError("activity has non-finite values")
    limit = min(flat.shape)
    check_value(f"n_components (for activity of shape {x.shape})", n_components, Constraint("int", low=1, high=limit))
    if method == "svd":
        model = TruncatedSVD(n_components, algorithm="randomized", random_state=seed)
        mean = np.zeros(flat.shape[1])
    else:
        model = PCA(n_components, random_state=seed)
    scores = model.fit_transform(flat)
    if method == "pca":
        mean = np.asarray(model.mean_, np.float64)
    return Projection(scores.reshape(*x.shape[:-1], n_components),
                      np.asarray(model.components_, np.float64), mean,
                      np.asarray(model.explained_variance_ratio_, np.float64), method)


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


def decode_line(train_states: np.ndarray, values: np.ndarray, points: np.ndarray, n_components: int = 2) -> np.ndarray:
    """The value (e.g. f1, Hz) that a linear decoder fitted on ``train_states`` (n, units) ->
    ``values`` (n,) reads at ``points`` (K, units): where each fixed point sits along the line.
    The decoder reads the states' first ``n_components`` principal components (a handful of
    conditions cannot fit one weight per unit without overfitting)."""
    return decode_points(train_states, values, points, n_components)[0]


def decode_points(train_states: np.ndarray, values: np.ndarray, points: np.ndarray,
                  n_components: int = 2) -> tuple[np.ndarray, float]:
    """:func:`decode_line`'s values at ``points`` and the decoder's R² on ``train_states``: near
    0 where the states do not carry the variable (e.g. before the stimulus), and the values read
    there are then meaningless (a decoder of noise extrapolates to any number)."""
    k = max(1, min(n_components, len(train_states) - 1, train_states.shape[1]))
    fit = make_pipeline(PCA(k), LinearRegression()).fit(train_states, values)
    return fit.predict(points), float(fit.score(train_states, values))
