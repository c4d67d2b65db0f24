"""``flipflop reproduce``: train a task's realisations, then draw its figures and REPORT.

The task's experiment (:func:`flipflop.experiments.experiment_for`) says what to train: the
paper's four SimpleRNN-400s for the flip-flop (with the paper's own network alongside when
its checkpoint is found), the primer's Dale CTRNN for any other task. Runs that already
finished in ``runs_dir`` are reused and interrupted ones resume, so the command can be
stopped and started again at any point.
"""
from __future__ import annotations

import contextlib
import os
import time
from pathlib import Path
from typing import Callable, Sequence

from flipflop.errors import SEED, FlipFlopError, check_value
from flipflop.experiments import EXPERIMENTS, experiment_for
from flipflop.experiments.paper import PAPER_INITIAL, find_paper_checkpoint
from flipflop.runs import METRICS, ensure_writable_dir
from flipflop.tasks import DEFAULT_TASK, task_class
from flipflop.training import TrainConfig

OUTPUT = Path("flipflop-out")  # the default output folder, in the working directory


def check_seeds(seeds: Sequence[int]) -> list[int]:
    """``seeds`` as a list of distinct seeds; an empty or bad list is a one-line error."""
    seeds = list(seeds)
    if not seeds:
        raise FlipFlopError("--seeds is empty; give e.g. 0,1,2,3")
    for s in seeds:
        check_value("--seeds", s, SEED)
    if len(set(seeds)) != len(seeds):
        raise FlipFlopError(f"--seeds repeats a seed: {seeds}")
    return seeds


def train_all(configs: Sequence[TrainConfig], paths: Sequence[Path], log: Callable[[str], None] = print,
              workers: int | None = None) -> dict:
    """Train (or reuse, or resume) each config into its run directory, saying so; returns the
    seconds each took, by run.

    With ``workers`` > 1 (default: one per core this process may use, at most one per run
    still to train, and 1 where TensorFlow sees a GPU) the runs train side by side, each in a
    process of its own on one thread. On the 2-core machine a batch of the SimpleRNN-400
    took 0.205 s on one thread and 0.18 s on two, and the paper's four trainings took 255 s
    two at a time against 345 s one after another; the weights are the same, bit for bit,
    whatever the thread count (``tests/experiments``)."""
    pending = sum(not (p / METRICS).is_file() for p in paths)  # a finished run is only reused
    workers = min(default_workers(pending) if workers is None else workers, max(pending, 1))
    for i, path in enumerate(paths, 1):
        log(f"[{i}/{len(configs) + 1}] training {path} ({configs[i - 1].recipe} recipe)"
            + (f", {workers} at a time, one thread each" if workers > 1 and i == 1 else ""))
    if workers > 1:
        results = _side_by_side(configs, paths, workers)
    else:
        results = [_train_one(c, p, None, lambda m: log(f"    {m}")) for c, p in zip(configs, paths)]
    timings = {}
    for path, (reused, epochs, reached_target, seconds) in zip(paths, results):
        timings[f"{'reusing the finished' if reused else 'training'} {path.name} ({epochs} epochs)"] = seconds
        if not reached_target:
            log(f"    warning: {path} stopped before reaching the target; its figures may be poor")
    return timings


def _side_by_side(configs: Sequence[TrainConfig], paths: Sequence[Path], workers: int) -> list[tuple]:
    """:func:`_train_one` of each run in ``workers`` spawned processes. Interrupted (Ctrl-C,
    SIGTERM: KeyboardInterrupt here), the runs not started are cancelled and the workers get
    SIGINT, so that each stops at its last committed epoch and releases its folder; a worker
    whose parent dies is terminated (Linux), and does not train on alone."""
    import multiprocessing
    import signal
    from concurrent.futures import ProcessPoolExecutor

    pool = ProcessPoolExecutor(workers, mp_context=multiprocessing.get_context("spawn"), initializer=_stop_with_parent)
    try:
        return list(pool.map(_train_one, configs, paths, [1] * len(configs)))
    except BaseException:
        pool.shutdown(wait=False, cancel_futures=True)
        for child in multiprocessing.active_children():
            with contextlib.suppress(OSError):
                os.kill(child.pid, signal.SIGINT)
        raise
    finally:
        pool.shutdown(wait=True)


def _stop_with_parent() -> None:
    """In a worker: SIGTERM when the parent process dies (Linux's PR_SET_PDEATHSIG; elsewhere
    nothing, and a worker outlives a killed parent until its run ends), which ends it as a
    kill does (the run resumes from its last committed epoch); and SIGINT ignored but while a
    run trains (:func:`_train_one`), so that an idle worker does not die noisily."""
    import ctypes
    import signal

    signal.signal(signal.SIGINT, signal.SIG_IGN)
    with contextlib.suppress(OSError, AttributeError):
        ctypes.CDLL(None, use_errno=True).prctl(1, int(signal.SIGTERM))  # 1 = PR_SET_PDEATHSIG


