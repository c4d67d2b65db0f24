"""Figures of parametric working memory: accuracy per (f1, f2) pair (Romo's task) and the
delay period with its line of fixed points (the primer's Fig. 6B-C)."""
from __future__ import annotations

from typing import Sequence

import matplotlib.pyplot as plt
import numpy as np
from matplotlib.figure import Figure

from flipflop.plotting.trajectories import colours


def pair_accuracy(f1: Sequence[float], f2: Sequence[float], accuracy: Sequence[float], title: str = "") -> Figure:
    """Romo's task: accuracy of every (f1, f2) pair, drawn at (f1, f2) with f1 = f2 dashed."""
    fig, ax = plt.subplots(figsize=(4.2, 3.8), layout="constrained")
    sc = ax.scatter(f1, f2, c=accuracy, cmap="viridis", vmin=0.5, vmax=1.0, s=120, edgecolor="k")
    for a, b, acc in zip(f1, f2, accuracy):
        ax.annotate(f"{acc:.2f}", (a, b), textcoords="offset points", xytext=(0, 9), ha="center", fontsize=7)
    lim = [min(min(f1), min(f2)) - 4, max(max(f1), max(f2)) + 4]
    ax.plot(lim, lim, "--", color="0.6")
    ax.set(xlabel="f1 (Hz)", ylabel="f2 (Hz)", xlim=lim, ylim=lim, title=title)
    fig.colorbar(sc, ax=ax, label="accuracy")
    return fig


def delay_line_attractor(delay_xy: np.ndarray, f1: np.ndarray, points: np.ndarray, vectors: np.ndarray,
                         title: str = "", axis_labels: Sequence[str] = ("PC 1", "PC 2")) -> Figure:
    """Primer Fig. 6B-C: delay-period trajectories (conditions, T, 2) coloured by f1 (Hz),
    ending on a line of fixed points (K, 2), with each point's slow eigenvector (K, 2)."""
    fig, ax = plt.subplots(figsize=(4.8, 4.2), layout="constrained")
    for traj, colour in zip(delay_xy, colours(f1, "viridis")):
        ax.plot(traj[:, 0], traj[:, 1], color=colour, lw=1.4)
        ax.scatter(traj[-1, 0], traj[-1, 1], color=colour, s=16, zorder=3)
    if len(points):
        ax.scatter(points[:, 0], points[:, 1], s=22, color="k", marker="x", zorder=4, label="fixed points")
        scale = 0.08 * np.ptp(delay_xy.reshape(-1, 2), axis=0).max()
        for (x, y), (dx, dy) in zip(points, vectors):
            n = np.hypot(dx, dy) or 1.0
            ax.plot([x - scale * dx / n, x + scale * dx / n], [y - scale * dy / n, y + scale * dy / n],
                    color="tab:red", lw=1.2)
        ax.plot([], [], color="tab:red", label="slow eigenvector")
        ax.legend(frameon=False, fontsize=7)
    sm = plt.cm.ScalarMappable(cmap="viridis", norm=plt.Normalize(min(f1), max(f1)))
    fig.colorbar(sm, ax=ax, label="f1 (Hz)")
    ax.set(xlabel=axis_labels[0], ylabel=axis_labels[1], title=title)
    return fig
