"""Sweeps: a grid of training runs, each an ordinary run directory, run by Ray Tune or in turn.

A sweep ``NAME`` lives in ``ROOT/NAME/``: ``sweep.json`` (the grid), ``runs/<point>/`` (one
run directory per grid point, named by its parameters), ``results.json`` (done/failed per
point, with the reason of a failure) and, under Ray, ``tune/`` (Tune's experiment state).

The run directory is the checkpoint: a trial that Tune retries (``FailureConfig``) calls
:func:`flipflop.training.train` again, which resumes after the last finished epoch; a
rerun of the same sweep skips finished points. Each epoch the trial also reports the run
directory to Tune as its checkpoint, so with an object store as ``storage_path`` a trial
restarted on another node gets it back from ``tune.get_checkpoint()``.
"""
from __future__ import annotations

import ast
import itertools
import logging
import os
import re
import socket
import time
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable, Iterator, Sequence

from flipflop import runs
from flipflop.errors import FlipFlopError
from flipflop.tasks import make_task
from flipflop.training import TrainConfig

GRID_FILE = "sweep.json"
RESULTS_FILE = "results.json"
RUNS_DIR = "runs"
TUNE_DIR = "tune"
INSTALL_HINT = "Ray is not installed: pip install 'flipflop[sweep]' (or run with --local)"
# Grid axes given by their own flags; --set may not set them.
AXES = ("cell", "units", "seed", "recipe", "task")


# ---------------------------------------------------------------- the grid


def parse_list(text: str, name: str) -> tuple[str, ...]:
    """Comma-separated names; an empty list is a one-line error."""
    items = tuple(v.strip() for v in str(text).split(",") if v.strip())
    if not items:
        raise FlipFlopError(f"{name} is empty")
    return items


def parse_ints(text: str, name: str) -> tuple[int, ...]:
    """Integers and inclusive ranges: ``0-31``, ``0,3,5``, ``0-3,8``; duplicates removed."""
    out: list[int] = []
    for item in parse_list(text, name):
        m = re.fullmatch(r"(\d+)(?:-(\d+))?", item)
        if not m:
            raise FlipFlopError(f"{name}: malformed item {item!r} (use e.g. 0-31 or 0,3,5)")
        lo, hi = int(m[1]), int(m[2] if m[2] is not None else m[1])
        if hi < lo:
            raise FlipFlopError(f"{name}: empty range {item!r}")
        out += [v for v in range(lo, hi + 1) if v not in out]
    return tuple(out)


def _literal(text: str):
    try:
        return ast.literal_eval(text)
    except (ValueError, SyntaxError):
        return text  # a bare word: a string


def parse_setting(text: str) -> tuple[str, tuple]:
    """``NAME=V1,V2,...`` -> (NAME, values). Values are Python literals (numbers, None,
    True, tuples in parentheses) or bare words. ``task.X`` sets a task parameter,
    ``cell.X`` a cell keyword argument (e.g. ``cell.tau_ms`` of the CTRNN)."""
    name, sep, values = str(text).partition("=")
    name = name.strip()
    if not sep or not re.fullmatch(r"[A-Za-z_][\w.]*", name):
        raise FlipFlopError(f"--set {text!r}: expected NAME=VALUE[,VALUE...]")
    if name in AXES:
        raise FlipFlopError(f"--set {name}: use --{name}s for this axis")
    parsed = _literal(f"[{values}]")
    if not isinstance(parsed, list):
        parsed = [_literal(v.strip()) for v in values.split(",") if v.strip()]
    if not parsed:
        raise FlipFlopError(f"--set {name}: no values")
    return name, tuple(tuple(v) if isinstance(v, list) else v for v in parsed)


@dataclass(frozen=True)
class Grid:
    """The axes of a sweep; every combination is one run."""

    cells: tuple[str, ...] = ("simplernn",)
    units: tuple[int, ...] = (400,)
    seeds: tuple[int, ...] = (0,)
    recipes: tuple[str, ...] = ("fast",)
    tasks: tuple[str, ...] = ("flipflop",)
    settings: tuple[tuple[str, tuple], ...] = ()  # (parameter, values), in the order given

    def __post_init__(self) -> None:
        for axis in ("cells", "units", "seeds", "recipes", "tasks"):
            if not getattr(self, axis):
                raise FlipFlopError(f"the grid has no {axis}")
        names = [n for n, _ in self.settings]
        if len(set(names)) != len(names):
            raise FlipFlopError(f"--set given twice for {', '.join(sorted({n for n in names if names.count(n) > 1}))}")

    def to_dict(self) -> dict:
        return {"cells": list(self.cells), "units": list(self.units), "seeds": list(self.seeds),
                "recipes": list(self.recipes), "tasks": list(self.tasks),
                "settings": [[n, [list(v) if isinstance(v, tuple) else v for v in vs]] for n, vs in self.settings]}

    @classmethod
    def from_dict(cls, d: dict) -> "Grid":
        return cls(tuple(d["cells"]), tuple(d["units"]), tuple(d["seeds"]), tuple(d["recipes"]),
                   tuple(d["tasks"]), tuple((n, tuple(tuple(v) if isinstance(v, list) else v for v in vs))
                                            for n, vs in d["settings"]))


