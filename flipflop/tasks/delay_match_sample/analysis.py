"""The analysis of delayed match-to-sample: accuracy by sample direction and by match, its bar,
fixed points at the delay's input decoded as the sample direction, and its own figure."""
from __future__ import annotations

import numpy as np
from matplotlib.figure import Figure

from flipflop.analysis.behaviour import accuracy_by, accuracy_where, bar, correct
from flipflop.tasks.base import Task, Trials
from flipflop.tasks.default_analysis import DEFAULT
from flipflop.tasks.delay_match_sample.figures import match_accuracy
from flipflop.tasks.spec import Colouring, Decoded, FigureSpec, FixedPointInput, RunAnalysis


def behaviour(task: Task, outputs: np.ndarray, trials: Trials) -> dict:
    """Accuracy for every (sample direction, match) pair."""
    choice, broke = task.choices(outputs, trials)  # type: ignore[attr-defined]
    c = trials.conditions
    rows = accuracy_by(correct(choice, broke, c), c["sample_dir"], c["match"])
    return {"by_sample": [{"sample_dir": r["key"][0], "match": bool(r["key"][1]), "accuracy": r["accuracy"],
                           "n": r["n"]} for r in rows]}


def bars(task: Task, outputs: np.ndarray, trials: Trials, b: dict) -> list[dict]:
    """>= 90 % correct on match trials, and on non-match trials."""
    out = []
    for match, name in ((True, "match"), (False, "non-match")):
        acc = accuracy_where(task, outputs, trials, trials.conditions["match"] == match)
        out.append(bar(f"accuracy on {name} trials", acc, acc >= 0.9, ">= 0.90"))
    return out


def describe(result: dict) -> list[str]:
    return ["  by sample direction (match / non-match): " + ", ".join(
        f"{r['sample_dir']:g}°{'=' if r['match'] else '≠'}: {r['accuracy']:.3f}" for r in result["by_sample"])]


def match_figure(a: RunAnalysis) -> Figure:
    rows = a.evaluation["by_sample"]
    directions = sorted({r["sample_dir"] for r in rows})
    acc = {(r["sample_dir"], r["match"]): r["accuracy"] for r in rows}
    return match_accuracy(directions, [acc.get((d, True), np.nan) for d in directions],
                          [acc.get((d, False), np.nan) for d in directions], f"{a.label}: accuracy")


ANALYSIS = DEFAULT.replace(
    behaviour=behaviour, bars=bars, describe=describe,
    fixed_points=(FixedPointInput("delay", "delay"),),
    decoded=Decoded("sample_dir", "the sample direction", "deg"),
    colour_by=Colouring("sample_dir", "sample direction (deg)", circular=True),
    figures=DEFAULT.figures + (
        FigureSpec("match_accuracy", match_figure, caption="accuracy per sample direction, match and non-match"),))
