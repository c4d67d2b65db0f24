"""Figures and ``REPORT.md`` of runs trained on the primer's decision tasks.

For every run: its behaviour and bars on fresh trials (:mod:`flipflop.evaluation`), its
spectrum, and the fixed points at the input of the task's chosen period (``FIXED_POINT_INPUTS``:
the zero-evidence stimulus of the decision tasks, in each context for context DM; the delay
of the memory tasks), cached in the run as ``fixed_points_<tag>.npz``. The first run (the
main realisation) gets the figures: behaviour, spectrum, condition-averaged trajectories in
PCA space with those fixed points, and the task's signature figure (``SIGNATURES``).
"""
from __future__ import annotations

import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable, Sequence

import numpy as np

from flipflop import analysis, task_analysis as ta, task_figures as tf_
from flipflop.errors import FlipFlopError
from flipflop.evaluation import evaluate_outputs
from flipflop.figures import save_figure
from flipflop.pipeline import RunAnalysis, analyse_run
from flipflop.progress import each
from flipflop.runs import ensure_writable_dir, write_text

FP_INIT = 256  # initial states of each fixed-point search (100-unit networks: ~1 min on 2 cores)
EVAL_TRIALS = 4000
EVAL_SEED = 777

# Where to look for fixed points: tag -> (period, the first series trial with these conditions,
# zero evidence?). The input is that trial's mean input in the period; with zero evidence its
# stimulus channels are set to 0.5 (0 % coherence: both streams equal), as Mante et al. did.
FIXED_POINT_INPUTS: dict[str, dict[str, tuple[str, Callable[[dict], np.ndarray], bool]]] = {
    "perceptual_dm": {"stimulus_zero_coherence": ("stimulus", lambda c: c["coherence"] >= 0, True)},
    "context_dm": {"motion_context": ("stimulus", lambda c: c["context"] == 0, True),
                   "colour_context": ("stimulus", lambda c: c["context"] == 1, True)},
    "parametric_wm": {"delay": ("delay", lambda c: np.ones(len(c["f1"]), bool), False)},
    "match_category": {"delay": ("delay", lambda c: np.ones(len(c["sample_dir"]), bool), False)},
}
DECODED = {"perceptual_dm": "choice", "context_dm": "choice", "parametric_wm": "f1", "match_category": "sample_cat"}


@dataclass
class FixedPointSet:
    """The fixed points at one period's input, with their slow modes and decoded condition."""

    tag: str
    period: str
    trial: int
    points: np.ndarray  # (K, units), fixed points only
    stable: np.ndarray  # (K,) bool
    slow_values: np.ndarray  # (K,) complex: the eigenvalue closest to 1
    slow_vectors: np.ndarray  # (K, units)
    decoded: np.ndarray  # (K,) the condition DECODED[task] read at each point
    end_speed: float = float("nan")  # median |F(h, u) - h| / |h| of the series' states at the period's end


@dataclass
class TaskRunAnalysis:
    """One decision-task run: the common analysis, its evaluation and its fixed points."""

    base: RunAnalysis
    evaluation: dict
    fixed_points: list[FixedPointSet] = field(default_factory=list)

    @property
    def label(self) -> str:
        return self.base.label


def fixed_point_input(task, tag: str) -> tuple[str, int, np.ndarray]:
    """(period, series trial, constant input) of the fixed points ``tag`` of ``task``."""
    from flipflop.fixed_point_search import period_input

    period, select, zero_evidence = FIXED_POINT_INPUTS[task.name][tag]
    index = np.flatnonzero(select(task.analysis_series().conditions))
    if not len(index):
        raise FlipFlopError(f"the {task.name} analysis series has no trial for fixed points {tag!r}")
    u = period_input(task, period, int(index[0]))
    if zero_evidence:
        u[1:1 + len(task.stimulus_channels())] = 0.5
    return period, int(index[0]), u


def _period_end_states(a: RunAnalysis, period: str) -> np.ndarray:
    stop = a.series.periods[period][:, 1] - 1
    return a.hidden[np.arange(len(stop)), stop]


