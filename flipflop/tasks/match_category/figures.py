"""Figures of delayed match-to-category: accuracy per category pair, the category pairs'
trajectories (the primer's Fig. 6G) and when units become category selective (Fig. 6F)."""
from __future__ import annotations

from typing import Sequence

import matplotlib.pyplot as plt
import numpy as np
from matplotlib.figure import Figure


def category_accuracy(labels: Sequence[str], accuracy: Sequence[float], near: float | None, away: float | None,
                      title: str = "") -> Figure:
    """Match-to-category: accuracy per (sample, test) category pair and near/away from the boundary."""
    fig, ax = plt.subplots(figsize=(5, 3.2), layout="constrained")
    names = list(labels) + ["near boundary", "away"]
    values = list(accuracy) + [np.nan if near is None else near, np.nan if away is None else away]
    ax.bar(range(len(names)), values, color=["tab:blue"] * len(labels) + ["tab:orange", "tab:green"])
    ax.set_xticks(range(len(names)), names, rotation=30, fontsize=8)
    ax.axhline(0.95, color="k", ls=":", lw=0.8)
    ax.set(ylim=(0, 1.05), ylabel="accuracy", title=title)
    return fig


CATEGORY_PAIR_COLOURS = {(0, 0): "tab:blue", (0, 1): "tab:cyan", (1, 0): "tab:orange", (1, 1): "tab:red"}


def category_trajectories(projected: np.ndarray, pairs: Sequence[tuple[int, int]], dt_ms: float,
                          epochs: dict[str, tuple[int, int]], title: str = "") -> Figure:
    """Primer Fig. 6G: the mean trajectory of each (sample, test) category pair
    (pairs, T, >=2) in the plane of the first two PCs, and PC 1 against time with the
    task's epochs shaded (``epochs``: name -> [start, stop) steps)."""
    fig, (ax, bx) = plt.subplots(1, 2, figsize=(9, 3.8), layout="constrained")
    t = np.arange(projected.shape[1]) * dt_ms
    for traj, pair in zip(projected, pairs):
        colour = CATEGORY_PAIR_COLOURS.get(tuple(int(v) for v in pair), "k")
        label = f"sample {pair[0]}, test {pair[1]}"
        ax.plot(traj[:, 0], traj[:, 1], color=colour, lw=1.3, label=label)
        bx.plot(t, traj[:, 0], color=colour, lw=1.3, label=label)
    for (name, (a, b)), shade in zip(epochs.items(), ("0.95", "0.85", "0.95", "0.85", "0.95")):
        bx.axvspan(a * dt_ms, b * dt_ms, color=shade, zorder=0)
        bx.text((a + b) / 2 * dt_ms, 1.0, name, transform=bx.get_xaxis_transform(), ha="center", va="bottom",
                fontsize=8)
    ax.set(xlabel="PC 1", ylabel="PC 2", title=title)
    bx.set(xlabel="time (ms)", ylabel="PC 1")
    ax.legend(frameon=False, fontsize=7)
    return fig


def onset_histogram(onsets_ms: np.ndarray, epochs_ms: dict[str, float], title: str = "") -> Figure:
    """Primer Fig. 6F: when units become category selective (ms after sample onset); units that
    never do are counted in the title. ``epochs_ms``: name -> onset (ms after sample onset)."""
    onsets = np.asarray(onsets_ms, np.float64)
    ok = np.isfinite(onsets)
    fig, ax = plt.subplots(figsize=(4.6, 3.2), layout="constrained")
    if ok.any():
        ax.hist(onsets[ok], bins=20, color="tab:purple")
    for name, ms in epochs_ms.items():
        ax.axvline(ms, color="k", ls=":", lw=0.8)
        ax.text(ms, 0.98, f" {name}", transform=ax.get_xaxis_transform(), fontsize=8, ha="left", va="top")
    ax.set(xlabel="onset of category selectivity (ms after sample onset)", ylabel="units",
           title=f"{title} ({int(ok.sum())} of {len(onsets)} units selective)")
    return fig
