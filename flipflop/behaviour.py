"""Behaviour of a network on the decision tasks: psychometric curves and accuracy by condition.

Arrays in, JSON-able dicts out (no drawing); :func:`behaviour` picks the analysis of a
task by its name. Choices and fixation breaks come from the task's own ``choices`` (the
rule its ``score`` uses). Psychometric curves leave out trials that broke fixation (the
animal's aborted trials); accuracies count them as errors, as ``score`` does.

Logistic fits: P(choice 1) = 1 / (1 + exp(-(slope . x + bias))), x in % coherence, by
scikit-learn's ``LogisticRegression`` with C = 1e6 (practically unregularised; still finite
when the choices are perfectly separable). ``pse`` = -bias / slope is the coherence of
indifference, ``threshold`` = ln(3) / slope the extra coherence from there to 75 % choice 1.
"""
from __future__ import annotations

from typing import Callable

import numpy as np
from sklearn.linear_model import LogisticRegression

from flipflop.errors import FlipFlopError
from flipflop.tasks.base import Task, Trials

NEAR_BOUNDARY_DEG = 15.0  # match-to-category: a direction within this of the boundary is "near"


def behaviour(task: Task, outputs: np.ndarray, trials: Trials) -> dict:
    """The task's score plus its behavioural analysis (see the functions of ``ANALYSES``)."""
    try:
        analysis = ANALYSES[task.name]
    except KeyError:
        raise FlipFlopError(f"no behavioural analysis for the {task.name} task; "
                            f"there is one for {', '.join(ANALYSES)}") from None
    choice, broke = task.choices(outputs, trials)  # type: ignore[attr-defined]
    return {"task": task.name, **task.score(outputs, trials), **analysis(task, choice, broke, trials.conditions)}


def logistic_fit(x: np.ndarray, chose_1: np.ndarray) -> dict:
    """Slopes (per unit of each column of ``x``) and bias of a logistic fit of ``chose_1``;
    None for each when the choices are all alike (nothing to fit)."""
    chose_1 = np.asarray(chose_1, bool)
    x = np.asarray(x, np.float64)
    x = x.reshape(len(chose_1), -1) if len(chose_1) else x.reshape(0, x.shape[1] if x.ndim == 2 else 1)
    if chose_1.all() or not chose_1.any():  # also no trials at all (every trial broke fixation)
        return {"slopes": [None] * x.shape[1], "bias": None}
    model = LogisticRegression(C=1e6, max_iter=1000).fit(x, chose_1)
    return {"slopes": [float(s) for s in model.coef_[0]], "bias": float(model.intercept_[0])}


def psychometric(x: np.ndarray, chose_1: np.ndarray) -> dict:
    """P(choice 1) at every value of ``x`` (with the trial counts) and its 1-D logistic fit."""
    levels, index = np.unique(np.asarray(x, np.float64), return_inverse=True)
    n = np.bincount(index, minlength=len(levels))
    ones = np.bincount(index, weights=np.asarray(chose_1, np.float64), minlength=len(levels))
    fit = logistic_fit(x, chose_1)
    slope, bias = fit["slopes"][0], fit["bias"]
    good = slope is not None and slope != 0
    return {"x": levels.tolist(), "p_choice1": (ones / np.maximum(n, 1)).tolist(), "n": n.tolist(),
            "slope": slope, "bias": bias, "pse": -bias / slope if good else None,
            "threshold": float(np.log(3.0) / slope) if good else None}


def accuracy_by(correct: np.ndarray, *labels: np.ndarray) -> list[dict]:
    """Accuracy and trial count for every distinct combination of ``labels``."""
    keys, index = np.unique(np.stack([np.asarray(v, np.float64) for v in labels], axis=1), axis=0,
                            return_inverse=True)
    index = index.ravel()
    n = np.bincount(index, minlength=len(keys))
    hits = np.bincount(index, weights=correct.astype(np.float64), minlength=len(keys))
    return [{"key": k.tolist(), "accuracy": float(h / c), "n": int(c)} for k, h, c in zip(keys, hits, n)]


def _correct(choice: np.ndarray, broke: np.ndarray, conditions: dict) -> np.ndarray:
    return (choice == conditions["choice"]) & ~broke


def perceptual_dm(task: Task, choice: np.ndarray, broke: np.ndarray, conditions: dict) -> dict:
    """Psychometric curve: P(choice 1) against signed coherence (%), with its logistic fit."""
    kept = ~broke
    return {"psychometric": psychometric(conditions["coherence"][kept], choice[kept] == 0)}


def context_dm(task: Task, choice: np.ndarray, broke: np.ndarray, conditions: dict) -> dict:
    """In each context: P(choice 1) against the motion and against the colour coherence
    (Mante et al.'s Fig. 1), and a joint logistic fit giving a slope for each feature
    (the relevant one steep, the irrelevant one flat when the context is obeyed)."""
    out = {}
    for context, name in enumerate(("motion", "colour")):
        kept = ~broke & (conditions["context"] == context)
        chose_1 = choice[kept] == 0
        fit = logistic_fit(np.stack([conditions["motion"][kept], conditions["colour"][kept]], axis=1), chose_1)
        out[name] = {"relevant": name,
                     "curves": {f: psychometric(conditions[f][kept], chose_1) for f in ("motion", "colour")},
                     "slopes": dict(zip(("motion", "colour"), fit["slopes"])), "bias": fit["bias"]}
    return {"contexts": out}


def parametric_wm(task: Task, choice: np.ndarray, broke: np.ndarray, conditions: dict) -> dict:
    """Accuracy for every (f1, f2) pair (Hz)."""
    rows = accuracy_by(_correct(choice, broke, conditions), conditions["f1"], conditions["f2"])
    return {"pairs": [{"f1": r["key"][0], "f2": r["key"][1], "accuracy": r["accuracy"], "n": r["n"]} for r in rows]}


def match_category(task: Task, choice: np.ndarray, broke: np.ndarray, conditions: dict) -> dict:
    """Accuracy by (sample, test) category pair, and for trials with a direction near the
    boundary (within ``NEAR_BOUNDARY_DEG``, sample or test) against the others."""
    correct = _correct(choice, broke, conditions)
    rows = accuracy_by(correct, conditions["sample_cat"], conditions["test_cat"])
    distance = np.minimum(task.boundary_distance(conditions["sample_dir"]),  # type: ignore[attr-defined]
                          task.boundary_distance(conditions["test_dir"]))  # type: ignore[attr-defined]
    near = distance <= NEAR_BOUNDARY_DEG + 1e-9
    return {"categories": [{"sample_cat": int(r["key"][0]), "test_cat": int(r["key"][1]),
                            "accuracy": r["accuracy"], "n": r["n"]} for r in rows],
            "boundary": {"near_deg": NEAR_BOUNDARY_DEG, "near": _rate(correct[near]), "away": _rate(correct[~near])}}


def _rate(correct: np.ndarray) -> dict:
    return {"accuracy": float(correct.mean()) if correct.size else None, "n": int(correct.size)}

ANALYSES: dict[str, Callable[[Task, np.ndarray, np.ndarray, dict], dict]] = {
    "perceptual_dm": perceptual_dm,
    "context_dm": context_dm,
    "parametric_wm": parametric_wm,
    "match_category": match_category,
}