def task_fixed_points(a: RunAnalysis, compute: bool | str = "cached", n_init: int = FP_INIT) -> list[FixedPointSet]:
    """Fixed points at each of the task's ``FIXED_POINT_INPUTS`` ("cached": only those cached
    in the run; True: computed when not cached; False: none)."""
    from flipflop.fixed_point_search import compute_fixed_points
    from flipflop.fixed_points import FixedPoints, jacobians, recurrent_step, step_function

    if compute is False:
        return []
    model, task, out = a.run.model(), a.task, []
    for tag in FIXED_POINT_INPUTS[task.name]:
        period, trial, u = fixed_point_input(task, tag)
        cache = a.run.fixed_points_at(tag)
        if cache.is_file():
            fps = FixedPoints.load(cache)
        elif compute in (True, "missing"):  # "missing": compute where the run has no cache
            try:
                compute_fixed_points(model, task, cache, n_init=n_init, constant_input=u, progress=True)
            except FlipFlopError:
                continue  # none converged: reported as "none found"
            fps = FixedPoints.load(cache)  # as cached, so a figure never depends on which it was
        else:
            continue
        fps = fps.fixed_only()
        n = a.hidden.shape[-1]
        points = fps.points[:, :n]
        if len(points):
            values, vectors = ta.slow_modes(jacobians(step_function(model), fps.points, u))
        else:
            values, vectors = np.zeros(0, complex), np.zeros((0, n))
        decoded_by = np.asarray(a.series.conditions[DECODED[task.name]], np.float64)
        decoded = (ta.decode_line(_period_end_states(a, period), decoded_by, points)
                   if len(points) else np.zeros(0))
        ends = _period_end_states(a, period)
        moved = recurrent_step(model, ends, u)[:, :n] - ends
        speed = float(np.median(np.linalg.norm(moved, axis=1) / np.maximum(np.linalg.norm(ends, axis=1), 1e-12)))
        out.append(FixedPointSet(tag, period, trial, points, fps.n_unstable == 0, values, vectors[:, :n], decoded,
                                 speed))
    return out


def analyse_task_run(path: str | Path, fixed_points: bool | str = "cached", label: str | None = None,
                     n_trials: int = EVAL_TRIALS, seed: int = EVAL_SEED) -> TaskRunAnalysis:
    """Analyse one decision-task run: common analysis, evaluation on fresh trials, fixed points."""
    base = analyse_run(path, label=label, fixed_points=False)
    if base.task.name not in SIGNATURES:
        raise FlipFlopError(f"no figures for the {base.task.name} task; there are figures for flipflop, "
                            f"{', '.join(SIGNATURES)}")
    trials = base.task.generate(n_trials, seed)
    outputs = analysis.outputs(base.run.model(), trials.inputs)
    evaluation = {"n_trials": n_trials, "seed": seed, **evaluate_outputs(base.task, outputs, trials)}
    return TaskRunAnalysis(base, evaluation, task_fixed_points(base, fixed_points))


# ---------------------------------------------------------------- figures


def _pca(a: RunAnalysis, means: np.ndarray) -> analysis.Projection:
    return analysis.project(means, n_components=3, method="pca")


def _marks(a: RunAnalysis) -> dict[str, int]:
    return {name: int(span[0, 0]) for name, span in a.series.periods.items()
            if span[0, 1] > span[0, 0] and span[0, 0] > 0}


def trajectory_figure(t: TaskRunAnalysis):
    """Condition-averaged trajectories in PCA space, coloured by the task's main condition,
    with the fixed points of the first fixed-point input."""
    a = t.base
    c = a.series.conditions
    name = {"perceptual_dm": "coherence", "context_dm": "coherence", "parametric_wm": "f1",
            "match_category": "sample_dir"}[a.task.name]
    keys, means = ta.condition_means(a.hidden, c[name])
    pca = _pca(a, means)
    fps = t.fixed_points[0] if t.fixed_points else None
    points = pca.transform(fps.points) if fps is not None else None
    label = {"coherence": "signed coherence (%)", "f1": "f1 (Hz)", "sample_dir": "sample direction (deg)"}[name]
    title = f"{a.label}: {len(keys)} conditions" + (f"; fixed points at {fps.tag.replace('_', ' ')}" if fps else "")
    return tf_.trajectories(pca.projected, keys[:, 0], label, _marks(a), points,
                            None if fps is None else fps.stable, title,
                            cmap=tf_.CIRCULAR if name == "sample_dir" else tf_.DIVERGING)


