"""The ``Task`` interface: what every task the package trains declares.

A task is a frozen dataclass of parameters (times in ms, each field with its constraint,
see :func:`flipflop.errors.param`) plus:

- ``name`` (its registry key) and ``metric`` (the name of its performance measure);
- ``input_channels()`` / ``output_channels()``: named :class:`Channel` s with their meaning;
- ``period_names``: its named trial periods (fixation, stimulus, delay, decision...);
- ``generate(n, seed) -> Trials``: inputs, targets, a loss mask, per-trial conditions and
  the periods of every trial, a function of the seed only;
- ``score(outputs, trials) -> dict``: its performance as the field defines it
  (``metric`` key) and the masked MSE (``"mse"`` key);
- ``analysis_series() -> Trials``: the noise-free inputs its analyses use (the 8-state
  series for the flip-flop, condition-averaged trials for the others).

What a task's analyses measure and draw is declared apart, in the task's folder
(:mod:`flipflop.tasks.spec`): the generator here needs no analysis code.

Periods follow neurogym's ``add_period``: a task lays out consecutive named periods with
:func:`sequential_periods`, and the resulting ``Trials.periods`` map each name to the
``[start, stop)`` steps of every trial, for figures and analyses to read.
"""
from __future__ import annotations

import dataclasses
from typing import Any, ClassVar, NamedTuple

import numpy as np

from flipflop.errors import FlipFlopError, check_positive_int, from_dict, parameter_table, validate_fields


@dataclasses.dataclass(frozen=True)
class Channel:
    """One input or output channel: a short name and what it carries."""

    name: str
    meaning: str


class Trials(NamedTuple):
    """A batch of trials. Arrays are (samples, steps, channels) unless stated."""

    inputs: np.ndarray  # float32
    targets: np.ndarray  # float32
    mask: np.ndarray  # float32 (samples, steps): the loss weight of each step, 0 where the output is free
    conditions: dict  # name -> (samples,) per-trial label, or (samples, steps) per-step label
    periods: dict  # name -> int (samples, 2): [start, stop) steps of that period in each trial

    def __len__(self) -> int:  # the number of trials, not of tuple fields
        return len(self.inputs)

    def subset(self, index) -> "Trials":
        """The trials selected by ``index`` (a slice, mask or index array)."""
        return Trials(self.inputs[index], self.targets[index], self.mask[index],
                      {k: v[index] for k, v in self.conditions.items()},
                      {k: v[index] for k, v in self.periods.items()})


