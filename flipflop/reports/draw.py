"""Drawing a task's figure set: the plan of figures from its spec, saved into one folder."""
from __future__ import annotations

from pathlib import Path
from typing import Callable, Sequence

from matplotlib.figure import Figure

from flipflop.errors import FlipFlopError
from flipflop.plotting.io import remove_stale, save_figure
from flipflop.tasks.spec import FigureSpec, RunAnalysis

Plan = list[tuple[str, Callable[[], "Figure | None"]]]


def figure_plan(analyses: Sequence[RunAnalysis], reference: RunAnalysis | None = None,
                figures: Sequence[FigureSpec] | None = None) -> Plan:
    """(file stem, figure maker) of every figure of the runs' task (or of ``figures``): "set"
    figures once, "main" ones for the first run, "each" ones for every run, and the reference
    run's where the figure takes one."""
    if not analyses:
        raise FlipFlopError("no runs to draw")
    main = analyses[0]
    plan: Plan = []
    for f in main.spec.figures if figures is None else figures:
        if f.scope == "set":
            plan.append((f.stem, lambda f=f: f.draw(analyses, reference if f.reference else None)))
            continue
        runs_ = [main] if f.scope == "main" else list(analyses)
        runs_ += [reference] if reference is not None and f.reference else []
        plan += [(f"{f.stem}_{a.label}", lambda f=f, a=a: f.draw(a)) for a in runs_]
    return plan


def draw_figure(analyses: "RunAnalysis | Sequence[RunAnalysis]", stem: str,
                reference: RunAnalysis | None = None) -> "Figure | None":
    """The figure that ``flipflop figures`` saves as ``stem`` for these analyses (the first is
    the main realisation) and ``reference``: the same maker, so saved with
    :func:`flipflop.plotting.io.save_figure` it is the same file. ``stem`` is a file stem
    (``fig4_spectra``, ``fig7_fixed_points_simplernn-400-seed0``) or, for a per-run figure,
    its figure's stem alone (``fig7_fixed_points``: the main run's). None where the figure
    draws nothing (e.g. no fixed points); an unknown stem is a FlipFlopError naming the known ones."""
    analyses = [analyses] if isinstance(analyses, RunAnalysis) else list(analyses)
    plan = dict(figure_plan(analyses, reference))
    if stem not in plan:
        main = f"{stem}_{analyses[0].label}" if analyses else stem
        if main not in plan:
            raise FlipFlopError(f"no figure {stem!r} for these runs; their figures: {', '.join(plan)}")
        stem = main
    return plan[stem]()


def save_plan(plan: Plan, out: str | Path, formats: Sequence[str] = ("png",)) -> list[Path]:
    """Make and save each figure of ``plan`` into ``out`` (one at a time, closed once saved);
    a maker that returns None draws nothing. Returns the files written."""
    written = []
    for stem, make in plan:
        fig = make()
        if fig is not None:
            written += save_figure(fig, Path(out) / stem, formats)
    return written


def draw(analyses: Sequence[RunAnalysis], out: str | Path, formats: Sequence[str] = ("png",),
         reference: RunAnalysis | None = None, log: Callable[[str], None] = print) -> list[Path]:
    """Every figure of the runs' task into ``out``; then the files of an earlier set of this
    task's figures that this one did not rewrite are removed, so that ``out`` holds one
    consistent set (its REPORT.md is the caller's to rewrite). Returns the files written."""
    written = save_plan(figure_plan(analyses, reference), out, formats)
    removed = remove_stale(out, [p.name for p in written] + ["REPORT.md"], analyses[0].spec.stale_patterns())
    log(f"wrote {len(written)} files to {out}")
    if removed:
        log(f"removed {len(removed)} files of an earlier figure set from {out}")
    return written
