"""Training into a run directory: one ``model.fit``, seeded, resumable, stopped on a target.

Epoch ``e`` sees data that depends only on ``(seed, e)`` (:class:`EpochData`): the paper
recipe shuffles one fixed training set with a permutation drawn from ``(seed, e)``; the
fast recipe draws fresh trials. The loss is the MSE weighted by the task's loss mask
(Keras ``sample_weight``). Callbacks do the rest:

- ``keras.callbacks.TerminateOnNaN`` stops on a NaN loss (the last good model is kept);
- :class:`TaskValidation` scores the task's own measure on validation trials;
- :class:`RunRecorder` saves the best model, the history, and after every epoch a
  checkpoint (weights + optimizer) and ``state.json``, the epoch's commit point, all
  written atomically; it stops at the two-metric target or after ``patience`` epochs
  without improvement.

Keras' ``BackupAndRestore``/``CSVLogger``/``EarlyStopping`` don't fit: their files are not
written atomically, and the early-stopping state would not survive a resume.
"""
from __future__ import annotations

import dataclasses
import math
import time
from dataclasses import asdict, dataclass, fields, replace
from pathlib import Path
from typing import Any, Callable

import numpy as np

from flipflop import runs
from flipflop.cells import CELLS, cell_spec
from flipflop.errors import FlipFlopError, param, validate_fields
from flipflop.metrics import evaluate
from flipflop.models import build_model
from flipflop.recipes import OPTIMIZERS, RECIPES
from flipflop.tasks import Task, make_task

