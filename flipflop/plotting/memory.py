"""Figures of a memory: slow points along the delay's trajectories, and the decoded memory
through delays longer than the trained ones. Arrays in, a ``Figure`` out."""
from __future__ import annotations

from typing import Sequence

import matplotlib.pyplot as plt
import numpy as np
from matplotlib.figure import Figure

from flipflop.plotting.trajectories import colours


def slow_points_figure(delay_xy: np.ndarray, values: np.ndarray, points_xy: np.ndarray, point_values: np.ndarray,
                       stable: np.ndarray, label: str, title: str = "", cmap: str = "viridis",
                       value_range: tuple[float, float] | None = None) -> Figure:
    """Delay trajectories (conditions, T, 2) coloured by their condition's ``values``, and the
    slow points (K, 2) coloured by the value decoded at them (filled: stable fixed points;
    open: slow or unstable), on one colour scale labelled ``label``."""
    lo, hi = value_range or (float(np.min(values)), float(np.max(values)))
    norm = plt.Normalize(lo, hi)
    fig, ax = plt.subplots(figsize=(5.0, 4.2), layout="constrained")
    for traj, colour in zip(delay_xy, colours(values, cmap)):
        ax.plot(traj[:, 0], traj[:, 1], color=colour, lw=1.0, alpha=0.6)
        ax.scatter(traj[0, 0], traj[0, 1], color=colour, marker="^", s=18, zorder=3)
    if len(points_xy):
        stable = np.asarray(stable, bool)
        for mask, kw in ((stable, dict(edgecolor="k")), (~stable, dict(edgecolor="0.3", linewidths=1.2))):
            if mask.any():
                ax.scatter(points_xy[mask, 0], points_xy[mask, 1], c=np.clip(point_values[mask], lo, hi), cmap=cmap,
                           norm=norm, s=34 if mask is stable else 22, marker="o" if mask is stable else "D",
                           zorder=4, **kw)
    ax.scatter([], [], color="0.5", edgecolor="k", label="stable fixed point")
    ax.scatter([], [], color="0.5", marker="D", edgecolor="0.3", label="slow point")
    ax.scatter([], [], color="0.5", marker="^", label="delay onset")
    ax.legend(frameon=False, fontsize=7, loc="best")
    fig.colorbar(plt.cm.ScalarMappable(cmap=cmap, norm=norm), ax=ax, label=label)
    ax.set(xlabel="PC 1 (delay)", ylabel="PC 2 (delay)", title=title)
    ax.title.set_fontsize(9)
    return fig


def decoded_memory_figure(delays: Sequence[dict], dt_ms: float, ylabel: str, title: str = "",
                          cmap: str = "viridis", truth: bool = True) -> Figure:
    """One panel per delay (rows of ``delays``: ``delay_ms``, ``traces`` [{label, mean}],
    ``trace_step``): the decoded value through the delay, one line per label, dashed at the
    label's true value when ``truth``."""
    fig, axes = plt.subplots(1, len(delays), figsize=(3.2 * len(delays), 3.0), sharey=True, layout="constrained",
                             squeeze=False)
    for ax, d in zip(axes[0], delays):
        labels = np.array([t["label"] for t in d["traces"]])
        for t, colour in zip(d["traces"], colours(labels, cmap)):
            y = np.asarray(t["mean"], np.float64)
            ax.plot(np.arange(len(y)) * d["trace_step"] * dt_ms / 1000.0, y, color=colour, lw=1.4)
            if truth:
                ax.axhline(t["label"], color=colour, lw=0.6, ls="--")
        ax.set(title=f"delay {d['delay_ms'] / 1000:g} s", xlabel="time in delay (s)")
    if truth:  # the delay's first steps leave the decoder's range: keep the labels' scale
        values = [t["label"] for d in delays for t in d["traces"]]
        pad = 0.3 * (max(values) - min(values) or 1.0)
        axes[0, 0].set_ylim(min(values) - pad, max(values) + pad)
    axes[0, 0].set_ylabel(ylabel)
    fig.suptitle(title, fontsize=9)
    return fig