@dataclasses.dataclass(frozen=True)
class Task:
    """Base class of every task: validation, (de)serialisation and the shared helpers.

    Subclasses are frozen dataclasses whose fields are declared with
    :func:`flipflop.errors.param`; they set the class variables below and implement
    ``input_channels``, ``output_channels``, ``generate``, ``score`` and ``analysis_series``.
    """

    name: ClassVar[str] = ""
    metric: ClassVar[str] = "accuracy"
    # The training loss: "mse" (the mask-weighted MSE of the outputs against the targets) or
    # "cross_entropy" (the outputs are logits; the targets one-hot; weighted by the mask).
    loss: ClassVar[str] = "mse"
    period_names: ClassVar[tuple[str, ...]] = ()
    series_name: ClassVar[str] = "conditions"  # the key of ``analysis_series``' scores in metrics.json
    series_label: ClassVar[str] = "condition-averaged"  # how messages name the analysis series
    # The training target reached on validation trials: (performance, masked MSE).
    default_target: ClassVar[tuple[float, float]] = (0.999, 0.02)
    # Task parameters that a cell changes when none are given, by cell name (e.g. a
    # continuous-time cell's coarser step): applied by :meth:`for_cell`.
    cell_defaults: ClassVar[dict[str, dict]] = {}

    def __post_init__(self) -> None:
        for f in dataclasses.fields(self):  # lists from JSON become tuples (hashable, frozen)
            if isinstance(getattr(self, f.name), list):
                object.__setattr__(self, f.name, tuple(getattr(self, f.name)))
        validate_fields(self)
        for f in dataclasses.fields(self):  # validated number lists are stored as float tuples
            c = f.metadata.get("constraint")
            if c is not None and c.kind in ("range", "floats", "duration") and isinstance(getattr(self, f.name), tuple):
                object.__setattr__(self, f.name, tuple(float(v) for v in getattr(self, f.name)))
        self.check()

    def check(self) -> None:
        """Cross-parameter checks of a subclass (one-line FlipFlopError); none by default."""

    # ---------------------------------------------------------------- interface

    def input_channels(self) -> tuple[Channel, ...]:
        raise NotImplementedError

    def output_channels(self) -> tuple[Channel, ...]:
        raise NotImplementedError

    def generate(self, n_samples: int, seed: Any = 0) -> Trials:
        raise NotImplementedError

    def score(self, outputs: np.ndarray, trials: Trials) -> dict:
        raise NotImplementedError

    def analysis_series(self) -> Trials:
        raise NotImplementedError

    # ---------------------------------------------------------------- shared

    @property
    def n_inputs(self) -> int:
        return len(self.input_channels())

    @property
    def n_outputs(self) -> int:
        return len(self.output_channels())

    def steps(self, ms: float) -> int:
        """Number of simulation steps in ``ms`` milliseconds (``dt_ms`` per step)."""
        return int(round(ms / self.dt_ms))  # type: ignore[attr-defined]

    def to_dict(self) -> dict:
        """JSON-ready parameters, with the task's registry ``name`` first."""
        d = {k: list(v) if isinstance(v, tuple) else v for k, v in dataclasses.asdict(self).items()}
        return {"name": self.name, **d}

    @classmethod
    def from_dict(cls, d: dict) -> "Task":
        """Parameters (``to_dict``'s output, ``name`` optional) back into a task."""
        d = {k: v for k, v in d.items() if k != "name"}
        return from_dict(cls, d, what=f"{cls.name} task parameter")

    @classmethod
    def describe(cls) -> dict:
        """Name, summary, parameters (unit, default, allowed values), channels, periods."""
        task = cls()
        doc = (cls.__doc__ or "").strip()
        return {"name": cls.name, "summary": doc.splitlines()[0] if doc else "", "metric": cls.metric,
                "parameters": parameter_table(cls),
                "inputs": [dataclasses.asdict(c) for c in task.input_channels()],
                "outputs": [dataclasses.asdict(c) for c in task.output_channels()],
                "periods": list(cls.period_names)}

    @classmethod
    def for_cell(cls, cell: str, given: dict) -> dict:
        """The task parameters ``given``, with this task's ``cell_defaults`` for ``cell``
        filled in where ``given`` leaves them out."""
        return {**cls.cell_defaults.get(cell, {}), **given}

    def ideal_census(self) -> "tuple[str, dict[int, int]] | None":
        """The fixed points an ideal network has, ``(label, {unstable modes: count})``,
        printed beside a census by ``flipflop fixed-points``; None (the default): no ideal."""
        return None

    def check_model(self, model) -> None:
        """Refuse a model whose input or output width differs from the task's channels."""
        n_in, n_out = model.input_shape[-1], model.output_shape[-1]
        if (n_in, n_out) != (self.n_inputs, self.n_outputs):
            raise FlipFlopError(f"model has {n_in} inputs and {n_out} outputs but the {self.name} task has "
                                f"{self.n_inputs} inputs and {self.n_outputs} outputs")


# -------------------------------------------------------------------- helpers for tasks


def masked_mse(outputs: np.ndarray, trials: Trials) -> float:
    """Mean squared error over the steps the loss mask weighs (the training loss, as Keras
    computes it with ``sample_weight``: mean over channels, weighted mean over steps)."""
    err = np.mean((np.asarray(outputs, np.float64) - trials.targets) ** 2, axis=-1)
    w = np.asarray(trials.mask, np.float64)
    return float(np.sum(err * w) / max(np.sum(w), 1e-12))


def sequential_periods(durations: dict[str, np.ndarray]) -> dict[str, np.ndarray]:
    """Consecutive periods (neurogym's ``add_period``): name -> steps (samples,) in order,
    to name -> ``[start, stop)`` steps (samples, 2)."""
    out, start = {}, None
    for name, steps in durations.items():
        steps = np.asarray(steps, np.int64)
        if np.any(steps < 0):
            raise FlipFlopError(f"period {name!r} has a negative duration")
        start = np.zeros_like(steps) if start is None else start
        out[name] = np.stack([start, start + steps], axis=-1)
        start = start + steps
    return out


def period_mask(periods: dict[str, np.ndarray], name: str, n_steps: int) -> np.ndarray:
    """Boolean (samples, steps): True inside period ``name`` of each trial."""
    t = np.arange(n_steps)[None, :]
    span = periods[name]
    return (t >= span[:, :1]) & (t < span[:, 1:])


def check_samples(n_samples: int) -> None:
    check_positive_int("n_samples", n_samples)
