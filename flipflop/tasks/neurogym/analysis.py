"""The analysis of any NeuroGym environment, with no code per environment.

The generic spec (spectrum, condition-averaged trajectories in PCA space coloured by the
ground truth, fixed points at each period's mean input decoded as the ground truth) plus:

- performance by neurogym's rule (``env.step`` replayed on the network's actions) and by
  ours, side by side, with chance, the ideal observer where one is computed (the reference;
  else 1), and ``normalised`` = (performance - chance) / (reference - chance), by our rule
  (whose chance is exact: the best fixed answer scores it) and by neurogym's (whose
  reference is capped by its ceiling, the ground-truth actions replayed);
- accuracy per condition, for every scalar entry of ``env.trial`` with at most 20 values;
- a psychometric curve where a condition is a signed scalar (signed by the ground truth
  when the environment has two choices and the condition is unsigned, as coherence is).
"""
from __future__ import annotations

import numpy as np
from matplotlib.figure import Figure

from flipflop.analysis.behaviour import psychometric
from flipflop.tasks.default_analysis import DEFAULT, period_inputs, population as default_population
from flipflop.tasks.neurogym.figures import condition_accuracy, psychometric_figure
from flipflop.tasks.neurogym.observer import normalised
from flipflop.tasks.neurogym.replay import neurogym_performance, our_correct
from flipflop.tasks.spec import FigureSpec, RunAnalysis

BOOKKEEPING = ("batch_seed", "trial_index", "n_steps")
MAX_LEVELS = 20


def softmax(outputs: np.ndarray) -> np.ndarray:
    z = np.asarray(outputs, np.float64)
    z = np.exp(z - z.max(-1, keepdims=True))
    return z / z.sum(-1, keepdims=True)


def first_choice(probs: np.ndarray, trials) -> np.ndarray:
    """The action (1..) chosen over each trial's first response run (argmax of the mean
    non-fixation probabilities), -1 for a trial without a response period."""
    gt = trials.targets.argmax(-1)
    out = np.full(len(gt), -1)
    for i, n in enumerate(trials.conditions["n_steps"]):
        respond = np.flatnonzero(gt[i, :n] != 0)
        if len(respond):
            run = respond[:np.argmax(np.append(np.diff(respond) != 1, True)) + 1]
            out[i] = int(np.argmax(probs[i, run, 1:].mean(0))) + 1
    return out


def scalar_conditions(conditions: dict) -> dict[str, np.ndarray]:
    """The per-trial conditions with 2..MAX_LEVELS values (bookkeeping left out)."""
    out = {}
    for k, v in conditions.items():
        v = np.asarray(v)
        if k in BOOKKEEPING or v.ndim != 1 or not (np.issubdtype(v.dtype, np.number) or v.dtype == bool):
            continue
        if 2 <= len(np.unique(v)) <= MAX_LEVELS:
            out[k] = v.astype(np.float64)
    return out


def signed_condition(task, conditions: dict) -> tuple[str, np.ndarray] | None:
    """The first condition that is a signed scalar with 3 or more values: as it is when it
    takes both signs, else (two-choice environments) signed + for choice 2 and - for choice 1."""
    choice = np.asarray(conditions["choice"])
    for k, v in scalar_conditions(conditions).items():
        if k == "choice" or "ground_truth" in k or len(np.unique(v)) < 3:
            continue
        if v.min() < 0 < v.max():
            return k, v
        if task.n_outputs == 3 and set(np.unique(choice)) <= {1, 2}:
            return f"signed {k}", np.where(choice == 2, v, -v)
    return None


