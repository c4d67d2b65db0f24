"""Analysis of trained flip-flop networks: weights, spectra, hidden activity, cube geometry.

Conventions used throughout:

- **Recurrent matrix orientation.** :func:`recurrent_matrix` returns Keras'
  ``recurrent_kernel`` block *as stored*, ``U`` of shape (units, units), used as
  ``h_t @ U``: row i is the presynaptic unit, column j the postsynaptic one. This is
  what the paper's W_rec heat map shows. The "W h" orientation of
  ``h_{t+1} = f(W h_t + ...)`` is ``U.T``; both have the same eigenvalues.
- **Memory states** are the integers 0..2^bits-1 of :func:`flipflop.tasks.flipflop.memory_states`
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
from typing import NamedTuple, Sequence

from flipflop.backend import keras
import numpy as np
import scipy.spatial
from sklearn.decomposition import PCA, TruncatedSVD
from sklearn.linear_model import LogisticRegression
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler

from flipflop.cells import spec_of_layer
from flipflop.errors import FlipFlopError

SPECTRUM_TOL = 0.01  # the paper's count: eigenvalues with |lambda| > 1.01
SETTLE_STEPS = 20  # response delay of the paper task (20 ms at dt = 1 ms)
LEAD_STEPS = 40  # pulse (20 ms) + response delay (20 ms) before a state change



# ---------------------------------------------------------------- weights and spectra


def recurrent_layer(model: keras.Model) -> keras.layers.RNN:
    """The first layer of ``model`` derived from ``keras.layers.RNN`` (SimpleRNN, GRU,
    LSTM or ``keras.layers.RNN`` wrapping a cell such as the CTRNN)."""
    for layer in model.layers:
        if isinstance(layer, keras.layers.RNN):
            return layer
    raise FlipFlopError("model has no recurrent layer")


def gate_blocks(model: keras.Model) -> dict[str, np.ndarray]:
    """The (units, units) blocks of the recurrent kernel, by name, in Keras' orientation.

    - SimpleRNN or any single-block cell: ``{"recurrent": U}``;
    - a cell with ``effective_recurrent_kernel()`` (the CTRNN): ``{"recurrent": W_eff}``,
      the effective matrix with Dale signs and connectivity mask applied, assumed to be
      in the same (presynaptic, postsynaptic) orientation as ``recurrent_kernel``;
    - GRU: ``update``, ``reset``, ``candidate`` (Keras' z, r, h column blocks);
    - LSTM: ``input``, ``forget``, ``cell``, ``output`` (Keras' i, f, c, o column blocks).
    """
    cell = recurrent_layer(model).cell
    if hasattr(cell, "effective_recurrent_kernel"):
        return {"recurrent": _square(keras.ops.convert_to_numpy(cell.effective_recurrent_kernel()))}
    if not hasattr(cell, "recurrent_kernel"):
        raise FlipFlopError(f"recurrent cell {type(cell).__name__} has no recurrent_kernel")
    kernel = np.asarray(keras.ops.convert_to_numpy(cell.recurrent_kernel), np.float64)
    names = _gates(cell)
    units = kernel.shape[0]
    if kernel.shape != (units, units * len(names)):
        raise FlipFlopError(f"recurrent kernel of shape {kernel.shape} does not split into "
                            f"{len(names)} blocks of ({units}, {units})")
    return {name: kernel[:, k * units:(k + 1) * units] for k, name in enumerate(names)}


def recurrent_matrix(model: keras.Model, gate: str | None = None) -> np.ndarray:
    """The (units, units) recurrent weight matrix, Keras orientation (``h @ U``, rows
    presynaptic; see the module docstring).

    ``gate`` picks a block of a gated cell (see :func:`gate_blocks`). Defaults: GRU
    ``"candidate"`` and LSTM ``"cell"``, the block inside the candidate's tanh that plays
    the role of the plain RNN's W_rec; SimpleRNN/CTRNN have the single block ``"recurrent"``.
    """
    blocks = gate_blocks(model)
    if gate is None:
        gate = shown_gate(model)
    if gate not in blocks:
        raise FlipFlopError(f"unknown gate {gate!r} for this cell; choose one of {', '.join(blocks)}")
    return blocks[gate]


def shown_gate(model: keras.Model) -> str:
    """The gate block shown as W_rec for this model's cell (the cell registry's choice)."""
    cell = recurrent_layer(model).cell
    return spec_of_layer(cell).shown_gate if _registered(cell) else "recurrent"


def _registered(cell) -> bool:
    try:
        spec_of_layer(cell)
        return True
    except FlipFlopError:
        return False


def _gates(cell) -> tuple[str, ...]:
    """The cell registry's gate blocks; a cell outside the registry has one block."""
    return spec_of_layer(cell).gates if _registered(cell) else ("recurrent",)


def _square(matrix: np.ndarray) -> np.ndarray:
    matrix = np.asarray(matrix, np.float64)
    if matrix.ndim != 2 or matrix.shape[0] != matrix.shape[1]:
        raise FlipFlopError(f"expected a square matrix, got shape {matrix.shape}")
    if not np.all(np.isfinite(matrix)):
        raise FlipFlopError("matrix has non-finite entries")
    return matrix


class Spectrum(NamedTuple):
    """Eigenvalues of a square matrix and the paper's summary numbers."""

    eigenvalues: np.ndarray  # complex (n,), sorted by decreasing modulus
    spectral_radius: float  # max |lambda|
    n_outside: int  # count of |lambda| > 1 + tol
    n_total: int  # n


def spectrum(matrix: np.ndarray, tol: float = SPECTRUM_TOL) -> Spectrum:
    """Eigenvalues of ``matrix`` and how many lie outside the unit circle.

    ``n_outside`` counts ``|lambda| > 1 + tol``; the default ``tol = 0.01`` is the paper's
    "57 of 400 eigenvalues with |lambda| > 1.01", and keeps the eigenvalues of an
    orthogonal matrix (|lambda| = 1 up to round-off) inside.
    """
    matrix = _square(matrix)
    if not tol >= 0:
        raise FlipFlopError(f"tol must be >= 0, got {tol}")
    eig = np.linalg.eigvals(matrix).astype(np.complex128)
    modulus = np.abs(eig)
    order = np.argsort(-modulus, kind="stable")
    return Spectrum(eig[order], float(modulus.max(initial=0.0)),
                    int(np.sum(modulus > 1.0 + tol)), int(eig.size))


def spectral_signature(matrix: np.ndarray, tol: float = SPECTRUM_TOL) -> dict[str, float]:
    """Summary of the eigenvalue moduli |lambda| of ``matrix``: ``radius`` (max),
    ``n_above`` (count of |lambda| > 1 + tol, see :func:`spectrum`), and the ``median``,
    ``std`` and 10th percentile ``p10`` of |lambda| (dimensionless)."""
    s = spectrum(matrix, tol)
    modulus = np.abs(s.eigenvalues)
    return {"radius": s.spectral_radius, "n_above": s.n_outside, "median": float(np.median(modulus)),
            "std": float(np.std(modulus)), "p10": float(np.percentile(modulus, 10))}


# ---------------------------------------------------------------- activity


def _check_inputs(model: keras.Model, inputs: np.ndarray) -> np.ndarray:
    try:
        expected = model.inputs[0].shape[-1]
    except (AttributeError, IndexError, TypeError, ValueError):
        raise FlipFlopError("model has no defined input; build it with keras.Input first") from None
    inputs = np.asarray(inputs, np.float32)
    if inputs.ndim != 3:
        raise FlipFlopError(f"inputs must be (samples, steps, {expected}), got shape {inputs.shape}")
    if expected is not None and inputs.shape[-1] != expected:
        raise FlipFlopError(f"model expects {expected} input channels, got {inputs.shape[-1]}")
    return inputs


def hidden_states(model: keras.Model, inputs: np.ndarray, batch_size: int = 256) -> np.ndarray:
    """Output sequence of the recurrent layer (for LSTM: h, not c), (N, T, units) float32,
    for ``inputs`` (N, T, bits), from a zero initial state."""
    inputs = _check_inputs(model, inputs)
    layer = recurrent_layer(model)
    if not layer.return_sequences:
        raise FlipFlopError("the recurrent layer must return sequences (return_sequences=True)")
    output = layer.output[0] if isinstance(layer.output, (list, tuple)) else layer.output
    probe = keras.Model(model.inputs, output)
    return np.asarray(probe.predict(inputs, batch_size=batch_size, verbose=0))


def outputs(model: keras.Model, inputs: np.ndarray, batch_size: int = 256) -> np.ndarray:
    """The network's readout for ``inputs`` (N, T, bits): (N, T, bits) float32."""
    return np.asarray(model.predict(_check_inputs(model, inputs), batch_size=batch_size, verbose=0))


# ---------------------------------------------------------------- projection


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
    if isinstance(n_components, bool) or not isinstance(n_components, (int, np.integer)) \
            or not 1 <= n_components <= limit:
        raise FlipFlopError(f"n_components must be an integer in [1, {limit}] for activity of "
                            f"shape {x.shape}, got {n_components!r}")
    if method == "svd":
        model = TruncatedSVD(n_components, algorithm="randomized", random_state=seed)
        mean = np.zeros(flat.shape[1])
    elif method == "pca":
        model = PCA(n_components, random_state=seed)
    else:
        raise FlipFlopError(f"unknown projection method {method!r}; choose one of svd, pca")
    scores = model.fit_transform(flat)
    if method == "pca":
        mean = np.asarray(model.mean_, np.float64)
    return Projection(scores.reshape(*x.shape[:-1], n_components),
                      np.asarray(model.components_, np.float64), mean,
                      np.asarray(model.explained_variance_ratio_, np.float64), method)


# ---------------------------------------------------------------- memory states and cube


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
    if isinstance(n_bits, bool) or not isinstance(n_bits, (int, np.integer)) or n_bits <= 0:
        raise FlipFlopError(f"n_bits must be a positive integer, got {n_bits!r}")
    if states.ndim not in (1, 2) or projected.shape[:-1] != states.shape:
        raise FlipFlopError(f"states of shape {states.shape} do not match projected activity of "
                            f"shape {projected.shape} (expected (T,) with (T, d), or (N, T) with (N, T, d))")
    if not np.issubdtype(states.dtype, np.integer):
        raise FlipFlopError(f"states must be integers, got dtype {states.dtype}")
    if states.size and (states.min() < -1 or states.max() >= 2 ** n_bits):
        raise FlipFlopError(f"states must lie in -1..{2 ** n_bits - 1} for {n_bits} bits")
    return projected, states


def resting_mask(states: np.ndarray, settle_steps: int = SETTLE_STEPS,
                 lead_steps: int = LEAD_STEPS) -> np.ndarray:
    """Boolean mask (same shape as ``states``, (T,) or (N, T)) of labelled steps (state >= 0)
    whose state has held for >= ``settle_steps`` steps (the step of the change counts as 0)
    and will not change within the next ``lead_steps`` steps. The end of a sequence is no
    change; ``settle_steps = lead_steps = 0`` keeps every labelled step."""
    for name, value in (("settle_steps", settle_steps), ("lead_steps", lead_steps)):
        if isinstance(value, bool) or not isinstance(value, (int, np.integer)) or value < 0:
            raise FlipFlopError(f"{name} must be a non-negative integer, got {value!r}")
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
    (``Trials.states`` / :func:`flipflop.tasks.flipflop.memory_states`).
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


def flipflop_cube(task, projected: np.ndarray, series) -> CubeMetrics:
    """:func:`cube_metrics` of a flip-flop task's one-trial 8-state series, resting steps
    chosen from the task's timing (settled after the response delay, before a pulse)."""
    return cube_metrics(projected, series.states[0], task.n_bits, settle_steps=task.steps(task.delay_ms),
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


# ---------------------------------------------------------------- comparing networks


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
