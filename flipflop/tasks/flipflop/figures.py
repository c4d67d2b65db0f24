"""The paper's figures of the flip-flop, as functions of arrays that return matplotlib Figures:
the model (Fig. 1), training samples (Fig. 2), the 8-state series and its trajectory
(Fig. 5), every realisation's cube (Fig. 6) and the fixed points on the trajectory (Fig. 7).
The figures of any network (Figs. 3, 4 and 8, training curves) are in :mod:`flipflop.plotting`.

Colours are fixed across figures: one per bit (channel) and one per memory state.
"""
from __future__ import annotations

from typing import Sequence

import matplotlib.pyplot as plt
import numpy as np
from matplotlib import patheffects
from matplotlib.figure import Figure
from matplotlib.lines import Line2D
from matplotlib.patches import Circle, FancyArrowPatch
from matplotlib.ticker import MaxNLocator

from flipflop.plotting.spectra import saddle_color
from flipflop.tasks.base import Trials
from flipflop.tasks.flipflop.cube import align_to_cube, axis_variance, cube_edges
from flipflop.tasks.flipflop.task import state_label


BIT_COLORS = ("tab:blue", "tab:orange", "tab:green", "tab:purple", "tab:brown", "tab:pink")


STATE_COLORS = tuple(plt.get_cmap("tab10")(i) for i in (3, 0, 2, 1, 4, 5, 6, 8))  # 8 distinct


def bit_color(b: int):
    return BIT_COLORS[b % len(BIT_COLORS)]


def state_color(s: int):
    return STATE_COLORS[s % len(STATE_COLORS)] if s < len(STATE_COLORS) else plt.get_cmap("tab20")(s % 20)


# Fig. 1 -------------------------------------------------------------------------------------
def schematic(n_bits: int = 3, units: int = 400, cell: str = "SimpleRNN") -> Figure:
    """Fig. 1: inputs -> W_in -> recurrent units (W_rec) -> W_out -> outputs."""
    fig, ax = plt.subplots(figsize=(7.5, 3.6))
    ax.set_xlim(0, 10), ax.set_ylim(0, 5), ax.axis("off")
    ys = np.linspace(3.8, 1.2, n_bits)  # input 1 on top
    for b, y in enumerate(ys):
        ax.add_patch(Circle((1.0, y), 0.28, color=bit_color(b)))
        ax.text(0.45, y, f"input {b + 1}", ha="right", va="center", fontsize=9)
        ax.add_patch(Circle((9.0, y), 0.28, color=bit_color(b)))
        ax.text(9.55, y, f"output {b + 1}", ha="left", va="center", fontsize=9)
        ax.add_patch(FancyArrowPatch((1.3, y), (3.6, 2.5), arrowstyle="-|>", mutation_scale=10, color="0.4"))
        ax.add_patch(FancyArrowPatch((6.4, 2.5), (8.7, y), arrowstyle="-|>", mutation_scale=10, color="0.4"))
    ax.add_patch(Circle((5.0, 2.5), 1.35, facecolor="0.92", edgecolor="0.3"))
    rng = np.random.default_rng(0)
    angle, radius = rng.uniform(0, 2 * np.pi, 40), 1.1 * np.sqrt(rng.uniform(0, 1, 40))
    ax.scatter(5.0 + radius * np.cos(angle), 2.5 + radius * np.sin(angle), s=12, color="0.35", zorder=3)
    ax.add_patch(FancyArrowPatch((4.4, 3.8), (5.6, 3.8), connectionstyle="arc3,rad=-1.2", arrowstyle="-|>",
                                 mutation_scale=12, color="0.2"))
    ax.text(5.0, 4.62, "$W^{rec}$", ha="center", va="bottom", fontsize=12)
    ax.text(5.0, 0.75, f"{units} {cell} units (tanh)", ha="center", fontsize=10)
    ax.text(2.45, 3.65, "$W^{in}$", ha="center", fontsize=12)
    ax.text(7.55, 3.65, "$W^{out}$", ha="center", fontsize=12)
    ax.set_title(f"Model: {n_bits} inputs → recurrent layer → {n_bits} linear outputs", fontsize=11, pad=14)
    return fig


# Fig. 2 -------------------------------------------------------------------------------------
def training_samples(trials: Trials, dt_ms: float = 1.0, n_samples: int = 3,
                     title: str = "Training samples: noisy set/reset pulses and the delayed flip-flop target",
                     width: float = 3.4) -> Figure:
    """Fig. 2: a grid of noisy inputs and delayed targets; rows = channels, columns = samples
    (each ``width`` inches wide)."""
    n_bits = trials.inputs.shape[-1]
    n_samples = min(n_samples, len(trials.inputs))
    fig, axes = plt.subplots(n_bits, n_samples, figsize=(width * n_samples, 1.6 * n_bits + 0.6),
                             sharex=True, sharey=True, squeeze=False)
    t = np.arange(trials.inputs.shape[1]) * dt_ms
    for b in range(n_bits):
        for s in range(n_samples):
            ax = axes[b, s]
            ax.plot(t, trials.inputs[s, :, b], color=bit_color(b), lw=0.8, label="input")
            ax.plot(t, trials.targets[s, :, b], color="k", lw=1.4, label="target")
            ax.set_ylim(-1.6, 1.6)
            if s == 0:
                ax.set_ylabel(f"channel {b + 1}")
            if b == 0:
                ax.set_title(f"sample {s + 1}", fontsize=10)
            if b == n_bits - 1:
                ax.set_xlabel("time (ms)")
    axes[0, -1].legend(loc="upper right", fontsize=7, frameon=False)
    fig.suptitle(title)
    fig.tight_layout()
    return fig


