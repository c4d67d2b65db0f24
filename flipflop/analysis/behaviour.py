"""Behaviour of a network, arrays in and JSON-able dicts out: psychometric curves, accuracy by
condition, and the bars a trained network must meet.

Choices and fixation breaks come from the task's own ``choices`` (the rule its ``score``
uses). Psychometric curves leave out trials that broke fixation (the animal's aborted
trials); accuracies count them as errors, as ``score`` does.

Logistic fits: P(choice 1) = 1 / (1 + exp(-(slope . x + bias))), x in % coherence, by
scikit-learn's ``LogisticRegression`` with C = 1e6 (practically unregularised; still finite
when the choices are perfectly separable). ``pse`` = -bias / slope is the coherence of
indifference, ``threshold`` = ln(3) / slope the extra coherence from there to 75 % choice 1.
"""
from __future__ import annotations

import numpy as np
from sklearn.linear_model import LogisticRegression

from flipflop.tasks.base import Task, Trials


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


def correct(choice: np.ndarray, broke: np.ndarray, conditions: dict) -> np.ndarray:
    """Boolean (trials,): the choice is the right one and fixation held."""
    return (choice == conditions["choice"]) & ~broke


def rate(hits: np.ndarray) -> dict:
    """``{"accuracy": mean or None when empty, "n": count}`` of a boolean array."""
    return {"accuracy": float(hits.mean()) if hits.size else None, "n": int(hits.size)}


def accuracy_where(task: Task, outputs: np.ndarray, trials: Trials, keep: np.ndarray) -> float:
    """Accuracy (fixation breaks count as errors) over the trials selected by ``keep``."""
    choice, broke = task.choices(outputs[keep], trials.subset(keep))  # type: ignore[attr-defined]
    return float(np.mean((choice == trials.conditions["choice"][keep]) & ~broke))


def bar(name: str, value: float | None, ok: bool, rule: str) -> dict:
    """One bar: what is measured, its value, the rule and whether it is met."""
    return {"name": name, "value": value, "rule": rule, "met": bool(ok)}


def bar_lines(bars: list[dict]) -> list[str]:
    """A REPORT's checklist of :func:`bar` results, one ``- [met] name: value (rule)`` line each."""
    return [f"- [{'met' if b['met'] else 'NOT met'}] {b['name']}: {b['value']:.4g} ({b['rule']})" for b in bars]


def number(value: float | None) -> str:
    """A measured value for printing: 4 significant digits, or "–" when there is none."""
    return "–" if value is None else f"{value:.4g}"
