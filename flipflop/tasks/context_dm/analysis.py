"""The analysis of context-dependent decision making (Mante et al. 2013): psychometric curves
per context and their bars, a line of fixed points per context at zero coherence, and the
state space along the targeted choice and sensory axes."""
from __future__ import annotations

from dataclasses import replace

import numpy as np
from matplotlib.figure import Figure

from flipflop.analysis.activity import condition_means, outputs, project_axes, targeted_axes
from flipflop.analysis.manifold import axis_angle, principal_axis, selection, slow_points
from flipflop.analysis.memory import period_states
from flipflop.analysis.rules import rules
from flipflop.dynamics.search import period_input
from flipflop.dynamics.step import hidden_states
from flipflop.analysis.behaviour import accuracy_where, bar, bar_lines, logistic_fit, number, psychometric
from flipflop.tasks.base import Task, Trials
from flipflop.tasks.context_dm.figures import context_curves, mante_state_space
from flipflop.tasks.context_dm.task import CONTEXTS
from flipflop.tasks.decision import zero_evidence
from flipflop.tasks.default_analysis import DEFAULT, sections, slow_point_starts
from flipflop.tasks.spec import EVALUATION_SEED, Colouring, Decoded, FigureSpec, FixedPointInput, Generalisation, RunAnalysis

# The bars of Mante et al.'s mechanism (issue 22)
ANGLE_DEG, SELECTION_RATIO, IDEAL_GAP, DELAY_MS, DELAY_FRACTION = 25.0, 3.0, 0.03, 1000.0, 0.95
CHANNELS = {"motion": (1, 2), "colour": (3, 4)}  # (+evidence, -evidence) input channels


def choice_axes(a: RunAnalysis) -> np.ndarray:
    """Mante et al.'s orthonormal axes (choice, motion, colour, context) of the analysis series,
    each regressor's at its step of largest coefficient norm within the stimulus period (the
    period Mante et al. analysed, and the one whose input the line of slow points is found at;
    over the whole trial the choice's coefficient peaks in the decision period, after the go
    cue, where the states have left the line)."""
    c = a.series.conditions
    choice = np.where(a.task.choices(a.outputs, a.series)[0] == 0, 1.0, -1.0)  # type: ignore[attr-defined]
    regs = np.stack([choice, c["motion"], c["colour"], np.where(c["context"] == 0, 1.0, -1.0)], axis=1)
    span = a.series.periods["stimulus"]  # the noise-free series: the same steps in every trial
    return targeted_axes(a.hidden[:, int(span[:, 0].max()):int(span[:, 1].min())], regs)[0]


