"""Training into a run directory: seeded, resumable, stopped on a validation criterion.

Epoch ``e`` sees data that depends only on ``(seed, e)``: the paper recipe shuffles one
fixed training set with a permutation drawn from ``(seed, e)``; the fast recipe draws
fresh trials. Together with a checkpoint (weights + optimizer) after every epoch, an
interrupted run resumes exactly where it stopped.
"""
from __future__ import annotations

import math
import time
from dataclasses import asdict, dataclass, field, fields, replace
from pathlib import Path
from typing import Callable

import numpy as np

from flipflop import runs
from flipflop.errors import FlipFlopError
from flipflop.metrics import bit_accuracy, evaluate, mse
from flipflop.models import CELLS, OPTIMIZERS, build_model
from flipflop.tasks.flipflop import FlipFlopTask, check_positive_int

# Named recipes; any field can still be overridden.
RECIPES: dict[str, dict] = {
    # The paper's published code: one 30,050-sample set, Adam 1e-4 with decay 1e-4, batch 128.
    "paper": dict(optimizer="adam", batch_size=128, samples_per_epoch=30050, fresh_data=False, learning_rate=1e-4,
                  decay=1e-4, clipnorm=None, io_lr_multiplier=1.0, epochs=20, curriculum_ms=()),
    # Ours (see benchmarks/bench_training.py for the evidence): small batches of fresh
    # trials; Muon steps of fixed spectral norm on the recurrent matrix, Adam at 2x on the rest.
    # The rate depends on the cell (measured, README): the GRU and the CTRNN (alpha = dt/tau
    # = 0.1) move their state by a fraction of W's effect per step and need 10x; the LSTM
    # stalls at 1e-2 (bit accuracy ~0.83) and learns at 1e-3.
    "fast": dict(optimizer="muon", batch_size=32, samples_per_epoch=2048, fresh_data=True,
                 learning_rate={"simplernn": 1e-3, "lstm": 1e-3, "gru": 1e-2, "ctrnn": 1e-2},
                 decay=2e-3, clipnorm=1.0, io_lr_multiplier=2.0, epochs=60, curriculum_ms=()),
}


@dataclass(frozen=True)
class TrainConfig:
    """Everything that determines a training run (times in ms live in ``task``)."""

    cell: str = "simplernn"
    units: int = 400
    seed: int = 0
    recipe: str = "fast"
    optimizer: str = "muon"
    batch_size: int = 32
    samples_per_epoch: int = 2048
    fresh_data: bool = True
    learning_rate: float = 1e-3
    decay: float = 2e-3
    clipnorm: float | None = 1.0
    io_lr_multiplier: float = 2.0
    epochs: int = 60
    curriculum_ms: tuple = ()  # sequence duration (ms) for the first epochs, one entry per epoch
    val_samples: int = 512
    target_accuracy: float = 0.999
    target_mse: float = 0.02
    patience: int = 10
    task: dict = field(default_factory=lambda: FlipFlopTask().to_dict())
    cell_kwargs: dict = field(default_factory=dict)

    def __post_init__(self) -> None:
        object.__setattr__(self, "curriculum_ms", tuple(self.curriculum_ms))
        if self.cell not in CELLS:
            raise FlipFlopError(f"unknown cell {self.cell!r}; choose one of {', '.join(CELLS)}")
        if self.recipe not in RECIPES:
            raise FlipFlopError(f"unknown recipe {self.recipe!r}; choose one of {', '.join(RECIPES)}")
        if self.optimizer not in OPTIMIZERS:
            raise FlipFlopError(f"unknown optimizer {self.optimizer!r}; choose one of {', '.join(OPTIMIZERS)}")
        for name in ("units", "batch_size", "samples_per_epoch", "epochs", "val_samples", "patience"):
            check_positive_int(name, getattr(self, name))
        if isinstance(self.seed, bool) or not isinstance(self.seed, int) or self.seed < 0:
            raise FlipFlopError(f"seed must be a non-negative integer, got {self.seed!r}")
        if not 0 < self.target_accuracy <= 1:
            raise FlipFlopError(f"target_accuracy must be in (0, 1], got {self.target_accuracy}")
        if not self.target_mse > 0:
            raise FlipFlopError(f"target_mse must be > 0, got {self.target_mse}")
        self.make_task()  # validates the task parameters
        for ms in self.curriculum_ms:
            self.make_task(ms)
        if self.cell == "ctrnn":  # the cell integrates with the task's step
            dt = self.make_task().dt_ms
            if self.cell_kwargs.get("dt_ms", dt) != dt:
                raise FlipFlopError(f"ctrnn dt_ms ({self.cell_kwargs['dt_ms']}) must equal the task's dt_ms ({dt})")
            object.__setattr__(self, "cell_kwargs", {**self.cell_kwargs, "dt_ms": dt})
            from flipflop.ctrnn import CTRNN

            CTRNN(self.units, **self.cell_kwargs)  # validates tau, dt, Dale ratio, mask
        elif self.cell_kwargs:
            raise FlipFlopError(f"{', '.join(sorted(self.cell_kwargs))} only apply to the ctrnn cell")

    @classmethod
    def from_recipe(cls, recipe: str = "fast", **overrides) -> "TrainConfig":
        """The named recipe's settings, then ``overrides`` (None values are ignored). A
        recipe's per-cell learning rate is resolved for the chosen cell."""
        if recipe not in RECIPES:
            raise FlipFlopError(f"unknown recipe {recipe!r}; choose one of {', '.join(RECIPES)}")
        given = {k: v for k, v in overrides.items() if v is not None}
        unknown = set(given) - {f.name for f in fields(cls)}
        if unknown:
            raise FlipFlopError(f"unknown training parameter(s): {', '.join(sorted(unknown))}")
        params = {**RECIPES[recipe], **given}
        if isinstance(params["learning_rate"], dict):  # an unknown cell is refused in __post_init__
            params["learning_rate"] = params["learning_rate"].get(params.get("cell", cls.cell))
        return cls(recipe=recipe, **params)

    def make_task(self, duration_ms: float | None = None) -> FlipFlopTask:
        task = FlipFlopTask.from_dict(self.task)
        return task if duration_ms is None else replace(task, duration_ms=float(duration_ms))

    def to_dict(self) -> dict:
        d = asdict(self)
        d["curriculum_ms"] = list(self.curriculum_ms)
        return d


