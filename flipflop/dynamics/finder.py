"""Fixed points and slow points of a trained RNN (Sussillo & Barak 2013), in Keras 3 / TF2.

At a constant input ``u`` (zeros by default) :func:`find_fixed_points` minimises
``q(h) = 0.5 * ||F(h, u) - h||^2`` from many starts at once (:mod:`flipflop.dynamics.optimizer`,
on the step map of :mod:`flipflop.dynamics.step`). A point with ``q < tol_q`` is a *fixed
point*; one with ``tol_q <= q < slow_tol`` a *slow point*.

Post-processing: keep fixed and slow points, merge duplicates
(:func:`flipflop.dynamics.points.deduplicate`), polish them with a few damped Newton steps
(``refine_steps``), drop outliers far from the sampled states, then linearise
(:mod:`flipflop.dynamics.linear`): Jacobians ``dF/dh`` in closed form (SimpleRNN) or by
batched autodiff, eigenvalues with numpy, for the unique points only. A point is stable when every eigenvalue has ``|lambda| <= 1`` (discrete-time map),
otherwise a saddle (or source) with ``n_unstable`` = number of eigenvalues with ``|lambda| > 1``.
Where to start the search for a task's network is :mod:`flipflop.dynamics.search`.
"""
from __future__ import annotations

import math
from typing import Callable

import numpy as np

from flipflop.backend import keras
from flipflop.dynamics.linear import classify, refine_newton, stability_jacobians
from flipflop.dynamics.optimizer import minimize_q
from flipflop.dynamics.points import deduplicate, outlier_mask
from flipflop.dynamics.result import FixedPoints
from flipflop.dynamics.step import float32_array, held_input, recurrent_states, step_function
from flipflop.errors import (NON_NEGATIVE, NON_NEGATIVE_INT, POSITIVE, POSITIVE_INT, SEED, Constraint, FlipFlopError,
                             validate_params)


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


@validate_params(n_init=POSITIVE_INT, noise_std=NON_NEGATIVE, tol_q=POSITIVE, slow_tol=POSITIVE, max_iters=POSITIVE_INT,
                 learning_rate=POSITIVE, dedup_tol=POSITIVE, outlier_factor=Constraint("float", low=0, open_low=True,
                                                                                      none=True),
                 refine_steps=NON_NEGATIVE_INT, max_slow=NON_NEGATIVE_INT,
                 max_candidates=Constraint("int", low=0, none=True), seed=SEED)


def find_fixed_points(model: keras.Model, initial_states: np.ndarray | None = None,
                      inputs: np.ndarray | None = None, constant_input=None, n_init: int = 1024,
                      noise_std: float = 0.01, tol_q: float = 1e-10, slow_tol: float = 1e-6,
                      max_iters: int = 5000, learning_rate: float = 0.01, dedup_tol: float = 1e-2,
                      outlier_factor: float | None = 10.0, refine_steps: int = 20,
                      max_slow: int = 256, max_candidates: int | None = None, seed: int = 0,
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
    - ``max_candidates`` [None = ``max_slow``]: unconverged candidates (after deduplication,
      the lowest q) that the Newton refinement starts from; with ``max_slow=0`` only fixed
      points come back, and no slow point is decomposed.
    - ``seed`` [0]: seed of the state draw and noise.
    - ``progress`` [None]: called as ``progress(iterations, points still searching)`` during
      the optimisation (e.g. to draw a :class:`flipflop.progress.Bar`).

    Raises FlipFlopError on bad arguments, or when no point reaches q < tol_q (the message
    gives the best q reached and what to change).
    """
    step = step_function(model)
    u = held_input(step, constant_input)

    if initial_states is not None:
        pool = float32_array(initial_states, "initial_states", ndim=(2, 3), last=step.n_state)
    elif inputs is not None:
        x = np.asarray(inputs, np.float32)
        if x.ndim != 3:
            raise FlipFlopError(f"inputs must be (samples, steps, channels), got shape {x.shape}")
        pool = recurrent_states(model, x)
    else:
        raise FlipFlopError("give initial_states (N, T, n_state) or inputs (N, T, n_in), e.g. "
                            "inputs=task.generate(64).inputs")

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
    unique = unique[:int(np.sum(cand_q[unique] < tol_q)) + (max_slow if max_candidates is None else max_candidates)]
    cand_h, cand_q = cand_h[unique], cand_q[unique]
    if refine_steps and len(cand_h):
        cand_h, cand_q = refine_newton(step, cand_h, u, refine_steps, merge_tol=dedup_tol)
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

    jacs = stability_jacobians(step, cand_h, u)
    eigvals, n_unstable, vectors = classify(jacs)
    return FixedPoints(points=cand_h, q=cand_q, is_fixed=fixed, jacobians=jacs, eigenvalues=eigvals,
                       n_unstable=n_unstable, unstable_vectors=vectors, input=u, n_init=n_init,
                       iterations=iterations, best_q=best, tol_q=float(tol_q), slow_tol=float(slow_tol),
                       n_converged=n_converged)