@dataclass(frozen=True)
class Point:
    """One grid point: its run name, its parameters (axes and settings) and its config."""

    name: str
    params: dict
    config: TrainConfig


def _slug(value) -> str:
    return re.sub(r"[^A-Za-z0-9.+-]+", "_", str(value)).strip("_") or "_"


def point_name(params: dict, varying: Sequence[str] = ()) -> str:
    """``cell-units``, then ``recipe``, ``task`` and ``name=value`` of each setting in
    ``varying`` (those the grid gives several values), then ``seedS``: e.g.
    ``simplernn-400-seed3`` or ``gru-64-learning_rate=0.003-seed0``."""
    parts = [params["cell"], str(params["units"])]
    parts += [str(params[k]) for k in ("recipe", "task") if k in varying]
    parts += [f"{k}={_slug(v)}" for k, v in params.items() if k not in AXES and k in varying]
    return "-".join(parts + [f"seed{params['seed']}"])


def make_config(params: dict) -> TrainConfig:
    """The TrainConfig of one point (validates every parameter)."""
    top, task_params, cell_kwargs = {}, {}, {}
    for key, value in params.items():
        if key.startswith("task."):
            task_params[key[5:]] = value
        elif key.startswith("cell."):
            cell_kwargs[key[5:]] = value
        elif key not in AXES:
            top[key] = value
    if params["cell"] == "ctrnn" and params["task"] == "flipflop":  # its step there, as `flipflop train` uses
        task_params.setdefault("dt_ms", 10.0)
    task = make_task({"name": params["task"], **task_params}).to_dict()
    return TrainConfig.from_recipe(params["recipe"], cell=params["cell"], units=params["units"],
                                   seed=params["seed"], task=task, cell_kwargs=cell_kwargs or None, **top)


def points(grid: Grid) -> list[Point]:
    """Every combination of the grid, seeds varying fastest; all configs validated."""
    names = [n for n, _ in grid.settings]
    varying = [n for n, vs in grid.settings if len(vs) > 1]
    varying += [k for k, vs in (("recipe", grid.recipes), ("task", grid.tasks)) if len(vs) > 1]
    out: list[Point] = []
    for combo in itertools.product(grid.tasks, grid.recipes, grid.cells, grid.units,
                                   *[vs for _, vs in grid.settings], grid.seeds):
        task, recipe, cell, units, *values, seed = combo
        params = {"cell": cell, "units": units, "seed": seed, "recipe": recipe, "task": task,
                  **dict(zip(names, values))}
        out.append(Point(point_name(params, varying), params, make_config(params)))
    if len({p.name for p in out}) != len(out):
        raise FlipFlopError("two grid points get the same run name; make the --set values distinct")
    return out


# ---------------------------------------------------------------- the sweep directory


@dataclass
class Sweep:
    """A sweep directory and its points."""

    path: Path
    grid: Grid
    points: list[Point]

    def run_dir(self, point: Point) -> Path:
        return self.path / RUNS_DIR / point.name

    def results(self) -> dict:
        f = self.path / RESULTS_FILE
        return runs.read_json(f) if f.is_file() else {}

    def finished(self, point: Point) -> bool:
        """The point's run directory holds a finished run of exactly its config."""
        d = self.run_dir(point)
        if runs.finished_problem(d) is not None:  # unfinished, or damaged since
            return False
        try:
            return TrainConfig.from_dict(runs.read_config(d)["train"]).to_dict() == point.config.to_dict()
        except (FlipFlopError, KeyError, TypeError):
            return False


def _jsonable(d: dict) -> dict:
    import json

    return json.loads(json.dumps(d))


