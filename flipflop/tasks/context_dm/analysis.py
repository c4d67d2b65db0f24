"""The analysis of context-dependent decision making (Mante et al. 2013): psychometric curves
per context and their bars, a line of fixed points per context at zero coherence, and the
state space along the targeted choice and sensory axes."""
from __future__ import annotations

import numpy as np
from matplotlib.figure import Figure

from flipflop.analysis.activity import condition_means, project_axes, targeted_axes
from flipflop.analysis.behaviour import accuracy_where, bar, logistic_fit, number, psychometric
from flipflop.tasks.base import Task, Trials
from flipflop.tasks.context_dm.figures import context_curves, mante_state_space
from flipflop.tasks.context_dm.task import CONTEXTS
from flipflop.tasks.decision import zero_evidence
from flipflop.tasks.default_analysis import DEFAULT
from flipflop.tasks.spec import Colouring, Decoded, FigureSpec, FixedPointInput, RunAnalysis


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
    panels = []
    for k, context in enumerate(CONTEXTS):
        mine = c["context"] == k
        fp = a.fixed_points_at(f"{context}_context")
        for j, feature in ((1, "motion"), (2, "colour")):
            keys, means = condition_means(a.hidden[mine], c[feature][mine], choice[mine])
            xy = project_axes(means, axes[[0, j]], mean)
            panel = {"xy": xy, "values": keys[:, 0], "labels": ("choice axis", f"{feature} axis"),
                     "title": f"{context} context, sorted by {feature}"}
            if fp is not None and len(fp.points):
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
    figures=DEFAULT.figures + (
        FigureSpec("context_curves", context_curves_figure,
                   caption="P(choice 1) against motion and colour coherence, in each context"),
        FigureSpec("mante_state_space", mante_figure,
                   caption="trajectories along the choice and sensory axes, with the line of fixed points")))
