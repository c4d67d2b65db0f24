"""Memory estimates, checked before anything is allocated or written: what a training, an
evaluation or a fixed-point search needs, against the memory the machine has available.

The estimates count the arrays that grow with the request (float32, 4 bytes a number):

- trials: trials x steps x channels (inputs, targets, loss mask), twice while generated,
  and the network's outputs (and states, where kept) on them;
- a network: its parameters (units^2 per gate block) six times over (weights, gradients,
  the optimizer's moments, a saved copy), and the states that backpropagation through
  time keeps, batch x steps x units per gate;
- a fixed-point search: candidates x units, a dozen copies (Adam's moments, gradients,
  the step map's values), and the states it samples its starts from.

Plus TensorFlow's own runtime (``RUNTIME_BYTES``). They are estimates, not bounds: they
refuse what cannot fit, in one line that gives the estimate and the limit, and let
through what can. The limit is ``MemAvailable`` of ``/proc/meminfo`` (else
``os.sysconf``'s free pages), or ``$FLIPFLOP_MEMORY_LIMIT`` (bytes, or e.g. ``8G``) where set.
Estimating imports no TensorFlow.
"""
from __future__ import annotations

import dataclasses
import math
import os
import re

from flipflop.errors import FlipFlopError

FLOAT = 4  # bytes of a float32
RUNTIME_BYTES = 512 * 2 ** 20  # TensorFlow and Keras loaded, before any array
MEMORY_ENV = "FLIPFLOP_MEMORY_LIMIT"
HELDOUT_TRIALS = 1000  # the held-out trials metrics.json is measured on (training.metrics.evaluate)
MANY_CHANNELS = 100_000  # above this, a task's channels are bounded, never listed


def available_memory() -> tuple[int, str]:
    """The bytes a command may use, and where that figure comes from."""
    given = os.environ.get(MEMORY_ENV, "").strip()
    if given:
        m = re.fullmatch(r"([0-9]+(?:\.[0-9]+)?)\s*([KMGT]?)i?B?", given, re.IGNORECASE)
        if not m:
            raise FlipFlopError(f"${MEMORY_ENV} must be a size such as 8G or 500000000, got {given!r}")
        scale = 1024 ** ("KMGT".find(m[2].upper()) + 1) if m[2] else 1
        return int(float(m[1]) * scale), f"${MEMORY_ENV}"
    try:
        with open("/proc/meminfo") as f:
            for line in f:
                if line.startswith("MemAvailable:"):
                    return int(line.split()[1]) * 1024, "MemAvailable"
    except (OSError, ValueError, IndexError):
        pass
    try:
        return os.sysconf("SC_AVPHYS_PAGES") * os.sysconf("SC_PAGE_SIZE"), "free memory"
    except (OSError, ValueError, AttributeError):  # pragma: no cover - not POSIX
        return 2 ** 62, "unknown"


def size_text(n: float) -> str:
    """Bytes in words: ``1.6 GiB``, ``5.6e+03 TiB``."""
    for unit, scale in (("TiB", 2 ** 40), ("GiB", 2 ** 30), ("MiB", 2 ** 20), ("KiB", 2 ** 10)):
        if n >= scale:
            value = n / scale
            return f"{value:.3g} {unit}" if value < 1e4 else f"{value:.2g} {unit}"
    return f"{int(n)} B"


def require(what: str, needed: float, hint: str = "") -> None:
    """A one-line FlipFlopError unless ``needed`` bytes fit in the available memory."""
    limit, source = available_memory()
    if needed > limit:
        raise FlipFlopError(f"{what} needs about {size_text(needed)} of memory, more than the {size_text(limit)} "
                            f"available ({source}){'; ' + hint if hint else ''}")


def _ms_fields(task) -> list[float]:
    out = []
    for f in dataclasses.fields(task):
        c = f.metadata.get("constraint")
        if c is None or c.unit != "ms" or f.name == "dt_ms":
            continue
        value = getattr(task, f.name)
        out.append(float(max(value)) if isinstance(value, (tuple, list)) and value else float(value or 0))
    return out


