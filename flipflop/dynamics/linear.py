"""Linearisation at fixed points: Jacobians, Newton refinement, stability and slow modes.

Jacobians ``dF/dh`` come from batched autodiff; eigenvalues from numpy. A point of a
discrete-time map is stable when every eigenvalue has ``|lambda| <= 1``, otherwise a
saddle (or source) with ``n_unstable`` = the number of eigenvalues with ``|lambda| > 1``.
"""
from __future__ import annotations

import numpy as np

from flipflop.backend import tf
from flipflop.dynamics.optimizer import q_values
from flipflop.dynamics.step import RecurrentStep

JACOBIAN_CHUNK = 64  # points per batched Jacobian call
EIG_CHUNK = 16  # Jacobians per batched eigendecomposition (16 x 400^2 complex eigenvectors: 41 MB)


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


def slow_modes(jacobians: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """For each Jacobian (K, n, n): the eigenvalue closest to 1 (K,) complex and its real,
    unit eigenvector (K, n): the slow direction of a line attractor."""
    w, v = np.linalg.eig(np.asarray(jacobians, np.float64))
    pick = np.argmin(np.abs(w - 1.0), axis=1)
    values = w[np.arange(len(w)), pick]
    vectors = np.real(v[np.arange(len(w)), :, pick])
    vectors /= np.maximum(np.linalg.norm(vectors, axis=1, keepdims=True), 1e-12)
    return values, vectors
