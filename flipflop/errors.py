"""The package's one exception type, and the boundary checks that raise it.

Parameters are validated once, where they enter (a config, a CLI flag, a file), from a
declarative table: a dataclass field carries its constraint in ``metadata`` (see
:func:`param`), and :func:`validate_fields` reads every field's constraint; a plain
function declares its arguments' constraints with :func:`validate_params` (after
scikit-learn's decorator of that name). No if-chains. :func:`parse_ints` is the one parser
of integer lists and ranges (``0-3,8``), for seeds and sizes alike.
"""
from __future__ import annotations

import dataclasses
import functools
import inspect
import math
import re
from typing import Any, Callable, Sequence, TypeVar

F = TypeVar("F", bound=Callable[..., Any])


class FlipFlopError(ValueError):
    """Invalid input or file; its message is a complete one-line explanation."""


@dataclasses.dataclass(frozen=True)
class Constraint:
    """What one parameter accepts.

    ``kind``: "int", "float", "bool", "str", "range" (a (low, high) pair of floats),
    "duration" (a number, or a range to draw from uniformly) or "floats" (a sequence of
    floats); ``low``/``high`` bound numbers (and each element of "range"/"floats"/a
    "duration"'s range); ``open_low`` makes the lower bound strict; ``choices`` lists the
    allowed strings; ``none`` allows None.
    """

    kind: str = "float"  # also "choice": any value among ``choices`` (not only strings)
    low: float | None = None
    high: float | None = None
    open_low: bool = False
    open_high: bool = False
    choices: tuple = ()
    none: bool = False
    unit: str = ""
    help: str = ""
    flag: str = ""  # its CLI flag(s), e.g. "--tau" for tau_ms, "--dt-ms --dt" (several: space-separated)

    def describe(self) -> str:
        """The allowed values, in words (``> 0``, ``in [0, 1]``, ``one of a, b``)."""
        if self.choices:
            return "one of " + ", ".join(map(str, self.choices))
        lo = "" if self.low is None else f"{'>' if self.open_low else '>='} {_shown(self.low)}"
        hi = "" if self.high is None else f"{'<' if self.open_high else '<='} {_shown(self.high)}"
        return " and ".join(p for p in (lo, hi) if p) or "any value"


def param(default: Any = dataclasses.MISSING, *, factory: Any = dataclasses.MISSING, **constraint) -> Any:
    """A dataclass field whose ``metadata["constraint"]`` is a :class:`Constraint`."""
    meta = {"constraint": Constraint(**constraint)}
    if factory is not dataclasses.MISSING:
        return dataclasses.field(default_factory=factory, metadata=meta)
    return dataclasses.field(default=default, metadata=meta)


def _shown(value: float | int) -> str:
    """A bound or value in words: integers in full (4294967295), other numbers as ``%g``."""
    if isinstance(value, int) or (isinstance(value, float) and value.is_integer() and abs(value) < 1e16):
        return str(int(value))
    return f"{value:g}"


def _number(name: str, value: Any, c: Constraint, integer: bool) -> float:
    ok_types = (int,) if integer else (int, float)
    try:
        import numpy as np

        ok_types += (np.integer,) if integer else (np.integer, np.floating)
    except ImportError:  # pragma: no cover
        pass
    if isinstance(value, bool) or not isinstance(value, ok_types):
        raise FlipFlopError(f"{name} must be {'an integer' if integer else 'a number'}, got {value!r}")
    if integer:  # exact: an int of any size, never rounded through a float
        value = int(value)
    else:
        try:
            value = float(value)
        except OverflowError:  # an int beyond any float
            value = math.inf
        if not math.isfinite(value):
            raise FlipFlopError(f"{name} must be finite, got {value}")
    below = c.low is not None and (value <= c.low if c.open_low else value < c.low)
    above = c.high is not None and (value >= c.high if c.open_high else value > c.high)
    if integer and below and c.low in (0, 1) and not c.open_low:
        kind = "positive" if c.low == 1 else "non-negative"
        raise FlipFlopError(f"{name} must be a {kind} integer, got {_clip(value)}")
    if below or above:
        raise FlipFlopError(f"{name} must be {c.describe()}{' ' + c.unit if c.unit else ''}, got {_clip(value)}")
    return value


def _clip(value: float | int) -> str:
    """A value as a message shows it: huge integers by their size, not their thousands of digits."""
    if isinstance(value, int) and abs(value) >= 10 ** 20:
        return f"an integer of about {int(abs(value).bit_length() * 0.30103) + 1} digits"
    return _shown(value)


