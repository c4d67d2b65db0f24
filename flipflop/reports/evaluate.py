"""Behaviour on fresh trials (``flipflop evaluate``): a run's score, the behaviour its task's
spec measures, and the task's bars, with the text that the command prints.

Fixation breaks count as errors in every accuracy (as the task's ``score``) and are left
out of psychometric curves (as the animals' aborted trials).
"""
from __future__ import annotations

from pathlib import Path

import numpy as np

from flipflop import runs
from flipflop.analysis.activity import outputs
from flipflop.errors import POSITIVE_INT, SEED, validate_params
from flipflop.reports.specs import analysis_of
from flipflop.tasks import Task, Trials
from flipflop.tasks.spec import EVALUATION_SEED, EVALUATION_TRIALS, TaskAnalysis


def evaluate_outputs(task: Task, outputs: np.ndarray, trials: Trials, spec: TaskAnalysis | None = None) -> dict:
    """Score, behaviour and bars of ``outputs`` on ``trials`` (arrays in, a JSON-able dict out)."""
    spec = spec or analysis_of(task)
    result = {"task": task.name, **task.score(outputs, trials)}
    if spec.behaviour is not None:
        result.update(spec.behaviour(task, outputs, trials))
    if spec.bars is not None:
        result["bars"] = spec.bars(task, outputs, trials, result)
    return result


@validate_params(n_trials=POSITIVE_INT, seed=SEED)
def evaluate_model(model, task: Task, n_trials: int = EVALUATION_TRIALS, seed: int = EVALUATION_SEED,
                   spec: TaskAnalysis | None = None) -> dict:
    """:func:`evaluate_outputs` of ``model`` on ``n_trials`` fresh trials of ``task`` (``seed``)."""
    task.check_model(model)
    trials = task.generate(n_trials, seed)
    return {"n_trials": n_trials, "seed": seed, **evaluate_outputs(task, outputs(model, trials.inputs), trials, spec)}


@validate_params(n_trials=POSITIVE_INT, seed=SEED)
def evaluate_run(path: str | Path, n_trials: int = EVALUATION_TRIALS, seed: int = EVALUATION_SEED) -> dict:
    """A run's performance on ``n_trials`` fresh trials (``seed``), its behaviour and bars,
    and its score on the task's analysis series (under the task's ``series_name``)."""
    run = runs.load_run(path)
    task, model = run.task(), run.model()
    result = {"run": str(path), **evaluate_model(model, task, n_trials, seed)}
    series = task.analysis_series()
    result[task.series_name] = task.score(outputs(model, series.inputs), series)
    return result


def scores_text(scores: dict) -> str:
    """``bit accuracy 0.99997, MSE 0.0106``: the float measures of a task's score."""
    return ", ".join(f"MSE {v:.4f}" if k == "mse" else f"{k.replace('_', ' ')} {v:.5f}"
                     for k, v in scores.items() if isinstance(v, float))


def format_evaluation(result: dict) -> str:
    """The human-readable summary ``flipflop evaluate`` prints."""
    from flipflop.tasks import task_class

    task = task_class(result["task"])
    score = {k: result[k] for k in result[task.series_name] if k in result}
    lines = [f"{result['run']}: {task.name}, {result['n_trials']} fresh trials (seed {result['seed']})",
             f"  {scores_text(score)}; {task.series_label} series: {scores_text(result[task.series_name])}"]
    spec = analysis_of(task)
    if spec.describe is not None:
        lines += spec.describe(result)
    for b in result.get("bars") or []:
        value = "–" if b["value"] is None else f"{b['value']:.4g}"
        lines.append(f"  [{'met' if b['met'] else 'NOT met'}] {b['name']}: {value} ({b['rule']})")
    return "\n".join(lines)