def _code(state: int, n_bits: int) -> str:
    """A state's code for display, e.g. "+−+" (a typographic minus: wider than "-")."""
    return state_label(state, n_bits).replace("-", "\N{MINUS SIGN}")


def _outlined(color: str = "k", width: float = 2.5):
    return dict(color=color, path_effects=[patheffects.withStroke(linewidth=width, foreground="white")])


def _cube_axes(ax, projected: np.ndarray, states: np.ndarray, centroids: np.ndarray, n_bits: int,
               title: str = "", variance: Sequence[float] | None = None,
               axis_names: Sequence[str] = ("SV1", "SV2", "SV3")) -> None:
    """Trajectory coloured by state, the state centroids joined by the cube's edges, each
    labelled just outside its corner."""
    ax.plot(*projected.T, color="0.6", lw=0.6, alpha=0.8)
    for s in range(2 ** n_bits):
        sel = states == s
        if sel.any():
            ax.scatter(*projected[sel].T, s=3, color=state_color(s), alpha=0.35, depthshade=False)
    for s, t in cube_edges(n_bits):
        if np.all(np.isfinite(centroids[[s, t]])):
            ax.plot(*centroids[[s, t]].T, color="0.15", lw=1.3, alpha=0.8, gid="cube-edge")
    finite = np.all(np.isfinite(centroids), axis=1)
    centre = centroids[finite].mean(axis=0) if finite.any() else np.zeros(3)
    size = float(np.ptp(centroids[finite], axis=0).max()) if finite.sum() > 1 else 1.0
    for s in np.flatnonzero(finite):  # labels above the top corners, below the bottom ones
        ax.scatter(*centroids[s], s=70, color=state_color(s), edgecolor="k", depthshade=False, zorder=5)
        up = 1.0 if centroids[s][2] >= centre[2] else -1.0
        ax.text(*(centroids[s] + [0, 0, up * 0.09 * size]), _code(s, n_bits), fontsize=10,
                fontweight="bold", ha="center", va="bottom" if up > 0 else "top", zorder=6, **_outlined())
    labels = [f"{axis_names[i]}" + (f" ({variance[i]:.0%} var.)" if variance is not None else "") for i in range(3)]
    ax.set_xlabel(labels[0], fontsize=9), ax.set_ylabel(labels[1], fontsize=9), ax.set_zlabel(labels[2], fontsize=9)
    for axis in (ax.xaxis, ax.yaxis, ax.zaxis):
        axis.set_major_locator(MaxNLocator(5))
    ax.tick_params(labelsize=7.5, pad=1)
    if title:
        ax.set_title(title, fontsize=10)


def _state_strip(ax, t: np.ndarray, states: np.ndarray, n_bits: int) -> None:
    """A band above the traces: each memory state's interval in its colour, its code in dark text."""
    change = np.flatnonzero(np.diff(states) != 0) + 1
    starts, ends = np.r_[0, change], np.r_[change, len(states)]
    for a, b in zip(starts, ends):
        s = int(states[a])
        if s < 0:
            continue
        ax.axvspan(t[a], t[b - 1], color=state_color(s), alpha=0.45, lw=0)
        ax.text((t[a] + t[b - 1]) / 2, 0.5, _code(s, n_bits), ha="center", va="center", fontsize=8,
                fontweight="bold", color="k")
    ax.set_ylim(0, 1), ax.set_yticks([])
    ax.set_ylabel("state", rotation=0, ha="right", va="center", fontsize=9)
    ax.tick_params(labelbottom=False, bottom=False)


