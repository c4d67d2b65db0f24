"""The paper's figures (and ours) as functions of arrays that return matplotlib Figures.

Colours are fixed across figures: one per bit (channel) and one per memory state.
"""
from __future__ import annotations

import os
from pathlib import Path
from typing import Sequence

import matplotlib.pyplot as plt
import numpy as np  # noqa: E402
from matplotlib.figure import Figure  # noqa: E402
from matplotlib.patches import Circle, FancyArrowPatch  # noqa: E402
from matplotlib.ticker import MaxNLocator  # noqa: E402

from flipflop.errors import FlipFlopError  # noqa: E402
from flipflop.runs import atomic_path  # noqa: E402
from flipflop.tasks.flipflop import Trials, state_label  # noqa: E402

BIT_COLORS = ("tab:blue", "tab:orange", "tab:green", "tab:purple", "tab:brown", "tab:pink")
STATE_COLORS = tuple(plt.get_cmap("tab10")(i) for i in (3, 0, 2, 1, 4, 5, 6, 8))  # 8 distinct


def bit_color(b: int):
    return BIT_COLORS[b % len(BIT_COLORS)]


def state_color(s: int):
    return STATE_COLORS[s % len(STATE_COLORS)] if s < len(STATE_COLORS) else plt.get_cmap("tab20")(s % 20)


def parse_formats(text: str) -> tuple[str, ...]:
    """``"png,pdf"`` -> ``("png", "pdf")``; an unknown format is a FlipFlopError."""
    formats = tuple(f.strip().lower() for f in text.split(",") if f.strip())
    bad = [f for f in formats if f not in ("png", "pdf", "svg")]
    if bad or not formats:
        raise FlipFlopError(f"unknown figure format {', '.join(bad) or text!r}; use png, pdf or svg")
    return formats


def save_figure(fig: Figure, path: str | os.PathLike, formats: Sequence[str] = ("png",), dpi: int = 150) -> list[Path]:
    """Save ``fig`` as ``path`` with each suffix in ``formats``, atomically; close it."""
    out = []
    for fmt in formats:
        target = Path(path).with_suffix(f".{fmt}")
        with atomic_path(target) as tmp:
            fig.savefig(tmp, format=fmt, dpi=dpi, bbox_inches="tight")
        out.append(target)
    plt.close(fig)
    return out


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
    ax.text(5.0, 4.5, "$W^{rec}$", ha="center", fontsize=12)
    ax.text(5.0, 0.75, f"{units} {cell} units (tanh)", ha="center", fontsize=10)
    ax.text(2.45, 3.65, "$W^{in}$", ha="center", fontsize=12)
    ax.text(7.55, 3.65, "$W^{out}$", ha="center", fontsize=12)
    ax.set_title(f"Model: {n_bits} inputs → recurrent layer → {n_bits} linear outputs", fontsize=11, pad=14)
    return fig


