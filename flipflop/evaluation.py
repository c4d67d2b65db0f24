"""``flipflop evaluate``: a trained network's performance and behaviour on fresh trials,
and the primer's bars for each task (what a trained network of the primer must show).

The bars (README, "Tasks of the primer"), measured on fresh noisy trials:

- perceptual DM: >= 97 % correct at the highest coherence; P(choice 1) = 50 +- 6 % at zero
  coherence; the psychometric curve monotonic (non-decreasing in signed coherence);
- context DM: >= 95 % correct at the highest relevant coherence in each context; the
  logistic slope of the irrelevant feature <= 10 % of the relevant one's in each context;
- parametric WM: >= 95 % correct over the published (f1, f2) pairs;
- match-to-category: >= 95 % correct on trials whose sample and test are both more than
  15 deg from the category boundary.

Fixation breaks count as errors in every accuracy (as the task's ``score``) and are left
out of psychometric curves (as the animals' aborted trials).
"""
from __future__ import annotations

from pathlib import Path

import numpy as np

from flipflop import analysis, runs
from flipflop.behaviour import ANALYSES, behaviour
from flipflop.errors import FlipFlopError, check_non_negative_int, check_positive_int
from flipflop.tasks import Task, Trials

DEFAULT_TRIALS = 4000
DEFAULT_SEED = 777  # fresh: training used seeds [seed, 1, epoch], validation [seed, 2], held-out seed + 10000


def bar(name: str, value: float | None, ok: bool, rule: str) -> dict:
    """One bar: what is measured, its value, the rule and whether it is met."""
    return {"name": name, "value": value, "rule": rule, "met": bool(ok)}


def _accuracy_where(task: Task, outputs: np.ndarray, trials: Trials, keep: np.ndarray) -> float:
    choice, broke = task.choices(outputs[keep], trials.subset(keep))  # type: ignore[attr-defined]
    return float(np.mean((choice == trials.conditions["choice"][keep]) & ~broke))


def perceptual_dm_bars(task: Task, outputs: np.ndarray, trials: Trials, b: dict) -> list[dict]:
    coh = np.abs(trials.conditions["coherence"])
    top = _accuracy_where(task, outputs, trials, coh == coh.max())
    curve = b["psychometric"]
    x, p = np.asarray(curve["x"]), np.asarray(curve["p_choice1"])
    p0 = float(p[x == 0][0]) if np.any(x == 0) else None
    # monotonic up to binomial noise: no drop larger than 2 standard errors between neighbours
    n = np.maximum(np.asarray(curve["n"], float), 1)
    se = np.sqrt(p * (1 - p) / n + 1e-12)
    drops = p[:-1] - p[1:]
    tolerance = 2 * np.sqrt(se[:-1] ** 2 + se[1:] ** 2)
    monotonic = bool(np.all(drops <= np.maximum(tolerance, 1e-9)))
    # choice 1 is correct for positive coherence: P(choice 1) rises with coherence
    return [bar(f"accuracy at {coh.max():g} % coherence", top, top >= 0.97, ">= 0.97"),
            bar("P(choice 1) at 0 % coherence", p0, p0 is not None and abs(p0 - 0.5) <= 0.06, "0.50 +- 0.06"),
            bar("psychometric curve monotonic", float(np.max(drops, initial=0.0)), monotonic,
                "no drop beyond 2 s.e. between neighbouring coherences")]


def context_dm_bars(task: Task, outputs: np.ndarray, trials: Trials, b: dict) -> list[dict]:
    out = []
    cued = np.abs(trials.conditions["coherence"])
    for context, name in enumerate(("motion", "colour")):
        keep = (trials.conditions["context"] == context) & (cued == cued.max())
        acc = _accuracy_where(task, outputs, trials, keep)
        out.append(bar(f"{name} context: accuracy at {cued.max():g} % relevant coherence", acc, acc >= 0.95,
                       ">= 0.95"))
        slopes = b["contexts"][name]["slopes"]
        other = "colour" if name == "motion" else "motion"
        rel, irr = slopes[name], slopes[other]
        ratio = abs(irr) / abs(rel) if rel not in (None, 0) and irr is not None else None
        out.append(bar(f"{name} context: |irrelevant slope| / relevant slope", ratio,
                       ratio is not None and ratio <= 0.10, "<= 0.10"))
    return out


def parametric_wm_bars(task: Task, outputs: np.ndarray, trials: Trials, b: dict) -> list[dict]:
    acc = _accuracy_where(task, outputs, trials, np.ones(len(trials), bool))
    return [bar("accuracy over the published pairs", acc, acc >= 0.95, ">= 0.95")]


