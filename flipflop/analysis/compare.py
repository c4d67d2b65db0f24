"""Comparing networks: the Procrustes distance between corresponding point sets (e.g. the
memory states' centroids of two realisations)."""
from __future__ import annotations

from typing import Sequence

import numpy as np
import scipy.spatial

from flipflop.errors import FlipFlopError


def procrustes_distance(a: np.ndarray, b: np.ndarray) -> float:
    """Shape distance between two sets of corresponding points (e.g. two networks' (8, 3)
    state centroids, row s = state s in both).

    ``scipy.spatial.procrustes`` disparity: both sets are centred and scaled to unit
    Frobenius norm, then ``b`` is optimally rotated/reflected and scaled onto ``a``; the
    result is the remaining sum of squared differences, in [0, 1] and symmetric.
    0 means "the same cube, moved, rotated or rescaled".
    """
    a, b = np.asarray(a, np.float64), np.asarray(b, np.float64)
    if a.ndim != 2 or a.shape != b.shape:
        raise FlipFlopError(f"point sets must be 2-D and of equal shape, got {a.shape} and {b.shape}")
    if not (np.all(np.isfinite(a)) and np.all(np.isfinite(b))):
        raise FlipFlopError("centroids contain NaN or inf (a state was never visited?)")
    try:
        return float(scipy.spatial.procrustes(a, b)[2])
    except ValueError as err:
        raise FlipFlopError(f"procrustes: {err}") from None


def pairwise_procrustes(centroids: Sequence[np.ndarray]) -> np.ndarray:
    """(k, k) symmetric matrix of :func:`procrustes_distance` between k point sets."""
    k = len(centroids)
    out = np.zeros((k, k))
    for i in range(k):
        for j in range(i + 1, k):
            out[i, j] = out[j, i] = procrustes_distance(centroids[i], centroids[j])
    return out


def pad_columns(a: np.ndarray, width: int) -> np.ndarray:
    """``a`` (n, d) with zero columns appended up to ``width`` (an isometric embedding of
    R^d into R^width, so distances that allow rotations are unchanged)."""
    a = np.asarray(a, np.float64)
    if a.shape[1] > width:
        raise FlipFlopError(f"cannot pad {a.shape[1]} columns down to {width}")
    return np.pad(a, ((0, 0), (0, width - a.shape[1])))


def condition_means(states: np.ndarray, targets: np.ndarray, min_steps: int = 5) -> tuple[np.ndarray, list[tuple]]:
    """Condition-averaged states: the mean state (C, N) over the steps of each distinct
    target vector (a condition: for the flip-flop, one of the 3^bits held-bit patterns,
    the 2^bits memories among them), over every trial and step of ``states`` (K, T, N)
    with ``targets`` (K, T, n_out). Conditions seen on fewer than ``min_steps`` steps are
    left out. Returns the means, in sorted order of their conditions, and the conditions."""
    x = np.asarray(states, np.float64).reshape(-1, np.shape(states)[-1])
    y = np.round(np.asarray(targets, np.float64).reshape(-1, np.shape(targets)[-1]), 6)
    keys, inverse, counts = np.unique(y, axis=0, return_inverse=True, return_counts=True)
    inverse = inverse.reshape(-1)
    keep = np.flatnonzero(counts >= min_steps)
    if not len(keep):
        raise FlipFlopError("no condition (target value) is held for enough steps to average over")
    sums = np.zeros((len(keys), x.shape[1]))
    np.add.at(sums, inverse, x)
    return sums[keep] / counts[keep, None], [tuple(float(v) for v in k) for k in keys[keep]]


def state_procrustes(means_a: np.ndarray, means_b: np.ndarray) -> float:
    """:func:`procrustes_distance` between two runs' condition means (C, N_a) and (C, N_b),
    the smaller zero-padded to the larger width: 0 for the same configuration of
    conditions up to translation, rotation, reflection and scale, whatever the unit count."""
    return procrustes_distance(_own_coordinates(means_a), _own_coordinates(means_b))


def _own_coordinates(points: np.ndarray) -> np.ndarray:
    """Centred ``points`` (C, N) in the coordinates of their own principal axes, (C, C): an
    isometry, so the Procrustes disparity is that of the padded originals, at C x C cost."""
    x = np.asarray(points, np.float64)
    x = x - x.mean(0)
    u, s, _ = np.linalg.svd(x, full_matrices=False)
    return pad_columns(u * s, len(x))[:, :len(x)]