# Fig. 2 -------------------------------------------------------------------------------------
def training_samples(trials: Trials, dt_ms: float = 1.0, n_samples: int = 3) -> Figure:
    """Fig. 2: a grid of noisy inputs and delayed targets; rows = channels, columns = samples."""
    n_bits = trials.inputs.shape[-1]
    n_samples = min(n_samples, len(trials.inputs))
    fig, axes = plt.subplots(n_bits, n_samples, figsize=(3.4 * n_samples, 1.6 * n_bits + 0.6),
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
    fig.suptitle("Training samples: noisy set/reset pulses and the delayed flip-flop target")
    fig.tight_layout()
    return fig


# Fig. 3 and 4 ------------------------------------------------------------------------------
def _unit_circle(ax) -> None:
    theta = np.linspace(0, 2 * np.pi, 400)
    ax.plot(np.cos(theta), np.sin(theta), color="0.5", lw=0.8, ls="--", zorder=1)
    ax.axhline(0, color="0.85", lw=0.5, zorder=0), ax.axvline(0, color="0.85", lw=0.5, zorder=0)
    ax.set_aspect("equal")
    ax.set_xlabel("Re(λ)"), ax.set_ylabel("Im(λ)")


def eigenvalue_plot(ax, eigenvalues: np.ndarray, title: str = "", tol: float = 0.01, color="tab:blue") -> None:
    """Eigenvalues on the complex plane with the unit circle; those outside highlighted."""
    ev = np.asarray(eigenvalues)
    outside = np.abs(ev) > 1 + tol
    _unit_circle(ax)
    ax.scatter(ev.real[~outside], ev.imag[~outside], s=8, color=color, alpha=0.7, label="|λ| ≤ 1.01")
    ax.scatter(ev.real[outside], ev.imag[outside], s=12, color="tab:red", label=f"|λ| > 1.01 ({outside.sum()})")
    lim = max(1.15, float(np.abs(ev).max()) * 1.08) if ev.size else 1.15
    ax.set_xlim(-lim, lim), ax.set_ylim(-lim, lim)
    if title:
        ax.set_title(title, fontsize=10)
    ax.legend(loc="lower left", fontsize=7, frameon=False)


def connectivity(w_rec: np.ndarray, eigenvalues: np.ndarray, title: str = "",
                 dale_signs: np.ndarray | None = None) -> Figure:
    """Fig. 3: heat map of W_rec (symmetric colour scale) and its eigenvalues.

    ``w_rec`` is in Keras' ``h @ W`` orientation (row = presynaptic); it is drawn
    transposed, in the ``W h`` convention of neuroscience: row i receives from column j,
    so Dale's law shows as excitatory and inhibitory column blocks.
    """
    fig, (ax0, ax1) = plt.subplots(1, 2, figsize=(11, 4.8), gridspec_kw={"width_ratios": [1.15, 1]})
    vmax = float(np.percentile(np.abs(w_rec), 99.5)) or 1.0
    im = ax0.imshow(np.asarray(w_rec).T, cmap="RdBu_r", vmin=-vmax, vmax=vmax, interpolation="nearest")
    cb = fig.colorbar(im, ax=ax0, fraction=0.046, pad=0.04, extend="both")
    cb.set_label("weight (colour clipped at the 99.5th percentile of |w|)")
    ax0.set_xlabel("presynaptic unit j"), ax0.set_ylabel("postsynaptic unit i")
    ax0.set_title("recurrent weights $W^{rec}_{ij}$ (j → i)", fontsize=10, pad=16)
    if dale_signs is not None:
        n_exc = int(np.sum(np.asarray(dale_signs) > 0))
        ax0.axvline(n_exc - 0.5, color="k", lw=1)
        for x, text in ((n_exc / 2, "excitatory"), ((n_exc + len(dale_signs)) / 2, "inhib.")):
            ax0.text(x, 1.01, text, transform=ax0.get_xaxis_transform(), ha="center", va="bottom", fontsize=8)
    radius = float(np.abs(eigenvalues).max())
    eigenvalue_plot(ax1, eigenvalues, f"eigenvalues (spectral radius {radius:.3f})")
    if title:
        fig.suptitle(title)
    fig.tight_layout()
    return fig


def spectra_grid(spectra: Sequence[tuple[str, np.ndarray]]) -> Figure:
    """Fig. 4: eigenvalue spectra of several realisations."""
    n = len(spectra)
    cols = 2 if n > 1 else 1
    rows = int(np.ceil(n / cols))
    fig, axes = plt.subplots(rows, cols, figsize=(5 * cols, 4.8 * rows), squeeze=False)
    for ax, (label, ev) in zip(axes.flat, spectra):
        eigenvalue_plot(ax, ev, f"{label}: radius {np.abs(ev).max():.3f}")
    for ax in list(axes.flat)[n:]:
        ax.axis("off")
    fig.suptitle("Recurrent-weight spectra of independently trained networks")
    fig.tight_layout()
    return fig


# Fig. 5 and 6 ------------------------------------------------------------------------------
def _cube_axes(ax, projected: np.ndarray, states: np.ndarray, centroids: np.ndarray, n_bits: int,
               title: str = "", variance: Sequence[float] | None = None) -> None:
    ax.plot(*projected.T, color="0.6", lw=0.6, alpha=0.8)
    for s in range(2 ** n_bits):
        sel = states == s
        if sel.any():
            ax.scatter(*projected[sel].T, s=3, color=state_color(s), alpha=0.35, depthshade=False)
        if np.all(np.isfinite(centroids[s])):
            ax.scatter(*centroids[s], s=70, color=state_color(s), edgecolor="k", depthshade=False, zorder=5)
            ax.text(*centroids[s], f" {state_label(s, n_bits)}", fontsize=9, zorder=6)
    labels = [f"SV{i + 1}" + (f" ({variance[i]:.0%})" if variance is not None else "") for i in range(3)]
    ax.set_xlabel(labels[0], fontsize=8), ax.set_ylabel(labels[1], fontsize=8), ax.set_zlabel(labels[2], fontsize=8)
    ax.tick_params(labelsize=6)
    if title:
        ax.set_title(title, fontsize=10)


def eight_state(series: Trials, outputs: np.ndarray, projected: np.ndarray, centroids: np.ndarray,
                dt_ms: float = 1.0, variance: Sequence[float] | None = None, title: str = "") -> Figure:
    """Fig. 5: the 8-state series (inputs, target, output per channel) and its 3-D trajectory."""
    n_bits = series.inputs.shape[-1]
    fig = plt.figure(figsize=(13, 5.2))
    grid = fig.add_gridspec(n_bits, 2, width_ratios=[1.25, 1])
    t = np.arange(series.inputs.shape[1]) * dt_ms
    states = series.states[0]
    for b in range(n_bits):
        ax = fig.add_subplot(grid[b, 0])
        ax.plot(t, series.inputs[0, :, b], color=bit_color(b), lw=0.8, alpha=0.6, label="input")
        ax.plot(t, series.targets[0, :, b], color="k", lw=1.2, label="target")
        ax.plot(t, outputs[0, :, b], color="tab:red", lw=1.0, ls="--", label="output")
        ax.set_ylim(-1.5, 1.5), ax.set_ylabel(f"channel {b + 1}")
        if b == 0:
            ax.legend(loc="upper right", fontsize=7, ncol=3, frameon=False)
            changes = np.flatnonzero(np.diff(states) != 0) + 1
            for c in changes:
                if states[c] >= 0:
                    ax.text(t[c], 1.55, state_label(states[c], n_bits), fontsize=6, color=state_color(states[c]),
                            ha="left", va="bottom")
        if b < n_bits - 1:
            ax.tick_params(labelbottom=False)
    ax.set_xlabel("time (ms)")
    ax3 = fig.add_subplot(grid[:, 1], projection="3d")
    _cube_axes(ax3, projected, states, centroids, n_bits, "hidden state, top 3 SVD directions", variance)
    fig.suptitle(title or "All memory states: test series and state-space trajectory")
    fig.subplots_adjust(left=0.06, right=0.97, top=0.88, bottom=0.1, wspace=0.12, hspace=0.15)
    return fig


def cubes_grid(items: Sequence[tuple[str, np.ndarray, np.ndarray, np.ndarray]], n_bits: int = 3) -> Figure:
    """Fig. 6: (label, projected, states, centroids) of several realisations, one 3-D panel each."""
    n = len(items)
    cols = 2 if n > 1 else 1
    rows = int(np.ceil(n / cols))
    fig = plt.figure(figsize=(6 * cols, 5 * rows))
    for i, (label, projected, states, centroids) in enumerate(items):
        ax = fig.add_subplot(rows, cols, i + 1, projection="3d")
        _cube_axes(ax, projected, states, centroids, n_bits, label)
    fig.suptitle("The same test series through independently trained networks: a cube in each")
    fig.tight_layout()
    return fig


# Training curves ----------------------------------------------------------------------------
def training_curves(histories: Sequence[tuple[str, list[dict]]]) -> Figure:
    """Loss and validation MSE (log scale) and validation bit accuracy per epoch, per run."""
    fig, (ax0, ax1) = plt.subplots(1, 2, figsize=(11, 4))
    for i, (label, rows) in enumerate(histories):
        if not rows:
            continue
        color = plt.get_cmap("tab10")(i % 10)
        epoch = [r["epoch"] for r in rows]
        ax0.plot(epoch, [r["loss"] for r in rows], color=color, lw=1, alpha=0.6)
        ax0.plot(epoch, [r["val_mse"] for r in rows], color=color, lw=1.6, marker="o", ms=3, label=label)
        ax1.plot(epoch, [1 - r["val_bit_accuracy"] for r in rows], color=color, lw=1.6, marker="o", ms=3,
                 label=label)
    for ax in (ax0, ax1):
        ax.xaxis.set_major_locator(MaxNLocator(integer=True))
    ax0.set_yscale("log"), ax0.set_xlabel("epoch"), ax0.set_ylabel("MSE")
    ax0.set_title("training loss (thin) and validation MSE (thick)", fontsize=10)
    ax1.set_yscale("log"), ax1.set_xlabel("epoch"), ax1.set_ylabel("validation bit error (1 − accuracy)")
    ax1.axhline(1e-3, color="0.5", ls=":", lw=1)
    ax1.set_title("bit error; dotted: the 99.9% accuracy target", fontsize=10)
    if ax0.lines:
        ax0.legend(fontsize=8, frameon=False), ax1.legend(fontsize=8, frameon=False)
    else:
        ax0.text(0.5, 0.5, "no training history (imported network)", ha="center", transform=ax0.transAxes)
    fig.tight_layout()
    return fig


# Fixed points -------------------------------------------------------------------------------
def fixed_points_3d(projected: np.ndarray, states: np.ndarray, centroids: np.ndarray, n_bits: int,
                    points: np.ndarray, n_unstable: np.ndarray, vectors: np.ndarray,
                    title: str = "", scale: float | None = None) -> Figure:
    """Stable points filled, saddles open, each saddle's unstable direction as a short line.

    ``points`` and ``vectors`` are already projected to the same 3 axes as ``projected``.
    """
    fig = plt.figure(figsize=(7.5, 6.5))
    ax = fig.add_subplot(projection="3d")
    _cube_axes(ax, projected, states, centroids, n_bits)
    scale = scale if scale is not None else 0.08 * float(np.ptp(projected, axis=0).max())
    stable = n_unstable == 0
    if stable.any():
        ax.scatter(*points[stable].T, s=60, marker="o", color="k", depthshade=False, label=f"stable ({stable.sum()})")
    group = np.minimum(n_unstable, 4)  # 1, 2, 3 and "4 or more" unstable modes
    for k in sorted(set(group[~stable].tolist())):
        sel = group == k
        ax.scatter(*points[sel].T, s=55, marker="o", facecolors="none", edgecolors=_saddle_color(k),
                   linewidths=1.5, depthshade=False,
                   label=f"saddle, {k}{'+' if k == 4 else ''} unstable ({sel.sum()})")
    for p, v, k in zip(points, vectors, group):
        if k > 0 and np.linalg.norm(v) > 0:
            d = scale * v / np.linalg.norm(v)
            ax.plot(*np.stack([p - d, p + d]).T, color=_saddle_color(k), lw=1.5)
    ax.legend(loc="upper left", fontsize=8, frameon=False)
    ax.set_title(title or "Fixed points on the 8-state trajectory", fontsize=10)
    return fig


def _saddle_color(k: int):
    return ("k", "tab:blue", "tab:orange", "tab:purple", "0.5")[min(int(k), 4)]


def linearised_spectra(w_eigenvalues: np.ndarray, jacobian_eigenvalues: np.ndarray,
                       n_unstable: np.ndarray, title: str = "") -> Figure:
    """Eigenvalues of W_rec beside those of the Jacobian at every fixed point."""
    fig, (ax0, ax1) = plt.subplots(1, 2, figsize=(11, 5))
    eigenvalue_plot(ax0, w_eigenvalues, "recurrent matrix $W^{rec}$")
    _unit_circle(ax1)
    group = np.minimum(n_unstable, 4)
    for k in sorted(set(group.tolist())):
        ev = jacobian_eigenvalues[group == k].ravel()
        label = "stable points" if k == 0 else f"saddles, {k}{'+' if k == 4 else ''} unstable mode{'s' * (k > 1)}"
        ax1.scatter(ev.real, ev.imag, s=6, alpha=0.5, color=_saddle_color(k), label=label)
    lim = max(1.15, float(np.abs(jacobian_eigenvalues).max()) * 1.08) if jacobian_eigenvalues.size else 1.15
    ax1.set_xlim(-lim, lim), ax1.set_ylim(-lim, lim)
    ax1.set_title("Jacobians at the fixed points", fontsize=10)
    ax1.legend(loc="upper center", bbox_to_anchor=(0.5, -0.15), ncol=3, fontsize=7, frameon=False)
    if title:
        fig.suptitle(title)
    fig.tight_layout()
    return fig