def check_value(name: str, value: Any, c: Constraint) -> None:
    """Raise a one-line FlipFlopError if ``value`` breaks constraint ``c``."""
    if value is None:
        if c.none:
            return
        raise FlipFlopError(f"{name} is required")
    if c.kind in ("int", "float") or (c.kind == "duration" and not isinstance(value, Sequence)):
        _number(name, value, c, c.kind == "int")
    elif c.kind == "choice":
        if value not in c.choices:
            raise FlipFlopError(f"{name} must be one of {', '.join(map(repr, c.choices))}, got {value!r}")
    elif c.kind == "bool":
        if not isinstance(value, bool):
            raise FlipFlopError(f"{name} must be true or false, got {value!r}")
    elif c.kind == "str":
        if not isinstance(value, str) or (c.choices and value not in c.choices):
            raise FlipFlopError(f"unknown {name} {value!r}; choose one of {', '.join(map(str, c.choices))}"
                                if c.choices else f"{name} must be a string, got {value!r}")
    elif c.kind in ("range", "floats", "duration"):
        if isinstance(value, (str, bytes)) or not isinstance(value, Sequence):
            raise FlipFlopError(f"{name} must be a list of numbers, got {value!r}")
        if c.kind in ("range", "duration") and len(value) != 2:
            raise FlipFlopError(f"{name} must be a range (low, high), got {list(value)!r}")
        for v in value:
            _number(name, v, c, False)
        if c.kind in ("range", "duration") and value[1] < value[0]:
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
                     "unit": c.unit, "allowed": c.describe(), "help": c.help, "flag": c.flag.split()[0] if c.flag else ""})
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


# Constraints that many arguments share.
POSITIVE_INT = Constraint("int", low=1)
NON_NEGATIVE_INT = Constraint("int", low=0)
# The largest seed every generator we seed accepts (NumPy's legacy ``np.random.seed`` and
# Keras' ``set_random_seed`` stop at 2**32 - 1; ``default_rng`` and Keras' initialisers,
# seeded with seed + 2, go further).
MAX_SEED = 2 ** 32 - 1
SEED = Constraint("int", low=0, high=MAX_SEED, help="seed")
POSITIVE = Constraint("float", low=0, open_low=True)
NON_NEGATIVE = Constraint("float", low=0)


def validate_params(**constraints: Constraint) -> Callable[[F], F]:
    """Decorate a plain function so that its named arguments are checked against
    ``constraints`` (name -> :class:`Constraint`) on every call, defaults included, before
    its body runs: a bad value is a one-line :class:`FlipFlopError` naming the argument.
    The table is kept as the function's ``constraints`` attribute."""
    def decorate(func: F) -> F:
        signature = inspect.signature(func)
        unknown = set(constraints) - set(signature.parameters)
        if unknown:  # a programming error in the table
            raise TypeError(f"{func.__qualname__} has no argument(s) {', '.join(sorted(unknown))}")

        @functools.wraps(func)
        def checked(*args: Any, **kwargs: Any) -> Any:
            bound = signature.bind(*args, **kwargs)
            bound.apply_defaults()
            for name, c in constraints.items():
                check_value(name, bound.arguments[name], c)
            return func(*args, **kwargs)

        checked.constraints = dict(constraints)  # type: ignore[attr-defined]
        return checked  # type: ignore[return-value]

    return decorate


def check_non_negative_int(name: str, value: object) -> None:
    """A one-line error unless ``value`` is an integer >= 0 (a seed, an index)."""
    check_value(name, value, NON_NEGATIVE_INT)


def check_positive_int(name: str, value: object) -> None:
    """A one-line error unless ``value`` is an integer > 0."""
    check_value(name, value, POSITIVE_INT)


MAX_LIST = 100_000  # the most values one integer list (seeds, sizes) may hold


def parse_ints(text: str, name: str, max_count: int = MAX_LIST, high: int | None = None) -> tuple[int, ...]:
    """Integers and inclusive ranges, comma-separated: ``0-31``, ``0,3,5``, ``0-3,8``, in
    the order given, duplicates removed. A list of more than ``max_count`` values, a value
    above ``high``, an empty list or a malformed item is a one-line error naming ``name``
    (e.g. ``--seeds``), found before any value is made: linear in the text's length plus
    the values it holds."""
    items = [v.strip() for v in str(text).split(",") if v.strip()]
    if not items:
        raise FlipFlopError(f"{name} is empty")
    spans, count = [], 0
    for item in items:
        m = re.fullmatch(r"([0-9]{1,30})(?:-([0-9]{1,30}))?", item)
        if not m:
            raise FlipFlopError(f"{name}: malformed item {item[:40]!r} (use e.g. 0-31 or 0,3,5)")
        lo, hi = int(m[1]), int(m[2] if m[2] is not None else m[1])
        if hi < lo:
            raise FlipFlopError(f"{name}: empty range {item!r}")
        if high is not None and hi > high:
            raise FlipFlopError(f"{name}: {hi} is above the largest allowed, {high}")
        count += hi - lo + 1
        if count > max_count:
            raise FlipFlopError(f"{name}: more than {max_count:,} values (from {item!r}); give a shorter list")
        spans.append((lo, hi))
    out: dict[int, None] = {}
    for lo, hi in spans:
        out.update(dict.fromkeys(range(lo, hi + 1)))
    return tuple(out)
