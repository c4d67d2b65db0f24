"""The flip-flop's cube: memory states' centroids in state space, how cube-like they are, and
the frame that aligns a realisation's cube with the ideal one.

- **Memory states** are the integers 0..2^bits-1 of :func:`flipflop.tasks.flipflop.task.memory_states`
  (channel 0 is the most significant bit, target +1 reads as 1; -1 = not all bits set).
  The cube corner of state s has coordinate +1 for every set bit and -1 otherwise
  (:func:`cube_corners`). States always come from the targets, never from time indices.
- **Resting steps.** Centroids average only steps where the state has held for at least
  ``settle_steps`` steps and does not change within the next ``lead_steps`` steps. The
  defaults (20 and 40) fit the paper's task at dt = 1 ms: the target changes 20 ms
  (the response delay) after a pulse's falling edge, so the first 20 steps after a
  change are the network's transient, and the 40 steps before a change are the pulse
  plus delay during which the network already moves towards the next corner. A pulse
  that does not change the state (same sign as the held bit) is not trimmed.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Sequence

import numpy as np
import scipy.linalg
from sklearn.linear_model import LogisticRegression
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler

from flipflop.errors import NON_NEGATIVE_INT, POSITIVE_INT, FlipFlopError, check_value, validate_params

SETTLE_STEPS = 20  # response delay of the paper task (20 ms at dt = 1 ms)
LEAD_STEPS = 40  # pulse (20 ms) + response delay (20 ms) before a state change


def cube_corners(n_bits: int) -> np.ndarray:
    """(2^n_bits, n_bits) corners in {-1, +1}: row s is state s, column b is channel b
    (channel 0 = most significant bit, as in :func:`flipflop.tasks.flipflop.memory_states`)."""
    s = np.arange(2 ** n_bits)[:, None]
    shift = np.arange(n_bits - 1, -1, -1)[None, :]
    return np.where((s >> shift) & 1, 1.0, -1.0)


def _check_labelled(projected: np.ndarray, states: np.ndarray,
                    n_bits: int) -> tuple[np.ndarray, np.ndarray]:
    """Validate projected (..., d) against integer states (...) of shape (T,) or (N, T)."""
    projected = np.asarray(projected, np.float64)
    states = np.asarray(states)
    check_value("n_bits", n_bits, POSITIVE_INT)
    if states.ndim not in (1, 2) or projected.shape[:-1] != states.shape:
        raise FlipFlopError(f"states of shape {states.shape} do not match projected activity of "
                            f"shape {projected.shape} (expected (T,) with (T, d), or (N, T) with (N, T, d))")
    if not np.issubdtype(states.dtype, np.integer):
        raise FlipFlopError(f"states must be integers, got dtype {states.dtype}")
    if states.size and (states.min() < -1 or states.max() >= 2 ** n_bits):
        raise FlipFlopError(f"states must lie in -1..{2 ** n_bits - 1} for {n_bits} bits")
    return projected, states


@validate_params(settle_steps=NON_NEGATIVE_INT, lead_steps=NON_NEGATIVE_INT)
def resting_mask(states: np.ndarray, settle_steps: int = SETTLE_STEPS,
                 lead_steps: int = LEAD_STEPS) -> np.ndarray:
    """Boolean mask (same shape as ``states``, (T,) or (N, T)) of labelled steps (state >= 0)
    whose state has held for >= ``settle_steps`` steps (the step of the change counts as 0)
    and will not change within the next ``lead_steps`` steps. The end of a sequence is no
    change; ``settle_steps = lead_steps = 0`` keeps every labelled step."""
    states = np.asarray(states)
    if states.ndim not in (1, 2):
        raise FlipFlopError(f"states must be (T,) or (N, T), got shape {states.shape}")
    rows = states.reshape(-1, states.shape[-1])
    mask = np.zeros(rows.shape, bool)
    t = np.arange(rows.shape[1])
    for row, out in zip(rows, mask):
        change = np.flatnonzero(np.diff(row) != 0) + 1  # first step of each new run
        starts = np.concatenate([[0], change])
        ends = np.concatenate([change, [np.iinfo(np.int64).max // 2]])  # no change at the end
        run = np.searchsorted(change, t, side="right")
        out[:] = (row >= 0) & (t - starts[run] >= settle_steps) & (ends[run] - t > lead_steps)
    return mask.reshape(states.shape)


def state_centroids(projected: np.ndarray, states: np.ndarray, n_bits: int,
                    settle_steps: int = SETTLE_STEPS, lead_steps: int = LEAD_STEPS) -> np.ndarray:
    """Mean position (2^n_bits, d) of each memory state over its resting steps
    (:func:`resting_mask`); NaN rows for states with no resting step.

    ``projected`` is (T, d) or (N, T, d); ``states`` (T,) or (N, T) come from the targets
    (``Trials.conditions["state"]`` / :func:`flipflop.tasks.flipflop.task.memory_states`).
    """
    projected, states = _check_labelled(projected, states, n_bits)
    keep = resting_mask(states, settle_steps, lead_steps)
    points, labels = projected[keep], states[keep].astype(np.int64)
    n_states = 2 ** n_bits
    counts = np.bincount(labels, minlength=n_states).astype(np.float64)
    sums = np.zeros((n_states, projected.shape[-1]))
    np.add.at(sums, labels, points)
    with np.errstate(invalid="ignore", divide="ignore"):
        return sums / counts[:, None]  # 0/0 -> NaN for unvisited states


@dataclass(frozen=True)
class CubeMetrics:
    """How cube-like the memory states' arrangement is (see :func:`cube_metrics`)."""

    centroids: np.ndarray  # (2^n, d) resting centroid per state, NaN if unvisited
    r2: float  # R^2 of the affine map corners -> centroids, over all coordinates
    r2_adjusted: float  # the same, adjusted for the n_bits + 1 fitted parameters per coordinate
    axes: np.ndarray  # (n_bits, d): fitted map's column per bit; bit b: -1 -> +1 moves by 2 * axes[b]
    offset: np.ndarray  # (d,): fitted map's translation (the cube's centre)
    axis_angles_deg: np.ndarray  # (n_bits, n_bits): angles between bit axes (diagonal 0); 90 = square
    edge_lengths: np.ndarray  # (n_bits,): 2 * |axes[b]|, the length of a cube edge along bit b
    bit_decoding: np.ndarray  # (n_bits,): linear decoding accuracy per bit (NaN if one class)


