"""Fixed points and slow points of a trained RNN (Sussillo & Barak 2013), in Keras 3 / TF2.

The recurrent layer's cell defines a discrete-time map ``h' = F(h, u)`` on the flat state
vector ``h`` (the concatenation of the cell's state tensors in ``state_size`` order: ``h``
for SimpleRNN / GRU / CTRNN, ``[h, c]`` for LSTM). At a constant input ``u`` (zeros by
default) the finder minimises, for every point independently,

    q(h) = 0.5 * ||F(h, u) - h||^2 = 0.5 * sum_i (F(h, u)_i - h_i)^2

(a *sum* over state units, as in FixedPointFinder, so ``tol_q`` scales with the
state size). A point with ``q < tol_q`` is a *fixed point*; one with
``tol_q <= q < slow_tol`` a *slow point*.

Optimisation: all initial states move at once. One ``tf.function`` runs a chunk of
iterations (``tf.while_loop``) on the whole batch; every iteration evaluates q and its
gradient for every point and takes one Adam step per point, with a per-point adaptive
learning rate: a step that lowered the point's best q is accepted and its learning rate
multiplied by ``LR_GROW``; a step that did not is rejected (the point goes back to its
best state, its first moment is reset) and its learning rate multiplied by
``LR_SHRINK`` (clipped to ``[LR_MIN, LR_MAX]``). So each point's q only decreases, and no
point's step size depends on another's. Between chunks the points that reached
``q < tol_q`` leave the batch; the run stops when none is left or after ``max_iters``.

Post-processing (see :func:`find_fixed_points`): keep fixed and slow points, merge
duplicates, optionally polish them with a few damped Newton steps (``refine_steps``, off by
default), drop outliers far from the sampled states, then linearise: Jacobians
``dF/dh`` by batched autodiff, eigenvalues with numpy. A point is stable when every
eigenvalue has ``|lambda| <= 1`` (discrete-time map), otherwise a saddle (or source)
with ``n_unstable`` = number of eigenvalues with ``|lambda| > 1``.
"""
from __future__ import annotations

import math
import os
import weakref
import zipfile
import zlib
from dataclasses import dataclass
from typing import Callable, NamedTuple

from flipflop.backend import keras
import numpy as np
from flipflop.backend import tf

from flipflop.analysis import recurrent_layer as find_recurrent_layer
from flipflop.errors import FlipFlopError
from flipflop.errors import check_positive_int

# Adam and adaptive learning-rate constants of the optimiser (see module docstring).
ADAM_BETA1 = 0.9
ADAM_BETA2 = 0.999
ADAM_EPSILON = 1e-8
LR_GROW = 1.05
LR_SHRINK = 0.5
LR_MIN = 1e-10
LR_MAX = 1.0
CHUNK_ITERS = 200  # iterations per compiled call; converged points leave between calls
JACOBIAN_CHUNK = 64  # points per batched Jacobian call
EIG_CHUNK = 16  # Jacobians per batched eigendecomposition (16 x 400^2 complex eigenvectors: 41 MB)
FORMAT_VERSION = 1


# ---------------------------------------------------------------------------------------
# The recurrent map
# ---------------------------------------------------------------------------------------

def _layer_input_size(model: keras.Model, layer: keras.layers.RNN) -> int:
    try:
        size = layer.input.shape[-1]
        if size is not None:
            return int(size)
    except (AttributeError, ValueError, IndexError, TypeError, RuntimeError):
        pass
    kernel = getattr(layer.cell, "kernel", None)
    if kernel is not None and len(kernel.shape) == 2:
        return int(kernel.shape[0])
    return int(model.input_shape[-1])


class RecurrentStep:
    """The step map ``F(h, u)`` of a model's recurrent cell on flat states.

    ``step(h, u)`` takes ``h`` (B, n_state) and ``u`` (B, n_input) float32 tensors and
    returns the next flat state (B, n_state); it is differentiable and traceable by
    ``tf.function``. Attributes: ``layer``, ``cell``, ``n_state``, ``n_input``,
    ``state_sizes`` (sizes of the cell's state tensors, in the order they are concatenated).
    """

    def __init__(self, model: keras.Model) -> None:
        layer = find_recurrent_layer(model)
        self._layer = weakref.ref(layer)  # weak: the per-layer cache must not keep the layer alive
        self.cell = layer.cell
        self.n_input = _layer_input_size(model, layer)
        template = layer.get_initial_state(1)  # the nested state structure, batch 1
        self._structure = template
        self.state_sizes = [int(s.shape[-1]) for s in keras.tree.flatten(template)]
        self.n_state = int(sum(self.state_sizes))
        takes_training = isinstance(self.cell, keras.layers.Layer) and getattr(
            self.cell, "_call_has_training_arg", False)
        self._kwargs = {"training": False} if takes_training else {}
        self._compiled: dict[str, object] = {}  # tf.functions built on this step, by name

    @property
    def layer(self) -> keras.layers.RNN:
        """The recurrent layer (a RecurrentStep holds it weakly)."""
        layer = self._layer()
        if layer is None:
            raise FlipFlopError("the recurrent layer of this step function no longer exists")
        return layer

    def split(self, h: tf.Tensor) -> list:
        """Flat states (B, n_state) -> the cell's (nested) list of state tensors."""
        parts = tf.split(h, self.state_sizes, axis=-1) if len(self.state_sizes) > 1 else [h]
        return list(keras.tree.pack_sequence_as(self._structure, parts))

    def join(self, states) -> tf.Tensor:
        """The cell's state tensors -> flat states (B, n_state)."""
        parts = keras.tree.flatten(states) if keras.tree.is_nested(states) else [states]
        return parts[0] if len(parts) == 1 else tf.concat(parts, axis=-1)

    def __call__(self, h: tf.Tensor, u: tf.Tensor) -> tf.Tensor:
        _, new_states = self.cell(u, self.split(h), **self._kwargs)
        return self.join(new_states)