@dataclass(frozen=True)
class TrainConfig:
    """Everything that determines a training run (the task's times, in ms, live in ``task``).

    ``target_accuracy`` is the task's own performance measure (bit accuracy for the
    flip-flop); both targets default to the task's ``default_target``.
    """

    cell: str = param("simplernn", kind="str", choices=tuple(CELLS), help="recurrent cell")
    units: int = param(400, kind="int", low=1, help="recurrent units")
    seed: int = param(0, kind="int", low=0, help="seed of weights and data")
    recipe: str = param("fast", kind="str", choices=tuple(RECIPES), help="training recipe")
    optimizer: str = param("muon", kind="str", choices=OPTIMIZERS, help="optimizer of the recurrent matrix")
    batch_size: int = param(32, kind="int", low=1, help="trials per batch")
    samples_per_epoch: int = param(2048, kind="int", low=1, help="training trials per epoch")
    fresh_data: bool = param(True, kind="bool", help="fresh trials every epoch (else one shuffled set)")
    learning_rate: float = param(1e-3, low=0, open_low=True, help="learning rate of the recurrent weights")
    decay: float = param(2e-3, low=0, help="inverse-time decay: lr / (1 + decay * step)")
    clipnorm: float | None = param(1.0, low=0, open_low=True, none=True, help="gradient norm clip")
    io_lr_multiplier: float = param(2.0, low=0, open_low=True, help="rate multiplier of input/readout weights")
    epochs: int = param(60, kind="int", low=1, help="maximum epochs")
    curriculum_ms: tuple = param((), kind="floats", low=0, open_low=True, unit="ms",
                                 help="trial duration of the first epochs, one entry per epoch")
    val_samples: int = param(512, kind="int", low=1, help="validation trials")
    target_accuracy: float | None = param(None, low=0, high=1, open_low=True, none=True,
                                          help="stop at this validation performance (task default)")
    target_mse: float | None = param(None, low=0, open_low=True, none=True,
                                     help="... together with this validation MSE (task default)")
    patience: int = param(10, kind="int", low=1, help="stop after this many epochs without improvement")
    anchor_decay: float = param(0.0, low=0, help="anchored-muon: pull of W_rec towards its start, per unit of lr")
    task: dict = dataclasses.field(default_factory=lambda: make_task().to_dict())
    cell_kwargs: dict = dataclasses.field(default_factory=dict)

    def __post_init__(self) -> None:
        object.__setattr__(self, "curriculum_ms", tuple(self.curriculum_ms))
        validate_fields(self)
        task = self.make_task()  # validates the task parameters
        object.__setattr__(self, "task", task.to_dict())
        for name, default in zip(("target_accuracy", "target_mse"), task.default_target):
            if getattr(self, name) is None:
                object.__setattr__(self, name, default)
        for ms in self.curriculum_ms:
            self.make_task(ms)
        spec = cell_spec(self.cell)
        kwargs = dict(self.cell_kwargs)
        if "dt_ms" in {f.name for f in fields(spec.params)}:  # the cell integrates with the task's step
            if kwargs.get("dt_ms", task.dt_ms) != task.dt_ms:
                raise FlipFlopError(f"{self.cell} dt_ms ({kwargs['dt_ms']}) must equal the task's dt_ms ({task.dt_ms})")
            kwargs["dt_ms"] = task.dt_ms
        spec.make_params(kwargs)  # validates the cell's own parameters
        object.__setattr__(self, "cell_kwargs", kwargs)
        if self.cell == "ctrnn":
            from flipflop.ctrnn import CTRNN

            CTRNN(self.units, **kwargs)  # cross-checks (dt <= tau, Dale ratio leaves both populations)

    @classmethod
    def from_recipe(cls, recipe: str = "fast", **overrides: Any) -> "TrainConfig":
        """The named recipe's settings, then ``overrides`` (None values are ignored). The
        learning rate defaults to the cell registry's rate for this recipe."""
        if recipe not in RECIPES:
            raise FlipFlopError(f"unknown recipe {recipe!r}; choose one of {', '.join(RECIPES)}")
        given = {k: v for k, v in overrides.items() if v is not None}
        unknown = set(given) - {f.name for f in fields(cls)}
        if unknown:
            raise FlipFlopError(f"unknown training parameter(s): {', '.join(sorted(unknown))}")
        params = {**RECIPES[recipe], **given}
        if "learning_rate" not in params:
            params["learning_rate"] = cell_spec(params.get("cell", "simplernn")).rate(recipe)
        return cls(recipe=recipe, **params)

    @classmethod
    def from_dict(cls, d: dict) -> "TrainConfig":
        """A config from ``to_dict``'s output (also the ``train`` entry of older run configs)."""
        if not isinstance(d, dict):
            raise FlipFlopError(f"a training config must be a mapping, got {type(d).__name__}")
        unknown = set(d) - {f.name for f in fields(cls)}
        if unknown:
            raise FlipFlopError(f"unknown training parameter(s): {', '.join(sorted(unknown))}")
        return cls(**d)

    def make_task(self, duration_ms: float | None = None) -> Task:
        """The task, or a copy whose trials last ``duration_ms`` (a curriculum step)."""
        task = make_task(self.task)
        if duration_ms is None:
            return task
        if not hasattr(task, "duration_ms"):
            raise FlipFlopError(f"curriculum_ms needs a task with a duration_ms; {task.name} has none")
        return replace(task, duration_ms=float(duration_ms))

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
    from flipflop.backend import keras
    from flipflop.backend import tf

    from flipflop import __version__

    return {"flipflop": __version__, "keras": keras.__version__, "tensorflow": tf.__version__,
            "numpy": np.__version__}


def prepare_run_dir(config: TrainConfig, out: Path, force: bool = False) -> bool:
    """Check ``out`` (creating nothing); True if it holds a run of the same config to resume.

    A different config in ``out`` is refused unless ``force`` (which clears our files).
    """
    if (out / runs.CONFIG).is_file():
        try:
            saved = TrainConfig.from_dict(runs.read_config(out)["train"]).to_dict()
        except (FlipFlopError, KeyError, TypeError):
            saved = None
        if saved == config.to_dict():
            return True
        if not force:
            raise FlipFlopError(f"{out} holds a run with a different config; use --force to overwrite it")
        runs.clear_run(out)
    elif out.exists() and not out.is_dir():
        raise FlipFlopError(f"{out} exists and is not a directory")
    elif out.is_dir() and any(out.iterdir()) and not force:
        raise FlipFlopError(f"{out} is not empty and holds no run; use --force or another --out")
    return False