def cube_metrics(projected: np.ndarray, states: np.ndarray, n_bits: int,
                 settle_steps: int = SETTLE_STEPS, lead_steps: int = LEAD_STEPS) -> CubeMetrics:
    """Fit the cube {-1, +1}^n_bits to the memory states' centroids in a projection.

    - ``centroids``: :func:`state_centroids` (resting steps only).
    - ``r2``: least-squares affine map ``centroid_s ~ offset + corner_s @ axes`` over the
      visited states; ``1 - SS_res / SS_tot`` summed over all centroid coordinates. For
      structureless data with 2^n points and n + 1 parameters per coordinate, ``r2`` is
      about n / (2^n - 1) on average (3/7 for 3 bits), hence also ``r2_adjusted``
      (about 0 for structureless data).
    - ``axis_angles_deg`` / ``edge_lengths``: geometry of the fitted ``axes``.
    - ``bit_decoding``: per bit, training accuracy of a logistic regression
      (standardised features) predicting the bit from the projection over *all*
      labelled steps (state >= 0, transients included): 1 means the bit is linearly
      separable in the projection along the whole trajectory.

    Needs more than n_bits + 1 visited states (fewer are fitted exactly).
    """
    projected, states = _check_labelled(projected, states, n_bits)
    centroids = state_centroids(projected, states, n_bits, settle_steps, lead_steps)
    visited = ~np.isnan(centroids).any(axis=1)
    m = int(visited.sum())
    if m <= n_bits + 1:
        raise FlipFlopError(f"only {m} of {2 ** n_bits} memory states have resting steps; "
                            f"a cube fit needs more than {n_bits + 1}")
    corners = cube_corners(n_bits)[visited]
    y = centroids[visited]
    design = np.hstack([corners, np.ones((m, 1))])
    coef, *_ = np.linalg.lstsq(design, y, rcond=None)
    ss_res = float(np.sum((y - design @ coef) ** 2))
    ss_tot = float(np.sum((y - y.mean(axis=0)) ** 2))
    r2 = 1.0 - ss_res / ss_tot if ss_tot > 0 else float("nan")
    r2_adj = 1.0 - (1.0 - r2) * (m - 1) / (m - n_bits - 1)
    axes, offset = coef[:n_bits], coef[n_bits]
    lengths = np.linalg.norm(axes, axis=1)
    with np.errstate(invalid="ignore", divide="ignore"):
        cos = (axes @ axes.T) / np.outer(lengths, lengths)
    angles = np.degrees(np.arccos(np.clip(cos, -1.0, 1.0)))
    np.fill_diagonal(angles, 0.0)
    return CubeMetrics(centroids, r2, r2_adj, axes, offset, angles, 2.0 * lengths,
                       _bit_decoding(projected, states, n_bits))


