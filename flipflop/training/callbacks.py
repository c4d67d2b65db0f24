"""The training callbacks, as top-level Keras classes that keep their state on ``self``.

- :class:`TaskValidation` adds the task's own measures on validation trials to each
  epoch's logs (``val_mse``, ``val_<metric>``);
- :class:`RunRecorder` saves the best model, the history and, after every epoch, a
  checkpoint (weights and optimizer) and ``state.json``, the epoch's commit point, all
  written atomically; it stops at the two-metric target or after ``patience`` epochs
  without improvement, and draws each epoch's batches as a bar on a terminal.

Keras' ``BackupAndRestore``/``CSVLogger``/``EarlyStopping`` don't fit: their files are not
written atomically, and the early-stopping state would not survive a resume.
"""
from __future__ import annotations

import math
import time
from pathlib import Path
from typing import Callable

from flipflop import runs
from flipflop.backend import keras
from flipflop.progress import Bar
from flipflop.tasks import Task, Trials
from flipflop.training.config import TrainConfig


def reached(config: TrainConfig, task: Task, history: list[dict]) -> bool:
    """True once a history row meets both targets (performance and MSE)."""
    key = f"val_{task.metric}"
    return any(r[key] >= config.target_accuracy and r["val_mse"] <= config.target_mse for r in history)


def stops(config: TrainConfig, task: Task, history: list[dict], epoch: int) -> bool:
    """True when training stops at the target: it has been reached and ``epoch`` (epochs run)
    is at least ``config.min_epochs`` (training past the bar)."""
    return epoch >= config.min_epochs and reached(config, task, history)


def ends(config: TrainConfig, task: Task, history: list[dict], state: dict) -> bool:
    """True when training ends after ``state["epoch"]`` epochs: at the target (:func:`stops`)
    or out of patience (``state["wait"]`` epochs without improvement)."""
    return stops(config, task, history, state["epoch"]) or state["wait"] >= config.patience


class TaskValidation(keras.callbacks.Callback):
    """Adds the task's validation measures (``val_mse``, ``val_<metric>``) to the epoch logs."""

    def __init__(self, task: Task, val: Trials) -> None:
        super().__init__()
        self.task, self.val, self.key = task, val, f"val_{task.metric}"

    def on_epoch_end(self, epoch: int, logs: dict | None = None) -> None:
        if logs is not None and math.isfinite(logs.get("loss", math.nan)):
            scores = self.task.score(self.model.predict(self.val.inputs, batch_size=256, verbose=0), self.val)
            logs.update({"val_mse": scores["mse"], self.key: scores[self.task.metric]})


class RunRecorder(keras.callbacks.Callback):
    """Best model, history, checkpoint and ``state.json`` after each epoch; target and patience stops.

    ``state`` (the training state, as ``state.json`` holds it) and ``history`` (the rows so
    far) are updated in place, so that the caller sees how training ended; a NaN loss sets
    ``state["diverged"]`` and stops without committing the epoch.
    """

    def __init__(self, config: TrainConfig, task: Task, out: Path, state: dict, history: list[dict],
                 n_batches: int, log: Callable[[str], None] = print, verbose: int = 1) -> None:
        super().__init__()
        self.config, self.task, self.out, self.state, self.history = config, task, out, state, history
        self.n_batches, self.log, self.verbose = n_batches, log, verbose
        self.key = f"val_{task.metric}"

    def on_epoch_begin(self, epoch: int, logs: dict | None = None) -> None:
        self.t0 = time.perf_counter()
        self.bar = Bar(self.n_batches, "batches", f"epoch {epoch + 1}/{self.config.epochs}",
                       enabled=None if self.verbose else False)

    def on_train_batch_end(self, batch: int, logs: dict | None = None) -> None:
        self.bar.update(batch + 1, loss=float((logs or {}).get("loss", math.nan)))

    def on_epoch_end(self, epoch: int, logs: dict | None = None) -> None:
        self.bar.close()
        logs, state, out, key = logs or {}, self.state, self.out, self.key
        loss = float(logs.get("loss", math.nan))
        if not math.isfinite(loss):
            state["diverged"] = f"loss became {loss} in epoch {epoch + 1}"
            self.model.stop_training = True
            return
        row = {"epoch": epoch + 1, "loss": loss, "val_mse": float(logs["val_mse"]), key: float(logs[key]),
               "learning_rate": float(keras.ops.convert_to_numpy(self.model.optimizer.learning_rate)),
               "seconds": time.perf_counter() - self.t0}
        self.history.append(row)
        improved = row["val_mse"] < state["best_val_loss"]
        if improved:
            runs.save_model(self.model, out / runs.MODEL)
            state.update({"best_epoch": epoch + 1, "model_sha256": runs.file_digest(out / runs.MODEL)})
        checkpoint = runs.checkpoint_name(epoch + 1)
        runs.save_model(self.model, out / checkpoint)
        runs.write_history(out / runs.HISTORY, self.history)
        old = state["checkpoint"]
        state.update({"epoch": epoch + 1, "checkpoint": checkpoint,
                      "best_val_loss": min(row["val_mse"], state["best_val_loss"]),
                      "wait": 0 if improved else state["wait"] + 1,
                      "seconds": state["seconds"] + row["seconds"], "history_sha256": runs.rows_digest(self.history)})
        runs.write_json(out / runs.STATE, {k: v for k, v in state.items() if k != "diverged"})  # commit point
        if old and old != checkpoint:
            (out / old).unlink(missing_ok=True)
        self.log(f"epoch {epoch + 1}/{self.config.epochs}: loss {loss:.4f}  val_mse {row['val_mse']:.4f}  "
                 f"{key} {row[key]:.5f}  ({row['seconds']:.1f} s)")
        if ends(self.config, self.task, self.history, state):
            self.model.stop_training = True
