"""A sweep folder (:mod:`flipflop.runs.sweeps`): its grid, its points' run directories and
results, and the progress line of a running sweep.

The run directory is the checkpoint: a rerun of the same sweep skips finished points and
resumes interrupted ones.
"""
from __future__ import annotations

import re
import time
from dataclasses import dataclass, field
from pathlib import Path

from flipflop import runs
from flipflop.errors import FlipFlopError
from flipflop.runs.sweeps import GRID_FILE, RESULTS_FILE, RUNS_DIR
from flipflop.sweep.grid import Grid, Point, points
from flipflop.training.config import TrainConfig


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
        try:
            results = runs.read_json(f) if f.is_file() else {}
        except FlipFlopError:  # a damaged results.json: rebuilt from the run folders
            return {}
        return results if isinstance(results, dict) else {}

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


def _path(name: str, root: str | Path) -> Path:
    if not re.fullmatch(r"[A-Za-z0-9][\w.-]*", str(name)) or len(str(name)) > 200:
        raise FlipFlopError(f"sweep name {str(name)[:60]!r} must be letters, digits, '.', '_' or '-' (at most 200)")
    return Path(root) / name


def check_sweep(name: str, grid: Grid, root: str | Path = "sweeps", force: bool = False) -> Path:
    """The folder of sweep ``root/name`` if ``grid`` may be run there: a different stored
    grid is refused unless ``force``. Reads only."""
    path = _path(name, root)
    stored = path / GRID_FILE
    if stored.is_file():
        try:
            same = runs.read_json(stored)["grid"] == _jsonable(grid.to_dict())
        except (KeyError, TypeError, FlipFlopError):
            same = False
        if not same and not force:
            raise FlipFlopError(f"{path} holds a different grid; use --force or another --name")
    return path


def open_sweep(name: str, grid: Grid | None = None, root: str | Path = "sweeps", force: bool = False) -> Sweep:
    """The sweep ``root/name``: with ``grid``, create it (or check it holds the same grid;
    a different one is refused unless ``force``) and rebuild its ``results.json`` from its
    run folders; without, read its stored grid. The caller holds the folder's lock
    (:func:`flipflop.runs.locked`) to write."""
    path = _path(name, root)
    stored = path / GRID_FILE
    if grid is None:
        if not stored.is_file():
            raise FlipFlopError(f"no sweep {name!r} in {root} (no {stored})")
        try:
            grid = Grid.from_dict(runs.read_json(stored)["grid"])
        except (KeyError, TypeError, ValueError) as e:
            raise FlipFlopError(f"corrupt file {stored}: {e}") from None
        return Sweep(path, grid, points(grid))
    check_sweep(name, grid, root, force)
    pts = points(grid)
    runs.ensure_writable_dir(path)
    runs.write_json(stored, {"grid": grid.to_dict(), "points": {p.name: p.params for p in pts}})
    sweep = Sweep(path, grid, pts)
    rebuild_results(sweep)
    return sweep


def rebuild_results(sweep: Sweep) -> dict:
    """``results.json`` from the run folders: every finished point is done (with its epochs
    and target from its ``metrics.json``), a recorded failure of an unfinished point is
    kept, and nothing else is listed. Run at every (re)start, so that a run that finished
    while its driver was killed is never missing."""
    earlier = sweep.results() if (sweep.path / RESULTS_FILE).is_file() else {}
    results = {}
    for p in sweep.points:
        if sweep.finished(p):
            m = runs.read_json(sweep.run_dir(p) / runs.METRICS)
            results[p.name] = {"status": "done", "epochs_run": m.get("epochs_run"),
                               "reached_target": m.get("reached_target")}
        elif isinstance(earlier.get(p.name), dict) and earlier[p.name].get("status") == "failed":
            results[p.name] = earlier[p.name]
    runs.write_json(sweep.path / RESULTS_FILE, results)
    return results


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


def record_result(sweep: Sweep, name: str, entry: dict) -> None:
    """Record one point's outcome (done or failed, and why) in ``results.json``."""
    results = sweep.results()
    results[name] = entry
    runs.write_json(sweep.path / RESULTS_FILE, results)


def points_to_run(sweep: Sweep, retry_failed: bool) -> tuple[list[Point], list[str], dict]:
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
