"""Where to look for fixed points of a trained network: the search strategy.

The finder (:mod:`flipflop.fixed_points`) minimises q from given starts; this module
chooses the starts from the task's own trials, and adds a second search for the saddles
that lie between the stable points found first.
"""
from __future__ import annotations

from itertools import combinations
from pathlib import Path

import numpy as np

from flipflop.errors import FlipFlopError, check_non_negative_int, check_positive_int
from flipflop.progress import Bar
from flipflop.tasks import Task


MAX_ITERS = 5000  # Adam iterations per search (find_fixed_points' default)


def period_input(task: Task, period: str, trial: int = 0) -> np.ndarray:
    """The mean noise-free input during ``period`` of trial ``trial`` of the task's analysis
    series: the constant input at which to look for that period's fixed points."""
    series = task.analysis_series()
    if period not in series.periods:
        raise FlipFlopError(f"the {task.name} task has no period {period!r}; "
                            f"choose one of {', '.join(series.periods) or '(none)'}")
    if not 0 <= trial < len(series):
        raise FlipFlopError(f"--trial must be in 0..{len(series) - 1}, got {trial}")
    start, stop = series.periods[period][trial]
    if stop <= start:
        raise FlipFlopError(f"period {period!r} of trial {trial} is empty")
    return series.inputs[trial, start:stop].mean(axis=0).astype(np.float32)


def compute_fixed_points(model, task: Task, cache: Path | None = None, n_init: int = 1024,
                         seed: int = 0, constant_input=None, relax_steps: int = 300, progress: bool = False):
    """Fixed points at a constant input (zero by default), in two searches, merged.

    1. ``n_init`` starts: half are states visited on the task's analysis series and 32
       held-out trials; the other half are such states relaxed for ``relax_steps`` steps at
       the constant input, which brings them close to the attractors, where Adam crawls.
    2. Saddles lie between attractors: midpoints of every pair of stable points found.

    Both searches finish with Newton steps; candidates with q < 1e-3 are refined.
    Saved to ``cache`` (without the Jacobian matrices) if given. ``progress`` draws a bar of
    each search's iterations on a terminal (:class:`flipflop.progress.Bar`).
    """
    from flipflop.fixed_points import merge, recurrent_states, recurrent_step

    check_positive_int("n_init", n_init)
    check_non_negative_int("seed", seed)
    task.check_model(model)
    trials = [task.analysis_series().inputs, task.generate(32, seed=[seed, 7]).inputs]
    states = [recurrent_states(model, x) for x in trials]
    pool = np.concatenate([s.reshape(-1, s.shape[-1]) for s in states])
    rng = np.random.default_rng([seed, 8])
    starts = pool[rng.choice(len(pool), n_init, replace=len(pool) < n_init)]
    relaxed = starts[:n_init // 2]
    for _ in range(relax_steps):
        relaxed = recurrent_step(model, relaxed, constant_input)
    options = dict(constant_input=constant_input, slow_tol=1e-3, refine_steps=30)
    first = _search(model, np.concatenate([relaxed, starts[n_init // 2:]]), progress, n_init=n_init, seed=seed,
                    **options)
    stable = first.points[first.is_fixed & (first.n_unstable == 0)]
    results = [first]
    if len(stable) > 1:
        mids = np.array([(stable[i] + stable[j]) / 2 for i, j in combinations(range(len(stable)), 2)])
        try:
            results.append(_search(model, mids, progress, n_init=4 * len(mids), seed=seed + 1, outlier_factor=None,
                                   **options))
        except FlipFlopError:
            pass  # no saddle converged: keep the first search
    fps = merge(results)
    if cache is not None:
        fps.fixed_only().save(cache, include_jacobians=False)
    return fps


def _search(model, starts: np.ndarray, progress: bool, **options):
    """One :func:`find_fixed_points` search from ``starts``, with a bar of its iterations."""
    from flipflop.fixed_points import find_fixed_points

    with Bar(MAX_ITERS, "iter", "fixed points", enabled=None if progress else False) as bar:
        return find_fixed_points(model, initial_states=starts, max_iters=MAX_ITERS,
                                 progress=lambda i, n: bar.update(i, searching=n), **options)