@dataclass
class TrainResult:
    path: Path
    epochs_run: int
    reached_target: bool
    metrics: dict
    seconds: float


class TrainingDiverged(RuntimeError):
    """The loss became NaN/inf; the last good model is kept in the run directory."""


def versions() -> dict:
    import keras
    import tensorflow as tf

    from flipflop import __version__

    return {"flipflop": __version__, "keras": keras.__version__, "tensorflow": tf.__version__,
            "numpy": np.__version__}


def prepare_run_dir(config: TrainConfig, out: Path, force: bool = False) -> bool:
    """Create or check ``out``; True if it holds a run of the same config to resume.

    A different config in ``out`` is refused unless ``force`` (which clears our files).
    """
    cfg_path = out / runs.CONFIG
    if cfg_path.is_file():
        try:
            saved = runs.read_json(cfg_path)["train"]
        except (FlipFlopError, KeyError, TypeError):
            saved = None
        if saved == config.to_dict():
            return True
        if not force:
            raise FlipFlopError(f"{out} holds a run with a different config; use --force to overwrite it")
        for p in list(out.glob("checkpoint-*.keras")) + [out / n for n in (
                runs.MODEL, runs.INITIAL, runs.CONFIG, runs.HISTORY, runs.METRICS, runs.STATE)]:
            p.unlink(missing_ok=True)
    elif out.exists() and not out.is_dir():
        raise FlipFlopError(f"{out} exists and is not a directory")
    elif out.is_dir() and any(out.iterdir()) and not force:
        raise FlipFlopError(f"{out} is not empty and holds no run; use --force or another --out")
    return False


def epoch_data(config: TrainConfig, epoch: int, base=None):
    """Training inputs and targets of ``epoch``: a function of (seed, epoch) only."""
    if config.fresh_data:
        duration = config.curriculum_ms[epoch] if epoch < len(config.curriculum_ms) else None
        trials = config.make_task(duration).generate(config.samples_per_epoch, [config.seed, 1, epoch])
        return trials.inputs, trials.targets
    perm = np.random.default_rng([config.seed, 3, epoch]).permutation(len(base.inputs))
    return base.inputs[perm], base.targets[perm]