def open_sweep(name: str, grid: Grid | None = None, root: str | Path = "sweeps", force: bool = False) -> Sweep:
    """The sweep ``root/name``: with ``grid``, create it (or check it holds the same grid;
    a different one is refused unless ``force``); without, read its stored grid."""
    if not re.fullmatch(r"[A-Za-z0-9][\w.-]*", str(name)):
        raise FlipFlopError(f"sweep name {name!r} must be letters, digits, '.', '_' or '-'")
    path = Path(root) / name
    stored = path / GRID_FILE
    if grid is None:
        if not stored.is_file():
            raise FlipFlopError(f"no sweep {name!r} in {root} (no {stored})")
        try:
            grid = Grid.from_dict(runs.read_json(stored)["grid"])
        except (KeyError, TypeError, ValueError) as e:
            raise FlipFlopError(f"corrupt file {stored}: {e}") from None
        return Sweep(path, grid, points(grid))
    pts = points(grid)
    if stored.is_file():
        try:
            same = runs.read_json(stored)["grid"] == _jsonable(grid.to_dict())
        except (KeyError, TypeError):
            same = False
        if not same and not force:
            raise FlipFlopError(f"{path} holds a different grid; use --force or another --name")
    runs.ensure_writable_dir(path)
    runs.write_json(stored, {"grid": grid.to_dict(), "points": {p.name: p.params for p in pts}})
    return Sweep(path, grid, pts)


# ---------------------------------------------------------------- progress


@dataclass
class Progress:
    """Counts of a running sweep and a compact line describing them."""

    total: int
    done: int = 0
    failed: int = 0
    running: set = field(default_factory=set)
    started: float = field(default_factory=time.perf_counter)
    finished_here: int = 0  # runs finished by this invocation (for the rate)

    def line(self) -> str:
        elapsed = time.perf_counter() - self.started
        left = self.total - self.done - self.failed
        eta = f"~{_duration(elapsed / self.finished_here * left)} left" if self.finished_here and left else (
            "finished" if not left else "time left: after the first run")
        return (f"[{time.strftime('%H:%M:%S')}] {self.done}/{self.total} done, {len(self.running)} running, "
                f"{self.failed} failed, {_duration(elapsed)} elapsed, {eta}")


def _duration(seconds: float) -> str:
    seconds = int(round(seconds))
    return f"{seconds // 3600}h{seconds % 3600 // 60:02d}m" if seconds >= 3600 else (
        f"{seconds // 60}m{seconds % 60:02d}s" if seconds >= 60 else f"{seconds}s")


@dataclass
class SweepResult:
    path: Path
    done: list[str]
    failed: dict  # name -> reason
    skipped: list[str]  # finished before this invocation
    seconds: float


def _record(sweep: Sweep, name: str, entry: dict) -> None:
    results = sweep.results()
    results[name] = entry
    runs.write_json(sweep.path / RESULTS_FILE, results)


def _todo(sweep: Sweep, retry_failed: bool) -> tuple[list[Point], list[str], dict]:
    """Points to run, names finished before, and earlier failures kept as they are."""
    earlier = sweep.results()
    todo, skipped, kept = [], [], {}
    for p in sweep.points:
        e = earlier.get(p.name, {})
        if sweep.finished(p):
            skipped.append(p.name)
        elif e.get("status") == "failed" and e.get("diverged") and not retry_failed:
            kept[p.name] = e["reason"]
        else:
            todo.append(p)
    return todo, skipped, kept


# ---------------------------------------------------------------- engines


def run_local(sweep: Sweep, retry_failed: bool = False, force: bool = False,
              log: Callable[[str], None] = print) -> SweepResult:
    """Every unfinished point in this process, one after another."""
    from flipflop.training import TrainingDiverged, train

    todo, skipped, failed = _todo(sweep, retry_failed)
    prog = Progress(len(sweep.points), done=len(skipped), failed=len(failed))
    log(prog.line())
    done = []
    for p in todo:
        prog.running = {p.name}
        try:
            result = train(p.config, sweep.run_dir(p), force=force, verbose=0, log=lambda s: None)
        except TrainingDiverged as e:
            failed[p.name] = str(e)
            prog.failed += 1
            _record(sweep, p.name, {"status": "failed", "diverged": True, "reason": str(e)})
        else:
            done.append(p.name)
            prog.done += 1
            _record(sweep, p.name, {"status": "done", "epochs_run": result.epochs_run,
                                    "reached_target": result.reached_target})
        prog.finished_here += 1
        prog.running = set()
        log(prog.line())
    return SweepResult(sweep.path, done, failed, skipped, time.perf_counter() - prog.started)


def import_ray():
    """``ray`` and ``ray.tune``; a one-line error naming the extra if absent."""
    try:
        import ray
        from ray import tune
    except ImportError:
        raise FlipFlopError(INSTALL_HINT) from None
    return ray, tune


