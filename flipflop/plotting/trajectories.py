"""Condition-averaged trajectories in a plane, coloured by condition, with fixed points."""
from __future__ import annotations

from typing import Sequence

import matplotlib.pyplot as plt
import numpy as np
from matplotlib.figure import Figure


DIVERGING = "coolwarm"


CIRCULAR = "twilight"  # for angles: 0 and 359 deg get neighbouring colours


def _limits(values: np.ndarray, cmap: str) -> tuple[float, float]:
    """The colour scale's ends: the full circle for a circular map, symmetric for signed values."""
    if cmap == CIRCULAR:
        return 0.0, 360.0
    span = np.max(np.abs(values)) if np.any(values) else 1.0
    return (-span, span) if values.min() < 0 else (values.min(), max(values.max(), values.min() + 1e-9))


def colours(values: np.ndarray, cmap: str = DIVERGING) -> list:
    """One colour per value on ``cmap`` (symmetric about 0 for signed values, the full circle
    for ``CIRCULAR``)."""
    values = np.asarray(values, np.float64)
    lo, hi = _limits(values, cmap)
    return [plt.get_cmap(cmap)((v - lo) / (hi - lo)) for v in values]


def trajectories(projected: np.ndarray, values: np.ndarray, label: str, marks: dict[str, int] | None = None,
                 points: np.ndarray | None = None, stable: np.ndarray | None = None, title: str = "",
                 axis_labels: Sequence[str] = ("PC 1", "PC 2"), cmap: str = DIVERGING) -> Figure:
    """One condition-averaged trajectory per condition (``projected`` (conditions, T, >=2)),
    coloured by ``values`` (conditions,) with ``cmap`` (``CIRCULAR`` for angles in deg);
    ``marks`` name steps (period onsets) marked on each; ``points`` (K, >=2) fixed points,
    filled when ``stable``."""
    fig, ax = plt.subplots(figsize=(4.8, 4.2), layout="constrained")
    for traj, colour in zip(projected, colours(values, cmap)):
        ax.plot(traj[:, 0], traj[:, 1], color=colour, lw=1.2)
    for (name, step), m in zip((marks or {}).items(), "o^sDv"):
        ax.scatter(projected[:, step, 0], projected[:, step, 1], marker=m, s=14, color="k", zorder=3,
                   label=f"{name} onset")
    if points is not None and len(points):
        stable = np.ones(len(points), bool) if stable is None else np.asarray(stable, bool)
        if stable.any():  # a legend entry only for a kind that is drawn
            ax.scatter(points[stable, 0], points[stable, 1], s=30, color="k", marker="x", zorder=4,
                       label="stable fixed point")
        if not stable.all():
            ax.scatter(points[~stable, 0], points[~stable, 1], s=30, facecolor="none", edgecolor="r", zorder=4,
                       label="unstable fixed point")
    sm = plt.cm.ScalarMappable(cmap=cmap, norm=plt.Normalize(*_limits(np.asarray(values, np.float64), cmap)))
    fig.colorbar(sm, ax=ax, label=label)
    ax.set(xlabel=axis_labels[0], ylabel=axis_labels[1], title=title)
    ax.legend(frameon=False, fontsize=7)
    return fig