def mechanisms(a: RunAnalysis) -> dict:
    """Per context: the line of slow points at zero evidence against the choice axis, and the
    selection vector's projection on each input; accuracy against the ideal observer at every
    trained coherence; accuracy with a variable delay of up to 1 s (fresh trials)."""
    task, n = a.task, a.spec.mechanism_trials
    axes = choice_axes(a)
    fresh = task.generate(n, [EVALUATION_SEED, 22])
    hidden = hidden_states(a.model, fresh.inputs)
    out = {"contexts": {}}
    for k, name in enumerate(CONTEXTS):
        mine = fresh.conditions["context"] == k
        states, _ = period_states(hidden[mine], {p: v[mine] for p, v in fresh.periods.items()}, "stimulus", skip=5)
        first = int(np.flatnonzero(a.series.conditions["context"] == k)[0])
        u = zero_evidence(task, period_input(task, "stimulus", first, a.series))
        sp = slow_points(a.model, u, states, n_init=slow_point_starts(a), max_iters=a.spec.mechanism_iters)
        line = sp.points[sp.on_line]
        row = {"n_line": int(len(line)), "n_fixed": int(sp.fixed.sum()), "n_stable": int((sp.fixed & sp.stable).sum())}
        if len(line) >= 2:
            row["angle_deg"] = axis_angle(principal_axis(line), axes[0])
            row["extent_on_choice"] = float(np.ptp(line @ axes[0]))
        else:
            row["angle_deg"], row["extent_on_choice"] = float("nan"), 0.0
        pts = line if len(line) else sp.points[:8]
        if len(pts):
            sel = selection(a.model, pts, u, CHANNELS)
            other = "colour" if name == "motion" else "motion"
            rel, irr = sel["selection"][name], sel["selection"][other]
            row.update(selection=sel["selection"], alignment=sel["alignment"], slow_mode=sel["slow_mode"],
                       ratio=rel / irr if irr > 0 else float("inf"), points_used=int(len(pts)),
                       points=np.round(pts[:32], 5).tolist(),
                       left=np.round(sel["left"][:32], 5).tolist())
        else:
            row.update(ratio=float("nan"), points_used=0)
        out["contexts"][name] = row
    behaviourals = task.generate(5 * n, [EVALUATION_SEED, 27])
    outs = outputs(a.model, behaviourals.inputs)
    c = behaviourals.conditions
    out["by_coherence"] = [{"context": name, "coherence": float(level),
                            **rules(task, outs, behaviourals, (c["context"] == k) & (np.abs(c["coherence"]) == level))}
                           for k, name in enumerate(CONTEXTS) for level in sorted(set(task.coherences) - {0.0})]  # type: ignore[attr-defined]
    delayed = replace(task, delay_ms=(0.0, DELAY_MS), delay_tail_p=0.0)
    d = delayed.generate(5 * n, [EVALUATION_SEED, 28])
    out["delay_1s"] = rules(delayed, outputs(a.model, d.inputs), d)
    out["trained_delay_ms"] = list(task.delay_ms)  # type: ignore[attr-defined]
    out["bars"] = mechanism_bars(out)
    return out


def mechanism_bars(m: dict) -> list[dict]:
    out = []
    for name, row in m["contexts"].items():
        out.append(bar(f"{name} context: slow-point line's first axis against the choice axis (deg)", row["angle_deg"],
                       bool(np.isfinite(row["angle_deg"]) and row["angle_deg"] <= ANGLE_DEG),
                       f"<= {ANGLE_DEG:g} ({row['n_line']} line points)"))
        out.append(bar(f"{name} context: selection vector on relevant / irrelevant input", row["ratio"],
                       bool(np.isfinite(row["ratio"]) and row["ratio"] >= SELECTION_RATIO), f">= {SELECTION_RATIO:g}"))
    gaps = [r["ideal"] - r["ours"] for r in m["by_coherence"]]
    out.append(bar("largest shortfall from the ideal observer over trained coherences and contexts", max(gaps),
                   max(gaps) <= IDEAL_GAP, f"<= {IDEAL_GAP:g}"))
    d = m["delay_1s"]
    out.append(bar(f"accuracy with a variable delay of 0-{DELAY_MS:g} ms, over the ideal observer's", d["ours"] / d["ideal"],
                   d["ours"] / d["ideal"] >= DELAY_FRACTION,
                   f">= {DELAY_FRACTION:g} (accuracy {d['ours']:.3f}, ideal {d['ideal']:.3f}: 0.95 itself is above the "
                   "ideal observer's)"))
    return out


def generalisation(task: Task) -> tuple[Generalisation, ...]:
    """Coherences between and beyond the trained ones, delays, NeuroGym's timing."""
    cases = [Generalisation("conditions", f"coherence {c:g} %", replace(task, coherences=(c,)))
             for c in (2.5, 10.0, 25.0, 35.0, 75.0)]
    cases += [Generalisation("delays", f"delay {lo:g}-{hi:g} ms", replace(task, delay_ms=(lo, hi), delay_tail_p=0.0))
              for lo, hi in ((300.0, 1000.0), (1000.0, 1000.0), (2000.0, 2000.0), (3000.0, 3000.0))]
    cases.append(Generalisation("timing", "NeuroGym (300/750/300-900, 10 % to 3000/100 ms, no grace)",
                                replace(task, fixation_ms=300.0, stimulus_ms=750.0, delay_ms=(300.0, 900.0),
                                        delay_tail_p=0.1, delay_tail_ms=3000.0, decision_ms=100.0, grace_ms=0.0)))
    return tuple(cases)