def match_category_bars(task: Task, outputs: np.ndarray, trials: Trials, b: dict) -> list[dict]:
    away = b["boundary"]["away"]["accuracy"]
    return [bar(f"accuracy > {b['boundary']['near_deg']:g} deg from the boundary", away,
                away is not None and away >= 0.95, ">= 0.95")]


BARS = {"perceptual_dm": perceptual_dm_bars, "context_dm": context_dm_bars,
        "parametric_wm": parametric_wm_bars, "match_category": match_category_bars}


def _check_evaluable(task: Task) -> None:
    if task.name != "flipflop" and (task.name not in ANALYSES or task.name not in BARS):
        raise FlipFlopError(f"no behavioural evaluation for the {task.name} task; "
                            f"there is one for flipflop, {', '.join(BARS)}")


def evaluate_outputs(task: Task, outputs: np.ndarray, trials: Trials) -> dict:
    """Score, behaviour and bars of ``outputs`` on ``trials`` (arrays in, a JSON-able dict out).
    The flip-flop gets its score only (its bars are the training target)."""
    _check_evaluable(task)
    if task.name == "flipflop":
        return {"task": task.name, **task.score(outputs, trials)}
    b = behaviour(task, outputs, trials)
    return {**b, "bars": BARS[task.name](task, outputs, trials, b)}


def evaluate_run(path: str | Path, n_trials: int = DEFAULT_TRIALS, seed: int = DEFAULT_SEED) -> dict:
    """A run's performance on ``n_trials`` fresh trials (``seed``) with its behaviour and
    bars; the flip-flop also gets its 8-state series score."""
    check_positive_int("n_trials", n_trials)
    check_non_negative_int("seed", seed)
    run = runs.load_run(path)
    task, model = run.task(), run.model()
    task.check_model(model)
    _check_evaluable(task)  # refuse before simulating
    trials = task.generate(n_trials, seed)
    result = {"run": str(path), "n_trials": n_trials, "seed": seed,
              **evaluate_outputs(task, analysis.outputs(model, trials.inputs), trials)}
    if task.name == "flipflop":
        series = task.analysis_series()
        result[task.series_name] = task.score(analysis.outputs(model, series.inputs), series)
    return result


def format_evaluation(result: dict) -> str:
    """The human-readable summary ``flipflop evaluate`` prints."""
    task = result["task"]
    lines = [f"{result['run']}: {task}, {result['n_trials']} fresh trials (seed {result['seed']})"]
    if task == "flipflop":
        lines.append(f"  bit accuracy {result['bit_accuracy']:.5f}, MSE {result['mse']:.4f}; 8-state series: "
                     f"bit accuracy {result['eight_state']['bit_accuracy']:.5f}, "
                     f"MSE {result['eight_state']['mse']:.4f}")
        return "\n".join(lines)
    lines.append(f"  accuracy {result['accuracy']:.4f}, masked MSE {result['mse']:.4f}, "
                 f"fixation breaks {result['fixation_breaks']:.4f}")
    if task == "perceptual_dm":
        c = result["psychometric"]
        lines.append("  P(choice 1) by coherence: " + ", ".join(f"{x:g}%: {p:.3f}" for x, p in zip(c["x"], c["p_choice1"])))
        lines.append(f"  logistic: slope {_g(c['slope'])} /%, bias {_g(c['bias'])}, threshold {_g(c['threshold'])} %")
    elif task == "context_dm":
        for name, ctx in result["contexts"].items():
            lines.append(f"  {name} context: slopes motion {_g(ctx['slopes']['motion'])}, "
                         f"colour {_g(ctx['slopes']['colour'])} /%")
    elif task == "parametric_wm":
        lines.append("  by (f1, f2) Hz: " + ", ".join(f"{r['f1']:g}/{r['f2']:g}: {r['accuracy']:.3f}"
                                                    for r in result["pairs"]))
        lines.append(f"  worst pair: {min(r['accuracy'] for r in result['pairs']):.3f}")
    elif task == "match_category":
        lines.append("  by (sample, test) category: " + ", ".join(
            f"{r['sample_cat']}{r['test_cat']}: {r['accuracy']:.3f}" for r in result["categories"]))
        bd = result["boundary"]
        lines.append(f"  near the boundary (<= {bd['near_deg']:g} deg): {_g(bd['near']['accuracy'])} "
                     f"(n={bd['near']['n']}); away: {_g(bd['away']['accuracy'])} (n={bd['away']['n']})")
    for b in result["bars"]:
        lines.append(f"  [{'met' if b['met'] else 'NOT met'}] {b['name']}: {_g(b['value'])} ({b['rule']})")
    return "\n".join(lines)


def _g(v) -> str:
    return "–" if v is None else f"{v:.4g}"
