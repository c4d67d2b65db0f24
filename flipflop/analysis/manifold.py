"""Slow-point manifolds of a trained network: where the memory of a task variable lives.

At a constant input (a delay's, or a context's zero-evidence stimulus) :func:`slow_points`
searches for fixed and slow points from many starts across the states that the task visits
(the finder's public :func:`~flipflop.dynamics.finder.find_fixed_points`). :func:`manifold`
describes the points found: the dimension of the set (PCA), its extent, the slowest
eigenvalue at each point, and a task variable decoded along it. :func:`selection` is Mante
et al.'s (2013) analysis of a line attractor: the right and left eigenvectors of the slow
mode, and the selection vector's projection on each input direction.

A *line point* is a fixed point (``q < tol_q``) or a slow point whose slowest eigenvalue
lies within ``LINE_TOL`` of 1 in modulus (the issue's definition of a line attractor's
points). Functions take arrays (states in the model's flat state space) and return arrays
or dicts of numbers.
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from sklearn.decomposition import PCA
from sklearn.linear_model import LinearRegression

from flipflop.dynamics.finder import find_fixed_points
from flipflop.dynamics.linear import jacobians
from flipflop.dynamics.step import recurrent_step, step_function
from flipflop.errors import FlipFlopError

LINE_TOL = 0.005  # |1 - |lambda|| of the slowest mode, for a slow point to count on a line
FIXED_TOL_Q = 1e-10  # the finder's default tol_q: below it a point is a fixed point
SLOW_TOL_Q = 1e-6  # slow points kept: q < this (|F(h) - h| < 1.4e-3 per step)


@dataclass
class SlowPoints:
    """Fixed and slow points at one input: ``points`` (K, n_state), ``q`` (K,), ``fixed``
    (q < FIXED_TOL_Q), ``slowest`` (K,) the eigenvalue of largest modulus, ``stable``
    (every |lambda| <= 1), ``on_line`` (fixed, or slowest |lambda| within LINE_TOL of 1),
    and the held ``input``."""

    points: np.ndarray
    q: np.ndarray
    fixed: np.ndarray
    slowest: np.ndarray
    stable: np.ndarray
    input: np.ndarray

    @property
    def on_line(self) -> np.ndarray:
        return self.fixed | (np.abs(1.0 - np.abs(self.slowest)) <= LINE_TOL)

    @classmethod
    def empty(cls, n: int, u: np.ndarray) -> "SlowPoints":
        return cls(np.zeros((0, n)), np.zeros(0), np.zeros(0, bool), np.zeros(0, complex), np.zeros(0, bool), u)


def slow_points(model, u: np.ndarray, starts: np.ndarray, n_init: int = 512, seed: int = 0,
                max_iters: int = 3000, relax_steps: int = 0) -> SlowPoints:
    """Fixed and slow points (q < SLOW_TOL_Q) at input ``u`` from ``n_init`` of ``starts``
    (M, n_state); half the starts first relax ``relax_steps`` steps at ``u``. None found:
    an empty set."""
    u = np.asarray(u, np.float32)
    starts = np.asarray(starts, np.float32).reshape(-1, starts.shape[-1])
    rng = np.random.default_rng([seed, 22])
    pick = starts[rng.choice(len(starts), n_init, replace=len(starts) < n_init)]
    for _ in range(relax_steps):
        pick[: n_init // 2] = recurrent_step(model, pick[: n_init // 2], u)
    try:
        found = find_fixed_points(model, initial_states=pick, constant_input=u, n_init=n_init, tol_q=SLOW_TOL_Q,
                                  slow_tol=SLOW_TOL_Q, max_iters=max_iters, refine_steps=30, seed=seed,
                                  noise_std=0.0, max_slow=0)
    except FlipFlopError:
        return SlowPoints.empty(starts.shape[-1], u)
    eig = found.eigenvalues
    return SlowPoints(found.points, found.q, found.q < FIXED_TOL_Q, eig[:, 0], found.n_unstable == 0, u)


def fit_decoder(states: np.ndarray, values: np.ndarray) -> LinearRegression:
    """A linear decoder (every unit, with an intercept) of ``values`` from ``states`` (n, units)."""
    return LinearRegression().fit(np.asarray(states, np.float64), np.asarray(values, np.float64))


def r_squared(predicted: np.ndarray, values: np.ndarray) -> float:
    """1 - SS_res / SS_tot (nan when the values do not vary)."""
    values = np.asarray(values, np.float64)
    total = np.sum((values - values.mean()) ** 2)
    return float(1.0 - np.sum((values - predicted) ** 2) / total) if total > 0 else float("nan")


def nearest_labels(points: np.ndarray, states: np.ndarray, labels: np.ndarray) -> np.ndarray:
    """The label of the state nearest to each point (K,)."""
    from scipy.spatial import cKDTree

    return np.asarray(labels)[cKDTree(states).query(points)[1]]


def manifold(sp: SlowPoints, states: np.ndarray, labels: np.ndarray, n: int | None = None) -> dict:
    """The line points of ``sp`` described against the task's ``states`` (m, n_state) at the
    memory's time (e.g. every delay step), labelled by the task variable (``labels``, m):

    - ``n_points`` (line points), ``n_fixed``, ``n_stable``;
    - ``pc1``: the fraction of the points' variance on their first principal axis,
      ``dimension``: principal axes for 90 % of it; ``extent``: their spread along the first
      axis (state units), and ``extent_ratio``: that against the states' spread along it;
    - ``slowest``: the median |1 - |lambda|| of the slowest mode (0: a perfect line);
    - ``decoder_r2``: a linear decoder of the variable fitted on half the states (every
      other one), scored on the rest; ``points_r2``: its reading at each line point against
      the variable of the nearest state; ``coverage``: the fraction of the variable's range
      that the points' decoded values span.

    ``n`` keeps only the first ``n`` coordinates (the hidden part of LSTM states)."""
    pts = sp.points[sp.on_line][:, :n] if n else sp.points[sp.on_line]
    states = np.asarray(states, np.float64)[:, :n] if n else np.asarray(states, np.float64)
    labels = np.asarray(labels, np.float64)
    decoder = fit_decoder(states[::2], labels[::2])
    out = {"n_points": int(len(pts)), "n_fixed": int(sp.fixed.sum()), "n_stable": int((sp.stable & sp.fixed).sum()),
           "decoder_r2": r_squared(decoder.predict(states[1::2]), labels[1::2])}
    if len(pts) < 2:
        return {**out, "pc1": float("nan"), "dimension": int(len(pts)), "extent": 0.0, "extent_ratio": 0.0,
                "slowest": float(np.median(np.abs(1 - np.abs(sp.slowest[sp.on_line])))) if len(pts) else float("nan"),
                "points_r2": float("nan"), "coverage": 0.0, "decoded": decoder.predict(pts).tolist()}
    pca = PCA().fit(pts)
    ratio = pca.explained_variance_ratio_
    axis = pca.components_[0]
    along = (pts - pca.mean_) @ axis
    spread = np.ptp((states - pca.mean_) @ axis)
    decoded = decoder.predict(pts)
    lo, hi = labels.min(), labels.max()
    covered = (min(decoded.max(), hi) - max(decoded.min(), lo)) / (hi - lo) if hi > lo else 0.0
    return {**out, "pc1": float(ratio[0]), "dimension": int(np.searchsorted(np.cumsum(ratio), 0.9) + 1),
            "extent": float(np.ptp(along)), "extent_ratio": float(np.ptp(along) / spread) if spread > 0 else 0.0,
            "slowest": float(np.median(np.abs(1 - np.abs(sp.slowest[sp.on_line])))),
            "points_r2": r_squared(decoded, nearest_labels(pts, states, labels)),
            "coverage": float(max(covered, 0.0)), "decoded": decoded.tolist()}


def axis_angle(a: np.ndarray, b: np.ndarray) -> float:
    """The angle (deg, 0..90) between the lines along ``a`` and ``b``."""
    c = abs(float(np.dot(a, b))) / max(float(np.linalg.norm(a) * np.linalg.norm(b)), 1e-12)
    return float(np.degrees(np.arccos(min(c, 1.0))))


def principal_axis(points: np.ndarray) -> np.ndarray:
    """The first principal axis of ``points`` (K, n), unit length."""
    return PCA(1).fit(points).components_[0]


def input_directions(model, points: np.ndarray, u: np.ndarray, eps: float = 1e-3) -> np.ndarray:
    """dF/du at each point (K, n_state, n_input), by central differences of the step map."""
    u = np.asarray(u, np.float32)
    cols = []
    for k in range(len(u)):
        d = np.zeros_like(u)
        d[k] = eps
        cols.append((recurrent_step(model, points, u + d) - recurrent_step(model, points, u - d)) / (2 * eps))
    return np.stack(cols, axis=-1)


def slow_eigenvectors(jacs: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """At each Jacobian (K, n, n): the eigenvalue nearest 1, its right eigenvector r and its left
    eigenvector l (of J^T, for the same eigenvalue), scaled so that l . r = 1 (Mante et al.'s
    selection vector is l)."""
    values, rights, lefts = [], [], []
    for j in np.asarray(jacs, np.float64):
        w, v = np.linalg.eig(j)
        i = int(np.argmin(np.abs(w - 1.0)))
        wl, vl = np.linalg.eig(j.T)
        k = int(np.argmin(np.abs(wl - w[i])))
        r, left = np.real(v[:, i]), np.real(vl[:, k])
        r /= np.linalg.norm(r)
        dot = float(left @ r)
        left = left / dot if abs(dot) > 1e-12 else left
        values.append(w[i])
        rights.append(r)
        lefts.append(left)
    return np.asarray(values), np.asarray(rights), np.asarray(lefts)


def selection(model, points: np.ndarray, u: np.ndarray, channels: dict[str, tuple[int, int]]) -> dict:
    """Mante et al.'s selection at the slow points ``points`` (K, n_state) at input ``u``:
    for each named input (``channels``: name -> (channel for +evidence, channel for
    -evidence)), the median over the points of |l . b| (``selection``: the selection
    vector's projection on the input direction b = dF/du_+ - dF/du_-) and of |r . b| / |b|
    (``alignment``: how much the input itself lies along the line). Also the median
    |1 - lambda| of the slow mode."""
    step = step_function(model)
    jacs = jacobians(step, np.asarray(points, np.float32), u)
    values, rights, lefts = slow_eigenvectors(jacs)
    b_all = input_directions(model, points, u)
    out = {"slow_mode": float(np.median(np.abs(1.0 - values))), "selection": {}, "alignment": {}}
    for name, (plus, minus) in channels.items():
        b = b_all[:, :, plus] - b_all[:, :, minus]
        out["selection"][name] = float(np.median(np.abs(np.einsum("kn,kn->k", lefts, b))))
        norms = np.maximum(np.linalg.norm(b, axis=1), 1e-12)
        out["alignment"][name] = float(np.median(np.abs(np.einsum("kn,kn->k", rights, b)) / norms))
    out["right"], out["left"] = rights, lefts
    return out