def task_cube(task, projected: np.ndarray, series) -> CubeMetrics:
    """:func:`cube_metrics` of a flip-flop task's one-trial 8-state series, resting steps
    chosen from the task's timing (settled after the response delay, before a pulse)."""
    return cube_metrics(projected, series.conditions["state"][0], task.n_bits, settle_steps=task.steps(task.delay_ms),
                        lead_steps=task.steps(task.pulse_ms + task.delay_ms))


def _bit_decoding(projected: np.ndarray, states: np.ndarray, n_bits: int) -> np.ndarray:
    labelled = states >= 0
    x = projected[labelled]
    bits = cube_corners(n_bits)[states[labelled].astype(np.int64)] > 0  # (M, n_bits)
    accuracy = np.full(n_bits, np.nan)
    for b in range(n_bits):
        if 0 < bits[:, b].sum() < len(bits):
            clf = make_pipeline(StandardScaler(), LogisticRegression())
            accuracy[b] = clf.fit(x, bits[:, b]).score(x, bits[:, b])
    return accuracy


# Fig. 5 and 6 ------------------------------------------------------------------------------
def cube_edges(n_bits: int) -> list[tuple[int, int]]:
    """Pairs (s, t), s < t, of memory states one bit flip apart: the edges of the
    n-cube (12 for 3 bits)."""
    return [(s, s ^ 1 << b) for s in range(2 ** n_bits) for b in range(n_bits) if s < s ^ 1 << b]


def align_to_cube(centroids: np.ndarray, n_bits: int) -> tuple[np.ndarray, np.ndarray]:
    """Centre ``c`` and orthogonal ``R`` with ``(centroids - c) @ R`` closest (least squares,
    up to scale) to the ideal corners {±1}^n of the same states, so that every realisation
    is drawn in one frame: axis b is bit b, + up. Rotation or reflection only, no
    distortion (``scipy.linalg.orthogonal_procrustes``). Unvisited states (NaN) are left
    out; with fewer than 2 states, or other than ``n_bits`` dimensions, nothing is rotated."""
    centroids = np.asarray(centroids, np.float64)
    ok = np.all(np.isfinite(centroids), axis=1)
    if ok.sum() < 2 or centroids.shape[1] != n_bits:
        centre = centroids[ok].mean(axis=0) if ok.any() else np.zeros(centroids.shape[1])
        return centre, np.eye(centroids.shape[1])
    corners = cube_corners(n_bits)[ok]
    a, b = centroids[ok] - centroids[ok].mean(axis=0), corners - corners.mean(axis=0)
    rotation, trace = scipy.linalg.orthogonal_procrustes(a, b)
    size = trace / float(np.sum(b ** 2))  # a @ rotation ~ size * b
    return centroids[ok].mean(axis=0) - size * corners.mean(axis=0) @ rotation.T, rotation


def axis_variance(projected: np.ndarray, rotation: np.ndarray, variance_ratio: Sequence[float]) -> np.ndarray:
    """Fraction of the activity's variance along each rotated axis ``projected @ rotation``.

    ``variance_ratio`` (per projected axis, as :class:`flipflop.analysis.Projection` gives
    it) fixes the activity's total variance: total = var(axis i) / ratio i.
    """
    flat = np.asarray(projected, np.float64).reshape(-1, rotation.shape[0])
    total = flat.var(axis=0).sum() / float(np.sum(variance_ratio))
    return (flat @ rotation).var(axis=0) / total
