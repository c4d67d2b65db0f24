"""The analysis every task gets unless its folder declares its own, and the parts a task's own
analysis reuses.

:data:`DEFAULT` measures behaviour by the task's ``score`` on fresh trials, draws every
run's spectrum and the main run's condition-averaged trajectories in PCA space (with its
first set of fixed points), searches for fixed points at each period's mean input over the
analysis series, and writes a REPORT with a summary table, the bars (if any) and one
sentence per fixed-point set. A task's own spec is ``DEFAULT.replace(...)`` with what it
adds; :func:`sections` and the figure makers here are its building blocks.
"""
from __future__ import annotations

from typing import Sequence

import numpy as np
from matplotlib.figure import Figure

from flipflop.analysis.activity import condition_means, project
from flipflop.plotting.spectra import spectrum
from flipflop.plotting.trajectories import CIRCULAR, DIVERGING, trajectories
from flipflop.tasks.base import Task
from flipflop.tasks.spec import Colouring, Decoded, FigureSpec, FixedPointInput, RunAnalysis, TaskAnalysis


def period_inputs(task: Task) -> tuple[FixedPointInput, ...]:
    """One search per period of the analysis series, at that period's mean input over every
    trial (periods empty in every trial are left out)."""
    series = task.analysis_series()
    return tuple(FixedPointInput(tag=name, period=name) for name, span in series.periods.items()
                 if np.any(span[:, 1] > span[:, 0]))


def slow_point_starts(a: RunAnalysis) -> int:
    """Starts of a mechanism's slow-point search: twice the spec's fixed-point starts."""
    return 2 * a.spec.fixed_point_starts


def delay_search_intro(a: RunAnalysis) -> str:
    """The opening words of a memory task's REPORT lines on its slow-point search at the delay input."""
    return (f"Slow-point search at the delay input from {slow_point_starts(a)} delay states of "
            f"{a.spec.mechanism_trials} fresh trials (trained delays up to "
            f"{a.mechanisms['trained_max_delay_ms']:g} ms): ")


def colouring(a: RunAnalysis) -> Colouring:
    """The spec's colouring, else by the first per-trial condition of the series that varies."""
    if a.spec.colour_by is not None:
        return a.spec.colour_by
    for name, values in a.series.conditions.items():
        values = np.asarray(values)
        if values.ndim == 1 and len(np.unique(values)) > 1:
            return Colouring(name)
    return Colouring(next(iter(a.series.conditions), ""))


def decoded(a: RunAnalysis) -> Decoded:
    """What the fixed points are decoded as: the spec's, else the series' ``choice`` (its
    ground truth), else its colouring condition."""
    if a.spec.decoded is not None:
        return a.spec.decoded
    return Decoded("choice") if "choice" in a.series.conditions else Decoded(colouring(a).condition)


# ---------------------------------------------------------------- figures


def spectrum_figure(a: RunAnalysis) -> Figure:
    """The eigenvalues of W_rec with the unit circle."""
    return spectrum(a.spectrum.eigenvalues, f"W_rec spectrum — {a.label}")


def period_onsets(a: RunAnalysis) -> dict[str, int]:
    """Onset step of each period of the series' first trial (periods starting after step 0)."""
    return {name: int(span[0, 0]) for name, span in a.series.periods.items()
            if span[0, 1] > span[0, 0] and span[0, 0] > 0}


def trajectory_figure(a: RunAnalysis) -> Figure:
    """Condition-averaged trajectories in PCA space, coloured by the task's main condition,
    with the fixed points of the first fixed-point set."""
    colour = colouring(a)
    keys, means = condition_means(a.hidden, a.series.conditions[colour.condition])
    pca = project(means, n_components=3, method="pca")
    fps = a.fixed_points[0] if a.fixed_points else None
    points = pca.transform(fps.points) if fps is not None else None
    title = f"{a.label}: {len(keys)} conditions" + (f"; fixed points at {fps.where.label}" if fps else "")
    return trajectories(pca.projected, keys[:, 0], colour.label or colour.condition, period_onsets(a), points,
                        None if fps is None else fps.stable, title, cmap=CIRCULAR if colour.circular else DIVERGING)


SPECTRUM = FigureSpec("spectrum", spectrum_figure, "each", caption="eigenvalues of W_rec")
TRAJECTORIES = FigureSpec("trajectories", trajectory_figure, "main",
                          caption="condition-averaged trajectories in PCA space, with the fixed points")


# ---------------------------------------------------------------- REPORT sections


def _columns(a: RunAnalysis) -> list[str]:
    """The score's measures, in the task's order (its metric and masked MSE first)."""
    return [k for k, v in a.metrics[a.task.series_name].items() if isinstance(v, float)]


def _heading(key: str) -> str:
    return "masked MSE" if key == "mse" else key.replace("_", " ")