_STEPS: "weakref.WeakKeyDictionary[keras.layers.Layer, RecurrentStep]" = weakref.WeakKeyDictionary()


def step_function(model: keras.Model) -> RecurrentStep:
    """``F(h, u)`` of the model's recurrent cell, on flat states (see :class:`RecurrentStep`).

    The object (and the ``tf.function``s compiled on it) is cached per recurrent layer, so
    repeated calls on one model trace once."""
    layer = find_recurrent_layer(model)
    step = _STEPS.get(layer)
    if step is None:
        step = RecurrentStep(model)
        _STEPS[layer] = step
    return step


def recurrent_step(model: keras.Model, states: np.ndarray, inputs: np.ndarray | None = None) -> np.ndarray:
    """One step of the recurrent map in numpy: ``states`` (B, n_state) and ``inputs``
    (B, n_input), or one (n_input,) input for every row (default: zeros) -> (B, n_state)."""
    step = step_function(model)
    h = _as_float32(states, "states", ndim=2, last=step.n_state)
    if inputs is None or np.ndim(inputs) <= 1:
        u = np.broadcast_to(_constant_input(step, inputs), (len(h), step.n_input))
    else:
        u = _as_float32(inputs, "inputs", ndim=2, last=step.n_input)
        if len(u) != len(h):
            raise FlipFlopError(f"states have {len(h)} rows but inputs have {len(u)}")
    return step(tf.constant(h), tf.constant(u)).numpy()


def recurrent_states(model: keras.Model, inputs: np.ndarray, batch_size: int = 256) -> np.ndarray:
    """Flat recurrent states over time, (N, T, n_state), of the model run on ``inputs``.

    ``inputs`` (N, T, n_in) go through any layers before the recurrent one; the recurrent
    cell then runs from the layer's initial (zero) state. For LSTM each row is ``[h, c]``.
    ``batch_size`` (default 256) trials are run at a time.
    """
    step = step_function(model)
    x = np.asarray(inputs, dtype=np.float32)
    if x.ndim != 3:
        raise FlipFlopError(f"inputs must be (samples, steps, channels), got shape {x.shape}")
    layers = list(model.layers)
    index = layers.index(step.layer)
    if index > 0:  # preprocess with whatever comes before the recurrent layer
        x = np.asarray(keras.Model(model.inputs, step.layer.input)(x, training=False), np.float32)
    if x.shape[-1] != step.n_input:
        raise FlipFlopError(f"inputs have {x.shape[-1]} channels but the recurrent layer "
                            f"takes {step.n_input}")

    run = step._compiled.get("scan")
    if run is None:
        @tf.function(input_signature=[tf.TensorSpec([None, None, step.n_input], tf.float32)])
        def run(batch):
            h0 = step.join(step.layer.get_initial_state(tf.shape(batch)[0]))
            seq = tf.scan(lambda h, u: step(h, u), tf.transpose(batch, [1, 0, 2]), initializer=h0)
            return tf.transpose(seq, [1, 0, 2])
        step._compiled["scan"] = run

    check_positive_int("batch_size", batch_size)
    out = [run(tf.constant(x[i:i + batch_size])).numpy() for i in range(0, len(x), batch_size)]
    return np.concatenate(out) if out else np.zeros((0, x.shape[1], step.n_state), np.float32)


def _as_float32(a, name: str, ndim: int | tuple, last: int) -> np.ndarray:
    try:
        arr = np.asarray(a, dtype=np.float32)
    except (TypeError, ValueError):
        raise FlipFlopError(f"{name} must be a numeric array") from None
    ndims = (ndim,) if isinstance(ndim, int) else ndim
    if arr.ndim not in ndims or arr.shape[-1] != last:
        want = " or ".join(f"{d}-D" for d in ndims)
        raise FlipFlopError(f"{name} must be a {want} array with {last} values on its last axis, "
                            f"got shape {arr.shape}")
    if not np.all(np.isfinite(arr)):
        raise FlipFlopError(f"{name} contains NaN or infinite values")
    return arr


def _constant_input(step: RecurrentStep, constant_input) -> np.ndarray:
    if constant_input is None:
        return np.zeros(step.n_input, np.float32)
    try:
        u = np.asarray(constant_input, dtype=np.float32).reshape(-1)
    except (TypeError, ValueError):
        raise FlipFlopError(f"constant_input must be a list of numbers, got {constant_input!r}") from None
    if u.size != step.n_input:
        raise FlipFlopError(f"constant_input has length {u.size} but the model's input size is "
                            f"{step.n_input}")
    if not np.all(np.isfinite(u)):
        raise FlipFlopError("constant_input contains NaN or infinite values")
    return u


