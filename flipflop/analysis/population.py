"""A quantity across the runs of a population (rows of ``flipflop sweep-report``), in numbers."""
from __future__ import annotations

import numpy as np


def values(rows: list[dict], key: str) -> np.ndarray:
    """The rows' values of ``key`` (float64), leaving out rows without one."""
    return np.array([r[key] for r in rows if r.get(key) is not None], float)


def stat(rows: list[dict], key: str, fmt: str) -> str:
    """``mean ± sd (range min–max)`` of ``key`` over ``rows`` in format ``fmt`` (one value:
    itself; none: "—")."""
    v = values(rows, key)
    if not len(v):
        return "—"
    if len(v) == 1:
        return f"{v[0]:{fmt}}"
    return f"{v.mean():{fmt}} ± {v.std(ddof=1):{fmt}} (range {v.min():{fmt}}–{v.max():{fmt}})"
