"""Figures of the primer's decision tasks, as functions of arrays returning matplotlib Figures.

Behaviour: psychometric curves (perceptual and context DM), accuracy per (f1, f2) pair and
per category pair. Dynamics: condition-averaged trajectories coloured by condition with the
fixed points of a period, recurrent weights sorted by choice selectivity (E and I blocks),
Mante et al.'s state space, the parametric-WM delay with its line attractor, and the
match-to-category trajectories and selectivity onsets. Times in ms.
"""
from __future__ import annotations

from typing import Sequence

import matplotlib.pyplot as plt
import numpy as np
from matplotlib.figure import Figure

from flipflop.figures import eigenvalue_plot

DIVERGING = "coolwarm"


CIRCULAR = "twilight"  # for angles: 0 and 359 deg get neighbouring colours


def _limits(values: np.ndarray, cmap: str) -> tuple[float, float]:
    """The colour scale's ends: the full circle for a circular map, symmetric for signed values."""
    if cmap == CIRCULAR:
        return 0.0, 360.0
    span = np.max(np.abs(values)) if np.any(values) else 1.0
    return (-span, span) if values.min() < 0 else (values.min(), max(values.max(), values.min() + 1e-9))


def _colours(values: np.ndarray, cmap: str = DIVERGING) -> list:
    values = np.asarray(values, np.float64)
    lo, hi = _limits(values, cmap)
    return [plt.get_cmap(cmap)((v - lo) / (hi - lo)) for v in values]


def _logistic(ax, x: np.ndarray, slope: float | None, bias: float | None, **kw) -> None:
    if slope is None or bias is None:
        return
    grid = np.linspace(min(x), max(x), 200)
    ax.plot(grid, 1 / (1 + np.exp(-(slope * grid + bias))), **kw)


# ---------------------------------------------------------------- behaviour


def psychometric(x: Sequence[float], p: Sequence[float], slope: float | None, bias: float | None,
                 title: str = "", xlabel: str = "signed coherence (%)") -> Figure:
    """P(choice 1) against the signed evidence, with the logistic fit."""
    fig, ax = plt.subplots(figsize=(4.2, 3.4), layout="constrained")
    ax.plot(x, p, "o", color="k", label="network")
    _logistic(ax, np.asarray(x), slope, bias, color="tab:red", label="logistic fit")
    ax.axhline(0.5, color="0.8", lw=0.8), ax.axvline(0, color="0.8", lw=0.8)
    ax.set(xlabel=xlabel, ylabel="P(choice 1)", ylim=(-0.03, 1.03), title=title)
    ax.legend(frameon=False, fontsize=8)
    return fig


def context_curves(contexts: dict, title: str = "") -> Figure:
    """Mante's Fig. 1: in each context, P(choice 1) against the motion and against the colour
    coherence (the relevant feature steep, the irrelevant flat). ``contexts``: behaviour's."""
    fig, axes = plt.subplots(1, len(contexts), figsize=(4 * len(contexts), 3.4), sharey=True, layout="constrained")
    for ax, (name, ctx) in zip(np.atleast_1d(axes), contexts.items()):
        for feature, colour in (("motion", "k"), ("colour", "tab:blue")):
            c = ctx["curves"][feature]
            ax.plot(c["x"], c["p_choice1"], "o", color=colour,
                    label=f"{feature} ({'relevant' if feature == name else 'irrelevant'})")
            _logistic(ax, np.asarray(c["x"]), c["slope"], c["bias"], color=colour, lw=1)
        ax.set(title=f"{name} context", xlabel="signed coherence (%)", ylim=(-0.03, 1.03))
        ax.legend(frameon=False, fontsize=8)
    np.atleast_1d(axes)[0].set_ylabel("P(choice 1)")
    fig.suptitle(title)
    return fig


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


# ---------------------------------------------------------------- dynamics


def spectrum(eigenvalues: np.ndarray, title: str = "") -> Figure:
    """Eigenvalues of W_rec with the unit circle."""
    fig, ax = plt.subplots(figsize=(3.8, 3.8), layout="constrained")
    eigenvalue_plot(ax, eigenvalues, title)
    return fig


