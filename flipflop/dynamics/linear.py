"""Linearisation at fixed points: Jacobians, Newton refinement, stability and slow modes.

Jacobians ``dF/dh`` come from batched autodiff; eigenvalues from numpy. A point of a
discrete-time map is stable when every eigenvalue has ``|lambda| <= 1``, otherwise a
saddle (or source) with ``n_unstable`` = the number of eigenvalues with ``|lambda| > 1``.
"""
from __future__ import annotations

import functools
import os
from concurrent.futures import ThreadPoolExecutor
from typing import Callable

import numpy as np
from threadpoolctl import ThreadpoolController

from flipflop.backend import tf
from flipflop.dynamics.optimizer import q_values
from flipflop.dynamics.step import RecurrentStep

JACOBIAN_CHUNK = 64  # points per batched Jacobian call
NEWTON_CHUNK = 16  # Newton systems per batched solve (one chunk per thread)
EIG_CHUNK = 16  # Jacobians per batched eigendecomposition (16 x 400^2 complex eigenvectors: 41 MB)


def spread(k: int, most: int) -> list[slice]:
    """Slices of ``range(k)`` of at most ``most`` items, at least one per CPU core."""
    size = max(1, min(most, -(-k // (os.cpu_count() or 1))))
    return [slice(i, i + size) for i in range(0, k, size)]


@functools.cache
def _blas() -> ThreadpoolController:
    """The process's BLAS libraries (numpy's and SciPy's), found once: each lookup reads
    /proc/self/maps (6 ms)."""
    import scipy.linalg  # noqa: F401  (loads SciPy's own BLAS first, so that it is limited too)

    return ThreadpoolController()


def map_chunks(fn: Callable, chunks: list) -> list:
    """``[fn(c) for c in chunks]``, on up to ``os.cpu_count()`` threads, each with a
    single-threaded BLAS. numpy's batched LAPACK (solve, eig) releases the GIL; OpenBLAS'
    own threads on 400 x 400 problems spin against TensorFlow's and other processes' (on a
    busy 2-core machine a batched solve took 35x the CPU time of a single-threaded one)."""
    with _blas().limit(limits=1, user_api="blas"):
        if len(chunks) <= 1:
            return [fn(c) for c in chunks]
        with ThreadPoolExecutor(min(len(chunks), os.cpu_count() or 1)) as pool:
            return list(pool.map(fn, chunks))


def recurrent_transpose(step: RecurrentStep) -> np.ndarray | None:
    """``R^T`` (float64) of a tanh ``keras.layers.SimpleRNNCell``, ``F(h) = tanh(h R + u K + b)``,
    whose Jacobian is ``dF_i/dh_j = (1 - F_i^2) R[j, i]``; None for any other cell."""
    from flipflop.backend import keras

    cell = step.cell
    if type(cell) is not keras.layers.SimpleRNNCell or cell.activation is not keras.activations.tanh:
        return None
    return np.asarray(cell.recurrent_kernel.numpy(), np.float64).T


def closed_form_jacobians(r_t: np.ndarray, f: np.ndarray) -> np.ndarray:
    """SimpleRNN Jacobians (K, n, n) float64 from ``R^T`` and the next states ``f = F(h)`` (K, n)."""
    return (1.0 - np.square(np.asarray(f, np.float64)))[:, :, None] * r_t[None]


def stability_jacobians(step: RecurrentStep, points: np.ndarray, u: np.ndarray) -> np.ndarray:
    """dF/dh (K, n, n): in closed form (float64) where the cell has one (SimpleRNN: one
    elementwise product with ``R^T`` per point), else by autodiff (:func:`jacobians`, float32)."""
    r_t = recurrent_transpose(step)
    if r_t is None:
        return jacobians(step, points, u)
    h = np.asarray(points, np.float32)
    u_rows = np.broadcast_to(np.asarray(u, np.float32).reshape(1, -1), (len(h), step.n_input))
    return closed_form_jacobians(r_t, step(tf.constant(h), tf.constant(u_rows)).numpy())


def jacobians(step: RecurrentStep, points: np.ndarray, u: np.ndarray,
              chunk: int = JACOBIAN_CHUNK) -> np.ndarray:
    """dF/dh at each point (K, n_state, n_state) by batched autodiff (``tape.batch_jacobian``);
    entry [k, i, j] = dF_i/dh_j at point k."""
    n = step.n_state
    jac = step._compiled.get("jacobian")
    if jac is None:
        @tf.function(input_signature=[tf.TensorSpec([None, n], tf.float32),
                                      tf.TensorSpec([None, step.n_input], tf.float32)], autograph=False)
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


def refine_newton(step: RecurrentStep, points: np.ndarray, u: np.ndarray, n_steps: int,
                  merge_tol: float = 0.0) -> tuple[np.ndarray, np.ndarray]:
    """``n_steps`` damped Newton iterations on ``F(h, u) - h = 0`` from every row of
    ``points`` (K, n_state): ``delta = -(J - I)^-1 (F(h) - h)`` (least squares where
    ``J - I`` is singular), then the step ``t * delta`` with the lowest q over
    t in {1, 1/2, 1/4, 1/8}, taken only if it lowers q (so q never increases; a point
    can still move to another, lower-q fixed point). Returns ``(points, q)`` (float32).

    A point whose step did not lower q is done (its next step would be the same one) and
    leaves the batch. With ``merge_tol`` > 0, after each step a point still moving that has
    come within ``merge_tol`` of a point of lower q leaves the batch too (it is a
    duplicate: :func:`flipflop.dynamics.points.deduplicate` would drop it), and is returned
    where that point ends. Jacobians are in
    closed form where the cell has one (SimpleRNN), else by autodiff. The Newton directions
    are solved at most ``NEWTON_CHUNK`` points at a time per thread (:func:`map_chunks`),
    which bounds the memory to that many n x n float64 systems per core (all 256
    candidates of a 400-unit network at once took 1.2 GiB)."""
    from scipy.spatial import cKDTree

    from flipflop.dynamics.points import deduplicate

    h = np.asarray(points, np.float32).copy()
    u_row = np.asarray(u, np.float32).reshape(1, -1)
    rows = lambda k: tf.constant(np.repeat(u_row, k, 0))  # noqa: E731
    q_of = lambda x: q_values(step, tf.constant(x, tf.float32), rows(len(x))).numpy()  # noqa: E731
    q = q_of(h)
    r_t = recurrent_transpose(step)
    active = np.arange(len(h))
    parent = np.full(len(h), -1)  # >= 0: merged into that point (a duplicate of lower q)
    ts = (1.0, 0.5, 0.25, 0.125)
    for _ in range(n_steps):
        if len(active) == 0:
            break
        ha, qa = h[active], q[active]
        f = step(tf.constant(ha), rows(len(ha))).numpy()
        d = (f - ha).astype(np.float64)
        jacs = None if r_t is not None else jacobians(step, ha, u)
        solve = lambda c: _newton_direction(  # noqa: E731
            closed_form_jacobians(r_t, f[c]) if r_t is not None else jacs[c], d[c])
        delta = np.concatenate(map_chunks(solve, spread(len(ha), NEWTON_CHUNK)))
        trials = np.stack([(ha + t * delta).astype(np.float32) for t in ts])  # (len(ts), A, n)
        q_t = q_of(trials.reshape(-1, h.shape[1])).reshape(len(ts), -1)
        q_t = np.where(np.isfinite(q_t), q_t, np.inf)
        pick = np.argmin(q_t, axis=0)  # the first of equal q's: the longest step, as before
        best_q = q_t[pick, np.arange(len(ha))]
        better = best_q < qa
        h[active[better]] = trials[pick[better], np.flatnonzero(better)]
        q[active[better]] = best_q[better]
        active = active[better]
        if merge_tol > 0 and len(active):
            live = np.flatnonzero(parent < 0)
            kept = live[deduplicate(h[live], q[live], merge_tol)]
            gone = np.setdiff1d(active, kept)  # moving points within merge_tol of a lower-q one
            if len(gone):
                parent[gone] = kept[cKDTree(h[kept]).query(h[gone])[1]]
                active = np.setdiff1d(active, gone)
    for i in np.flatnonzero(parent >= 0):  # a merged point ends where its lower-q twin ended
        j = i
        while parent[j] >= 0:
            j = parent[j]
        h[i], q[i] = h[j], q[j]
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
    parts = map_chunks(lambda c: _classify(np.asarray(jacs[c], np.float64)), spread(k, EIG_CHUNK))
    return tuple(np.concatenate(p) for p in zip(*parts))


def _classify(jacs: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    k, n = jacs.shape[0], jacs.shape[-1]
    w = np.linalg.eigvals(jacs)  # batched over the K matrices; no eigenvectors (half the time)
    order = np.argsort(-np.abs(w), axis=1, kind="stable")
    w = np.take_along_axis(w, order, axis=1).astype(np.complex128)
    n_unstable = np.sum(np.abs(w) > 1.0, axis=1).astype(np.int64)
    vectors = np.zeros((k, n), np.float64)
    for i in np.flatnonzero(n_unstable):
        vec = leading_vector(jacs[i], w[i, 0])
        vec = vec * np.exp(-0.5j * np.angle(np.sum(vec * vec)))  # phase with the largest real part
        real = vec.real
        norm = np.linalg.norm(real)
        if norm > 0:
            real = real / norm
            real = real * (1.0 if real[np.argmax(np.abs(real))] >= 0 else -1.0)
        vectors[i] = real
    return w, n_unstable, vectors


def leading_vector(jac: np.ndarray, value: complex, iterations: int = 3) -> np.ndarray:
    """The eigenvector (complex, unit norm) of ``jac`` (n, n) for its eigenvalue ``value``, by
    inverse iteration with the shift just off ``value``: one complex LU, then ``iterations``
    solves (an eigenvector of all n would cost the whole eigendecomposition again)."""
    from scipy.linalg import lu_factor, lu_solve

    n = len(jac)
    shift = value + (abs(value) + 1.0) * 1e-10
    lu = lu_factor(jac.astype(np.complex128) - shift * np.eye(n), check_finite=False)
    vec = np.ones(n, np.complex128) / np.sqrt(n)
    for _ in range(iterations):
        vec = lu_solve(lu, vec, check_finite=False)
        vec /= np.linalg.norm(vec)
    return vec


def slow_modes(jacobians: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """For each Jacobian (K, n, n): the eigenvalue closest to 1 (K,) complex and its real,
    unit eigenvector (K, n): the slow direction of a line attractor."""
    w, v = np.linalg.eig(np.asarray(jacobians, np.float64))
    pick = np.argmin(np.abs(w - 1.0), axis=1)
    values = w[np.arange(len(w)), pick]
    vectors = np.real(v[np.arange(len(w)), :, pick])
    vectors /= np.maximum(np.linalg.norm(vectors, axis=1, keepdims=True), 1e-12)
    return values, vectors
