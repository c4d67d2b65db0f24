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
from flipflop.progress import Bar
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
    reused: bool = False  # the run had already finished: nothing was trained


class TrainingDiverged(RuntimeError):
    """The loss became NaN/inf; the last good model is kept in the run directory."""


def versions() -> dict:
    from flipflop.backend import keras
    from flipflop.backend import tf

    from flipflop import __version__

    return {"flipflop": __version__, "keras": keras.__version__, "tensorflow": tf.__version__,
            "numpy": np.__version__}


# What may change on an existing run: it is then trained further from its last checkpoint.
CONTINUABLE = ("epochs", "patience", "target_accuracy", "target_mse")
_FORCE = "; use --force to start it over"


def prepare_run_dir(config: TrainConfig, out: Path, force: bool = False,
                    log: Callable[[str], None] = print) -> dict | None:
    """Check run folder ``out`` (hold its lock): the verified state to resume from, or None
    to start afresh. A finished run has ``state["finished"]``.

    A different config in ``out`` is refused unless ``force`` (which clears our files), or
    unless only ``CONTINUABLE`` entries changed: the run is then continued, and the change
    recorded in ``config.json``'s ``continued`` list. A damaged run is repaired when that
    is exact, else refused (``force`` starts it over).
    """
    if not (out / runs.CONFIG).is_file():
        if any(p.name != runs.LOCK for p in out.iterdir()) and not force:
            raise FlipFlopError(f"{out} is not empty and holds no run; use --force or another --out")
        runs.clear_run(out)
        return None
    try:
        saved = TrainConfig.from_dict(runs.read_config(out)["train"]).to_dict()
    except (FlipFlopError, KeyError, TypeError) as e:
        if not force:
            raise FlipFlopError(f"{out / runs.CONFIG} is unreadable ({e}){_FORCE}") from None
        runs.clear_run(out)
        return None
    new = config.to_dict()
    changed = {k: [saved.get(k), v] for k, v in new.items() if saved.get(k) != v}
    if changed and not set(changed) <= set(CONTINUABLE):
        if not force:
            raise FlipFlopError(f"{out} holds a run with a different config ({', '.join(sorted(changed))}; only "
                                f"{', '.join(CONTINUABLE)} may change to train it further); use --force to overwrite it")
        runs.clear_run(out)
        return None
    problem = runs.finished_problem(out)
    if problem is None and not changed:
        try:
            runs.load_model(out / runs.MODEL)  # the seal matches: the model must load too
        except FlipFlopError as e:
            if not force:
                raise FlipFlopError(f"{e}{_FORCE}") from None
            runs.clear_run(out)
            return None
        return {"finished": True}
    if (out / runs.METRICS).is_file() and problem:
        log(f"{out}: {problem}; checking the training state")
    try:
        state = verified_state(out, log)
    except FlipFlopError as e:
        if not force:
            raise FlipFlopError(f"{e}{_FORCE}") from None
        log(f"{out}: {e}; starting over (--force)")
        runs.clear_run(out)
        return None
    if changed:
        if state is None:
            raise FlipFlopError(f"{out} has no training state (made by an older flipflop?), so it cannot "
                                f"be trained further exactly{_FORCE}")
        if config.epochs < state["epoch"]:
            raise FlipFlopError(f"{out} has already run {state['epoch']} epochs; --epochs {config.epochs} "
                                "cannot undo them")
        continue_run(out, config, changed, state["epoch"])
        log(f"{out}: continuing after epoch {state['epoch']} with "
            + ", ".join(f"{k} {a} -> {b}" for k, (a, b) in changed.items()))
    return state


def continue_run(out: Path, config: TrainConfig, changed: dict, epoch: int) -> None:
    """Unseal the finished run (``metrics.json`` goes) and record the change in ``config.json``."""
    from datetime import datetime, timezone

    (out / runs.METRICS).unlink(missing_ok=True)
    runs.clear_fixed_points(out)
    saved = runs.read_config(out)
    saved.pop("format", None)
    entry = {"after_epoch": epoch, "changed": changed,
             "date": datetime.now(timezone.utc).isoformat(timespec="seconds")}
    runs.write_config(out, {**saved, "train": config.to_dict(), "continued": saved.get("continued", []) + [entry]})


