"""Runs in, figures and ``REPORT.md`` out (``flipflop figures``): one driver for every task.

Runs are grouped by task (one folder per task when they are mixed); each group is analysed
(:mod:`flipflop.reports.analyse`), drawn (:mod:`flipflop.reports.draw`) and reported
(:mod:`flipflop.reports.markdown`) as its task's spec says. The first run of a group is
its main realisation. A reference run (e.g. the paper's imported network) must be of the
runs' task; it joins the figures that take one, and every table.
"""
from __future__ import annotations

import time
from pathlib import Path
from typing import Callable, Sequence

from flipflop import runs
from flipflop.errors import FlipFlopError, validate_params
from flipflop.progress import each
from flipflop.reports.analyse import MODE, analyse_run
from flipflop.reports.draw import draw
from flipflop.reports.markdown import report
from flipflop.tasks.spec import FixedPointMode

_SAY = {"always": "; fixed points", "missing": "; fixed points unless cached"}


def group_by_task(paths: Sequence[str | Path]) -> dict[str, list]:
    """Run paths by their task's name, in the given order (each run is checked on the way)."""
    groups: dict[str, list] = {}
    for p in paths:
        groups.setdefault(runs.load_run(p).task().name, []).append(p)
    return groups


@validate_params(fixed_points=MODE)
def draw_figures(paths: Sequence[str | Path], out: str | Path = "flipflop-out/figures",
                 formats: Sequence[str] = ("png",), reference: str | Path | None = None,
                 fixed_points: FixedPointMode = "cached", fixed_points_for: int | None = None,
                 log: Callable[[str], None] = print, timings: dict | None = None) -> list[Path]:
    """Analyse runs, draw their task's figures and write ``REPORT.md`` into ``out`` (into
    ``out/<task>`` for each task when the runs are of several). ``fixed_points`` (see
    :func:`~flipflop.reports.analyse.analyse_run`) applies to the first ``fixed_points_for``
    runs of each task (all by default) and to the reference; the others use what is cached.
    Returns the files written."""
    if not paths:
        raise FlipFlopError("no runs to draw")
    groups = group_by_task(paths)
    if reference is not None:
        task = runs.load_run(reference).task().name
        if set(groups) != {task}:
            raise FlipFlopError(f"--reference {reference} is a {task} run, but the runs are of "
                                f"{', '.join(groups)}; a reference must be of the runs' task")
    written: list[Path] = []
    for name, group in groups.items():
        folder = Path(out) / name if len(groups) > 1 else Path(out)
        written += _draw_task(group, folder, formats, reference, fixed_points, fixed_points_for, log, timings)
    return written


def _draw_task(paths: Sequence, out: Path, formats: Sequence[str], reference, fixed_points: FixedPointMode,
               fixed_points_for: int | None, log: Callable[[str], None], timings: dict | None) -> list[Path]:
    """:func:`draw_figures` of runs of one task."""
    t0 = time.perf_counter()
    if out.exists() and not out.is_dir():
        raise FlipFlopError(f"{out} exists and is not a directory")
    limit = len(paths) if fixed_points_for is None else fixed_points_for
    todo = [(p, fixed_points if i < limit else "cached") for i, p in enumerate(paths)]
    todo += [(reference, fixed_points)] if reference is not None else []

    def say(item: tuple, k: int, n: int) -> str:
        return f"    analysing {item[0]} ({k}/{n}{_SAY.get(item[1], '')})"

    analysed = [analyse_run(path, fixed_points=mode, progress=True)  # the slow phase: it says where it is
                for path, mode in each(todo, "runs", say, log, "analyses")]
    analyses, ref = (analysed[:-1], analysed[-1]) if reference is not None else (analysed, None)
    out = runs.ensure_writable_dir(out)  # only once every run has been read: a refusal creates nothing
    t1 = time.perf_counter()
    written = draw(analyses, out, formats, ref, log)
    t2 = time.perf_counter()
    timings = {**(timings or {}), "analyses (load, spectra, trajectories, behaviour, fixed points)": t1 - t0,
               "drawing and saving figures": t2 - t1}
    runs.write_text(out / "REPORT.md", report(analyses, ref, timings, written))
    return written + [out / "REPORT.md"]
