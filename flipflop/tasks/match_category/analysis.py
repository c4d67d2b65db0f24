"""The analysis of delayed match-to-category (Freedman & Assad 2006): accuracy by category pair
and near the boundary, fixed points at the delay's input decoded as the sample category, the
category pairs' trajectories, and when units become category selective."""
from __future__ import annotations

from dataclasses import replace
from typing import Sequence

import numpy as np
from matplotlib.figure import Figure

from flipflop.analysis.memory import delay_memory
from flipflop.dynamics.search import period_input
from flipflop.dynamics.step import hidden_states, recurrent_step
from flipflop.plotting.memory import decoded_memory_figure, slow_points_figure

from flipflop.analysis.activity import condition_means, outputs, project
from flipflop.analysis.behaviour import accuracy_by, bar, bar_lines, correct, number, rate
from flipflop.analysis.selectivity import category_selectivity, selectivity_onsets
from flipflop.tasks.base import Task, Trials
from flipflop.tasks.default_analysis import DEFAULT, delay_search_intro, sections, slow_point_starts
from flipflop.tasks.match_category.figures import category_accuracy, category_trajectories, onset_histogram
from flipflop.tasks.spec import EVALUATION_SEED, Colouring, Decoded, FigureSpec, FixedPointInput, Generalisation, RunAnalysis

NEAR_BOUNDARY_DEG = 15.0  # a direction within this of the boundary is "near"
LONG_DELAYS_MS = (1000.0, 2000.0, 3000.0)
ACCURACY_2S = 0.95  # the bar at 2 s delays (issue 22)
RELAX_STEPS = 500  # how long (steps) the delay states are held at the delay input to find their attractor


def fixed_delay(task: Task, ms: float) -> Task:
    """The task with every delay ``ms`` long (no tail)."""
    return replace(task, delay_ms=(ms, ms), delay_tail_p=0.0)


def trained_max_delay(task: Task) -> float:
    return max(task.delay_ms[1], task.delay_tail_ms if task.delay_tail_p > 0 else 0.0)  # type: ignore[attr-defined]


def attractor_sets(model, ends: np.ndarray, categories: np.ndarray, u: np.ndarray, read, steps: int = RELAX_STEPS,
                   tol: float = 0.05) -> dict:
    """Where the delay-end states go when the delay never ends: each state held ``steps``
    steps at the delay input ``u``, then grouped (within ``tol``); per category, how many
    groups its states end in and the fraction whose category ``read`` still decodes."""
    from flipflop.dynamics.points import deduplicate

    h = np.asarray(ends, np.float32)
    for _ in range(steps):
        h = recurrent_step(model, h, u)
    moved = float(np.median(np.linalg.norm(recurrent_step(model, h, u) - h, axis=1)))
    kept = (read(h) > 0.5) == (np.asarray(categories) > 0.5)
    out = {"steps": steps, "final_speed": moved, "by_category": []}
    for c in (0, 1):
        mine = h[np.asarray(categories) == c]
        groups = deduplicate(mine, np.zeros(len(mine)), tol)
        out["by_category"].append({"category": c, "states": int(len(mine)), "end_groups": int(len(groups)),
                                   "kept": float(np.mean(kept[np.asarray(categories) == c]))})
    return out


def mechanisms(a: RunAnalysis) -> dict:
    """Stable points at the delay input per decoded category, where the delay states settle,
    and the category decoded through delays up to 3 s (fresh trials)."""
    task, n = a.task, a.spec.mechanism_trials
    trained = task.generate(n, [EVALUATION_SEED, 22])
    long = {ms: fixed_delay(task, ms).generate(n, [EVALUATION_SEED, 23, int(ms)]) for ms in LONG_DELAYS_MS}
    u = period_input(task, "delay", 0, a.series)
    out = delay_memory(a.model, trained, long, "delay", "sample_cat", u, n_init=slow_point_starts(a),
                       max_iters=a.spec.mechanism_iters,
                       categorical=True)
    p = out["points"]
    stable = np.asarray(p["stable"], bool) & np.asarray(p["fixed"], bool)
    decoded = np.asarray(p["decoded"]) > 0.5
    out["stable_by_category"] = [int(np.sum(stable & ~decoded)), int(np.sum(stable & decoded))]
    from flipflop.analysis.memory import category_decoder, period_states

    hidden = hidden_states(a.model, trained.inputs)
    states, trial = period_states(hidden, trained.periods, "delay", skip=5)
    decoder = category_decoder(states, trained.conditions["sample_cat"][trial])
    stop = trained.periods["delay"][:, 1] - 1
    out["attractors"] = attractor_sets(a.model, hidden[np.arange(len(stop)), stop], trained.conditions["sample_cat"], u,
                                       lambda x: decoder.predict_proba(np.asarray(x, np.float64))[:, 1])
    at2 = fixed_delay(task, 2000.0).generate(n, [EVALUATION_SEED, 24])
    out["accuracy_2s"] = task.score(outputs(a.model, at2.inputs), at2)["accuracy"]
    out["trained_max_delay_ms"] = trained_max_delay(task)
    sets = out["attractors"]["by_category"]
    held = all(c["kept"] >= 0.95 for c in sets)
    two = min(out["stable_by_category"]) >= 1 or held
    out["bars"] = [
        bar("category attractors: stable points per category (0 / 1)", float(min(out["stable_by_category"])), two,
            f">= 1 each (or every category's delay states held {RELAX_STEPS} steps keep it, >= 95 %: "
            f"{sets[0]['kept']:.0%} / {sets[1]['kept']:.0%}); found {out['stable_by_category'][0]} / "
            f"{out['stable_by_category'][1]}"),
        bar("accuracy with 2 s delays", out["accuracy_2s"], out["accuracy_2s"] >= ACCURACY_2S, f">= {ACCURACY_2S}")]
    return out


