"""Performance metrics: bit accuracy and MSE, on held-out data and the 8-state series."""
from __future__ import annotations

import numpy as np

from flipflop.errors import FlipFlopError
from flipflop.tasks.flipflop import FlipFlopTask, Trials


def bit_accuracy(outputs: np.ndarray, targets: np.ndarray) -> float:
    """Fraction of steps where sign(output) equals the target, over steps where the target is +-1."""
    defined = targets != 0
    if not defined.any():
        raise FlipFlopError("no step has a defined (+-1) target")
    return float(np.mean(np.sign(outputs[defined]) == targets[defined]))


def mse(outputs: np.ndarray, targets: np.ndarray) -> float:
    """Mean squared error over every step and channel (the training loss)."""
    return float(np.mean((np.asarray(outputs, np.float64) - targets) ** 2))


def check_model_fits(model, n_bits: int) -> None:
    """Refuse a model whose input or output size differs from the task's ``n_bits``."""
    n_in, n_out = model.input_shape[-1], model.output_shape[-1]
    if n_in != n_bits or n_out != n_bits:
        raise FlipFlopError(
            f"model has {n_in} inputs and {n_out} outputs but the task has {n_bits} bits")


def score(model, trials: Trials, batch_size: int = 256) -> dict:
    """Bit accuracy and MSE of ``model`` on ``trials``."""
    check_model_fits(model, trials.inputs.shape[-1])
    outputs = model.predict(trials.inputs, batch_size=batch_size, verbose=0)
    return {"bit_accuracy": bit_accuracy(outputs, trials.targets), "mse": mse(outputs, trials.targets)}


def evaluate(model, task: FlipFlopTask | None = None, n_samples: int = 1000, seed: int = 2024) -> dict:
    """Metrics on fresh held-out trials of the task's distribution and on the 8-state series."""
    task = task or FlipFlopTask(n_bits=model.input_shape[-1])
    return {"heldout": {**score(model, task.generate(n_samples, seed)), "n_samples": n_samples, "seed": seed},
            "eight_state": score(model, task.eight_state_series())}