# ---------------------------------------------------------------------------------------
# Optimisation
# ---------------------------------------------------------------------------------------

class OptimState(NamedTuple):
    """Per-point optimiser state; every field has the batch as its first axis."""

    h: tf.Tensor  # (B, n) state to evaluate next
    m: tf.Tensor  # (B, n) Adam first moment
    v: tf.Tensor  # (B, n) Adam second moment
    k_m: tf.Tensor  # (B,) steps since the first moment was last reset (bias correction)
    k_v: tf.Tensor  # (B,) steps taken (bias correction of the second moment)
    lr: tf.Tensor  # (B,) per-point learning rate
    best_h: tf.Tensor  # (B, n) lowest-q state visited (the point every step starts from)
    best_q: tf.Tensor  # (B,) its q (inf before the first evaluation)
    best_g: tf.Tensor  # (B, n) its gradient dq/dh


def q_values(step: RecurrentStep, h: tf.Tensor, u: tf.Tensor) -> tf.Tensor:
    """q(h) = 0.5 * sum over state units of (F(h, u) - h)^2, one value per row: (B,)."""
    return 0.5 * tf.reduce_sum(tf.square(step(h, u) - h), axis=-1)


def init_optim_state(h0: np.ndarray, learning_rate: float) -> OptimState:
    """The optimiser's state before the first iteration, for initial states ``h0`` (B, n)."""
    h = tf.constant(h0, tf.float32)
    zeros, b = tf.zeros_like(h), h.shape[0]
    return OptimState(h, zeros, zeros, tf.zeros([b]), tf.zeros([b]), tf.fill([b], float(learning_rate)),
                      h, tf.fill([b], np.float32(np.inf)), zeros)


def optim_iteration(step: RecurrentStep, u: tf.Tensor, s: OptimState) -> OptimState:
    """One iteration for every point: evaluate q and its gradient at ``h``; accept ``h``
    if q went below the point's best q (learning rate x ``LR_GROW``), else reject it (back
    to the best state, first moment reset, learning rate x ``LR_SHRINK``); then take one
    Adam step from the best state. Points do not interact."""
    with tf.GradientTape() as tape:
        tape.watch(s.h)
        q = q_values(step, s.h, u)
    g = tape.gradient(q, s.h)  # rows are independent: row i is dq_i/dh_i
    accept = tf.logical_and(q < s.best_q, tf.reduce_all(tf.math.is_finite(g), axis=-1))
    acc = accept[:, None]
    best_h = tf.where(acc, s.h, s.best_h)
    best_q = tf.where(accept, q, s.best_q)
    best_g = tf.where(acc, g, s.best_g)
    lr = tf.clip_by_value(tf.where(accept, s.lr * LR_GROW, s.lr * LR_SHRINK), LR_MIN, LR_MAX)
    k_m = tf.where(accept, s.k_m, 0.0) + 1.0
    k_v = s.k_v + 1.0
    m = ADAM_BETA1 * tf.where(acc, s.m, 0.0) + (1.0 - ADAM_BETA1) * best_g
    v = ADAM_BETA2 * s.v + (1.0 - ADAM_BETA2) * tf.square(best_g)
    m_hat = m / (1.0 - tf.pow(ADAM_BETA1, k_m))[:, None]
    v_hat = v / (1.0 - tf.pow(ADAM_BETA2, k_v))[:, None]
    h = best_h - lr[:, None] * m_hat / (tf.sqrt(v_hat) + ADAM_EPSILON)
    return OptimState(h, m, v, k_m, k_v, lr, best_h, best_q, best_g)


def make_optimizer(step: RecurrentStep):
    """The ``tf.function`` ``run(u, state, n_iters, tol_q) -> (state, iterations_done)``: up
    to ``n_iters`` (int32) iterations on the whole batch, stopping early once every point
    has ``best_q < tol_q`` (float32). ``u`` (B, n_input). Cached on ``step``."""
    run = step._compiled.get("optimizer")
    if run is not None:
        return run
    n, n_in = step.n_state, step.n_input
    vec, mat = tf.TensorSpec([None], tf.float32), tf.TensorSpec([None, n], tf.float32)
    spec = OptimState(mat, mat, mat, vec, vec, vec, mat, vec, mat)

    @tf.function(input_signature=[tf.TensorSpec([None, n_in], tf.float32), spec,
                                  tf.TensorSpec([], tf.int32), tf.TensorSpec([], tf.float32)])
    def run(u, state, n_iters, tol_q):
        def cond(i, s):
            return tf.logical_and(i < n_iters, tf.reduce_any(s.best_q >= tol_q))

        def body(i, s):
            return i + 1, optim_iteration(step, u, s)

        i, state = tf.while_loop(cond, body, (tf.constant(0), state))
        return state, i

    step._compiled["optimizer"] = run
    return run


