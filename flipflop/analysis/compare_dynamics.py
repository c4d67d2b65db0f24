"""Comparing two networks' dynamics: spectral distances and Dynamical Similarity Analysis.

- :func:`eigenvalue_wasserstein`: the 1-Wasserstein distance between two sets of
  eigenvalues as points of the complex plane, each set with uniform weights (an exact
  assignment, ``scipy.optimize.linear_sum_assignment``, on the sets repeated to a common
  size). Applied to the trained recurrent matrices and to the fixed points' Jacobians.
- DSA (Ostrow et al., NeurIPS 2023) through the ``dsa-metric`` package (the ``[compare]``
  extra, imported only here, inside the functions): each network's states are reduced to
  their top principal components, delay-embedded and fitted with a linear operator (HAVOK
  DMD, :func:`fit_operator`, once per network); two operators are compared up to an
  orthogonal change of basis (``SimilarityTransformDist``, angular score, radians).
  :func:`choose_delays` sets the number of delays from the data: the fewest whose held-out
  one-step prediction of the state's change is within ``DELAY_TOLERANCE`` of the best.
"""
from __future__ import annotations

import math

import numpy as np
import scipy.optimize

from flipflop.errors import FlipFlopError

INSTALL_HINT = "DSA needs the dsa-metric package: pip install 'flipflop[compare]' (or leave dsa out of --metric)"
MAX_ASSIGNMENT = 2048   # larger eigenvalue sets are thinned to this many points (by modulus quantiles)
DELAY_CANDIDATES = (1, 2, 3, 4, 6, 8, 12, 16)
DELAY_TOLERANCE = 0.01  # of one-step R² of the state's change
RANK_VARIANCE = 0.99    # the DMD rank: Hankel directions explaining this fraction of the variance
DSA_ITERS = 500         # gradient steps of the orthogonal-similarity search (two starts each)
DSA_LR = 2e-2


def _points(eigenvalues: np.ndarray) -> np.ndarray:
    z = np.asarray(eigenvalues).reshape(-1)
    if not len(z) or not np.all(np.isfinite(z)):
        raise FlipFlopError("an eigenvalue set is empty or not finite")
    return np.stack([z.real, z.imag], axis=1).astype(np.float64)


def _thin(p: np.ndarray, n: int) -> np.ndarray:
    """``n`` points of ``p`` evenly spaced in the order of their modulus (then angle)."""
    order = np.lexsort((np.arctan2(p[:, 1], p[:, 0]), np.hypot(p[:, 0], p[:, 1])))
    return p[order[np.linspace(0, len(p) - 1, n).round().astype(int)]]