def generalisation(task: Task) -> tuple[Generalisation, ...]:
    """Directions between the trained ones, longer delays, NeuroGym's timing."""
    cases = [Generalisation("conditions", "directions a quarter spacing off (near the boundary)",
                            replace(task, direction_offset=0.25)),
             Generalisation("conditions", "directions three quarters off", replace(task, direction_offset=0.75))]
    longest = trained_max_delay(task)
    for ms in sorted({1000.0, 1500.0, 2000.0, 3000.0, 2 * longest, 3 * longest}):
        if ms > longest:
            cases.append(Generalisation("delays", f"delay {ms:g} ms ({ms / longest:.1f}x trained max)",
                                        fixed_delay(task, ms)))
    cases.append(Generalisation("timing", "NeuroGym (500/650/1000/650 ms)",
                                replace(task, fixation_ms=500.0, sample_ms=650.0, delay_ms=(1000.0, 1000.0),
                                        delay_tail_p=0.0, test_ms=650.0)))
    return tuple(cases)


def mechanism_lines(a: RunAnalysis) -> list[str]:
    m = a.mechanisms
    if not m:
        return []
    s, sets = m["slow"], m["attractors"]
    lines = ["", "## Mechanism: category attractors", "",
             delay_search_intro(a) +
             f"{s['n_fixed']} fixed points, {s['n_stable_fixed']} stable; by the category a logistic decoder of the "
             f"delay states reads there: {m['stable_by_category'][0]} (category 0) and "
             f"{m['stable_by_category'][1]} (category 1). Delay-end states held {sets['steps']} steps "
             f"({sets['steps'] * a.task.dt_ms / 1000:g} s) at the delay input end in "
             + " and ".join(f"{c['end_groups']} group(s) (category {c['category']}, {c['kept']:.0%} still decoded "
                            "as their category)" for c in sets["by_category"])
             + f"; final speed {sets['final_speed']:.2g} per step.", "",
             "| delay (ms) | trials | category decoded at the delay's end |", "|---|---|---|"]
    lines += [f"| {d['delay_ms']:g} | {d['n']} | {d['end_accuracy']:.3f} |" for d in m["delays"]]
    lines += ["", f"Accuracy with 2 s delays: {m['accuracy_2s']:.3f} ({a.spec.mechanism_trials} fresh trials)."]
    lines += bar_lines(m["bars"])
    return lines


def attractor_figure(a: RunAnalysis) -> Figure | None:
    """Delay trajectories by sample direction's category with the delay's fixed points,
    coloured by the decoded probability of category 1."""
    if not a.mechanisms:
        return None
    c = a.series.conditions
    keys, means = condition_means(a.hidden, c["sample_dir"])
    start, stop = a.series.periods["delay"][0]
    pca = project(means[:, start:stop], n_components=2, method="pca")
    p = a.mechanisms["points"]
    pts = np.asarray(p["states"], np.float64).reshape(-1, a.hidden.shape[-1])
    cats = a.task.category(keys[:, 0]).astype(float)  # type: ignore[attr-defined]
    return slow_points_figure(pca.projected, cats, pca.transform(pts) if len(pts) else np.zeros((0, 2)),
                              np.asarray(p["decoded"]), np.asarray(p["stable"]) & np.asarray(p["fixed"]),
                              "sample category (trajectories); P(category 1) decoded (points)",
                              f"{a.label}: delay attractors", cmap="coolwarm", value_range=(0.0, 1.0))


def memory_figure(a: RunAnalysis) -> Figure | None:
    return decoded_memory_figure(a.mechanisms["delays"], a.task.dt_ms, "P(category 1) decoded",
                                 f"{a.label}: sample category decoded through the delay (mean per category)",
                                 cmap="coolwarm") if a.mechanisms else None


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
    return sections(analyses, reference, files) + mechanism_lines(analyses[0]) + [
        "", f"Category selectivity (index > 0.5 for 100 ms): {int(ok.sum())} of {len(onsets)} units of "
            f"{analyses[0].label}" + (f", median onset {np.median(onsets[ok]) * dt:.0f} ms after sample onset."
                                      if ok.any() else ".")]


ANALYSIS = DEFAULT.replace(
    behaviour=behaviour, bars=bars, describe=describe,
    fixed_points=(FixedPointInput("delay", "delay", lambda c: np.ones(len(c["sample_dir"]), bool)),),
    decoded=Decoded("sample_cat", "the sample category"),
    colour_by=Colouring("sample_dir", "sample direction (deg)", circular=True),
    sections=report_sections, mechanisms=mechanisms, generalisation=generalisation,
    figures=DEFAULT.figures + (
        FigureSpec("category_attractors", attractor_figure,
                   caption="the delay's fixed points, coloured by the decoded category, on the delay trajectories"),
        FigureSpec("decoded_memory", memory_figure, caption="the sample category decoded through delays of 1-3 s"),
        FigureSpec("category_accuracy", accuracy_figure, caption="accuracy by category pair and near the boundary"),
        FigureSpec("category_trajectories", trajectories_figure, caption="the four category pairs' trajectories"),
        FigureSpec("selectivity_onsets", onsets_figure, caption="when units become category selective")))
