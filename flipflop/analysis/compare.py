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