def eigenvalue_wasserstein(a: np.ndarray, b: np.ndarray) -> float:
    """1-Wasserstein distance between eigenvalue sets ``a`` and ``b`` (complex, any sizes,
    uniform weights): the mean |λ_a − λ_b| of the optimal matching. Sets are repeated to
    their least common size (exact); beyond ``MAX_ASSIGNMENT`` points both are thinned to
    that many, by modulus quantiles (then approximate)."""
    p, q = _points(a), _points(b)
    size = math.lcm(len(p), len(q))
    if size > MAX_ASSIGNMENT:
        size = MAX_ASSIGNMENT
        p, q = _thin(p, min(len(p), size)), _thin(q, min(len(q), size))
        size = math.lcm(len(p), len(q)) if math.lcm(len(p), len(q)) <= MAX_ASSIGNMENT else size
        if math.lcm(len(p), len(q)) > MAX_ASSIGNMENT:
            p, q = _thin(p, size), _thin(q, size)
    p, q = np.repeat(p, size // len(p), axis=0), np.repeat(q, size // len(q), axis=0)
    cost = np.linalg.norm(p[:, None, :] - q[None, :, :], axis=-1)
    rows, cols = scipy.optimize.linear_sum_assignment(cost)
    return float(cost[rows, cols].mean())


def slow_eigenvalues(eigenvalues: np.ndarray, k: int = 16) -> np.ndarray:
    """The ``k`` eigenvalues of largest modulus of each fixed point's Jacobian, pooled:
    ``eigenvalues`` (points, n) -> (points * min(k, n),)."""
    ev = np.asarray(eigenvalues)
    if ev.ndim != 2 or not ev.size:
        return np.zeros(0, complex)
    order = np.argsort(-np.abs(ev), axis=1)[:, :k]
    return np.take_along_axis(ev, order, axis=1).reshape(-1)


def import_dsa():
    """The ``DSA`` package (dsa-metric) and torch; a one-line error naming the extra if absent."""
    try:
        import DSA
        import torch
    except ImportError:
        raise FlipFlopError(INSTALL_HINT) from None
    return DSA, torch


def _delay_fit(x: np.ndarray, n_delays: int, rank: int | None = None, variance: float = RANK_VARIANCE):
    dsa, torch = import_dsa()
    dmd = dsa.DMD(torch.from_numpy(np.ascontiguousarray(x, np.float32)), n_delays=n_delays, rank=rank,
                  rank_explained_variance=None if rank is not None else variance, lamb=0.0, device="cpu")
    dmd.fit()
    return dmd


def _one_step_r2(dmd, test: np.ndarray) -> float:
    """R² of the fitted operator's one-step prediction of the state's change on ``test``
    (K, T, d), after the first ``n_delays`` steps of each trial."""
    _, torch = import_dsa()
    with torch.no_grad():
        pred = dmd.predict(torch.from_numpy(np.ascontiguousarray(test, np.float32))).numpy()
    start = dmd.n_delays
    change, predicted = test[:, start:] - test[:, start - 1:-1], pred[:, start:] - test[:, start - 1:-1]
    return float(1.0 - np.sum((change - predicted) ** 2) / max(np.sum((change - change.mean((0, 1))) ** 2), 1e-300))


def choose_delays(x: np.ndarray, n_train: int, candidates=DELAY_CANDIDATES) -> tuple[int, dict[int, float]]:
    """The fewest delays (of ``candidates`` shorter than a third of a trial) whose held-out
    one-step R² of the state's change on ``x`` (K, T, d) trials ``n_train:`` is within
    ``DELAY_TOLERANCE`` of the best, with the R² of every candidate tried."""
    x = np.asarray(x, np.float64)
    usable = [d for d in candidates if d < x.shape[1] / 3]
    if not usable or not 0 < n_train < len(x):
        raise FlipFlopError(f"trials of {x.shape[1]} steps are too short, or too few, for a delay embedding")
    scores = {d: _one_step_r2(_delay_fit(x[:n_train], d), x[n_train:]) for d in usable}
    best = max(scores.values())
    return min(d for d, s in scores.items() if s >= best - DELAY_TOLERANCE), scores


def hankel_rank(x: np.ndarray, n_delays: int, variance: float = RANK_VARIANCE) -> int:
    """The DMD rank at ``n_delays``: Hankel directions explaining ``variance`` of ``x`` (K, T, d)."""
    return int(_delay_fit(x, n_delays, variance=variance).rank)


def fit_operator(x: np.ndarray, n_delays: int, rank: int) -> np.ndarray:
    """The (rank, rank) HAVOK DMD operator of trials ``x`` (K, T, d) (once per network)."""
    return _delay_fit(x, n_delays, rank=rank).A_v.detach().numpy().astype(np.float64)


def dsa_distance(a: np.ndarray, b: np.ndarray, iters: int = DSA_ITERS, lr: float = DSA_LR, seed: int = 0) -> float:
    """DSA's angular distance (radians, 0 to π) between two operators of one size, up to an
    orthogonal change of basis (``SimilarityTransformDist``; seeded, one torch thread)."""
    dsa, torch = import_dsa()
    if np.shape(a) != np.shape(b):
        raise FlipFlopError(f"DSA operators must have one size, got {np.shape(a)} and {np.shape(b)}")
    torch.manual_seed(seed)
    sim = dsa.SimilarityTransformDist(iters=iters, score_method="angular", lr=lr, device="cpu")
    return float(sim.fit_score(torch.from_numpy(np.asarray(a, np.float32)), torch.from_numpy(np.asarray(b, np.float32))))