def signature_perceptual_dm(t: TaskRunAnalysis) -> dict:
    a, e = t.base, t.evaluation
    c = e["psychometric"]
    figs = {"psychometric": tf_.psychometric(c["x"], c["p_choice1"], c["slope"], c["bias"],
                                             f"{a.label}: psychometric curve")}
    keep = a.series.conditions["coherence"] != 0
    activity = ta.window_mean(a.hidden[keep], a.series.periods["stimulus"][keep])
    sel = ta.choice_selectivity(activity, a.series.conditions["choice"][keep])
    signs = a.dale_signs
    order = ta.selectivity_order(sel, signs)
    n_exc = int(np.sum(signs > 0)) if signs is not None else None
    figs["sorted_weights"] = tf_.sorted_weights(a.w_rec, order, n_exc,
                                                f"{a.label}: W_rec sorted by choice selectivity")
    return figs


def _context_panels(t: TaskRunAnalysis) -> list[dict]:
    a = t.base
    c = a.series.conditions
    choice = np.where(a.task.choices(a.outputs, a.series)[0] == 0, 1.0, -1.0)  # type: ignore[attr-defined]
    regs = np.stack([choice, c["motion"], c["colour"], np.where(c["context"] == 0, 1.0, -1.0)], axis=1)
    axes, _ = ta.targeted_axes(a.hidden, regs)
    mean = a.hidden.reshape(-1, a.hidden.shape[-1]).mean(axis=0)
    fps = {f.tag: f for f in t.fixed_points}
    panels = []
    for k, context in enumerate(("motion", "colour")):
        mine = c["context"] == k
        fp = fps.get(f"{context}_context")
        for j, feature in ((1, "motion"), (2, "colour")):
            keys, means = ta.condition_means(a.hidden[mine], c[feature][mine], choice[mine])
            xy = ta.project_axes(means, axes[[0, j]], mean)
            panel = {"xy": xy, "values": keys[:, 0], "labels": ("choice axis", f"{feature} axis"),
                     "title": f"{context} context, sorted by {feature}"}
            if fp is not None and len(fp.points):
                panel["points"] = ta.project_axes(fp.points, axes[[0, j]], mean)
                panel["vectors"] = fp.slow_vectors @ axes[[0, j]].T
            panels.append(panel)
    return panels


def signature_context_dm(t: TaskRunAnalysis) -> dict:
    e = t.evaluation
    return {"context_curves": tf_.context_curves(e["contexts"], f"{t.label}: psychometric curves"),
            "mante_state_space": tf_.mante_state_space(_context_panels(t), f"{t.label}: targeted dimensionality "
                                                                           "reduction (Mante et al. 2013)")}


def signature_parametric_wm(t: TaskRunAnalysis) -> dict:
    a, e = t.base, t.evaluation
    figs = {"pair_accuracy": tf_.pair_accuracy([r["f1"] for r in e["pairs"]], [r["f2"] for r in e["pairs"]],
                                               [r["accuracy"] for r in e["pairs"]], f"{a.label}: accuracy")}
    keys, means = ta.condition_means(a.hidden, a.series.conditions["f1"])
    start, stop = a.series.periods["delay"][0]
    delay = means[:, start - 1:stop]
    pca = analysis.project(delay, n_components=2, method="pca")
    fp = next((f for f in t.fixed_points if f.tag == "delay"), None)
    points = pca.transform(fp.points) if fp is not None and len(fp.points) else np.zeros((0, 2))
    vectors = fp.slow_vectors @ pca.components.T if fp is not None and len(fp.points) else np.zeros((0, 2))
    figs["delay_line_attractor"] = tf_.delay_line_attractor(pca.projected, keys[:, 0], points, vectors,
                                                            f"{a.label}: delay period and its fixed points")
    return figs