def default_workers(n_runs: int) -> int:
    """Trainings at a time: the cores this process may use, at most ``n_runs``; 1 with a GPU."""
    from flipflop.backend import tf

    if tf.config.list_physical_devices("GPU"):
        return 1
    cores = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else (os.cpu_count() or 1)
    return max(1, min(cores, n_runs))


def _train_one(config: TrainConfig, path: Path, threads: int | None,
               log: Callable[[str], None] | None = None) -> tuple[bool, int, bool, float]:
    """One run of :func:`train_all` (in a worker process when ``threads`` is set: TensorFlow
    on that many threads, and each line it logs named by its run)."""
    from flipflop.backend import tf
    from flipflop.training import train

    t = time.perf_counter()
    if threads is None:
        result = train(config, path, verbose=1, log=log or print)
        return result.reused, result.epochs_run, result.reached_target, time.perf_counter() - t
    import signal

    tf.config.threading.set_intra_op_parallelism_threads(threads)
    tf.config.threading.set_inter_op_parallelism_threads(threads)
    signal.signal(signal.SIGINT, signal.default_int_handler)  # interruptible while it trains
    try:
        result = train(config, path, verbose=0, log=lambda m: print(f"    {path.name}: {m}", flush=True))
    except KeyboardInterrupt:  # the parent stops: the run stays resumable at its last epoch
        return False, -1, False, time.perf_counter() - t
    finally:
        signal.signal(signal.SIGINT, signal.SIG_IGN)
    return result.reused, result.epochs_run, result.reached_target, time.perf_counter() - t


def _reference_run(paper: str | Path | None, runs_dir: Path, log: Callable[[str], None]) -> Path | None:
    """The paper's network, imported into ``runs_dir`` once, if its checkpoint is found."""
    paper_file = find_paper_checkpoint(paper)
    if paper_file is None:
        log("the paper's checkpoint was not found (give --paper PATH; the README says where to get it): "
            "the figures and REPORT have no paper row")
        return None
    reference = runs_dir / "paper-epoch20"
    if not (reference / METRICS).is_file():
        from flipflop.runs.legacy import import_legacy

        initial = paper_file.parent / PAPER_INITIAL
        import_legacy(paper_file, reference, initial=initial if initial.is_file() else None, force=True)
    log(f"the paper's network: {paper_file} (imported into {reference})")
    return reference


def reproduce(task: str = DEFAULT_TASK, seeds: Sequence[int] | None = None, runs_dir: str | Path = OUTPUT / "runs",
              out: str | Path = OUTPUT / "figures", formats: Sequence[str] = ("png",), cell: str | None = None,
              quick: bool = False, recipe: str | None = None, reference: str | Path | None = None,
              fixed_points: bool = True, paper: str | Path | None = None,
              log: Callable[[str], None] = print) -> list[Path]:
    """Train (or reuse) one run per seed in ``runs_dir``, then write the task's figures and
    REPORT.md to ``out`` (``out/<task>`` for an experiment with a subfolder).

    The paper's network joins every figure and table of the paper's experiment when its
    checkpoint is found (:func:`~flipflop.experiments.paper.find_paper_checkpoint`, ``paper``;
    ``reference`` names an imported run instead). Everything is validated before any
    folder is created.
    """
    t0 = time.perf_counter()
    task = task_class(task).name  # an unknown task is a one-line error
    experiment = experiment_for(task)
    if (paper is not None or reference is not None) and not experiment.reference:
        with_reference = ", ".join(name for name, e in EXPERIMENTS.items() if e.reference)
        raise FlipFlopError(f"--paper and --reference only apply to the experiments with a reference network "
                            f"(--task {with_reference})")
    configs = experiment.configs(task, check_seeds(experiment.seeds if seeds is None else seeds),
                                 cell or experiment.cell, quick, recipe)  # validates cell and recipe
    runs_dir, out = Path(runs_dir), Path(out) / task if experiment.subfolder else Path(out)
    if experiment.reference and reference is None and not quick:
        find_paper_checkpoint(paper)  # a missing --paper file is refused before any work
    for folder in (runs_dir, out):
        if folder.exists() and not folder.is_dir():
            raise FlipFlopError(f"{folder} exists and is not a folder")
    runs_dir, out = ensure_writable_dir(runs_dir), ensure_writable_dir(out)
    if experiment.reference and reference is None and not quick:
        reference = _reference_run(paper, runs_dir, log)
    paths = [runs_dir / experiment.run_name(c, quick) for c in configs]
    timings = train_all(configs, paths, log, workers=1 if quick else None)  # tiny runs: not worth a process
    total = len(configs) + 1
    log(f"[{total}/{total}] analyses, fixed points and figures into {out}")
    t = time.perf_counter()
    from flipflop.reports.driver import draw_figures  # here: checking the arguments loads no TensorFlow

    written = draw_figures(paths, out, formats, reference=reference, log=log, timings=timings,
                           fixed_points="missing" if fixed_points else "never",
                           fixed_points_for=experiment.fixed_points_for)
    log(f"done in {time.perf_counter() - t0:.0f} s (figures {time.perf_counter() - t:.0f} s)")
    log(f"runs: {runs_dir}")
    log(f"figures and REPORT: {out / 'REPORT.md'}")
    return written