def check_address(address: str, timeout_s: float = 5.0) -> None:
    """A one-line error unless ``HOST:PORT`` (or ``ray://HOST:PORT``) accepts connections."""
    if address in ("auto", "local"):
        return
    m = re.fullmatch(r"(?:ray://)?\[?([^\]\s]+?)\]?:(\d+)", address)
    if not m:
        raise FlipFlopError(f"--address {address!r}: expected HOST:PORT, ray://HOST:PORT or auto")
    try:
        socket.create_connection((m[1], int(m[2])), timeout=timeout_s).close()
    except OSError as e:
        raise FlipFlopError(f"cannot reach a Ray cluster at {address}: {e.strerror or e}") from None


@contextmanager
def ray_session(address: str | None = None, num_cpus: int | None = None) -> Iterator[object]:
    """Connect to the cluster at ``address`` (or RAY_ADDRESS), else start an embedded Ray
    (``num_cpus``: its CPUs, default all; never a cluster found in /tmp/ray, as plain
    ``ray.init()`` would); an already initialised Ray is used as it is.
    Ray's own logging is kept off the terminal."""
    ray, _ = import_ray()
    if ray.is_initialized():
        yield ray
        return
    address = address or os.environ.get("RAY_ADDRESS") or None
    if address:
        check_address(address)
    try:
        ray.init(address=address or "local", num_cpus=None if address else num_cpus, include_dashboard=False,
                 log_to_driver=False, logging_level=logging.ERROR, configure_logging=True)
    except (ConnectionError, RuntimeError, TimeoutError) as e:
        where = f"the Ray cluster at {address}" if address else "an embedded Ray"
        raise FlipFlopError(f"cannot start or reach {where}: {str(e).splitlines()[0] if str(e) else e}") from None
    try:
        yield ray
    finally:
        ray.shutdown()


def limit_threads(cpus: float, gpus: float = 0.0) -> int:
    """Size TensorFlow's thread pools to this trial's CPUs (before TF's runtime starts)
    and let trials share a GPU; returns the intra-op pool size now in force."""
    import tensorflow as tf

    n = max(1, int(cpus))
    try:
        tf.config.threading.set_intra_op_parallelism_threads(n)
        tf.config.threading.set_inter_op_parallelism_threads(n)
        if gpus:
            for gpu in tf.config.list_physical_devices("GPU"):
                tf.config.experimental.set_memory_growth(gpu, True)
    except RuntimeError:
        pass  # the runtime was already initialised in this process: keep its pools
    return tf.config.threading.get_intra_op_parallelism_threads()


def _report_callback(run_dir: Path, threads: int):
    """A Keras callback that reports each epoch to Tune with the run directory as checkpoint."""
    import keras
    from ray import tune

    class ReportToTune(keras.callbacks.Callback):
        def on_epoch_end(self, epoch, logs=None):
            metrics = {"epoch": epoch + 1, "pid": os.getpid(), "tf_threads": threads, "status": "running",
                       **{k: float(v) for k, v in (logs or {}).items()}}
            tune.report(metrics, checkpoint=tune.Checkpoint.from_directory(str(run_dir)))

    return ReportToTune()


def trial(trial_config: dict) -> None:
    """One Tune trial: train one point into its run directory (resuming it), report per epoch."""
    from ray import tune

    threads = limit_threads(trial_config["cpus"], trial_config["gpus"])
    from flipflop.training import TrainingDiverged, train

    point = trial_config["point"]
    run_dir = Path(point["run_dir"])
    checkpoint = tune.get_checkpoint()
    if checkpoint is not None and not (run_dir / runs.CONFIG).is_file():
        checkpoint.to_directory(str(run_dir))  # a new node without the shared run directory
    config = TrainConfig.from_dict(point["config"])
    final = {"pid": os.getpid(), "tf_threads": threads}
    try:
        result = train(config, run_dir, force=point["force"], verbose=0,
                       callbacks=[_report_callback(run_dir, threads)], log=lambda s: None)
    except TrainingDiverged as e:
        tune.report({**final, "status": "failed", "reason": str(e)})
        return
    tune.report({**final, "status": "done", "epoch": result.epochs_run, "epochs_run": result.epochs_run,
                 "reached_target": result.reached_target},
                checkpoint=tune.Checkpoint.from_directory(str(run_dir)))