def train(config: TrainConfig, out: str | Path, force: bool = False, verbose: int = 1,
          callbacks: list | None = None, log: Callable[[str], None] = print) -> TrainResult:
    """Train ``config`` into run directory ``out``, resuming a run of the same config there.

    Raises ``TrainingDiverged`` (after keeping the last good model) if the loss turns NaN.
    """
    import keras

    out = Path(out)
    resume = prepare_run_dir(config, out, force)
    start = time.perf_counter()
    if resume and (out / runs.METRICS).is_file():
        metrics = runs.read_json(out / runs.METRICS)
        log(f"{out}: already finished")
        return TrainResult(out, metrics["epochs_run"], metrics["reached_target"], metrics, 0.0)

    task = config.make_task()
    val = task.generate(config.val_samples, [config.seed, 2])
    base = None if config.fresh_data else task.generate(config.samples_per_epoch, [config.seed, 1])
    state = runs.read_json(out / runs.STATE) if resume and (out / runs.STATE).is_file() else None
    if state:
        model = runs.load_model(out / state["checkpoint"])
        history = [r for r in runs.read_history(out / runs.HISTORY) if r["epoch"] <= state["epoch"]]
        log(f"{out}: resuming after epoch {state['epoch']}")
    else:
        out.mkdir(parents=True, exist_ok=True)
        model = build_model(config.cell, config.units, task.n_bits, learning_rate=config.learning_rate,
                            decay=config.decay, clipnorm=config.clipnorm,
                            io_lr_multiplier=config.io_lr_multiplier, optimizer=config.optimizer, seed=config.seed,
                            **config.cell_kwargs)
        runs.write_json(out / runs.CONFIG, {
            "source": "trained", "cell": config.cell, "units": config.units, "n_bits": task.n_bits,
            "n_params": model.count_params(), "train": config.to_dict(), "versions": versions()})
        runs.save_model(model, out / runs.INITIAL)
        history, state = [], {"epoch": 0, "best_val_loss": math.inf, "wait": 0, "checkpoint": None,
                              "seconds": 0.0}

    reached = any(r["val_bit_accuracy"] >= config.target_accuracy and r["val_mse"] <= config.target_mse
                  for r in history)
    for epoch in range(state["epoch"], config.epochs):
        if reached or state["wait"] >= config.patience:
            break
        t0 = time.perf_counter()
        x, y = epoch_data(config, epoch, base)
        fit = model.fit(x, y, batch_size=config.batch_size, epochs=epoch + 1, initial_epoch=epoch,
                        shuffle=False, verbose=verbose,
                        callbacks=[keras.callbacks.TerminateOnNaN(), *(callbacks or [])])
        loss = fit.history["loss"][-1] if fit.history.get("loss") else math.nan
        if not math.isfinite(loss):
            raise TrainingDiverged(f"loss became {loss} in epoch {epoch + 1}; "
                                   f"the last good model is kept in {out}")
        outputs = model.predict(val.inputs, batch_size=256, verbose=0)
        row = {"epoch": epoch + 1, "loss": loss, "val_mse": mse(outputs, val.targets),
               "val_bit_accuracy": bit_accuracy(outputs, val.targets),
               "learning_rate": float(keras.ops.convert_to_numpy(
                   model.optimizer.learning_rate)), "seconds": time.perf_counter() - t0}
        history.append(row)
        improved = row["val_mse"] < state["best_val_loss"]
        if improved:
            runs.save_model(model, out / runs.MODEL)
        reached = row["val_bit_accuracy"] >= config.target_accuracy and row["val_mse"] <= config.target_mse
        checkpoint = f"checkpoint-{epoch + 1:04d}.keras"
        runs.save_model(model, out / checkpoint)
        runs.write_history(out / runs.HISTORY, history)
        old = state["checkpoint"]
        state = {"epoch": epoch + 1, "checkpoint": checkpoint,
                 "best_val_loss": min(row["val_mse"], state["best_val_loss"]),
                 "wait": 0 if improved else state["wait"] + 1,
                 "seconds": state["seconds"] + row["seconds"]}
        runs.write_json(out / runs.STATE, state)  # the commit point of this epoch
        if old and old != checkpoint:
            (out / old).unlink(missing_ok=True)
        log(f"epoch {epoch + 1}/{config.epochs}: loss {loss:.4f}  val_mse {row['val_mse']:.4f}  "
            f"val_bit_accuracy {row['val_bit_accuracy']:.5f}  ({row['seconds']:.1f} s)")

    best = runs.load_model(out / runs.MODEL)
    metrics = {**evaluate(best, task, seed=config.seed + 10_000), "epochs_run": state["epoch"],
               "reached_target": bool(reached), "train_seconds": state["seconds"]}
    runs.write_json(out / runs.METRICS, metrics)
    (out / state["checkpoint"]).unlink(missing_ok=True)
    (out / runs.STATE).unlink(missing_ok=True)
    return TrainResult(out, state["epoch"], bool(reached), metrics, time.perf_counter() - start)