def minimize_q(step: RecurrentStep, h0: np.ndarray, u: np.ndarray, tol_q: float, max_iters: int,
               learning_rate: float, chunk_iters: int = CHUNK_ITERS,
               progress: Callable[[int, int], None] | None = None) -> tuple[np.ndarray, np.ndarray, int]:
    """Minimise q from every row of ``h0`` (B, n_state) at constant input ``u`` (n_input,).

    Returns ``(best_h (B, n), best_q (B,), iterations)``: each point's lowest-q state, its
    q, and the number of iterations run (the last point to converge, or ``max_iters``).
    Points with ``q < tol_q`` leave the batch after each chunk of ``chunk_iters`` iterations;
    then ``progress(iterations so far, points still searching)`` is called, if given.
    """
    run = make_optimizer(step)
    best_h = np.array(h0, np.float32, copy=True)
    best_q = np.full(len(h0), np.inf, np.float32)
    active = np.arange(len(h0))
    state = init_optim_state(best_h, learning_rate)
    u_row = np.asarray(u, np.float32).reshape(1, -1)
    done = 0
    while done < max_iters and len(active):
        n_iters = min(chunk_iters, max_iters - done)
        state, ran = run(tf.constant(np.repeat(u_row, len(active), 0)), state,
                         tf.constant(n_iters, tf.int32), tf.constant(tol_q, tf.float32))
        done += int(ran)
        q = state.best_q.numpy()
        best_q[active], best_h[active] = q, state.best_h.numpy()
        keep = ~(q < tol_q)
        if not keep.all():
            active = active[keep]
            idx = tf.constant(np.flatnonzero(keep))
            state = OptimState(*(tf.gather(f, idx) for f in state))
        if progress is not None:
            progress(done, len(active))
    return best_h, best_q, done


# ---------------------------------------------------------------------------------------
# Post-processing
# ---------------------------------------------------------------------------------------

