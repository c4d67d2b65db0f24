"""The package's one exception type, and the boundary checks that raise it.

Parameters are validated once, where they enter (a config, a CLI flag, a file), from a
declarative table: a dataclass field carries its constraint in ``metadata`` (see
:func:`param`), and :func:`validate_fields` reads every field's constraint. No if-chains.
"""
from __future__ import annotations

import dataclasses
import math
from typing import Any, Sequence


class FlipFlopError(ValueError):
    """Invalid input or file; its message is a complete one-line explanation."""


@dataclasses.dataclass(frozen=True)
class Constraint:
    """What one parameter accepts.

    ``kind``: "int", "float", "bool", "str", "range" (a (low, high) pair of floats) or
    "floats" (a sequence of floats); ``low``/``high`` bound numbers (and each element of
    "range"/"floats"); ``open_low`` makes the lower bound strict; ``choices`` lists the
    allowed strings; ``none`` allows None.
    """

    kind: str = "float"
    low: float | None = None
    high: float | None = None
    open_low: bool = False
    open_high: bool = False
    choices: tuple = ()
    none: bool = False
    unit: str = ""
    help: str = ""
    flag: str = ""  # a short CLI alias, e.g. "--tau" for tau_ms

    def describe(self) -> str:
        """The allowed values, in words (``> 0``, ``in [0, 1]``, ``one of a, b``)."""
        if self.choices:
            return "one of " + ", ".join(map(str, self.choices))
        lo = "" if self.low is None else f"{'>' if self.open_low else '>='} {self.low:g}"
        hi = "" if self.high is None else f"{'<' if self.open_high else '<='} {self.high:g}"
        return " and ".join(p for p in (lo, hi) if p) or "any value"


def param(default: Any = dataclasses.MISSING, *, factory: Any = dataclasses.MISSING, **constraint) -> Any:
    """A dataclass field whose ``metadata["constraint"]`` is a :class:`Constraint`."""
    meta = {"constraint": Constraint(**constraint)}
    if factory is not dataclasses.MISSING:
        return dataclasses.field(default_factory=factory, metadata=meta)
    return dataclasses.field(default=default, metadata=meta)


def _number(name: str, value: Any, c: Constraint, integer: bool) -> float:
    ok_types = (int,) if integer else (int, float)
    try:
        import numpy as np

        ok_types += (np.integer,) if integer else (np.integer, np.floating)
    except ImportError:  # pragma: no cover
        pass
    if isinstance(value, bool) or not isinstance(value, ok_types):
        raise FlipFlopError(f"{name} must be {'an integer' if integer else 'a number'}, got {value!r}")
    value = float(value)
    if not math.isfinite(value):
        raise FlipFlopError(f"{name} must be finite, got {value}")
    below = c.low is not None and (value <= c.low if c.open_low else value < c.low)
    above = c.high is not None and (value >= c.high if c.open_high else value > c.high)
    if integer and (below or above) and c.high is None and c.low in (0, 1) and not c.open_low:
        kind = "positive" if c.low == 1 else "non-negative"
        raise FlipFlopError(f"{name} must be a {kind} integer, got {int(value)}")
    if below or above:
        shown = int(value) if integer else value
        raise FlipFlopError(f"{name} must be {c.describe()}{' ' + c.unit if c.unit else ''}, got {shown:g}")
    return value


def check_value(name: str, value: Any, c: Constraint) -> None:
    """Raise a one-line FlipFlopError if ``value`` breaks constraint ``c``."""
    if value is None:
        if c.none:
            return
        raise FlipFlopError(f"{name} is required")
    if c.kind in ("int", "float"):
        _number(name, value, c, c.kind == "int")
    elif c.kind == "bool":
        if not isinstance(value, bool):
            raise FlipFlopError(f"{name} must be true or false, got {value!r}")
    elif c.kind == "str":
        if not isinstance(value, str) or (c.choices and value not in c.choices):
            raise FlipFlopError(f"unknown {name} {value!r}; choose one of {', '.join(map(str, c.choices))}"
                                if c.choices else f"{name} must be a string, got {value!r}")
    elif c.kind in ("range", "floats"):
        if isinstance(value, (str, bytes)) or not isinstance(value, Sequence):
            raise FlipFlopError(f"{name} must be a list of numbers, got {value!r}")
        if c.kind == "range" and len(value) != 2:
            raise FlipFlopError(f"{name} must be a range (low, high), got {list(value)!r}")
        for v in value:
            _number(name, v, c, False)
        if c.kind == "range" and value[1] < value[0]:
            raise FlipFlopError(f"{name} must be a range (low, high) with low <= high, got {list(value)!r}")
    else:  # pragma: no cover - a programming error in a table
        raise TypeError(f"unknown constraint kind {c.kind!r}")


def validate_fields(obj: Any) -> None:
    """Check every dataclass field of ``obj`` that carries a :class:`Constraint`."""
    for f in dataclasses.fields(obj):
        c = f.metadata.get("constraint")
        if c is not None:
            check_value(f.name, getattr(obj, f.name), c)


def parameter_table(cls: Any) -> list[dict]:
    """Name, default, unit, allowed values and help of each constrained field of ``cls``."""
    rows = []
    for f in dataclasses.fields(cls):
        c = f.metadata.get("constraint")
        if c is None:
            continue
        default = f.default if f.default is not dataclasses.MISSING else (
            f.default_factory() if f.default_factory is not dataclasses.MISSING else None)
        rows.append({"name": f.name, "default": list(default) if isinstance(default, tuple) else default,
                     "unit": c.unit, "allowed": c.describe(), "help": c.help})
    return rows


def from_dict(cls: Any, d: dict, what: str = "parameter") -> Any:
    """``cls(**d)`` with lists turned into tuples; unknown keys are a one-line error."""
    if not isinstance(d, dict):
        raise FlipFlopError(f"{what}s must be a mapping, got {d!r}")
    names = {f.name for f in dataclasses.fields(cls)}
    unknown = set(d) - names
    if unknown:
        raise FlipFlopError(f"unknown {what}(s): {', '.join(sorted(unknown))}; known: {', '.join(sorted(names))}")
    return cls(**{k: tuple(v) if isinstance(v, list) else v for k, v in d.items()})


def check_non_negative_int(name: str, value: object) -> None:
    """A one-line error unless ``value`` is a Python int >= 0 (a seed, an index)."""
    if isinstance(value, bool) or not isinstance(value, int) or value < 0:
        raise FlipFlopError(f"{name} must be a non-negative integer, got {value!r}")


def check_positive_int(name: str, value: object) -> None:
    """A one-line error unless ``value`` is an integer > 0."""
    try:
        check_value(name, value, Constraint("int", low=1))
    except FlipFlopError:
        raise FlipFlopError(f"{name} must be a positive integer, got {value!r}") from None