def mechanism_lines(analyses, reference=None, files=()) -> list[str]:
    a = analyses[0]
    m = a.mechanisms
    if not m:
        return []
    lines = ["", "## Mechanism: Mante et al.'s selection", "",
             "| context | line points (fixed / stable) | line's axis vs choice axis | selection on motion / colour | "
             "relevant / irrelevant | input alignment with the line, motion / colour |", "|---|---|---|---|---|---|"]
    for name, r in m["contexts"].items():
        sel, al = r.get("selection", {}), r.get("alignment", {})
        lines.append(f"| {name} | {r['n_line']} ({r['n_fixed']} / {r['n_stable']}) | {r['angle_deg']:.1f} deg | "
                     f"{sel.get('motion', float('nan')):.3g} / {sel.get('colour', float('nan')):.3g} | {r['ratio']:.2f} | "
                     f"{al.get('motion', float('nan')):.2f} / {al.get('colour', float('nan')):.2f} |")
    lines += ["", "| context | coherence (%) | trials | ours | NeuroGym's rule | ideal |", "|---|---|---|---|---|---|"]
    lines += [f"| {r['context']} | {r['coherence']:g} | {r['n']} | {r['ours']:.3f} | {r['neurogym']:.3f} | "
              f"{r['ideal']:.3f} |" for r in m["by_coherence"]]
    d = m["delay_1s"]
    lines += ["", f"With a variable delay of 0-{DELAY_MS:g} ms ({d['n']} trials): {d['ours']:.3f} (ours), "
                  f"{d['neurogym']:.3f} (NeuroGym's rule), ideal {d['ideal']:.3f}; trained delays "
                  f"{m['trained_delay_ms'][0]:g}-{m['trained_delay_ms'][1]:g} ms."]
    lines += bar_lines(m["bars"])
    return lines


def behaviour(task: Task, outputs: np.ndarray, trials: Trials) -> dict:
    """In each context: P(choice 1) against the motion and against the colour coherence
    (Mante et al.'s Fig. 1), and a joint logistic fit giving a slope for each feature
    (the relevant one steep, the irrelevant one flat when the context is obeyed)."""
    choice, broke = task.choices(outputs, trials)  # type: ignore[attr-defined]
    conditions, out = trials.conditions, {}
    for context, name in enumerate(CONTEXTS):
        kept = ~broke & (conditions["context"] == context)
        chose_1 = choice[kept] == 0
        fit = logistic_fit(np.stack([conditions["motion"][kept], conditions["colour"][kept]], axis=1), chose_1)
        out[name] = {"relevant": name,
                     "curves": {f: psychometric(conditions[f][kept], chose_1) for f in CONTEXTS},
                     "slopes": dict(zip(CONTEXTS, fit["slopes"])), "bias": fit["bias"]}
    return {"contexts": out}


def bars(task: Task, outputs: np.ndarray, trials: Trials, b: dict) -> list[dict]:
    """In each context: >= 95 % correct at the highest relevant coherence, and the logistic
    slope of the irrelevant feature <= 10 % of the relevant one's."""
    out = []
    cued = np.abs(trials.conditions["coherence"])
    for context, name in enumerate(CONTEXTS):
        keep = (trials.conditions["context"] == context) & (cued == cued.max())
        acc = accuracy_where(task, outputs, trials, keep)
        out.append(bar(f"{name} context: accuracy at {cued.max():g} % relevant coherence", acc, acc >= 0.95,
                       ">= 0.95"))
        slopes = b["contexts"][name]["slopes"]
        other = "colour" if name == "motion" else "motion"
        rel, irr = slopes[name], slopes[other]
        ratio = abs(irr) / abs(rel) if rel not in (None, 0) and irr is not None else None
        out.append(bar(f"{name} context: |irrelevant slope| / relevant slope", ratio,
                       ratio is not None and ratio <= 0.10, "<= 0.10"))
    return out