def pairwise_distances(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """Euclidean distances (len(a), len(b)), computed in float64."""
    a, b = np.asarray(a, np.float64), np.asarray(b, np.float64)
    d2 = (a * a).sum(1)[:, None] + (b * b).sum(1)[None, :] - 2.0 * a @ b.T
    return np.sqrt(np.maximum(d2, 0.0))


def deduplicate(points: np.ndarray, q: np.ndarray, tol: float) -> np.ndarray:
    """Indices of unique points, lowest q first: greedily keep the point with the lowest q,
    drop every other point within Euclidean distance ``tol`` of a kept one, repeat."""
    order = np.argsort(q, kind="stable")
    kept: list[int] = []
    pts = np.asarray(points, np.float64)
    for i in order:
        if kept and np.min(np.linalg.norm(pts[kept] - pts[i], axis=1)) <= tol:
            continue
        kept.append(int(i))
    return np.array(kept, dtype=np.int64)


def nearest_distances(points: np.ndarray, reference: np.ndarray, exclude_self: bool = False,
                      chunk: int = 1024) -> np.ndarray:
    """Distance from every row of ``points`` to its nearest row of ``reference`` (chunked,
    float64); ``exclude_self`` skips the same index (for ``points is reference``)."""
    out = np.empty(len(points))
    for i in range(0, len(points), chunk):
        d = pairwise_distances(points[i:i + chunk], reference)
        if exclude_self:
            rows = np.arange(len(d))
            d[rows, i + rows] = np.inf
        out[i:i + chunk] = d.min(1) if d.shape[1] else np.inf
    return out


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


def jacobians(step: RecurrentStep, points: np.ndarray, u: np.ndarray,
              chunk: int = JACOBIAN_CHUNK) -> np.ndarray:
    """dF/dh at each point (K, n_state, n_state) by batched autodiff (``tape.batch_jacobian``);
    entry [k, i, j] = dF_i/dh_j at point k."""
    n = step.n_state
    jac = step._compiled.get("jacobian")
    if jac is None:
        @tf.function(input_signature=[tf.TensorSpec([None, n], tf.float32),
                                      tf.TensorSpec([None, step.n_input], tf.float32)])
        def jac(h, uu):
            with tf.GradientTape() as tape:
                tape.watch(h)
                f = step(h, uu)
            return tape.batch_jacobian(f, h)
        step._compiled["jacobian"] = jac

    u_row = np.asarray(u, np.float32).reshape(1, -1)
    out = [jac(tf.constant(points[i:i + chunk], tf.float32),
               tf.constant(np.repeat(u_row, len(points[i:i + chunk]), 0))).numpy()
           for i in range(0, len(points), chunk)]
    return np.concatenate(out) if out else np.zeros((0, n, n), np.float32)


def _newton_direction(jacs: np.ndarray, d: np.ndarray) -> np.ndarray:
    """``-(J - I)^-1 d`` for each point (least squares where some ``J - I`` is singular)."""
    a = jacs.astype(np.float64)
    a -= np.eye(a.shape[-1])
    try:
        return -np.linalg.solve(a, d[..., None])[..., 0]
    except np.linalg.LinAlgError:
        return np.stack([-np.linalg.lstsq(a[i], d[i], rcond=None)[0] for i in range(len(d))])


def refine_newton(step: RecurrentStep, points: np.ndarray, u: np.ndarray,
                  n_steps: int) -> tuple[np.ndarray, np.ndarray]:
    """``n_steps`` damped Newton iterations on ``F(h, u) - h = 0`` from every row of
    ``points`` (K, n_state): ``delta = -(J - I)^-1 (F(h) - h)`` (least squares where
    ``J - I`` is singular), then the step ``t * delta`` with the lowest q over
    t in {1, 1/2, 1/4, 1/8}, taken only if it lowers q (so q never increases; a point
    can still move to another, lower-q fixed point). Returns ``(points, q)`` (float32).

    The Newton directions are solved ``JACOBIAN_CHUNK`` points at a time, which bounds the
    memory to that many n x n float64 systems (all 256 candidates of a 400-unit network at
    once took 1.2 GiB)."""
    h = np.asarray(points, np.float32).copy()
    u_rows = np.repeat(np.asarray(u, np.float32).reshape(1, -1), len(h), 0)
    q_of = lambda x: q_values(step, tf.constant(x, tf.float32), tf.constant(u_rows)).numpy()  # noqa: E731
    q = q_of(h)
    for _ in range(n_steps):
        if len(h) == 0:
            break
        d = (step(tf.constant(h), tf.constant(u_rows)).numpy() - h).astype(np.float64)
        chunks = [slice(i, i + JACOBIAN_CHUNK) for i in range(0, len(h), JACOBIAN_CHUNK)]
        delta = np.concatenate([_newton_direction(jacobians(step, h[c], u), d[c]) for c in chunks])
        best_h, best_q = h, q
        for t in (1.0, 0.5, 0.25, 0.125):
            trial = (h + t * delta).astype(np.float32)
            q_t = q_of(trial)
            better = np.isfinite(q_t) & (q_t < best_q)
            best_h = np.where(better[:, None], trial, best_h)
            best_q = np.where(better, q_t, best_q)
        if np.array_equal(best_q, q):
            break
        h, q = best_h, best_q
    return h, q


def classify(jacs: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Linear stability of each Jacobian (K, n, n) of a discrete-time map.

    Returns ``(eigenvalues (K, n) complex128 sorted by decreasing |lambda|,
    n_unstable (K,) = count of |lambda| > 1, unstable_vectors (K, n) float64)``. The
    unstable vector is the eigenvector of the largest-|lambda| eigenvalue of a saddle,
    made real (phase chosen to maximise the real part's norm), unit norm, with its
    largest-magnitude entry positive; zeros for stable points.

    Decomposed ``EIG_CHUNK`` matrices at a time: the eigenvectors of all K at once
    (complex, K n^2, and a sorted copy) took 0.6 GiB for 96 points of a 400-unit network.
    """
    k, n = len(jacs), np.shape(jacs)[-1]
    if k == 0:
        return np.zeros((0, n), np.complex128), np.zeros(0, np.int64), np.zeros((0, n))
    parts = [_classify(np.asarray(jacs[i:i + EIG_CHUNK], np.float64)) for i in range(0, k, EIG_CHUNK)]
    return tuple(np.concatenate(p) for p in zip(*parts))


def _classify(jacs: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    k, n = jacs.shape[0], jacs.shape[-1]
    w, v = np.linalg.eig(jacs)  # batched over the K matrices
    order = np.argsort(-np.abs(w), axis=1, kind="stable")
    w = np.take_along_axis(w, order, axis=1).astype(np.complex128)
    n_unstable = np.sum(np.abs(w) > 1.0, axis=1).astype(np.int64)
    vectors = np.zeros((k, n), np.float64)
    for i in np.flatnonzero(n_unstable):
        vec = v[i, :, order[i, 0]]  # the leading eigenvector
        vec = vec * np.exp(-0.5j * np.angle(np.sum(vec * vec)))  # phase with the largest real part
        real = vec.real
        norm = np.linalg.norm(real)
        if norm > 0:
            real = real / norm
            real = real * (1.0 if real[np.argmax(np.abs(real))] >= 0 else -1.0)
        vectors[i] = real
    return w, n_unstable, vectors


def ideal_counts(n_bits: int) -> dict[int, int]:
    """Fixed points of the ideal n-bit product system by number of unstable modes k:
    C(n, k) * 2^(n - k) (each bit sits at -1, +1 or the saddle between them)."""
    return {k: math.comb(n_bits, k) * 2 ** (n_bits - k) for k in range(n_bits + 1)}


# ---------------------------------------------------------------------------------------
# Result
# ---------------------------------------------------------------------------------------

_ARRAYS = ("points", "q", "is_fixed", "jacobians", "eigenvalues", "n_unstable", "unstable_vectors", "input")
_SCALARS = ("n_init", "iterations", "best_q", "tol_q", "slow_tol", "n_converged")


@dataclass
class FixedPoints:
    """Unique fixed (and slow) points of a recurrent map at one constant input.

    Rows are sorted: fixed points first, each group by increasing q. Arrays:
    ``points`` (K, n_state); ``q`` (K,); ``is_fixed`` (K,) bool, True where
    ``q < tol_q``, False for slow points (``tol_q <= q < slow_tol``); ``jacobians``
    (K, n, n) dF/dh; ``eigenvalues`` (K, n) complex, by decreasing modulus;
    ``n_unstable`` (K,) eigenvalues with modulus > 1; ``unstable_vectors`` (K, n) leading
    unstable eigenvector (zeros for stable points); ``input`` (n_input,) the constant
    input. Scalars: ``n_init`` initial states, ``iterations`` of Adam run, ``best_q`` lowest
    q reached (after Newton refinement, if any), ``tol_q``, ``slow_tol``, ``n_converged``
    initial states that reached ``q < tol_q`` under Adam (before deduplication, refinement
    and outlier removal).
    """

    points: np.ndarray
    q: np.ndarray
    is_fixed: np.ndarray
    jacobians: np.ndarray
    eigenvalues: np.ndarray
    n_unstable: np.ndarray
    unstable_vectors: np.ndarray
    input: np.ndarray
    n_init: int
    iterations: int
    best_q: float
    tol_q: float
    slow_tol: float
    n_converged: int

    @property
    def is_stable(self) -> np.ndarray:
        """(K,) bool: no eigenvalue of modulus > 1."""
        return self.n_unstable == 0

    @property
    def n_fixed(self) -> int:
        """Number of fixed (not slow) points."""
        return int(np.sum(self.is_fixed))

    def fixed_only(self) -> "FixedPoints":
        """The same result restricted to the fixed points (slow points dropped)."""
        keep = np.asarray(self.is_fixed, bool)
        arrays = {name: getattr(self, name)[keep] for name in _ARRAYS if name != "input"}
        return FixedPoints(**arrays, input=self.input,
                           **{name: getattr(self, name) for name in _SCALARS})

    def save(self, path: str | os.PathLike, include_jacobians: bool = True) -> None:
        """Write a compressed ``.npz`` file atomically, at ``path`` exactly. Without the
        Jacobians (K x n x n, 17 MB for 27 points of a 400-unit network) the file keeps their
        eigenvalues (as complex64) and unstable vectors, and loads with ``jacobians`` of
        shape (K, 0, 0)."""
        from flipflop.runs import atomic_path

        payload = {name: np.asarray(getattr(self, name)) for name in _ARRAYS}
        payload.update({name: np.asarray(getattr(self, name)) for name in _SCALARS})
        payload["format_version"] = np.asarray(FORMAT_VERSION)
        if not include_jacobians:
            payload["jacobians"] = np.zeros((len(self.points), 0, 0), np.float32)
            payload["eigenvalues"] = payload["eigenvalues"].astype(np.complex64)
        if not os.path.isdir(os.path.dirname(os.path.abspath(path))):
            raise FlipFlopError(f"cannot save fixed points: folder {os.path.dirname(os.path.abspath(path))} "
                                "does not exist")
        with atomic_path(path) as tmp:
            with open(tmp, "wb") as f:
                np.savez_compressed(f, **payload)

    @classmethod
    def load(cls, path: str | os.PathLike) -> "FixedPoints":
        """Read a file written by :meth:`save`; a missing or corrupt file raises FlipFlopError."""
        path = os.fspath(path)
        if not os.path.isfile(path):
            raise FlipFlopError(f"no fixed-point file at {path}")
        try:
            with np.load(path, allow_pickle=False) as data:
                if int(data["format_version"]) != FORMAT_VERSION:
                    raise FlipFlopError(f"{path}: unsupported fixed-point file version "
                                        f"{int(data['format_version'])}")
                arrays = {name: data[name] for name in _ARRAYS}
                scalars = {name: data[name].item() for name in _SCALARS}
        except FlipFlopError:
            raise
        except (OSError, ValueError, KeyError, EOFError, zipfile.BadZipFile, zlib.error) as exc:
            raise FlipFlopError(f"{path} is not a valid fixed-point file ({type(exc).__name__}: "
                                f"{str(exc).splitlines()[0] if str(exc) else 'unreadable'})") from None
        k = len(arrays["points"])
        if any(len(arrays[name]) != k for name in _ARRAYS if name != "input"):
            raise FlipFlopError(f"{path} is not a valid fixed-point file (inconsistent array lengths)")
        arrays["is_fixed"] = arrays["is_fixed"].astype(bool)
        for name in ("n_init", "iterations", "n_converged"):
            scalars[name] = int(scalars[name])
        for name in ("best_q", "tol_q", "slow_tol"):
            scalars[name] = float(scalars[name])
        return cls(**arrays, **scalars)

    def summary(self, n_bits: int | None = None) -> str:
        """A printable table: stable points and saddles by number of unstable modes, next to
        the ideal ``n_bits`` product system (default: the input size), plus q statistics."""
        n_bits = len(self.input) if n_bits is None else n_bits
        ideal = ideal_counts(n_bits) if n_bits > 0 else {}
        fixed = np.asarray(self.is_fixed, bool)
        found = np.bincount(self.n_unstable[fixed].astype(int), minlength=1) if fixed.any() else np.zeros(1, int)
        rows = max(len(found), len(ideal))
        u = ", ".join(f"{x:g}" for x in np.asarray(self.input).ravel())
        lines = [f"Fixed points at constant input [{u}]: {self.n_fixed} unique "
                 f"({self.n_converged} of {self.n_init} initial states reached q < tol_q in "
                 f"{self.iterations} Adam iterations)",
                 f"{'kind':<24}{'found':>7}{f'ideal {n_bits}-bit':>14}"]
        for k in range(rows):
            if (found[k] if k < len(found) else 0) == 0 and ideal.get(k, 0) == 0:
                continue  # only rows that something falls in
            kind = "stable" if k == 0 else f"saddle, {k} unstable mode" + ("s" if k > 1 else "")
            got = int(found[k]) if k < len(found) else 0
            lines.append(f"{kind:<24}{got:>7}{ideal.get(k, 0):>14}")
        lines.append(f"{'total':<24}{self.n_fixed:>7}{sum(ideal.values()):>14}")
        n_slow = len(fixed) - self.n_fixed
        if n_slow:
            lines.append(f"slow points (tol_q <= q < {self.slow_tol:g}): {n_slow}, "
                         f"{int(np.sum(self.n_unstable[~fixed] == 0))} of them stable")
        med = f"{float(np.median(self.q[fixed])):.3g}" if fixed.any() else "n/a"
        lines.append(f"q: best {self.best_q:.3g}, median over fixed points {med} (tol_q {self.tol_q:g})")
        return "\n".join(lines)


# ---------------------------------------------------------------------------------------
# The finder
# ---------------------------------------------------------------------------------------

def merge(results: "list[FixedPoints]", dedup_tol: float = 1e-2) -> FixedPoints:
    """One result from several searches at the same input: rows pooled, duplicates within
    ``dedup_tol`` merged (lowest q kept), fixed points first; counters added up."""
    first = results[0]
    arrays = {name: np.concatenate([getattr(r, name) for r in results]) for name in _ARRAYS if name != "input"}
    if any(r.jacobians.shape[1:] != first.jacobians.shape[1:] for r in results):
        arrays["jacobians"] = np.zeros((len(arrays["points"]), 0, 0), np.float32)
    keep = deduplicate(arrays["points"], np.where(arrays["is_fixed"], arrays["q"], np.inf), dedup_tol)
    keep = keep[np.lexsort((arrays["q"][keep], ~arrays["is_fixed"][keep]))]
    return FixedPoints(**{k: v[keep] for k, v in arrays.items()}, input=first.input,
                       n_init=sum(r.n_init for r in results), iterations=max(r.iterations for r in results),
                       best_q=min(r.best_q for r in results), tol_q=first.tol_q, slow_tol=first.slow_tol,
                       n_converged=sum(r.n_converged for r in results))


def sample_states(states: np.ndarray, n: int, noise_std: float,
                  rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray]:
    """``n`` rows drawn from ``states`` (..., n_state) (without replacement when there are
    enough) -> ``(clean (n, n_state), clean + noise_std * N(0, 1))``."""
    states = np.asarray(states, np.float32)
    flat = states.reshape(-1, states.shape[-1])
    if len(flat) == 0:
        raise FlipFlopError("no states to sample initial states from (empty array)")
    idx = rng.choice(len(flat), size=n, replace=len(flat) < n)
    clean = flat[idx]
    noisy = clean + np.float32(noise_std) * rng.standard_normal(clean.shape, dtype=np.float32)
    return clean, noisy


class NoFixedPoint(FlipFlopError):
    """The search ended without a point with q < tol_q."""


def _check_positive(name: str, value: float, allow_none: bool = False) -> None:
    if allow_none and value is None:
        return
    if isinstance(value, bool) or not isinstance(value, (int, float, np.integer, np.floating)) \
            or not np.isfinite(value) or value <= 0:
        raise FlipFlopError(f"{name} must be a finite number > 0, got {value!r}")


def find_fixed_points(model: keras.Model, initial_states: np.ndarray | None = None,
                      inputs: np.ndarray | None = None, constant_input=None, n_init: int = 1024,
                      noise_std: float = 0.01, tol_q: float = 1e-10, slow_tol: float = 1e-6,
                      max_iters: int = 5000, learning_rate: float = 0.01, dedup_tol: float = 1e-2,
                      outlier_factor: float | None = 10.0, refine_steps: int = 20,
                      max_slow: int = 256, seed: int = 0,
                      progress: Callable[[int, int], None] | None = None) -> FixedPoints:
    """Fixed and slow points of the model's recurrent map at a constant input.

    Parameters (defaults in brackets):

    - ``model``: a Keras model; its first ``keras.layers.RNN`` layer is analysed.
    - ``initial_states`` [None]: recurrent states to start from, (N, T, n_state) or
      (M, n_state) (e.g. from :func:`recurrent_states`; LSTM rows are ``[h, c]``).
    - ``inputs`` [None]: used when ``initial_states`` is None: model inputs (N, T, n_in)
      whose trajectories (:func:`recurrent_states`) provide the states. One of the two is
      required.
    - ``constant_input`` [None = zeros]: the input ``u`` held during the search, length =
      the recurrent layer's input size.
    - ``n_init`` [1024]: states drawn from the pool (without replacement when it is big enough).
    - ``noise_std`` [0.01]: std of the Gaussian noise added to every coordinate of each
      drawn state (same units as the states).
    - ``tol_q`` [1e-10]: a point is fixed when q < tol_q (q sums over the n_state units).
    - ``slow_tol`` [1e-6]: unconverged points with q < slow_tol are kept as slow points
      (``is_fixed`` False); use ``slow_tol <= tol_q`` to keep none.
    - ``max_iters`` [5000]: iteration cap of the joint optimisation.
    - ``learning_rate`` [0.01]: initial per-point Adam learning rate (then adaptive).
    - ``dedup_tol`` [1e-2]: points within this Euclidean distance are merged (lowest q kept).
    - ``outlier_factor`` [10.0]: drop a point whose distance to the nearest drawn (noise-free)
      state exceeds ``outlier_factor * spread``, where spread is the median distance of a
      drawn state to its nearest other drawn state, floored at ``noise_std * sqrt(n_state)``;
      None keeps every point.
    - ``refine_steps`` [20]: after Adam, this many damped Newton iterations
      (:func:`refine_newton`) on the deduplicated candidates (fixed and slow), then a second
      deduplication. Adam crawls along directions where ``dF/dh`` has eigenvalues near 1
      (e.g. GRU attractors); a few Newton steps land on the exact fixed point there.
    - ``max_slow`` [256]: keep at most this many unique slow points (the lowest q), which
      bounds the Jacobian memory (K x n_state^2 floats) and eigendecomposition time.
    - ``seed`` [0]: seed of the state draw and noise.
    - ``progress`` [None]: called as ``progress(iterations, points still searching)`` during
      the optimisation (e.g. to draw a :class:`flipflop.progress.Bar`).

    Raises FlipFlopError on bad arguments, or when no point reaches q < tol_q (the message
    gives the best q reached and what to change).
    """
    step = step_function(model)
    check_positive_int("n_init", n_init)
    check_positive_int("max_iters", max_iters)
    if isinstance(max_slow, bool) or not isinstance(max_slow, (int, np.integer)) or max_slow < 0:
        raise FlipFlopError(f"max_slow must be an integer >= 0, got {max_slow!r}")
    if isinstance(refine_steps, bool) or not isinstance(refine_steps, (int, np.integer)) or refine_steps < 0:
        raise FlipFlopError(f"refine_steps must be an integer >= 0, got {refine_steps!r}")
    for name, value in (("tol_q", tol_q), ("slow_tol", slow_tol), ("learning_rate", learning_rate),
                        ("dedup_tol", dedup_tol)):
        _check_positive(name, value)
    _check_positive("outlier_factor", outlier_factor, allow_none=True)
    if isinstance(noise_std, bool) or not isinstance(noise_std, (int, float, np.integer, np.floating)) \
            or not np.isfinite(noise_std) or noise_std < 0:
        raise FlipFlopError(f"noise_std must be a finite number >= 0, got {noise_std!r}")
    u = _constant_input(step, constant_input)

    if initial_states is not None:
        pool = _as_float32(initial_states, "initial_states", ndim=(2, 3), last=step.n_state)
    elif inputs is not None:
        x = np.asarray(inputs, np.float32)
        if x.ndim != 3:
            raise FlipFlopError(f"inputs must be (samples, steps, channels), got shape {x.shape}")
        pool = recurrent_states(model, x)
    else:
        raise FlipFlopError("give initial_states (N, T, n_state) or inputs (N, T, n_in), e.g. "
                            "inputs=FlipFlopTask().generate(64).inputs")

    rng = np.random.default_rng(seed)
    clean, h0 = sample_states(pool, n_init, noise_std, rng)
    best_h, best_q, iterations = minimize_q(step, h0, u, tol_q, max_iters, learning_rate, progress=progress)

    finite = np.isfinite(best_q)
    best = float(np.min(best_q[finite])) if finite.any() else float("inf")
    converged = best_q < tol_q
    n_converged = int(converged.sum())
    keep = best_q < max(tol_q, slow_tol)
    cand_h, cand_q = best_h[keep], best_q[keep]
    unique = deduplicate(cand_h, cand_q, dedup_tol)  # lowest q first: fixed points, then slow
    unique = unique[:int(np.sum(cand_q[unique] < tol_q)) + max_slow]
    cand_h, cand_q = cand_h[unique], cand_q[unique]
    if refine_steps and len(cand_h):
        cand_h, cand_q = refine_newton(step, cand_h, u, refine_steps)
        unique = deduplicate(cand_h, cand_q, dedup_tol)
        cand_h, cand_q = cand_h[unique], cand_q[unique]
        best = min(best, float(np.min(cand_q)))
    if not np.any(cand_q < tol_q):
        raise NoFixedPoint(f"no fixed point found: the best q reached in {iterations} iterations is "
                            f"{best:.3g} (tol_q {tol_q:g}); raise max_iters or tol_q, set refine_steps, "
                            "or sample more initial states (n_init, more trajectories)")
    far = outlier_mask(cand_h, clean, outlier_factor, min_spread=noise_std * math.sqrt(step.n_state))
    if np.all(far[cand_q < tol_q]):
        raise FlipFlopError(f"all {int(np.sum(cand_q < tol_q))} fixed points lie far outside the sampled "
                            f"states (outlier_factor {outlier_factor}); raise outlier_factor or pass None")
    cand_h, cand_q = cand_h[~far], cand_q[~far]
    fixed = cand_q < tol_q
    order = np.lexsort((cand_q, ~fixed))  # fixed first, then by q
    order = order[:int(fixed.sum()) + max_slow]
    cand_h, cand_q, fixed = cand_h[order], cand_q[order], fixed[order]

    jacs = jacobians(step, cand_h, u)
    eigvals, n_unstable, vectors = classify(jacs)
    return FixedPoints(points=cand_h, q=cand_q, is_fixed=fixed, jacobians=jacs, eigenvalues=eigvals,
                       n_unstable=n_unstable, unstable_vectors=vectors, input=u, n_init=n_init,
                       iterations=iterations, best_q=best, tol_q=float(tol_q), slow_tol=float(slow_tol),
                       n_converged=n_converged)
