"""Benchmark: batched fixed-point finder vs. a straightforward one-point-at-a-time loop.

On a 400-unit SimpleRNN (``build_model()`` default, untrained unless ``--model`` gives a
trained ``.keras`` file), 1024 initial states are drawn from the network's trajectories on
flip-flop task data. The script times:

1. ``find_fixed_points`` end to end (tf.function tracing, the batched Adam optimisation,
   post-processing and Jacobians included);
2. the same optimiser (``optim_iteration``: same update rule, tolerance and iteration cap)
   run eagerly on one point at a time, a Python loop per iteration, on a subset of the
   initial states; its time is extrapolated to all initial states (stated as such);
3. the compiled optimiser (``minimize_q``) on one point at a time, same subset.

Run: ``PYTHONPATH=. python benchmarks/bench_fixed_points.py [--model PATH] [--per-point 4]``
(the eager loop costs about 2.5 ms per iteration per point on 2 CPU cores, so the
subset is small by default).
"""
from __future__ import annotations

import argparse
import os
import time

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

import numpy as np  # noqa: E402
import tensorflow as tf  # noqa: E402

from flipflop.dynamics import finder, optimizer  # noqa: E402
from flipflop.dynamics import step as step_map  # noqa: E402
from flipflop.errors import FlipFlopError  # noqa: E402
from flipflop.models.build import build_model  # noqa: E402
from flipflop.tasks.flipflop.task import FlipFlopTask  # noqa: E402


def per_point_eager(step: step_map.RecurrentStep, h0: np.ndarray, u: np.ndarray, tol_q: float,
                    max_iters: int, learning_rate: float) -> tuple[np.ndarray, np.ndarray]:
    """One point at a time, one eager ``optim_iteration`` call per iteration."""
    iters, qs = [], []
    u_row = tf.constant(np.asarray(u, np.float32).reshape(1, -1))
    for row in h0:
        state = optimizer.init_optim_state(row[None, :], learning_rate)
        i = 0
        while i < max_iters and not float(state.best_q[0]) < tol_q:
            state = optimizer.optim_iteration(step, u_row, state)
            i += 1
        iters.append(i)
        qs.append(float(state.best_q[0]))
    return np.array(iters), np.array(qs)


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--model", help="trained .keras file (default: untrained build_model())")
    parser.add_argument("--n-init", type=int, default=1024)
    parser.add_argument("--trials", type=int, default=64, help="task trials whose states are sampled")
    parser.add_argument("--per-point", type=int, default=4, help="points in the one-at-a-time subset")
    parser.add_argument("--max-iters", type=int, default=5000)
    parser.add_argument("--tol-q", type=float, default=1e-10)
    parser.add_argument("--learning-rate", type=float, default=0.01)
    parser.add_argument("--noise-std", type=float, default=0.01)
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args(argv)

    import keras
    model = keras.models.load_model(args.model) if args.model else build_model()
    step = step_map.step_function(model)
    task = FlipFlopTask(n_bits=step.n_input)
    print(f"model: {args.model or 'build_model() (untrained)'}, {type(step.layer).__name__}, "
          f"{step.n_state} state units; TF {tf.__version__}, {os.cpu_count()} CPU cores")

    t = time.perf_counter()
    states = step_map.recurrent_states(model, task.generate(args.trials, seed=args.seed).inputs)
    print(f"trajectories: {states.shape} states in {time.perf_counter() - t:.2f} s")

    common = dict(tol_q=args.tol_q, max_iters=args.max_iters, learning_rate=args.learning_rate)
    t = time.perf_counter()
    try:
        result = finder.find_fixed_points(model, initial_states=states, n_init=args.n_init,
                                      noise_std=args.noise_std, seed=args.seed, **common)
        outcome = None
    except FlipFlopError as exc:
        result, outcome = None, str(exc)
    batched = time.perf_counter() - t
    print(f"\nbatched finder, {args.n_init} initial states (incl. tracing and post-processing): "
          f"{batched:.1f} s")
    print(result.summary() if result is not None else f"finder result: FlipFlopError: {outcome}")

    # The same initial states the finder drew (same seed, same draw).
    _, h0 = finder.sample_states(states, args.n_init, args.noise_std, np.random.default_rng(args.seed))
    subset = h0[:args.per_point]
    u = np.zeros(step.n_input, np.float32)

    t = time.perf_counter()
    iters, qs = per_point_eager(step, subset, u, **common)
    eager = time.perf_counter() - t
    eager_all = eager / len(subset) * args.n_init
    print(f"\nper-point eager loop on {len(subset)} points: {eager:.1f} s, iterations per point "
          f"{iters.min()}..{iters.max()}, {int(np.sum(qs < args.tol_q))} converged")
    print(f"  extrapolated to {args.n_init} points: {eager_all:.0f} s "
          f"(ratio to the batched finder: {eager_all / batched:.0f}x)")

    t = time.perf_counter()
    for row in subset:
        optimizer.minimize_q(step, row[None, :], u, args.tol_q, args.max_iters, args.learning_rate)
    compiled = time.perf_counter() - t
    compiled_all = compiled / len(subset) * args.n_init
    print(f"per-point compiled (batch of 1) on {len(subset)} points: {compiled:.1f} s; "
          f"extrapolated to {args.n_init} points: {compiled_all:.0f} s "
          f"(ratio: {compiled_all / batched:.0f}x)")


if __name__ == "__main__":
    main()