def signature_match_category(t: TaskRunAnalysis) -> dict:
    a, e = t.base, t.evaluation
    c = a.series.conditions
    figs = {"category_accuracy": tf_.category_accuracy(
        [f"S{r['sample_cat']} T{r['test_cat']}" for r in e["categories"]], [r["accuracy"] for r in e["categories"]],
        e["boundary"]["near"]["accuracy"], e["boundary"]["away"]["accuracy"], f"{a.label}: accuracy")}
    keys, means = ta.condition_means(a.hidden, c["sample_cat"], c["test_cat"])
    pca = _pca(a, means)
    epochs = {name: tuple(int(v) for v in span[0]) for name, span in a.series.periods.items()}
    figs["category_trajectories"] = tf_.category_trajectories(pca.projected, [tuple(k) for k in keys.astype(int)],
                                                              a.task.dt_ms, epochs, f"{a.label}: category pairs")
    onsets, start = category_onsets(a)
    figs["selectivity_onsets"] = tf_.onset_histogram(
        onsets * a.task.dt_ms, {n: (s - start) * a.task.dt_ms for n, (s, _) in epochs.items() if s > start
                                and n != "test"},
        f"{a.label}")
    return figs


def category_onsets(a: RunAnalysis) -> tuple[np.ndarray, int]:
    """Steps after sample onset at which each unit becomes category selective (sample and delay
    periods only: the test stimulus then mixes in), and the sample onset step."""
    c = a.series.conditions
    dirs, rates = ta.condition_means(a.hidden, c["sample_dir"])
    index = ta.category_selectivity(rates, a.task.category(dirs[:, 0]))  # type: ignore[attr-defined]
    start, stop = int(a.series.periods["sample"][0, 0]), int(a.series.periods["test"][0, 0])
    return ta.selectivity_onsets(index[:stop], start), start  # before the test mixes in its direction


SIGNATURES: dict[str, Callable[[TaskRunAnalysis], dict]] = {
    "perceptual_dm": signature_perceptual_dm, "context_dm": signature_context_dm,
    "parametric_wm": signature_parametric_wm, "match_category": signature_match_category}


def draw_task(analyses: Sequence[TaskRunAnalysis], out: str | Path, formats: Sequence[str] = ("png",)) -> list[Path]:
    """The figures of the first run (trajectories, signature figures) and every run's spectrum."""
    out = Path(out)
    main = analyses[0]
    written: list[Path] = []
    for a in analyses:
        written += save_figure(tf_.spectrum(a.base.spectrum.eigenvalues, f"W_rec spectrum — {a.label}"),
                               out / f"spectrum_{a.label}", formats)
    written += save_figure(trajectory_figure(main), out / f"trajectories_{main.label}", formats)
    for name, fig in SIGNATURES[main.base.task.name](main).items():
        written += save_figure(fig, out / f"{name}_{main.label}", formats)
    return written


# ---------------------------------------------------------------- report


def fixed_point_sentence(task, f: FixedPointSet) -> str:
    """One sentence with numbers: how many fixed points, what they encode, how slow."""
    where = f"at the {f.tag.replace('_', ' ')} input ({f.period} period)"
    if not len(f.points):
        return f"No fixed point found {where}."
    gap = np.abs(1.0 - np.abs(f.slow_values))
    var = {"choice": "the choice (0 = choice 1, 1 = choice 2)", "f1": "f1", "sample_cat": "the sample category"}[
        DECODED[task.name]]
    unit = " Hz" if DECODED[task.name] == "f1" else ""
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
    return (f"{kind} {where}: {len(f.points)} fixed point(s), {n_stable} stable, at which a linear decoder "
            f"reads {var} = {f.decoded.min():.3g}" + (f" to {f.decoded.max():.3g}" if len(f.points) > 1 else "") +
            f"{unit}; the slowest eigenvalue is within {gap.min():.3g} of 1 (a time constant of {tau * task.dt_ms:.0f} ms; "
            f"median over points {np.median(gap):.3g}); the series' states at the end of the {f.period} period "
            f"move by {f.end_speed:.2g} of their norm per step.")


