"""Performance of a model on its task: held-out trials and the task's analysis series."""
from __future__ import annotations

import numpy as np

from flipflop.tasks import Task, Trials


def mse(outputs: np.ndarray, targets: np.ndarray) -> float:
    """Mean squared error over every step and channel."""
    return float(np.mean((np.asarray(outputs, np.float64) - targets) ** 2))


def score(model, task: Task, trials: Trials, batch_size: int = 256) -> dict:
    """The task's performance measures of ``model`` on ``trials`` (a model of the wrong shape is refused)."""
    task.check_model(model)
    outputs = model.predict(trials.inputs, batch_size=batch_size, verbose=0)
    return task.score(outputs, trials)


def evaluate(model, task: Task, n_samples: int = 1000, seed: int = 2024) -> dict:
    """Scores on fresh held-out trials of the task's distribution (``"heldout"``) and on its
    noise-free analysis series (``task.series_name``: the 8-state series for the flip-flop)."""
    return {"heldout": {**score(model, task, task.generate(n_samples, seed)), "n_samples": n_samples, "seed": seed},
            task.series_name: score(model, task, task.analysis_series())}