def _progress_callback(tune, sweep: Sweep, prog: Progress, log: Callable[[str], None]):
    class ProgressLine(tune.Callback):
        def on_trial_start(self, iteration, trials, trial, **info):
            prog.running.add(trial.config["point"]["name"])
            log(prog.line())

        def on_trial_result(self, iteration, trials, trial, result, **info):
            name = trial.config["point"]["name"]
            if result.get("status") == "failed":
                prog.running.discard(name)
                prog.failed += 1
                prog.finished_here += 1
                _record(sweep, name, {"status": "failed", "diverged": True, "reason": result["reason"]})
                log(prog.line())
            elif result.get("status") == "done":
                prog.running.discard(name)
                prog.done += 1
                prog.finished_here += 1
                _record(sweep, name, {"status": "done", "epochs_run": result["epochs_run"],
                                      "reached_target": result["reached_target"]})
                log(prog.line())

        def on_trial_error(self, iteration, trials, trial, **info):
            name = trial.config["point"]["name"]
            prog.running.discard(name)
            prog.failed += 1
            prog.finished_here += 1
            err = trial.get_error()
            reason = str(err).strip().splitlines()[-1] if err and str(err).strip() else "trial failed"
            _record(sweep, name, {"status": "failed", "diverged": False, "reason": reason})
            log(prog.line())

        def on_trial_recover(self, iteration, trials, trial, **info):
            log(f"{trial.config['point']['name']}: worker lost; retrying from its last epoch")

    return ProgressLine()


def run_ray(sweep: Sweep, address: str | None = None, cpus_per_trial: float = 1, gpus_per_trial: float = 0,
            max_failures: int = 3, max_concurrent: int | None = None, storage: str | None = None,
            num_cpus: int | None = None, retry_failed: bool = False, force: bool = False,
            log: Callable[[str], None] = print, callbacks: Sequence = ()) -> SweepResult:
    """Every unfinished point as a Ray Tune trial (``cpus_per_trial`` CPUs and
    ``gpus_per_trial`` GPUs each; a trial whose worker dies is retried up to
    ``max_failures`` times). ``storage``: Tune's ``storage_path`` (default: the sweep
    directory; a folder or URI that every node sees). ``callbacks``: extra Tune callbacks."""
    if cpus_per_trial <= 0 or gpus_per_trial < 0 or max_failures < 0:
        raise FlipFlopError("--cpus-per-trial must be > 0, --gpus-per-trial and --max-failures >= 0")
    _, tune = import_ray()
    todo, skipped, failed = _todo(sweep, retry_failed)
    prog = Progress(len(sweep.points), done=len(skipped), failed=len(failed))
    log(prog.line())
    if not todo:
        return SweepResult(sweep.path, [], failed, skipped, 0.0)
    os.environ.setdefault("RAY_AIR_NEW_OUTPUT", "0")
    os.environ.setdefault("TUNE_DISABLE_AUTO_CALLBACK_LOGGERS", "1")
    grid = [{"name": p.name, "config": p.config.to_dict(), "run_dir": str(sweep.run_dir(p).resolve()),
             "force": force} for p in todo]
    with ray_session(address, num_cpus):
        resources = {"cpu": cpus_per_trial, "gpu": gpus_per_trial}
        tuner = tune.Tuner(
            tune.with_resources(trial, resources),
            param_space={"point": tune.grid_search(grid), "cpus": cpus_per_trial, "gpus": gpus_per_trial},
            tune_config=tune.TuneConfig(max_concurrent_trials=max_concurrent,
                                        trial_name_creator=lambda t: t.config["point"]["name"],
                                        trial_dirname_creator=lambda t: t.config["point"]["name"]),
            run_config=tune.RunConfig(
                name=TUNE_DIR, storage_path=storage or str(sweep.path.resolve()), verbose=0,
                failure_config=tune.FailureConfig(max_failures=max_failures),
                checkpoint_config=tune.CheckpointConfig(num_to_keep=1),
                callbacks=[_progress_callback(tune, sweep, prog, log), *callbacks]))
        tune_log = logging.getLogger("ray.tune")
        level, tune_log.level = tune_log.level, logging.CRITICAL  # our progress line says what failed
        try:
            results = tuner.fit()
        finally:
            tune_log.setLevel(level)
    done = []
    for r in results:
        name = r.config["point"]["name"]
        status = (r.metrics or {}).get("status")
        if r.error is not None or status == "failed":
            failed[name] = (r.metrics or {}).get("reason") or str(r.error).strip().splitlines()[-1]
            continue
        run_dir = Path(r.config["point"]["run_dir"])
        if not (run_dir / runs.METRICS).is_file() and r.checkpoint is not None:
            r.checkpoint.to_directory(str(run_dir))  # run directories kept only in an object store
        done.append(name)
    return SweepResult(sweep.path, done, failed, skipped, time.perf_counter() - prog.started)