def trajectories(projected: np.ndarray, values: np.ndarray, label: str, marks: dict[str, int] | None = None,
                 points: np.ndarray | None = None, stable: np.ndarray | None = None, title: str = "",
                 axis_labels: Sequence[str] = ("PC 1", "PC 2"), cmap: str = DIVERGING) -> Figure:
    """One condition-averaged trajectory per condition (``projected`` (conditions, T, >=2)),
    coloured by ``values`` (conditions,) with ``cmap`` (``CIRCULAR`` for angles in deg);
    ``marks`` name steps (period onsets) marked on each; ``points`` (K, >=2) fixed points,
    filled when ``stable``."""
    fig, ax = plt.subplots(figsize=(4.8, 4.2), layout="constrained")
    for traj, colour in zip(projected, _colours(values, cmap)):
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


def sorted_weights(w_rec: np.ndarray, order: np.ndarray, n_exc: int | None, title: str = "") -> Figure:
    """Song et al. 2016: W_rec (rows presynaptic) with units sorted by choice selectivity,
    excitatory units first; lines separate the E and I blocks."""
    w = np.asarray(w_rec)[np.ix_(order, order)]
    fig, ax = plt.subplots(figsize=(4.8, 4.2), layout="constrained")
    lim = np.percentile(np.abs(w), 99) or 1.0
    im = ax.imshow(w.T, cmap="RdBu_r", vmin=-lim, vmax=lim, interpolation="nearest")
    if n_exc is not None:
        for f in (ax.axhline, ax.axvline):
            f(n_exc - 0.5, color="k", lw=1)
    ax.set(xlabel="presynaptic unit (E by selectivity, then I)", ylabel="postsynaptic unit")
    fig.colorbar(im, ax=ax, label="weight")
    fig.suptitle(title, fontsize=11)  # over the colour bar too, which an axes title would run into
    return fig


def mante_state_space(panels: Sequence[dict], title: str = "") -> Figure:
    """Mante et al. 2013's Fig. 5: a grid of panels, each a dict with ``xy`` (conditions, T, 2)
    (activity on the choice axis and a sensory axis), ``values`` (conditions,) the colouring
    coherence, ``title``, ``labels`` (x, y) and optional ``points`` (K, 2) with ``vectors`` (K, 2):
    the fixed points of that context and their slow directions."""
    cols = 2
    rows = int(np.ceil(len(panels) / cols))
    fig, axes = plt.subplots(rows, cols, figsize=(4.4 * cols, 3.8 * rows), squeeze=False, layout="constrained")
    for ax, p in zip(axes.ravel(), panels):
        for traj, colour in zip(p["xy"], _colours(p["values"])):
            ax.plot(traj[:, 0], traj[:, 1], color=colour, lw=1.2)
        if p.get("points") is not None and len(p["points"]):
            pts, vec = p["points"], p.get("vectors")
            ax.scatter(pts[:, 0], pts[:, 1], s=18, color="k", marker="x", zorder=4, label="fixed points")
            if vec is not None:
                scale = 0.1 * np.ptp(np.concatenate([t for t in p["xy"]]), axis=0).max()
                for (x, y), (dx, dy) in zip(pts, vec):
                    n = np.hypot(dx, dy) or 1.0
                    ax.plot([x - scale * dx / n, x + scale * dx / n], [y - scale * dy / n, y + scale * dy / n],
                            color="tab:red", lw=1, label="slowest direction" if x == pts[0, 0] else None)
            ax.legend(frameon=False, fontsize=7)
        ax.set(xlabel=p["labels"][0], ylabel=p["labels"][1], title=p["title"])
    for ax in axes.ravel()[len(panels):]:
        ax.axis("off")
    span = max(float(np.max(np.abs(p["values"]))) for p in panels) or 1.0
    fig.colorbar(plt.cm.ScalarMappable(cmap=DIVERGING, norm=plt.Normalize(-span, span)), ax=axes,
                 label="signed coherence (%) of the input each panel sorts by", shrink=0.6)
    fig.suptitle(title)
    return fig


def delay_line_attractor(delay_xy: np.ndarray, f1: np.ndarray, points: np.ndarray, vectors: np.ndarray,
                         title: str = "", axis_labels: Sequence[str] = ("PC 1", "PC 2")) -> Figure:
    """Primer Fig. 6B-C: delay-period trajectories (conditions, T, 2) coloured by f1 (Hz),
    ending on a line of fixed points (K, 2), with each point's slow eigenvector (K, 2)."""
    fig, ax = plt.subplots(figsize=(4.8, 4.2), layout="constrained")
    for traj, colour in zip(delay_xy, _colours(f1, "viridis")):
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