class EpochData:
    """Training batches of each epoch as a ``keras.utils.PyDataset``: epoch ``e``'s trials
    are a function of ``(seed, e)`` only, so a resumed run sees the same data."""

    def __new__(cls, config: TrainConfig, task: Task, initial_epoch: int = 0):
        from flipflop.backend import keras

        class _EpochData(keras.utils.PyDataset):
            def __init__(self) -> None:
                super().__init__(workers=1, use_multiprocessing=False)
                self.epoch, self._next = initial_epoch, initial_epoch
                self._cached: tuple[int, tuple] | None = None
                self._base = None if config.fresh_data else task.generate(config.samples_per_epoch,
                                                                           [config.seed, 1])

            def __len__(self) -> int:
                return math.ceil(config.samples_per_epoch / config.batch_size)

            def on_epoch_begin(self) -> None:
                self.epoch, self._next = self._next, self._next + 1

            def arrays(self, epoch: int) -> tuple:
                if self._cached is None or self._cached[0] != epoch:
                    self._cached = (epoch, epoch_arrays(config, task, epoch, self._base))
                return self._cached[1]

            def __getitem__(self, i: int) -> tuple:
                part = slice(i * config.batch_size, (i + 1) * config.batch_size)
                return tuple(a[part] for a in self.arrays(self.epoch))

        return _EpochData()


def epoch_arrays(config: TrainConfig, task: Task, epoch: int, base=None) -> tuple:
    """Inputs, targets (and loss weights, unless every step weighs 1) of ``epoch``."""
    if config.fresh_data:
        duration = config.curriculum_ms[epoch] if epoch < len(config.curriculum_ms) else None
        trials = config.make_task(duration).generate(config.samples_per_epoch, [config.seed, 1, epoch])
    else:
        trials = base.subset(np.random.default_rng([config.seed, 3, epoch]).permutation(len(base)))
    if np.all(trials.mask == 1):  # the flip-flop: plain MSE, as the paper trains
        return trials.inputs, trials.targets
    return trials.inputs, trials.targets, trials.mask


def _callbacks(config: TrainConfig, task: Task, out: Path, state: dict, history: list[dict],
               log: Callable[[str], None], verbose: int):
    from flipflop.backend import keras

    val = task.generate(config.val_samples, [config.seed, 2])
    key = f"val_{task.metric}"

    class TaskValidation(keras.callbacks.Callback):
        """Adds the task's validation measures (``val_mse``, ``val_<metric>``) to the epoch logs."""

        def on_epoch_end(self, epoch: int, logs: dict | None = None) -> None:
            if logs is not None and math.isfinite(logs.get("loss", math.nan)):
                scores = task.score(self.model.predict(val.inputs, batch_size=256, verbose=0), val)
                logs.update({"val_mse": scores["mse"], key: scores[task.metric]})

    class RunRecorder(keras.callbacks.Callback):
        """Best model, history, checkpoint and ``state.json`` after each epoch; target and patience stops."""

        def on_epoch_begin(self, epoch: int, logs: dict | None = None) -> None:
            self.t0 = time.perf_counter()
            self.bar = keras.utils.Progbar(len_data, verbose=1) if verbose else None

        def on_train_batch_end(self, batch: int, logs: dict | None = None) -> None:
            if self.bar is not None:
                self.bar.update(batch + 1, [("loss", (logs or {}).get("loss", math.nan))])

        def on_epoch_end(self, epoch: int, logs: dict | None = None) -> None:
            logs = logs or {}
            loss = float(logs.get("loss", math.nan))
            if not math.isfinite(loss):
                state["diverged"] = f"loss became {loss} in epoch {epoch + 1}"
                self.model.stop_training = True
                return
            row = {"epoch": epoch + 1, "loss": loss, "val_mse": float(logs["val_mse"]), key: float(logs[key]),
                   "learning_rate": float(keras.ops.convert_to_numpy(self.model.optimizer.learning_rate)),
                   "seconds": time.perf_counter() - self.t0}
            history.append(row)
            improved = row["val_mse"] < state["best_val_loss"]
            if improved:
                runs.save_model(self.model, out / runs.MODEL)
            checkpoint = runs.checkpoint_name(epoch + 1)
            runs.save_model(self.model, out / checkpoint)
            runs.write_history(out / runs.HISTORY, history)
            old = state["checkpoint"]
            state.update({"epoch": epoch + 1, "checkpoint": checkpoint,
                          "best_val_loss": min(row["val_mse"], state["best_val_loss"]),
                          "wait": 0 if improved else state["wait"] + 1,
                          "seconds": state["seconds"] + row["seconds"]})
            runs.write_json(out / runs.STATE, {k: v for k, v in state.items() if k != "diverged"})  # commit point
            if old and old != checkpoint:
                (out / old).unlink(missing_ok=True)
            log(f"epoch {epoch + 1}/{config.epochs}: loss {loss:.4f}  val_mse {row['val_mse']:.4f}  "
                f"{key} {row[key]:.5f}  ({row['seconds']:.1f} s)")
            if reached(config, task, [row]) or state["wait"] >= config.patience:
                self.model.stop_training = True

    len_data = math.ceil(config.samples_per_epoch / config.batch_size)
    return TaskValidation(), RunRecorder()


