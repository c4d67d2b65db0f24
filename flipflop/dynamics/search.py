"""Where to look for fixed points of a trained network: the search strategy.

The finder (:mod:`flipflop.dynamics.finder`) minimises q from given starts; this module
chooses the starts from the task's own trials, and adds a second search for the saddles
that lie between the stable points found first.
"""
from __future__ import annotations

from itertools import combinations
from pathlib import Path

import numpy as np

from flipflop.errors import POSITIVE_INT, SEED, FlipFlopError, validate_params
from flipflop.progress import Bar
from flipflop.tasks import Task


# Adam iterations per search. Every fixed point of the shipped networks comes from the
# Newton refinement; 200 iterations bring the candidates into its basins, and the census of
# every shipped network is the one 5,000 gave (benchmarks/census_check.py). With 100 the
# paper's network lost one of its 14 stable points, and match-to-category its saddle.
MAX_ITERS = 200
N_INIT = 1024  # starts of a search
MAX_CANDIDATES = 256  # unconverged candidates per search that Newton refines
# Newton refines candidates below this q (1e-3 in the first search). Adam hardly moves a
# midpoint between two attractors (match-to-category's stayed at q = 1.4e-3 for 200
# iterations), and Newton, which finds saddles as roots, converges from there.
MIDPOINT_CANDIDATE_Q = 1e-2


def period_input(task: Task, period: str, trial: int | None = 0, series=None) -> np.ndarray:
    """The mean noise-free input during ``period`` of trial ``trial`` of the task's analysis
    series (``trial`` None: the mean over every trial of that period's mean input): the
    constant input at which to look for that period's fixed points. ``series``: the task's
    analysis series when the caller has it already."""
    series = task.analysis_series() if series is None else series
    if period not in series.periods:
        raise FlipFlopError(f"the {task.name} task has no period {period!r}; "
                            f"choose one of {', '.join(series.periods) or '(none)'}")
    trials = range(len(series)) if trial is None else [trial]
    if trial is not None and not 0 <= trial < len(series):
        raise FlipFlopError(f"--trial must be in 0..{len(series) - 1}, got {trial}")
    means = []
    for k in trials:
        start, stop = series.periods[period][k]
        if stop > start:
            means.append(series.inputs[k, start:stop].mean(axis=0))
    if not means:
        raise FlipFlopError(f"period {period!r} of trial {trial} is empty" if trial is not None
                            else f"period {period!r} is empty in every trial of the analysis series")
    return (means[0] if trial is not None else np.mean(means, axis=0)).astype(np.float32)


@validate_params(n_init=POSITIVE_INT, seed=SEED)
def compute_fixed_points(model, task: Task, cache: Path | None = None, n_init: int = N_INIT,
                         seed: int = 0, constant_input=None, relax_steps: int = 300, progress: bool = False,
                         max_iters: int = MAX_ITERS, max_slow: int = 0, record_starts: list | None = None):
    """Fixed points at a constant input (zero by default), in two searches, merged.

    1. ``n_init`` starts: half are states visited on the task's analysis series and 32
       held-out trials; the other half are such states relaxed for ``relax_steps`` steps at
       the constant input, which brings them close to the attractors, where Adam crawls.
    2. Saddles lie between attractors: the midpoint of every pair of stable points found,
       each once (with the finder's noise).

    Each search runs ``max_iters`` Adam iterations, then Newton steps from its (at most
    ``MAX_CANDIDATES``) unique candidates with q < 1e-3. Only fixed points are returned, and
    decomposed, unless ``max_slow`` > 0 (slow points kept per search). Saved to ``cache``
    (without the Jacobian matrices, fixed points only) if given. ``progress`` draws a bar of
    each search's iterations on a terminal (:class:`flipflop.progress.Bar`).
    ``record_starts``: a list that receives each search's initial states, noise included
    (for a side-by-side run of another finder from the same starts).
    """
    from flipflop.dynamics.result import merge
    from flipflop.dynamics.step import recurrent_states, relax

    task.check_model(model)
    trials = [task.analysis_series().inputs, task.generate(32, seed=[seed, 7]).inputs]
    states = [recurrent_states(model, x) for x in trials]
    pool = np.concatenate([s.reshape(-1, s.shape[-1]) for s in states])
    rng = np.random.default_rng([seed, 8])
    starts = pool[rng.choice(len(pool), n_init, replace=len(pool) < n_init)]
    relaxed = relax(model, starts[:n_init // 2], constant_input, relax_steps)
    options = dict(constant_input=constant_input, slow_tol=1e-3, refine_steps=30, max_iters=max_iters,
                   max_slow=max_slow, max_candidates=MAX_CANDIDATES, record_starts=record_starts)
    first = _search(model, np.concatenate([relaxed, starts[n_init // 2:]]), progress, n_init=n_init, seed=seed,
                    **options)
    stable = first.points[first.is_fixed & (first.n_unstable == 0)]
    results = [first]
    if len(stable) > 1:
        mids = np.array([(stable[i] + stable[j]) / 2 for i, j in combinations(range(len(stable)), 2)])
        try:
            results.append(_search(model, mids, progress, n_init=len(mids), seed=seed + 1, outlier_factor=None,
                                   **{**options, "slow_tol": MIDPOINT_CANDIDATE_Q}))
        except FlipFlopError:
            pass  # no saddle converged: keep the first search
    fps = merge(results)
    if cache is not None:
        fps.fixed_only().save(cache, include_jacobians=False)
    return fps


def _search(model, starts: np.ndarray, progress: bool, record_starts: list | None = None, **options):
    """One :func:`find_fixed_points` search from ``starts``, with a bar of its iterations."""
    from flipflop.dynamics.finder import find_fixed_points, sample_states

    if record_starts is not None:
        rng = np.random.default_rng(options["seed"])
        record_starts.append(sample_states(starts, options["n_init"], 0.01, rng)[1])
    with Bar(options["max_iters"], "iter", "fixed points", enabled=None if progress else False) as bar:
        return find_fixed_points(model, initial_states=starts, progress=lambda i, n: bar.update(i, searching=n),
                                 **options)


def search_fixed_points(path, constant_input=None, period: str | None = None, trial: int = 0, n_init: int = N_INIT,
                        seed: int = 0, progress: bool = False):
    """Fixed points of the network of run directory ``path`` at a constant input, saved into
    the run as ``fixed_points.npz`` (under the run's lock): ``constant_input`` (default
    zeros), or the mean input of ``period`` of the analysis series' trial ``trial``.
    ``flipflop fixed-points`` does exactly this. Returns the :class:`FixedPoints`."""
    import numpy as np

    from flipflop.dynamics.finder import NoFixedPoint
    from flipflop.runs import load_run, locked

    if constant_input is not None and period is not None:
        raise FlipFlopError("give --input or --period, not both")
    if not Path(path).is_dir():
        raise FlipFlopError(f"run directory {path} does not exist")
    with locked(path):  # it writes fixed_points.npz into the run
        run = load_run(path)
        model, task = run.model(), run.task()
        u = None
        if constant_input is not None:
            u = np.asarray(constant_input, np.float32).reshape(-1)
            if u.shape != (task.n_inputs,):
                raise FlipFlopError(f"--input needs {task.n_inputs} values for the {task.name} task, got {len(u)}")
        elif period is not None:
            u = period_input(task, period, trial)
        try:
            return compute_fixed_points(model, task, run.fixed_points_path, n_init=n_init, seed=seed,
                                        constant_input=u, progress=progress)
        except NoFixedPoint:
            raise FlipFlopError(f"no fixed point found in {path} from {n_init} initial states; "
                                "try a larger --n-init or another --seed") from None