def verified_state(out: Path, log: Callable[[str], None] = print) -> dict | None:
    """``state.json``, checked against the history and the best model (None if there is none:
    start afresh). ``model.keras`` is restored from the checkpoint when it is
    the same epoch's; anything else that does not match is a FlipFlopError."""
    if not (out / runs.STATE).is_file():  # no epoch was committed (or the commit record is gone):
        if (out / runs.HISTORY).is_file():  # the same seed replays the run exactly from the start
            log(f"{out}: no {runs.STATE}; training again from epoch 1 (same seed, same result)")
        return None
    state = runs.read_json(out / runs.STATE)
    keys = ("epoch", "checkpoint", "best_val_loss", "wait", "seconds")
    if (not isinstance(state, dict) or any(k not in state for k in keys) or not isinstance(state["epoch"], int)
            or not isinstance(state["checkpoint"], str) or Path(state["checkpoint"]).name != state["checkpoint"]):
        raise FlipFlopError(f"corrupt file {out / runs.STATE}: not a training state")
    try:
        rows = [r for r in runs.read_history(out / runs.HISTORY) if r["epoch"] <= state["epoch"]]
    except (FlipFlopError, KeyError) as e:
        raise FlipFlopError(f"{out / runs.HISTORY} is corrupt ({e})") from None
    if ([r["epoch"] for r in rows] != list(range(1, state["epoch"] + 1))
            or state.get("history_sha256", runs.rows_digest(rows)) != runs.rows_digest(rows)):
        raise FlipFlopError(f"{out / runs.HISTORY} is corrupt or was modified (it does not match {runs.STATE})")
    for name, key in ((runs.INITIAL, "initial_sha256"), (runs.MODEL, "model_sha256")):
        path = out / name
        if key in state and (not path.is_file() or runs.file_digest(path) != state[key]):
            how = "corrupt" if path.is_file() else "missing"
            if name == runs.MODEL and state.get("best_epoch") == state["epoch"]:
                runs.load_model(out / state["checkpoint"])  # the same epoch's weights: check, then copy
                runs.copy_file(out / state["checkpoint"], path)
                state[key] = runs.file_digest(path)
                runs.write_json(out / runs.STATE, state)
                log(f"{out}: {name} was {how}; restored from {state['checkpoint']} (the same epoch)")
                continue
            raise FlipFlopError(f"{path} is {how} and cannot be recovered exactly")
    state["history"] = rows
    return state


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
            self.bar = Bar(len_data, "batches", f"epoch {epoch + 1}/{config.epochs}",
                           enabled=None if verbose else False)

        def on_train_batch_end(self, batch: int, logs: dict | None = None) -> None:
            self.bar.update(batch + 1, loss=float((logs or {}).get("loss", math.nan)))

        def on_epoch_end(self, epoch: int, logs: dict | None = None) -> None:
            self.bar.close()
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
                state.update({"best_epoch": epoch + 1, "model_sha256": runs.file_digest(out / runs.MODEL)})
            checkpoint = runs.checkpoint_name(epoch + 1)
            runs.save_model(self.model, out / checkpoint)
            runs.write_history(out / runs.HISTORY, history)
            old = state["checkpoint"]
            state.update({"epoch": epoch + 1, "checkpoint": checkpoint,
                          "best_val_loss": min(row["val_mse"], state["best_val_loss"]),
                          "wait": 0 if improved else state["wait"] + 1,
                          "seconds": state["seconds"] + row["seconds"], "history_sha256": runs.rows_digest(history)})
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
    """Train ``config`` into run directory ``out``, resuming a run of the same config there
    (or training a finished one further if only ``CONTINUABLE`` settings changed).

    The folder's lock is held throughout: a second trainer is refused. ``callbacks`` (Keras
    callbacks) see each epoch's logs, validation measures included, before the epoch is
    committed to disk. Raises ``TrainingDiverged`` (after keeping the last good model) if
    the loss turns NaN.
    """
    out = Path(out)
    with runs.locked(out):
        return _train_locked(config, out, force, verbose, callbacks, log)


def _train_locked(config: TrainConfig, out: Path, force: bool, verbose: int, callbacks: list | None,
                  log: Callable[[str], None]) -> TrainResult:
    from flipflop.backend import keras

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
        model = build_model(config.cell, config.units, task.n_inputs, task.n_outputs,
                            learning_rate=config.learning_rate, decay=config.decay, clipnorm=config.clipnorm,
                            io_lr_multiplier=config.io_lr_multiplier, optimizer=config.optimizer,
                            seed=config.seed, anchor_decay=config.anchor_decay, **config.cell_kwargs)
        runs.write_config(out, {"source": "trained", "cell": config.cell, "units": config.units,
                                "task": task.name, "n_inputs": task.n_inputs, "n_outputs": task.n_outputs,
                                "n_params": model.count_params(), "train": config.to_dict(),
                                "versions": versions()})
        runs.save_model(model, out / runs.INITIAL)
        history, state = [], {"epoch": 0, "best_val_loss": math.inf, "wait": 0, "checkpoint": None,
                              "seconds": 0.0, "initial_sha256": runs.file_digest(out / runs.INITIAL)}

    done = reached(config, task, history) or state["wait"] >= config.patience or state["epoch"] >= config.epochs
    if not done:
        if state["epoch"]:
            try:
                model = runs.load_model(out / state["checkpoint"])
            except FlipFlopError as e:
                raise FlipFlopError(f"{e}; the run cannot resume{_FORCE}") from None
            log(f"{out}: resuming after epoch {state['epoch']}")
        validation, recorder = _callbacks(config, task, out, state, history, log, verbose)
        model.fit(EpochData(config, task, state["epoch"]), epochs=config.epochs, initial_epoch=state["epoch"],
                  shuffle=False, verbose=0,
                  callbacks=[keras.callbacks.TerminateOnNaN(), validation, *(callbacks or []), recorder])
        if "diverged" in state:
            raise TrainingDiverged(f"{state['diverged']}; the last good model is kept in {out}")

    best = runs.load_model(out / runs.MODEL)
    metrics = {**evaluate(best, task, seed=config.seed + 10_000), "epochs_run": state["epoch"],
               "reached_target": reached(config, task, history), "train_seconds": state["seconds"]}
    runs.write_metrics(out, metrics)  # the seal; state.json and the last checkpoint stay, to train further
    return TrainResult(out, state["epoch"], metrics["reached_target"], metrics, time.perf_counter() - start)