def eight_state(series: Trials, outputs: np.ndarray, projected: np.ndarray, centroids: np.ndarray,
                dt_ms: float = 1.0, variance: Sequence[float] | None = None, title: str = "") -> Figure:
    """Fig. 5: the 8-state series (memory state, then inputs, target and output per channel)
    and its 3-D trajectory."""
    n_bits = series.inputs.shape[-1]
    fig = plt.figure(figsize=(14, 5.8))
    grid = fig.add_gridspec(n_bits + 1, 2, width_ratios=[1.3, 1], height_ratios=[0.28] + [1] * n_bits)
    t = np.arange(series.inputs.shape[1]) * dt_ms
    states = series.conditions["state"][0]
    strip = fig.add_subplot(grid[0, 0])
    _state_strip(strip, t, states, n_bits)
    for b in range(n_bits):
        ax = fig.add_subplot(grid[b + 1, 0], sharex=strip)
        ax.plot(t, series.inputs[0, :, b], color=bit_color(b), lw=0.8, alpha=0.6, label="input")
        ax.plot(t, series.targets[0, :, b], color="k", lw=1.2, label="target")
        ax.plot(t, outputs[0, :, b], color="tab:red", lw=1.0, ls="--", label="output")
        ax.set_ylim(-1.5, 1.5), ax.set_ylabel(f"channel {b + 1}")
        if b < n_bits - 1:
            ax.tick_params(labelbottom=False)
    ax.set_xlabel("time (ms)")
    handles = [Line2D([], [], color="0.45", lw=0.8, label="input (colour of its channel)"),
               Line2D([], [], color="k", lw=1.2, label="target"),
               Line2D([], [], color="tab:red", lw=1.0, ls="--", label="output")]
    ax.legend(handles=handles, loc="upper center", bbox_to_anchor=(0.5, -0.32), ncol=3, fontsize=8, frameon=False)
    ax3 = fig.add_subplot(grid[:, 1], projection="3d")
    _cube_axes(ax3, projected, states, centroids, n_bits, "hidden state, top 3 SVD directions", variance)
    fig.suptitle(title or "All memory states: test series and state-space trajectory")
    fig.subplots_adjust(left=0.07, right=0.97, top=0.9, bottom=0.15, wspace=0.12, hspace=0.15)
    return fig


def cubes_grid(items: Sequence[tuple[str, np.ndarray, np.ndarray, np.ndarray]], n_bits: int = 3,
               variances: Sequence[Sequence[float]] | None = None) -> Figure:
    """Fig. 6: (label, projected, states, centroids) of several realisations, one 3-D panel each.

    Each realisation is rotated (:func:`align_to_cube`) so that its state centroids best
    match the ideal corners {±1}^3: every cube is seen from the same angle, axis b along
    bit b. ``variances`` (each projection's ``variance_ratio``) adds the variance along
    each axis to its label.
    """
    n = len(items)
    cols = 2 if n > 1 else 1
    rows = int(np.ceil(n / cols))
    fig = plt.figure(figsize=(6.2 * cols, 5.6 * rows))
    for i, (label, projected, states, centroids) in enumerate(items):
        ax = fig.add_subplot(rows, cols, i + 1, projection="3d")
        centre, rotation = align_to_cube(centroids, n_bits)
        aligned = (np.asarray(projected) - centre) @ rotation
        variance = None
        if variances is not None:
            variance = axis_variance(projected, rotation, variances[i])
            label = f"{label}\n(3-D subspace: {np.sum(variances[i]):.0%} of the variance)"
        _cube_axes(ax, aligned, states, (np.asarray(centroids) - centre) @ rotation, n_bits, label, variance,
                   [f"bit {b + 1} axis" for b in range(3)])
        lim = 1.12 * float(np.abs(aligned).max())
        ax.set_xlim(-lim, lim), ax.set_ylim(-lim, lim), ax.set_zlim(-lim, lim)
        ax.set_box_aspect((1, 1, 1), zoom=0.88)
        ax.view_init(elev=22, azim=-58)
    fig.suptitle("The same test series through independently trained networks: a cube in each\n"
                 "(each rotated onto the ideal cube {±1}³; axis b ≈ bit b)")
    fig.tight_layout()
    return fig


# Fixed points -------------------------------------------------------------------------------
def fixed_points_3d(projected: np.ndarray, states: np.ndarray, centroids: np.ndarray, n_bits: int,
                    points: np.ndarray, n_unstable: np.ndarray, vectors: np.ndarray,
                    title: str = "", scale: float | None = None,
                    variance: Sequence[float] | None = None) -> Figure:
    """Stable points filled, saddles open, each saddle's unstable direction as a short line.

    ``points`` and ``vectors`` are already projected to the same 3 axes as ``projected``.
    """
    fig = plt.figure(figsize=(7.5, 6.5))
    ax = fig.add_subplot(projection="3d")
    _cube_axes(ax, projected, states, centroids, n_bits, variance=variance)
    scale = scale if scale is not None else 0.08 * float(np.ptp(projected, axis=0).max())
    stable = n_unstable == 0
    if stable.any():
        ax.scatter(*points[stable].T, s=60, marker="o", color="k", depthshade=False, label=f"stable ({stable.sum()})")
    group = np.minimum(n_unstable, 4)  # 1, 2, 3 and "4 or more" unstable modes
    for k in sorted(set(group[~stable].tolist())):
        sel = group == k
        ax.scatter(*points[sel].T, s=55, marker="o", facecolors="none", edgecolors=saddle_color(k),
                   linewidths=1.5, depthshade=False,
                   label=f"saddle, {k}{'+' if k == 4 else ''} unstable ({sel.sum()})")
    for p, v, k in zip(points, vectors, group):
        if k > 0 and np.linalg.norm(v) > 0:
            d = scale * v / np.linalg.norm(v)
            ax.plot(*np.stack([p - d, p + d]).T, color=saddle_color(k), lw=1.5)
    ax.legend(loc="upper left", fontsize=8, frameon=False)
    ax.set_title(title or "Fixed points on the 8-state trajectory", fontsize=10)
    return fig
