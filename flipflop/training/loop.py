"""Training into a run directory: one ``model.fit``, seeded, resumable, stopped on a target.

Epoch ``e`` sees data that depends only on ``(seed, e)`` (:class:`~flipflop.training.data.EpochData`).
The loss is the task's (``Task.loss``: MSE, or cross-entropy on logits) weighted by its loss
mask (Keras ``sample_weight``). Callbacks
(:mod:`flipflop.training.callbacks`) do the rest: ``keras.callbacks.TerminateOnNaN`` stops
on a NaN loss (the last good model is kept), :class:`TaskValidation` scores the task's own
measure, :class:`RunRecorder` commits each epoch to disk and stops at the target. The run
folder's state machine (start, resume, repair, continue) is :mod:`flipflop.training.resume`.
"""
from __future__ import annotations

import math
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Callable

from flipflop import runs
from flipflop.backend import keras
from flipflop.errors import FlipFlopError
from flipflop.models.build import build_model
from flipflop.tasks import Task
from flipflop.training.budget import check_training
from flipflop.training.callbacks import RunRecorder, TaskValidation, ends, reached
from flipflop.training.config import TrainConfig
from flipflop.training.data import EpochData, fit_stages
from flipflop.training.metrics import evaluate
from flipflop.training.resume import FORCE_HINT, prepare_run_dir


@dataclass
class TrainResult:
    """What :func:`train` did: the run folder, epochs run, whether the target was reached,
    the final metrics, the seconds it took, and whether a finished run was only reused."""

    path: Path
    epochs_run: int
    reached_target: bool
    metrics: dict
    seconds: float
    reused: bool = False  # the run had already finished: nothing was trained


class TrainingDiverged(RuntimeError):
    """The loss became NaN/inf; the last good model is kept in the run directory."""


def initial_model(config: TrainConfig, task: Task) -> keras.Model:
    """The compiled, untrained model of ``config`` for ``task`` (``config.make_task()``): its
    cell, size, seed, optimizer and learning-rate schedule, and the task's loss."""
    return build_model(config.cell, config.units, task.n_inputs, task.n_outputs,
                       learning_rate=config.learning_rate, decay=config.decay, clipnorm=config.clipnorm,
                       io_lr_multiplier=config.io_lr_multiplier, optimizer=config.optimizer,
                       seed=config.seed, anchor_decay=config.anchor_decay, loss=task.loss, **config.cell_kwargs)


def train(config: TrainConfig, out: str | Path, force: bool = False, verbose: int = 1,
          callbacks: list | None = None, log: Callable[[str], None] = print) -> TrainResult:
    """Train ``config`` into run directory ``out``, resuming a run of the same config there
    (or training a finished one further if only ``CONTINUABLE`` settings changed).

    The folder's lock is held throughout: a second trainer is refused. ``callbacks`` (Keras
    callbacks) see each epoch's logs, validation measures included, before the epoch is
    committed to disk. Raises ``TrainingDiverged`` (after keeping the last good model) if
    the loss turns NaN.
    """
    out = Path(out)
    check_training(config)  # a training that cannot fit is refused before the folder is touched
    with runs.locked(out):
        return _train_locked(config, out, force, verbose, callbacks, log)


def _train_locked(config: TrainConfig, out: Path, force: bool, verbose: int, callbacks: list | None,
                  log: Callable[[str], None]) -> TrainResult:
    state = prepare_run_dir(config, out, force, log)
    start = time.perf_counter()
    if state and state.get("finished"):
        metrics = runs.read_json(out / runs.METRICS)
        log(f"{out}: already finished")
        return TrainResult(out, metrics["epochs_run"], metrics["reached_target"], metrics, 0.0, reused=True)

    task = config.make_task()
    if state:
        history = state.pop("history")
        runs.tidy(out, state["checkpoint"])
    else:
        runs.tidy(out, None)
        model = initial_model(config, task)
        runs.write_config(out, {"source": "trained", "cell": config.cell, "units": config.units,
                                "task": task.name, "n_inputs": task.n_inputs, "n_outputs": task.n_outputs,
                                "n_params": model.count_params(), "train": config.to_dict(),
                                "versions": runs.versions()})
        runs.save_model(model, out / runs.INITIAL)
        history, state = [], {"epoch": 0, "best_val_loss": math.inf, "wait": 0, "checkpoint": None,
                              "seconds": 0.0, "initial_sha256": runs.file_digest(out / runs.INITIAL)}

    done = ends(config, task, history, state) or state["epoch"] >= config.epochs
    if not done:
        if state["epoch"]:
            try:
                model = runs.load_model(out / state["checkpoint"])
            except FlipFlopError as e:
                raise FlipFlopError(f"{e}; the run cannot resume{FORCE_HINT}") from None
            log(f"{out}: resuming after epoch {state['epoch']}")
        validation = TaskValidation(task, task.generate(config.val_samples, [config.seed, 2]))
        recorder = RunRecorder(config, task, out, state, history, math.ceil(config.samples_per_epoch / config.batch_size),
                               log, verbose)
        for first, stop in fit_stages(config, state["epoch"]):  # one fit per trial length of a curriculum
            model.fit(EpochData(config, task, first), epochs=stop, initial_epoch=first, shuffle=False, verbose=0,
                      callbacks=[keras.callbacks.TerminateOnNaN(), validation, *(callbacks or []), recorder])
            if "diverged" in state or ends(config, task, history, state):
                break
        if "diverged" in state:
            kept = (f"the last good model is kept in {out / runs.MODEL}" if (out / runs.MODEL).is_file() else
                    f"no epoch finished, so {out} holds no trained model")
            raise TrainingDiverged(f"{state['diverged']}; {kept}")

    best = runs.load_model(out / runs.MODEL)
    metrics = {**evaluate(best, task, seed=config.seed + 10_000), "epochs_run": state["epoch"],
               "reached_target": reached(config, task, history), "train_seconds": state["seconds"]}
    runs.write_metrics(out, metrics)  # the seal; state.json and the last checkpoint stay, to train further
    return TrainResult(out, state["epoch"], metrics["reached_target"], metrics, time.perf_counter() - start)
