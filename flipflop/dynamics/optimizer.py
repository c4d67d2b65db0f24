"""The q minimiser of the fixed-point finder: Adam on every start at once, each with its own rate.

At a constant input ``u`` the finder minimises, for every point independently,

    q(h) = 0.5 * ||F(h, u) - h||^2 = 0.5 * sum_i (F(h, u)_i - h_i)^2

(a *sum* over state units, as in FixedPointFinder, so ``tol_q`` scales with the state size).
One ``tf.function`` runs a chunk of iterations (``tf.while_loop``) on the whole batch; every
iteration evaluates q and its gradient for every point and takes one Adam step per point,
with a per-point adaptive learning rate: a step that lowered the point's best q is
accepted and its learning rate multiplied by ``LR_GROW``; a step that did not is rejected
(the point goes back to its best state, its first moment is reset) and its learning rate
multiplied by ``LR_SHRINK`` (clipped to ``[LR_MIN, LR_MAX]``). So each point's q only
decreases, and no point's step size depends on another's. Between chunks the points that
reached ``q < tol_q`` leave the batch.
"""
from __future__ import annotations

from typing import Callable, NamedTuple

import numpy as np

from flipflop.backend import tf
from flipflop.dynamics.step import RecurrentStep

# Adam and adaptive learning-rate constants of the optimiser (see module docstring).
ADAM_BETA1 = 0.9
ADAM_BETA2 = 0.999
ADAM_EPSILON = 1e-8
LR_GROW = 1.05
LR_SHRINK = 0.5
LR_MIN = 1e-10
LR_MAX = 1.0
CHUNK_ITERS = 200  # iterations per compiled call; converged points leave between calls


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
                                  tf.TensorSpec([], tf.int32), tf.TensorSpec([], tf.float32)],
                 autograph=False)  # explicit tf.while_loop: AutoGraph's conversion only cost tracing time
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
