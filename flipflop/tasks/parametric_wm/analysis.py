"""The analysis of parametric working memory (Romo et al. 1999): accuracy per (f1, f2) pair
and its bar, fixed points at the delay's input decoded as f1, and the delay's line attractor."""
from __future__ import annotations

import numpy as np
from matplotlib.figure import Figure

from flipflop.analysis.activity import condition_means, project
from flipflop.analysis.behaviour import accuracy_by, accuracy_where, bar, correct
from flipflop.tasks.base import Task, Trials
from flipflop.tasks.default_analysis import DEFAULT
from flipflop.tasks.parametric_wm.figures import delay_line_attractor, pair_accuracy
from flipflop.tasks.spec import Colouring, Decoded, FigureSpec, FixedPointInput, RunAnalysis


def behaviour(task: Task, outputs: np.ndarray, trials: Trials) -> dict:
    """Accuracy for every (f1, f2) pair (Hz)."""
    choice, broke = task.choices(outputs, trials)  # type: ignore[attr-defined]
    c = trials.conditions
    rows = accuracy_by(correct(choice, broke, c), c["f1"], c["f2"])
    return {"pairs": [{"f1": r["key"][0], "f2": r["key"][1], "accuracy": r["accuracy"], "n": r["n"]} for r in rows]}


def bars(task: Task, outputs: np.ndarray, trials: Trials, b: dict) -> list[dict]:
    """>= 95 % correct over the published pairs."""
    acc = accuracy_where(task, outputs, trials, np.ones(len(trials), bool))
    return [bar("accuracy over the published pairs", acc, acc >= 0.95, ">= 0.95")]


def describe(result: dict) -> list[str]:
    return ["  by (f1, f2) Hz: " + ", ".join(f"{r['f1']:g}/{r['f2']:g}: {r['accuracy']:.3f}" for r in result["pairs"]),
            f"  worst pair: {min(r['accuracy'] for r in result['pairs']):.3f}"]


def pair_accuracy_figure(a: RunAnalysis) -> Figure:
    pairs = a.evaluation["pairs"]
    return pair_accuracy([r["f1"] for r in pairs], [r["f2"] for r in pairs], [r["accuracy"] for r in pairs],
                         f"{a.label}: accuracy")


def delay_figure(a: RunAnalysis) -> Figure:
    """The delay period's condition-averaged trajectories in their 2 PCs, ending on the line of
    fixed points, with each point's slow eigenvector."""
    keys, means = condition_means(a.hidden, a.series.conditions["f1"])
    start, stop = a.series.periods["delay"][0]
    pca = project(means[:, start - 1:stop], n_components=2, method="pca")
    fp = a.fixed_points_at("delay")
    found = fp is not None and len(fp.points)
    points = pca.transform(fp.points) if found else np.zeros((0, 2))
    vectors = fp.slow_vectors @ pca.components.T if found else np.zeros((0, 2))
    return delay_line_attractor(pca.projected, keys[:, 0], points, vectors, f"{a.label}: delay period and its fixed points")


ANALYSIS = DEFAULT.replace(
    behaviour=behaviour, bars=bars, describe=describe,
    fixed_points=(FixedPointInput("delay", "delay", lambda c: np.ones(len(c["f1"]), bool)),),
    decoded=Decoded("f1", "f1", "Hz"),
    colour_by=Colouring("f1", "f1 (Hz)"),
    figures=DEFAULT.figures + (
        FigureSpec("pair_accuracy", pair_accuracy_figure, caption="accuracy of every (f1, f2) pair"),
        FigureSpec("delay_line_attractor", delay_figure, caption="the delay period and its line of fixed points")))
