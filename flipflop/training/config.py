"""``TrainConfig``: everything that determines a training run, validated once from its table.

Each field is a :func:`flipflop.errors.param` with its constraint; the task's parameters
(times in ms) live in ``task``, the cell's in ``cell_kwargs``. Named recipes
(:mod:`flipflop.models.recipes`) fill in the rest, and each cell's learning rate per recipe
comes from the cell registry. Reading a config imports no TensorFlow.
"""
from __future__ import annotations

import dataclasses
from dataclasses import asdict, dataclass, fields, replace
from typing import Any

from flipflop.errors import MAX_SEED, FlipFlopError, param, validate_fields
from flipflop.models.cells import CELLS, cell_spec
from flipflop.models.recipes import OPTIMIZERS, RECIPES
from flipflop.tasks import Task, make_task


@dataclass(frozen=True)
class TrainConfig:
    """Everything that determines a training run (the task's times, in ms, live in ``task``).

    ``target_accuracy`` is the task's own performance measure (bit accuracy for the
    flip-flop); both targets default to the task's ``default_target``.
    """

    cell: str = param("simplernn", kind="str", choices=tuple(CELLS), help="recurrent cell")
    units: int = param(400, kind="int", low=1, help="recurrent units")
    seed: int = param(0, kind="int", low=0, high=MAX_SEED, help="seed of weights and data")
    recipe: str = param("fast", kind="str", choices=tuple(RECIPES), help="training recipe")
    optimizer: str = param("muon", kind="str", choices=OPTIMIZERS, help="optimizer of the recurrent matrix")
    batch_size: int = param(32, kind="int", low=1, help="trials per batch")
    samples_per_epoch: int = param(2048, kind="int", low=1, help="training trials per epoch")
    fresh_data: bool = param(True, kind="bool", help="fresh trials every epoch (else one shuffled set)")
    learning_rate: float = param(1e-3, low=0, open_low=True, help="learning rate of the recurrent weights", flag="--lr")
    decay: float = param(2e-3, low=0, help="inverse-time decay: lr / (1 + decay * step)")
    clipnorm: float | None = param(1.0, low=0, open_low=True, none=True, help="gradient norm clip")
    io_lr_multiplier: float = param(2.0, low=0, open_low=True, help="rate multiplier of input/readout weights")
    epochs: int = param(60, kind="int", low=1, help="maximum epochs")
    curriculum_ms: tuple = param((), kind="floats", low=0, open_low=True, unit="ms",
                                 help="trial duration of the first epochs, one entry per epoch (e.g. 170,255)")
    delay_curriculum_ms: tuple = param((), kind="floats", low=0, unit="ms",
                                       help="longest memory delay of the first epochs, one entry per epoch (e.g. 500,1000)")
    min_epochs: int = param(0, kind="int", low=0, help="train at least this many epochs, past the target")
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
        for name in ("curriculum_ms", "delay_curriculum_ms"):  # one number: one epoch's entry
            value = getattr(self, name)
            if isinstance(value, (int, float)) and not isinstance(value, bool):
                value = (value,)
            object.__setattr__(self, name, tuple(value) if isinstance(value, (list, tuple)) else value)
        validate_fields(self)
        if not self.fresh_data and (self.curriculum_ms or self.delay_curriculum_ms):
            raise FlipFlopError("a curriculum (curriculum_ms, delay_curriculum_ms) needs fresh trials every epoch "
                                "(fresh_data); one fixed set of trials, as the paper recipe trains, has one length")
        task = self.make_task()  # validates the task parameters
        object.__setattr__(self, "task", task.to_dict())
        for name, default in zip(("target_accuracy", "target_mse"), task.default_target):
            if getattr(self, name) is None:
                object.__setattr__(self, name, default)
        for ms in self.curriculum_ms:
            self.make_task(ms)
        for ms in self.delay_curriculum_ms:
            self.make_task(max_delay_ms=ms)
        spec = cell_spec(self.cell)
        kwargs = dict(self.cell_kwargs)
        if "dt_ms" in {f.name for f in fields(spec.params)}:  # the cell integrates with the task's step
            if kwargs.get("dt_ms", task.dt_ms) != task.dt_ms:
                raise FlipFlopError(f"{self.cell} dt_ms ({kwargs['dt_ms']}) must equal the task's dt_ms ({task.dt_ms})")
            kwargs["dt_ms"] = task.dt_ms
        spec.make_params(kwargs)  # validates the cell's own parameters
        object.__setattr__(self, "cell_kwargs", kwargs)
        if spec.check is not None:
            spec.check(self.units, kwargs)

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

    def make_task(self, duration_ms: float | None = None, max_delay_ms: float | None = None) -> Task:
        """The task, or a copy whose trials last ``duration_ms`` or whose memory delay is capped
        at ``max_delay_ms`` (curriculum steps)."""
        task = make_task(self.task)
        if duration_ms is not None:
            if not hasattr(task, "duration_ms"):
                raise FlipFlopError(f"curriculum_ms needs a task with a duration_ms; {task.name} has none")
            task = replace(task, duration_ms=float(duration_ms))
        if max_delay_ms is not None:
            if not hasattr(task, "capped_delay"):
                raise FlipFlopError(f"delay_curriculum_ms needs a task with a memory delay; {task.name} has none")
            task = task.capped_delay(float(max_delay_ms))
        return task

    def epoch_task(self, epoch: int) -> Task:
        """The task of epoch ``epoch`` (0-based): its curriculum steps, if any."""
        duration = self.curriculum_ms[epoch] if epoch < len(self.curriculum_ms) else None
        delay = self.delay_curriculum_ms[epoch] if epoch < len(self.delay_curriculum_ms) else None
        return self.make_task(duration, delay) if duration is not None or delay is not None else self.make_task()

    def to_dict(self) -> dict:
        d = asdict(self)
        d["curriculum_ms"] = list(self.curriculum_ms)
        d["delay_curriculum_ms"] = list(self.delay_curriculum_ms)
        return d