def describe(result: dict) -> list[str]:
    return [f"  {name} context: slopes motion {number(ctx['slopes']['motion'])}, "
            f"colour {number(ctx['slopes']['colour'])} /%" for name, ctx in result["contexts"].items()]


def context_panels(a: RunAnalysis) -> list[dict]:
    """The panels of Mante et al.'s state space: per context, trajectories sorted by motion
    and by colour along the choice axis and that feature's axis, with the context's fixed
    points and their slow directions."""
    c = a.series.conditions
    choice = np.where(a.task.choices(a.outputs, a.series)[0] == 0, 1.0, -1.0)  # type: ignore[attr-defined]
    regs = np.stack([choice, c["motion"], c["colour"], np.where(c["context"] == 0, 1.0, -1.0)], axis=1)
    axes, _ = targeted_axes(a.hidden, regs)
    mean = a.hidden.reshape(-1, a.hidden.shape[-1]).mean(axis=0)
    start, stop = (int(v) for v in a.series.periods["stimulus"][0])  # Mante et al.: the stimulus period only
    panels = []
    for k, context in enumerate(CONTEXTS):
        mine = c["context"] == k
        fp = a.fixed_points_at(f"{context}_context")
        for j, feature in ((1, "motion"), (2, "colour")):
            keys, means = condition_means(a.hidden[mine], c[feature][mine], choice[mine])
            xy = project_axes(means[:, start:stop], axes[[0, j]], mean)
            panel = {"xy": xy, "values": keys[:, 0], "labels": ("choice axis", f"{feature} axis"),
                     "title": f"{context} context, sorted by {feature}"}
            mech = (a.mechanisms or {}).get("contexts", {}).get(context, {})
            if mech.get("points"):  # the line of slow points and its selection vectors
                pts = np.asarray(mech["points"], np.float64)
                panel["points"] = project_axes(pts, axes[[0, j]], mean)
                panel["vectors"] = np.asarray(mech["left"], np.float64) @ axes[[0, j]].T
                panel["vector_label"] = "selection vector"
            elif fp is not None and len(fp.points):
                panel["points"] = project_axes(fp.points, axes[[0, j]], mean)
                panel["vectors"] = fp.slow_vectors @ axes[[0, j]].T
            panels.append(panel)
    return panels


def context_curves_figure(a: RunAnalysis) -> Figure:
    return context_curves(a.evaluation["contexts"], f"{a.label}: psychometric curves")


def mante_figure(a: RunAnalysis) -> Figure:
    return mante_state_space(context_panels(a), f"{a.label}: targeted dimensionality reduction (Mante et al. 2013)")


ANALYSIS = DEFAULT.replace(
    behaviour=behaviour, bars=bars, describe=describe,
    fixed_points=tuple(FixedPointInput(f"{name}_context", "stimulus", lambda c, k=k: c["context"] == k, zero_evidence)
                       for k, name in enumerate(CONTEXTS)),
    decoded=Decoded("choice", "the choice (0 = choice 1, 1 = choice 2)"),
    colour_by=Colouring("coherence", "signed coherence (%)"),
    mechanisms=mechanisms, generalisation=generalisation,
    sections=lambda analyses, reference=None, files=(): sections(analyses, reference, files) + mechanism_lines(analyses),
    figures=DEFAULT.figures + (
        FigureSpec("context_curves", context_curves_figure,
                   caption="P(choice 1) against motion and colour coherence, in each context"),
        FigureSpec("mante_state_space", mante_figure,
                   caption="trajectories along the choice and sensory axes, with the line of fixed points")))
