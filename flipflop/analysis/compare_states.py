"""Comparing two networks' states on the same trials: CCA / SVCCA and linear cross-prediction.

Both take states as (samples, units) arrays whose rows are the same time steps of the same
trials in both networks (unit counts may differ).

- :func:`canonical_correlations`: the canonical correlations of two centred data sets, the
  cosines of the principal angles between their column spaces
  (``scipy.linalg.subspace_angles``); invariant to any invertible linear map of either.
- :func:`svcca`: Raghu et al.'s SVCCA (2017): each set is first reduced to its top
  singular directions (:func:`top_directions`, done once per network), then CCA; the
  similarity is the mean canonical correlation, the distance 1 minus it.
- :func:`cross_prediction`: the CtDB-style scores (Versteeg et al. 2024): a ridge map from
  one network's states onto the other's, fitted on some trials and scored (R², variance
  weighted) on held-out ones, in both directions, and the cycle consistency (a -> b -> a).
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import scipy.linalg

from flipflop.errors import FlipFlopError

VARIANCE_KEPT = 0.99  # SVCCA keeps the directions that explain this fraction of the variance
MAX_DIRECTIONS = 20   # ... but at most this many (more overfit CCA on a few thousand samples)
RIDGE = 1e-3          # ridge penalty of the cross-prediction maps, relative to the mean variance


def _paired(a: np.ndarray, b: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    a, b = np.asarray(a, np.float64), np.asarray(b, np.float64)
    if a.ndim != 2 or b.ndim != 2 or len(a) != len(b):
        raise FlipFlopError(f"states must be (samples, units) with the same samples, got {a.shape} and {b.shape}")
    if not (np.all(np.isfinite(a)) and np.all(np.isfinite(b))):
        raise FlipFlopError("states contain NaN or inf")
    return a, b


def canonical_correlations(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """Canonical correlations (descending, min(rank a, rank b) of them) between the
    columns of ``a`` (n, p) and ``b`` (n, q), both centred here."""
    a, b = _paired(a, b)
    a, b = a - a.mean(0), b - b.mean(0)
    return np.sort(np.cos(scipy.linalg.subspace_angles(a, b)))[::-1]


def top_directions(x: np.ndarray, k: int | None = None, variance: float = VARIANCE_KEPT,
                   max_k: int = MAX_DIRECTIONS) -> np.ndarray:
    """``x`` (n, d) centred and projected on its top singular directions: ``k`` of them,
    or as many as explain ``variance`` of the variance (at most ``max_k``), with
    :func:`canonical_signs`. (n, k)."""
    x = np.asarray(x, np.float64)
    x = x - x.mean(0)
    u, s, _ = np.linalg.svd(x, full_matrices=False)
    if k is None:
        k = int(np.searchsorted(np.cumsum(s ** 2) / np.sum(s ** 2), variance) + 1)
        k = min(k, max_k)
    pcs = u[:, :k] * s[:k]
    return pcs * canonical_signs(pcs)


def canonical_signs(pcs: np.ndarray) -> np.ndarray:
    """+-1 per column making its third moment positive (zero: its largest value larger
    than minus its smallest): a sign convention for singular vectors, so that a network's
    components do not depend on how its units are ordered or rotated."""
    third = np.sum(pcs ** 3, axis=0)
    tie = np.isclose(third, 0, atol=1e-9 * np.maximum(np.sum(np.abs(pcs) ** 3, axis=0), 1e-300))
    sign = np.where(tie, np.sign(pcs.max(0) + pcs.min(0)), np.sign(third))
    return np.where(sign == 0, 1.0, sign)


def n_directions(x: np.ndarray, variance: float = VARIANCE_KEPT) -> int:
    """How many singular directions of centred ``x`` explain ``variance`` of its variance."""
    s = np.linalg.svd(np.asarray(x, np.float64) - np.mean(x, 0), compute_uv=False)
    return int(np.searchsorted(np.cumsum(s ** 2) / np.sum(s ** 2), variance) + 1)


def svcca(a_reduced: np.ndarray, b_reduced: np.ndarray) -> float:
    """SVCCA similarity in [0, 1] of two networks' reduced states (:func:`top_directions`):
    the mean canonical correlation."""
    return float(np.mean(canonical_correlations(a_reduced, b_reduced)))


def orthonormal_basis(reduced: np.ndarray) -> np.ndarray:
    """An orthonormal basis (n, k) of the centred columns of ``reduced`` (once per network)."""
    x = np.asarray(reduced, np.float64)
    return np.linalg.qr(x - x.mean(0))[0]


def svcca_of_bases(a_basis: np.ndarray, b_basis: np.ndarray) -> float:
    """:func:`svcca` from the networks' :func:`orthonormal_basis`: the canonical
    correlations are the singular values of ``a_basis.T @ b_basis``."""
    return float(np.mean(np.clip(np.linalg.svd(a_basis.T @ b_basis, compute_uv=False), 0.0, 1.0)))


def r2(target: np.ndarray, predicted: np.ndarray) -> float:
    """Variance-weighted R² of ``predicted`` against ``target`` (n, d): 1 - SS_res / SS_tot."""
    ss_tot = np.sum((target - target.mean(0)) ** 2)
    return float(1.0 - np.sum((target - predicted) ** 2) / max(ss_tot, 1e-300))


def _ridge(x: np.ndarray, y: np.ndarray):
    from sklearn.linear_model import Ridge

    alpha = RIDGE * max(float(np.mean(np.var(x, 0))), 1e-12) * len(x)
    return Ridge(alpha=alpha).fit(x, y)


@dataclass(frozen=True)
class CrossPrediction:
    """Held-out R² of the linear maps a -> b and b -> a, and the cycle consistency:
    R² of a against its round trip a -> b -> a (both maps fitted on the training trials)."""

    a_to_b: float
    b_to_a: float
    cycle_a: float
    cycle_b: float

    @property
    def distance(self) -> float:
        """1 - the mean of the two directions' R² (0: each predicts the other exactly)."""
        return 1.0 - 0.5 * (self.a_to_b + self.b_to_a)


def cross_prediction(a: np.ndarray, b: np.ndarray, train: np.ndarray) -> CrossPrediction:
    """The CtDB-style scores of states ``a`` (n, p) and ``b`` (n, q) (same rows), the maps
    fitted on the rows where ``train`` (n,) is True and scored on the others."""
    a, b = _paired(a, b)
    train = np.asarray(train, bool)
    if train.shape != (len(a),) or train.all() or not train.any():
        raise FlipFlopError("cross-prediction needs both training and held-out samples")
    test = ~train
    ab, ba = _ridge(a[train], b[train]), _ridge(b[train], a[train])
    return CrossPrediction(a_to_b=r2(b[test], ab.predict(a[test])), b_to_a=r2(a[test], ba.predict(b[test])),
                           cycle_a=r2(a[test], ba.predict(ab.predict(a[test]))),
                           cycle_b=r2(b[test], ab.predict(ba.predict(b[test]))))