def summary_table(analyses: Sequence[RunAnalysis]) -> list[str]:
    """One row per run: the task's measures on fresh trials, the spectral radius, the bars met."""
    columns = _columns(analyses[0])
    with_bars = any((t.evaluation or {}).get("bars") is not None for t in analyses)
    head = ["network", *map(_heading, columns), "spectral radius"] + (["bars met"] if with_bars else [])
    lines = ["| " + " | ".join(head) + " |", "|" + "---|" * len(head)]
    for t in analyses:
        e = t.evaluation or {}
        cells = [t.label] + [f"{e[k]:.4f}" if k in e else "–" for k in columns] + [f"{t.spectrum.spectral_radius:.3f}"]
        if with_bars:
            bars = e.get("bars") or []
            cells.append(f"{sum(b['met'] for b in bars)}/{len(bars)}")
        lines.append("| " + " | ".join(cells) + " |")
    return lines


def bars_table(analyses: Sequence[RunAnalysis]) -> list[str]:
    """The ``## Bars`` section: every bar of every run, measured value and rule."""
    if not any((t.evaluation or {}).get("bars") for t in analyses):
        return []
    lines = ["", "## Bars", "", "| network | measure | value | bar | met |", "|---|---|---|---|---|"]
    for t in analyses:
        for b in (t.evaluation or {}).get("bars") or []:
            v = "–" if b["value"] is None else f"{b['value']:.4g}"
            lines.append(f"| {t.label} | {b['name']} | {v} | {b['rule']} | {'yes' if b['met'] else '**no**'} |")
    return lines


DECODER_MIN_R2 = 0.5  # below it, fixed points are not given a decoded value


def fixed_point_sentence(a: RunAnalysis, f) -> str:
    """One sentence with numbers: how many fixed points, what they encode, how slow."""
    where = f"at the {f.where.label} input ({f.where.period} period)" if f.where.period else f"at {f.where.label}"
    if not len(f.points):
        return f"No fixed point found {where}."
    if f.slow_values is None:
        return f"{len(f.points)} fixed point(s) {where}, {int(f.stable.sum())} stable."
    gap = np.abs(1.0 - np.abs(f.slow_values))
    d = decoded(a)
    unit = f" {d.unit}" if d.unit else ""
    n_stable = int(f.stable.sum())
    if len(f.points) >= 5 and np.median(gap) < 0.05:
        kind = f"a line attractor of {len(f.points)} slow points"
    elif n_stable >= 2:
        kind = f"{n_stable} attractors" + (f" separated by {len(f.points) - n_stable} saddle(s)"
                                             if len(f.points) > n_stable else "")
    elif n_stable == 1:
        kind = "a single attractor" + (f" and {len(f.points) - 1} unstable point(s)" if len(f.points) > 1 else "")
    else:
        kind = f"no attractor, {len(f.points)} unstable point(s)"
    tau = 1.0 / max(float(gap.min()), 1e-12)
    if f.decoded_r2 >= DECODER_MIN_R2 or not np.isfinite(f.decoded_r2):
        reads = (f"at which a linear decoder reads {d.words} = {f.decoded.min():.3g}"
                 + (f" to {f.decoded.max():.3g}" if len(f.points) > 1 else "") + unit)
    else:  # the end states do not carry the variable: what a decoder reads at the points means nothing
        reads = f"where no linear decoder reads {d.words} (R² {f.decoded_r2:.2f} on the period's end states)"
    return (f"{kind} {where}: {len(f.points)} fixed point(s), {n_stable} stable, {reads}; the slowest "
            f"eigenvalue is within {gap.min():.3g} of 1 (a time constant of "
            f"{tau * a.task.dt_ms:.0f} ms; median over points {np.median(gap):.3g}); the series' states at the "
            f"end of the {f.where.period} period move by {f.end_speed:.2g} of their norm per step.")


def fixed_point_lines(analyses: Sequence[RunAnalysis]) -> list[str]:
    """The ``## Fixed points`` section: one sentence per run and fixed-point set."""
    lines = ["", "## Fixed points", ""]
    for t in analyses:
        if not t.fixed_points:
            lines.append(f"- {t.label}: not computed (use --fixed-points).")
        lines += [f"- {t.label}: {fixed_point_sentence(t, f)}" for f in t.fixed_points]
    return lines


def intro(analyses: Sequence[RunAnalysis]) -> str:
    """What the REPORT's first line says after its provenance: how behaviour was measured."""
    e = analyses[0].evaluation
    if e is None:
        return "Behaviour is the task's score on its analysis series."
    breaks = "; fixation breaks count as errors" if "fixation_breaks" in e else ""
    return f"Behaviour is measured on {e['n_trials']} fresh noisy trials (seed {e['seed']}){breaks}."


def sections(analyses: Sequence[RunAnalysis], reference: RunAnalysis | None = None,
             files: Sequence[str] = ()) -> list[str]:
    """The generic REPORT body: summary table, bars, fixed points (the reference as a row)."""
    rows = list(analyses) + ([reference] if reference else [])
    return summary_table(rows) + bars_table(rows) + fixed_point_lines(rows)


def population(a: RunAnalysis) -> dict:
    """Per-run columns of ``flipflop sweep-report``: fixed points found, and stable ones, per set."""
    row = {}
    for f in a.fixed_points:
        tag = f.where.tag or "zero"
        row.update({f"fp_{tag}": len(f.points), f"fp_{tag}_stable": int(f.stable.sum())})
    return row


DEFAULT = TaskAnalysis(fixed_points=period_inputs, figures=(SPECTRUM, TRAJECTORIES), sections=sections, intro=intro,
                       population=population)