def behaviour(task, outputs: np.ndarray, trials) -> dict:
    probs = softmax(outputs)
    ours, broke = our_correct(probs, trials)
    theirs = neurogym_performance(task, probs.argmax(-1), trials)
    chance, ideal, ceiling = task.levels()
    reference = 1.0 if ideal is None else ideal
    span = max(reference - chance, 1e-9)
    reference_ng = min(reference, ceiling)  # what neurogym's rule can credit at best
    by = {}
    for k, v in scalar_conditions(trials.conditions).items():
        levels = np.unique(v)
        by[k] = [{"value": float(x), "accuracy": float(ours[v == x].mean()), "neurogym": float(theirs[v == x].mean()),
                  "n": int(np.sum(v == x))} for x in levels]
    result = {"chance": chance, "ideal_observer": ideal, "reference": reference, "neurogym_ceiling": ceiling,
              "normalised": float((ours.mean() - chance) / span),
              "normalised_neurogym": normalised(float(theirs.mean()), chance, reference_ng),
              "by_condition": by, "psychometric": None}
    signed = signed_condition(task, trials.conditions)
    if signed is not None:
        name, x = signed
        chose = first_choice(probs, trials)
        keep = (chose > 0) & ~broke
        result["psychometric"] = {"condition": name, **psychometric(x[keep], chose[keep] == 2)}
    return result


def describe(result: dict) -> list[str]:
    ideal = result["ideal_observer"]
    lines = [f"  neurogym's rule {result['neurogym_performance']:.4f}, ours {result['accuracy']:.4f}; chance "
             f"{result['chance']:.4f}, " + (f"ideal observer {ideal:.4f}" if ideal is not None else "no ideal observer "
                                             "(reference 1)") +
             f"; normalised {result['normalised']:.3f} (ours), " + (
                 f"{result['normalised_neurogym']:.3f}" if result["normalised_neurogym"] is not None else "–") +
             f" (neurogym's rule, whose ceiling here is {result['neurogym_ceiling']:.3f})"]
    p = result.get("psychometric")
    if p:
        slope = "–" if p["slope"] is None else f"{p['slope']:.3g}"
        lines.append(f"  psychometric curve against {p['condition']}: P(choice 2) " +
                     ", ".join(f"{x:g}: {y:.2f}" for x, y in zip(p["x"], p["p_choice1"])) + f"; logistic slope {slope}")
    return lines


def accuracy_figure(a: RunAnalysis) -> Figure | None:
    e = a.evaluation or {}
    return condition_accuracy(e.get("by_condition") or {}, e.get("chance"), f"{a.label}: accuracy per condition") \
        if e.get("by_condition") else None


def psychometric_plot(a: RunAnalysis) -> Figure | None:
    p = (a.evaluation or {}).get("psychometric")
    return None if not p else psychometric_figure(p, f"{a.label}: psychometric curve")


def longest_first(task) -> tuple:
    """The generic search at each period's mean input, the longest period first (the one the
    trajectory figure shows): a stimulus or a delay rather than a 100 ms fixation."""
    spans = task.analysis_series().periods
    return tuple(sorted(period_inputs(task), key=lambda f: -float(np.mean(spans[f.period][:, 1] - spans[f.period][:, 0]))))


def population(a: RunAnalysis) -> dict:
    """Sweep-report columns: the fixed points per set, and the performance by both rules."""
    e = a.evaluation or {}
    row = default_population(a)
    n_sets = [k for k in row if k.startswith("fp_") and not k.endswith("_stable")]
    row.update({"chance": e.get("chance"), "ideal_observer": e.get("ideal_observer"),
                "performance_neurogym": e.get("neurogym_performance"), "performance_ours": e.get("accuracy"),
                "neurogym_ceiling": e.get("neurogym_ceiling"),
                "normalised": e.get("normalised"), "normalised_neurogym": e.get("normalised_neurogym"),
                "fixed_points_found": int(sum(row[k] for k in n_sets)), "fixed_point_inputs": len(n_sets)})
    return row


ANALYSIS = DEFAULT.replace(
    behaviour=behaviour, describe=describe, evaluation_trials=2000, fixed_point_starts=64,
    fixed_points=longest_first, population=population,
    figures=DEFAULT.figures + (
        FigureSpec("accuracy_by_condition", accuracy_figure, caption="accuracy per condition, our rule and neurogym's"),
        FigureSpec("psychometric", psychometric_plot, caption="P(choice 2) against a signed condition, logistic fit")))