def task_report(analyses: Sequence[TaskRunAnalysis], timings: dict | None = None,
                files: Sequence[str | Path] = ()) -> str:
    """The Markdown section of a decision task: bars, behaviour numbers, spectrum, fixed points,
    with its figure ``files`` and provenance (flipflop version, git commit, date)."""
    from flipflop.report import figure_names, provenance

    task = analyses[0].base.task.name
    lines = [f"# Report: {task}", "",
             f"Generated by `flipflop figures` / `flipflop reproduce --task {task}` ({provenance()}). Behaviour is "
             f"measured on {analyses[0].evaluation['n_trials']} fresh noisy trials (seed "
             f"{analyses[0].evaluation['seed']}); fixation breaks count as errors.", "",
             figure_names(files, ""), "",
             "| network | accuracy | masked MSE | fixation breaks | spectral radius | bars met |",
             "|---|---|---|---|---|---|"]
    for t in analyses:
        e = t.evaluation
        met = sum(b["met"] for b in e["bars"])
        lines.append(f"| {t.label} | {e['accuracy']:.4f} | {e['mse']:.4f} | {e['fixation_breaks']:.4f} | "
                     f"{t.base.spectrum.spectral_radius:.3f} | {met}/{len(e['bars'])} |")
    lines += ["", "## Bars", "", "| network | measure | value | bar | met |", "|---|---|---|---|---|"]
    for t in analyses:
        for b in t.evaluation["bars"]:
            v = "–" if b["value"] is None else f"{b['value']:.4g}"
            lines.append(f"| {t.label} | {b['name']} | {v} | {b['rule']} | {'yes' if b['met'] else '**no**'} |")
    lines += ["", "## Fixed points", ""]
    for t in analyses:
        if not t.fixed_points:
            lines.append(f"- {t.label}: not computed (use --fixed-points).")
        for f in t.fixed_points:
            lines.append(f"- {t.label}: {fixed_point_sentence(t.base.task, f)}")
    if task == "match_category":
        onsets, _ = category_onsets(analyses[0].base)
        ok = np.isfinite(onsets)
        dt = analyses[0].base.task.dt_ms
        lines += ["", f"Category selectivity (index > 0.5 for 100 ms): {int(ok.sum())} of {len(onsets)} units of "
                      f"{analyses[0].label}" + (f", median onset {np.median(onsets[ok]) * dt:.0f} ms after sample "
                                                f"onset." if ok.any() else ".")]
    if timings:
        lines += ["", "## Where the time went", ""] + [f"- {k}: {v:.1f} s" for k, v in timings.items()]
    return "\n".join(lines) + "\n"


def task_figures_from_runs(paths: Sequence[str | Path], out: str | Path, formats: Sequence[str] = ("png",),
                           fixed_points: bool | str = "cached", log: Callable[[str], None] = print,
                           timings: dict | None = None, fixed_points_for: int | None = None) -> list[Path]:
    """Analyse decision-task runs (all of one task), draw their figures and write ``REPORT.md``."""
    t0 = time.perf_counter()
    limit = len(paths) if fixed_points_for is None else fixed_points_for

    def say(item: tuple, k: int, n: int) -> str:
        return f"    analysing {item[1]} ({k}/{n})"

    analyses = [analyse_task_run(p, fixed_points=fixed_points if i < limit else "cached")
                for i, p in each(list(enumerate(paths)), "runs", say, log, "analyses")]
    names = {t.base.task.name for t in analyses}
    if len(names) > 1:
        raise FlipFlopError(f"runs of different tasks ({', '.join(sorted(names))}) cannot share one report")
    out = ensure_writable_dir(out)
    t1 = time.perf_counter()
    written = draw_task(analyses, out, formats)
    t2 = time.perf_counter()
    timings = {**(timings or {}), "analyses (evaluation, trajectories, fixed points)": t1 - t0,
               "drawing and saving figures": t2 - t1}
    write_text(out / "REPORT.md", task_report(analyses, timings, written))
    log(f"wrote {len(written)} figures and REPORT.md to {out}")
    return written + [out / "REPORT.md"]
