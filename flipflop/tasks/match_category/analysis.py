"""The analysis of delayed match-to-category (Freedman & Assad 2006): accuracy by category pair
and near the boundary, fixed points at the delay's input decoded as the sample category, the
category pairs' trajectories, and when units become category selective."""
from __future__ import annotations

from typing import Sequence

import numpy as np
from matplotlib.figure import Figure

from flipflop.analysis.activity import condition_means, project
from flipflop.analysis.behaviour import accuracy_by, bar, correct, number, rate
from flipflop.analysis.selectivity import category_selectivity, selectivity_onsets
from flipflop.tasks.base import Task, Trials
from flipflop.tasks.default_analysis import DEFAULT, sections
from flipflop.tasks.match_category.figures import category_accuracy, category_trajectories, onset_histogram
from flipflop.tasks.spec import Colouring, Decoded, FigureSpec, FixedPointInput, RunAnalysis

NEAR_BOUNDARY_DEG = 15.0  # a direction within this of the boundary is "near"


def behaviour(task: Task, outputs: np.ndarray, trials: Trials) -> dict:
    """Accuracy by (sample, test) category pair, and for trials with a direction near the
    boundary (within ``NEAR_BOUNDARY_DEG``, sample or test) against the others."""
    choice, broke = task.choices(outputs, trials)  # type: ignore[attr-defined]
    c = trials.conditions
    hits = correct(choice, broke, c)
    rows = accuracy_by(hits, c["sample_cat"], c["test_cat"])
    distance = np.minimum(task.boundary_distance(c["sample_dir"]),  # type: ignore[attr-defined]
                          task.boundary_distance(c["test_dir"]))  # type: ignore[attr-defined]
    near = distance <= NEAR_BOUNDARY_DEG + 1e-9
    return {"categories": [{"sample_cat": int(r["key"][0]), "test_cat": int(r["key"][1]),
                            "accuracy": r["accuracy"], "n": r["n"]} for r in rows],
            "boundary": {"near_deg": NEAR_BOUNDARY_DEG, "near": rate(hits[near]), "away": rate(hits[~near])}}


def bars(task: Task, outputs: np.ndarray, trials: Trials, b: dict) -> list[dict]:
    """>= 95 % correct on trials whose sample and test are both away from the boundary."""
    away = b["boundary"]["away"]["accuracy"]
    return [bar(f"accuracy > {b['boundary']['near_deg']:g} deg from the boundary", away,
                away is not None and away >= 0.95, ">= 0.95")]


def describe(result: dict) -> list[str]:
    bd = result["boundary"]
    return ["  by (sample, test) category: " + ", ".join(
                f"{r['sample_cat']}{r['test_cat']}: {r['accuracy']:.3f}" for r in result["categories"]),
            f"  near the boundary (<= {bd['near_deg']:g} deg): {number(bd['near']['accuracy'])} "
            f"(n={bd['near']['n']}); away: {number(bd['away']['accuracy'])} (n={bd['away']['n']})"]


def category_onsets(a: RunAnalysis) -> tuple[np.ndarray, int]:
    """Steps after sample onset at which each unit becomes category selective (sample and delay
    periods only: the test stimulus then mixes in), and the sample onset step."""
    c = a.series.conditions
    dirs, rates = condition_means(a.hidden, c["sample_dir"])
    index = category_selectivity(rates, a.task.category(dirs[:, 0]))  # type: ignore[attr-defined]
    start, stop = int(a.series.periods["sample"][0, 0]), int(a.series.periods["test"][0, 0])
    return selectivity_onsets(index[:stop], start), start  # before the test mixes in its direction


def _epochs(a: RunAnalysis) -> dict[str, tuple[int, int]]:
    return {name: tuple(int(v) for v in span[0]) for name, span in a.series.periods.items()}


def accuracy_figure(a: RunAnalysis) -> Figure:
    e = a.evaluation
    return category_accuracy([f"S{r['sample_cat']} T{r['test_cat']}" for r in e["categories"]],
                             [r["accuracy"] for r in e["categories"]], e["boundary"]["near"]["accuracy"],
                             e["boundary"]["away"]["accuracy"], f"{a.label}: accuracy")


def trajectories_figure(a: RunAnalysis) -> Figure:
    c = a.series.conditions
    keys, means = condition_means(a.hidden, c["sample_cat"], c["test_cat"])
    pca = project(means, n_components=3, method="pca")
    return category_trajectories(pca.projected, [tuple(k) for k in keys.astype(int)], a.task.dt_ms, _epochs(a),
                                 f"{a.label}: category pairs")


def onsets_figure(a: RunAnalysis) -> Figure:
    onsets, start = category_onsets(a)
    epochs = {n: (s - start) * a.task.dt_ms for n, (s, _) in _epochs(a).items() if s > start and n != "test"}
    return onset_histogram(onsets * a.task.dt_ms, epochs, f"{a.label}")


def report_sections(analyses: Sequence[RunAnalysis], reference: RunAnalysis | None = None,
                    files: Sequence[str] = ()) -> list[str]:
    """The generic sections, then how many units of the main run become category selective."""
    onsets, _ = category_onsets(analyses[0])
    ok = np.isfinite(onsets)
    dt = analyses[0].task.dt_ms
    return sections(analyses, reference, files) + [
        "", f"Category selectivity (index > 0.5 for 100 ms): {int(ok.sum())} of {len(onsets)} units of "
            f"{analyses[0].label}" + (f", median onset {np.median(onsets[ok]) * dt:.0f} ms after sample onset."
                                      if ok.any() else ".")]


ANALYSIS = DEFAULT.replace(
    behaviour=behaviour, bars=bars, describe=describe,
    fixed_points=(FixedPointInput("delay", "delay", lambda c: np.ones(len(c["sample_dir"]), bool)),),
    decoded=Decoded("sample_cat", "the sample category"),
    colour_by=Colouring("sample_dir", "sample direction (deg)", circular=True),
    sections=report_sections,
    figures=DEFAULT.figures + (
        FigureSpec("category_accuracy", accuracy_figure, caption="accuracy by category pair and near the boundary"),
        FigureSpec("category_trajectories", trajectories_figure, caption="the four category pairs' trajectories"),
        FigureSpec("selectivity_onsets", onsets_figure, caption="when units become category selective")))