def trial_steps(task) -> float:
    """Steps of the longest trial, without generating one: ``duration_ms`` / ``dt_ms`` where
    the task has a duration, else the sum of its periods in ms (each range at its upper
    end) / ``dt_ms``: an upper bound of a trial made of consecutive periods."""
    dt = float(getattr(task, "dt_ms", 1.0) or 1.0)
    duration = getattr(task, "duration_ms", None)
    total = float(duration) if isinstance(duration, (int, float)) else sum(_ms_fields(task))
    return max(1.0, math.ceil(total / dt))


def _count_bound(task) -> int:
    """The largest integer parameter of a task (bits, ring units, directions): a lower bound
    of its channels or conditions, known before any channel is listed."""
    counts = [getattr(task, f.name) for f in dataclasses.fields(task)
              if (c := f.metadata.get("constraint")) is not None and c.kind == "int" and not c.unit]
    return max([int(v) for v in counts if isinstance(v, int)] or [1])


def channels(task) -> int:
    """Inputs + outputs + the loss mask of one step; above ``MANY_CHANNELS``, bounded from the
    task's largest integer parameter, so a million-channel task is refused before its
    channels are listed."""
    bound = _count_bound(task)
    if bound > MANY_CHANNELS:
        return 2 * bound + 1
    return task.n_inputs + task.n_outputs + 1


def trials_bytes(task, n_trials: int, units: int = 0) -> float:
    """``n_trials`` trials, generated (twice their size at the peak), with the network's
    outputs and ``units`` states per step where those are kept."""
    steps, ch = trial_steps(task), channels(task)
    return float(n_trials) * steps * (3 * ch + units) * FLOAT


def network_bytes(cell: str, units: int, n_in: int, n_out: int, batch: int, steps: float) -> float:
    """A network being trained: parameters six times over, and the states of one batch
    kept for backpropagation through time."""
    from flipflop.models.cells import cell_spec

    gates = len(cell_spec(cell).gates)
    params = gates * float(units) * (units + n_in + 1) + float(units) * n_out + n_out
    return 6 * params * FLOAT + 2 * (gates + 1) * float(batch) * steps * units * FLOAT


def training_bytes(config) -> float:
    """A :class:`~flipflop.training.TrainConfig`'s training: one epoch's trials, the
    validation and held-out trials, the network and one batch's states."""
    task = config.make_task()
    steps = max([trial_steps(task)] + [trial_steps(config.make_task(ms)) for ms in config.curriculum_ms])
    data = sum(trials_bytes(task, n) for n in (config.samples_per_epoch, config.val_samples, HELDOUT_TRIALS))
    if channels(task) > 2 * MANY_CHANNELS:  # too many to list: the trials alone decide
        return RUNTIME_BYTES + data
    batch = min(config.batch_size, config.samples_per_epoch)  # a batch never holds more than the epoch
    return RUNTIME_BYTES + data + network_bytes(config.cell, config.units, task.n_inputs, task.n_outputs, batch, steps)


def check_training(config, what: str = "this training") -> None:
    """Refuse a training that cannot fit (see :func:`training_bytes`), in one line."""
    require(what, training_bytes(config), "use fewer units, trials or steps (--units, --samples-per-epoch, "
                                          "--val-samples, a shorter trial or a larger dt)")


def check_evaluation(task, units: int, n_trials: int) -> None:
    """Refuse an evaluation on ``n_trials`` fresh trials that cannot fit."""
    require(f"evaluating on {n_trials:,} trials", RUNTIME_BYTES + trials_bytes(task, n_trials, units),
            "use fewer --trials")


def check_fixed_points(task, units: int, n_init: int) -> None:
    """Refuse a fixed-point search from ``n_init`` starts that cannot fit."""
    pool = trials_bytes(task, 40, units)  # the analysis series and 32 trials whose states seed the starts
    require(f"a fixed-point search from {n_init:,} starts", RUNTIME_BYTES + pool + 12.0 * n_init * units * FLOAT,
            "use a smaller --n-init")