def reached(config: TrainConfig, task: Task, history: list[dict]) -> bool:
    """True once a history row meets both targets (performance and MSE)."""
    key = f"val_{task.metric}"
    return any(r[key] >= config.target_accuracy and r["val_mse"] <= config.target_mse for r in history)


def train(config: TrainConfig, out: str | Path, force: bool = False, verbose: int = 1,
          callbacks: list | None = None, log: Callable[[str], None] = print) -> TrainResult:
    """Train ``config`` into run directory ``out``, resuming a run of the same config there.

    ``callbacks`` (Keras callbacks) see each epoch's logs, validation measures included,
    before the epoch is committed to disk. Raises ``TrainingDiverged`` (after keeping the
    last good model) if the loss turns NaN.
    """
    from flipflop.backend import keras

    out = Path(out)
    resume = prepare_run_dir(config, out, force)
    start = time.perf_counter()
    if resume and (out / runs.METRICS).is_file():
        metrics = runs.read_json(out / runs.METRICS)
        log(f"{out}: already finished")
        return TrainResult(out, metrics["epochs_run"], metrics["reached_target"], metrics, 0.0)

    task = config.make_task()
    state = runs.read_json(out / runs.STATE) if resume and (out / runs.STATE).is_file() else None
    if state:
        model = runs.load_model(out / state["checkpoint"])
        history = [r for r in runs.read_history(out / runs.HISTORY) if r["epoch"] <= state["epoch"]]
        log(f"{out}: resuming after epoch {state['epoch']}")
    else:
        model = build_model(config.cell, config.units, task.n_inputs, task.n_outputs,
                            learning_rate=config.learning_rate, decay=config.decay, clipnorm=config.clipnorm,
                            io_lr_multiplier=config.io_lr_multiplier, optimizer=config.optimizer,
                            seed=config.seed, anchor_decay=config.anchor_decay, **config.cell_kwargs)
        runs.ensure_writable_dir(out)
        runs.write_config(out, {"source": "trained", "cell": config.cell, "units": config.units,
                                "task": task.name, "n_inputs": task.n_inputs, "n_outputs": task.n_outputs,
                                "n_params": model.count_params(), "train": config.to_dict(),
                                "versions": versions()})
        runs.save_model(model, out / runs.INITIAL)
        history, state = [], {"epoch": 0, "best_val_loss": math.inf, "wait": 0, "checkpoint": None,
                              "seconds": 0.0}

    done = reached(config, task, history) or state["wait"] >= config.patience or state["epoch"] >= config.epochs
    if not done:
        validation, recorder = _callbacks(config, task, out, state, history, log, verbose)
        model.fit(EpochData(config, task, state["epoch"]), epochs=config.epochs, initial_epoch=state["epoch"],
                  shuffle=False, verbose=0,
                  callbacks=[keras.callbacks.TerminateOnNaN(), validation, *(callbacks or []), recorder])
        if "diverged" in state:
            raise TrainingDiverged(f"{state['diverged']}; the last good model is kept in {out}")

    best = runs.load_model(out / runs.MODEL)
    metrics = {**evaluate(best, task, seed=config.seed + 10_000), "epochs_run": state["epoch"],
               "reached_target": reached(config, task, history), "train_seconds": state["seconds"]}
    runs.write_json(out / runs.METRICS, metrics)
    if state["checkpoint"]:
        (out / state["checkpoint"]).unlink(missing_ok=True)
    (out / runs.STATE).unlink(missing_ok=True)
    return TrainResult(out, state["epoch"], metrics["reached_target"], metrics, time.perf_counter() - start)
