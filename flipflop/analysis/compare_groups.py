"""A distance matrix between networks, by group: within against across, a permutation
test, and a 2-D embedding (metric MDS, scikit-learn)."""
from __future__ import annotations

from dataclasses import dataclass
from typing import Sequence

import numpy as np

from flipflop.errors import FlipFlopError

N_PERMUTATIONS = 10_000


def _square(d: np.ndarray) -> np.ndarray:
    d = np.asarray(d, np.float64)
    if d.ndim != 2 or d.shape[0] != d.shape[1]:
        raise FlipFlopError(f"a distance matrix must be square, got shape {d.shape}")
    return d


def pair_masks(labels: Sequence) -> tuple[np.ndarray, np.ndarray]:
    """Boolean (n, n) masks of the pairs i < j with equal labels (within) and different
    ones (across)."""
    lab = np.asarray([str(v) for v in labels])
    upper = np.triu(np.ones((len(lab), len(lab)), bool), 1)
    same = lab[:, None] == lab[None, :]
    return upper & same, upper & ~same


@dataclass(frozen=True)
class GroupTest:
    """Within-group against across-group distances of one matrix and its permutation test:
    ``statistic`` = mean across − mean within; ``p_value``: the fraction of label
    permutations (the observed one counted) whose statistic is at least as large."""

    within: np.ndarray
    across: np.ndarray
    statistic: float
    p_value: float
    n_permutations: int

    @property
    def ratio(self) -> float:
        """mean across / mean within (nan when within is 0 or empty)."""
        w = float(np.mean(self.within)) if len(self.within) else np.nan
        return float(np.mean(self.across)) / w if w else np.nan


def group_test(d: np.ndarray, labels: Sequence, n_permutations: int = N_PERMUTATIONS, seed: int = 0) -> GroupTest:
    """:class:`GroupTest` of distance matrix ``d`` (n, n) with one label per network; pairs
    with a NaN distance are left out. Needs two groups and a pair within one."""
    d = _square(d)
    if len(labels) != len(d):
        raise FlipFlopError(f"{len(labels)} labels for a {len(d)}x{len(d)} matrix")
    within, across = pair_masks(labels)
    valid = np.isfinite(d)
    if not (within & valid).any() or not (across & valid).any():
        raise FlipFlopError("a group test needs at least two groups and two networks in one of them")

    def stat(w: np.ndarray, a: np.ndarray) -> float:
        return float(d[a & valid].mean() - d[w & valid].mean())

    observed = stat(within, across)
    rng = np.random.default_rng(seed)
    lab = np.asarray([str(v) for v in labels])
    count = 1
    for _ in range(n_permutations - 1):
        w, a = pair_masks(rng.permutation(lab))
        count += stat(w, a) >= observed - 1e-12
    return GroupTest(d[within & valid], d[across & valid], observed, count / n_permutations, n_permutations)


def embedding(d: np.ndarray, seed: int = 0) -> np.ndarray:
    """A 2-D embedding (n, 2) of distance matrix ``d`` by metric MDS (scikit-learn,
    seeded); NaN distances are replaced by the largest finite one."""
    from sklearn.manifold import MDS

    d = _square(d).copy()
    finite = d[np.isfinite(d)]
    d[~np.isfinite(d)] = finite.max() if len(finite) else 1.0
    d = 0.5 * (d + d.T)
    np.fill_diagonal(d, 0.0)
    if len(d) < 3:
        return np.stack([np.array([0.0, d[0, 1]]) if len(d) == 2 else np.zeros(1), np.zeros(len(d))], 1)
    try:  # scikit-learn >= 1.8: classical MDS start (deterministic), then SMACOF
        mds = MDS(n_components=2, metric="precomputed", init="classical_mds", n_init=1, random_state=seed)
    except (TypeError, ValueError):
        mds = MDS(n_components=2, dissimilarity="precomputed", random_state=seed, n_init=4)
    return mds.fit_transform(d)
