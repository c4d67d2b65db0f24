"""Geometry of point sets in state space (``scipy.spatial.cKDTree``): merging duplicate
fixed points, and distances to the states a search started from."""
from __future__ import annotations

import numpy as np
from scipy.spatial import cKDTree


def deduplicate(points: np.ndarray, q: np.ndarray, tol: float) -> np.ndarray:
    """Indices of unique points, lowest q first: greedily keep the point with the lowest q,
    drop every other point within Euclidean distance ``tol`` of a kept one, repeat."""
    pts = np.asarray(points, np.float64)
    if len(pts) == 0:
        return np.zeros(0, np.int64)
    neighbours = cKDTree(pts).query_ball_point(pts, r=tol)
    dropped = np.zeros(len(pts), bool)
    kept: list[int] = []
    for i in np.argsort(q, kind="stable"):
        if not dropped[i]:
            kept.append(int(i))
            dropped[neighbours[i]] = True
    return np.array(kept, dtype=np.int64)


def nearest_distances(points: np.ndarray, reference: np.ndarray, exclude_self: bool = False) -> np.ndarray:
    """Distance from every row of ``points`` to its nearest row of ``reference`` (float64);
    ``exclude_self`` skips the same index (for ``points is reference``, rows distinct)."""
    points, reference = np.asarray(points, np.float64), np.asarray(reference, np.float64)
    k = 2 if exclude_self else 1
    if len(reference) < k:
        return np.full(len(points), np.inf)
    distance, _ = cKDTree(reference).query(points, k=k)
    return distance[:, -1] if exclude_self else distance


def outlier_mask(points: np.ndarray, reference: np.ndarray, factor: float | None,
                 min_spread: float = 0.0) -> np.ndarray:
    """True for points farther than ``factor * spread`` from their nearest reference state.

    ``spread`` is the median, over the distinct reference states, of the distance to their
    nearest other reference state, floored at ``min_spread``. ``factor=None`` (or fewer
    than two distinct reference states and no floor) flags nothing.
    """
    points = np.asarray(points)
    if factor is None or len(points) == 0:
        return np.zeros(len(points), bool)
    ref = np.unique(np.asarray(reference, np.float64), axis=0)
    if len(ref) >= 2:
        spread = max(float(np.median(nearest_distances(ref, ref, exclude_self=True))), min_spread)
    elif min_spread > 0:
        spread = min_spread
    else:
        return np.zeros(len(points), bool)
    return nearest_distances(points, ref) > factor * spread
