"""The paper's figures (and ours) as functions of arrays that return matplotlib Figures.

Colours are fixed across figures: one per bit (channel) and one per memory state.
"""
from __future__ import annotations

import os
from pathlib import Path
from typing import Sequence

import matplotlib.pyplot as plt
import numpy as np  # noqa: E402
import scipy.linalg  # noqa: E402
from matplotlib import patheffects  # noqa: E402
from matplotlib.figure import Figure  # noqa: E402
from matplotlib.lines import Line2D  # noqa: E402
from matplotlib.patches import Circle, FancyArrowPatch  # noqa: E402
from matplotlib.ticker import MaxNLocator  # noqa: E402

from flipflop.cells import CELLS  # noqa: E402
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


STALE_PATTERNS = ("fig*_*.png", "fig*_*.pdf", "fig*_*.svg", "training_curves.png", "training_curves.pdf",
                  "training_curves.svg", "REPORT.md")


def remove_stale(folder: str | os.PathLike, keep: Sequence[str]) -> list[Path]:
    """Delete the files in ``folder`` named like our figures or report (``STALE_PATTERNS``)
    but not in ``keep`` (file names), so that it holds one consistent set; other files
    stay. Returns the removed paths."""
    folder, keep = Path(folder), set(keep)
    stale = sorted({p for pattern in STALE_PATTERNS for p in folder.glob(pattern)
                    if p.is_file() and p.name not in keep})
    for p in stale:
        p.unlink()
    return stale


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


def _square_limits(ax, *eigenvalues: np.ndarray) -> None:
    ev = np.concatenate([np.ravel(e) for e in eigenvalues]) if eigenvalues else np.zeros(0)
    lim = max(1.15, float(np.abs(ev).max()) * 1.08) if ev.size else 1.15
    ax.set_xlim(-lim, lim), ax.set_ylim(-lim, lim)


def _legend_below(ax) -> None:
    """The axes' legend under its own x-axis label, so it never covers a point."""
    ncol = 2 if len(ax.get_legend_handles_labels()[0]) > 3 else 1
    ax.legend(loc="upper center", bbox_to_anchor=(0.5, -0.14), ncol=ncol, fontsize=8, frameon=False)


def eigenvalue_plot(ax, eigenvalues: np.ndarray, title: str = "", tol: float = 0.01, color="tab:blue") -> None:
    """Eigenvalues on the complex plane with the unit circle; those outside highlighted."""
    ev = np.asarray(eigenvalues)
    outside = np.abs(ev) > 1 + tol
    _unit_circle(ax)
    ax.scatter(ev.real[~outside], ev.imag[~outside], s=8, color=color, alpha=0.7, label=f"|λ| ≤ {1 + tol:g}")
    ax.scatter(ev.real[outside], ev.imag[outside], s=12, color="tab:red", label=f"|λ| > {1 + tol:g} ({outside.sum()})")
    _square_limits(ax, ev)
    if title:
        ax.set_title(title, fontsize=10)
    ax.legend(loc="lower left", fontsize=7, frameon=False)


def matrix_name(cell: str) -> str:
    """What Fig. 3 shows as the recurrent matrix of a ``cell`` ("gru" -> its candidate gate
    block, the cell registry's ``shown_gate``); ``"$W^{rec}$"`` for single-block cells."""
    spec = CELLS.get(str(cell).lower())
    if spec is None or len(spec.gates) < 2:
        return "$W^{rec}$"
    return f"{spec.name.upper()} {spec.shown_gate}-gate block of $W^{{rec}}$"


def connectivity(w_rec: np.ndarray, eigenvalues: np.ndarray, title: str = "",
                 dale_signs: np.ndarray | None = None, name: str = "$W^{rec}$") -> Figure:
    """Fig. 3: heat map of W_rec (symmetric colour scale) and its eigenvalues.

    ``w_rec`` is in Keras' ``h @ W`` orientation (row = presynaptic); it is drawn
    transposed, in the ``W h`` convention of neuroscience: row i receives from column j,
    so Dale's law shows as excitatory and inhibitory column blocks. ``name`` says which
    matrix it is (e.g. a GRU's candidate gate block, :func:`matrix_name`).
    """
    fig, (ax0, ax1) = plt.subplots(1, 2, figsize=(11.5, 5.2), gridspec_kw={"width_ratios": [1.15, 1]},
                                   layout="constrained")
    fig.get_layout_engine().set(w_pad=0.15, wspace=0.08)
    vmax = float(np.percentile(np.abs(w_rec), 99.5)) or 1.0
    im = ax0.imshow(np.asarray(w_rec).T, cmap="RdBu_r", vmin=-vmax, vmax=vmax, interpolation="nearest")
    cb = fig.colorbar(im, ax=ax0, fraction=0.046, pad=0.03, extend="both")
    cb.set_label("weight\n(colour clipped at the 99.5th percentile of |w|)", fontsize=9, labelpad=8)
    ax0.set_xlabel("presynaptic unit j"), ax0.set_ylabel("postsynaptic unit i")
    ax0.set_title(f"recurrent weights: {name} (j → i)", fontsize=10, pad=16)
    if dale_signs is not None:
        n_exc = int(np.sum(np.asarray(dale_signs) > 0))
        ax0.axvline(n_exc - 0.5, color="k", lw=1)
        for x, text in ((n_exc / 2, "excitatory"), ((n_exc + len(dale_signs)) / 2, "inhib.")):
            ax0.text(x, 1.01, text, transform=ax0.get_xaxis_transform(), ha="center", va="bottom", fontsize=8)
    radius = float(np.abs(eigenvalues).max())
    eigenvalue_plot(ax1, eigenvalues, f"eigenvalues (spectral radius {radius:.3f})")
    if title:
        fig.suptitle(title)
    return fig


def spectra_grid(spectra: Sequence[tuple[str, np.ndarray]]) -> Figure:
    """Fig. 4: eigenvalue spectra of several realisations (and a reference network)."""
    n = len(spectra)
    cols = 1 if n == 1 else 2 if n in (2, 4) else 3
    rows = int(np.ceil(n / cols))
    fig, axes = plt.subplots(rows, cols, figsize=(5 * cols, 4.8 * rows), squeeze=False)
    for ax, (label, ev) in zip(axes.flat, spectra):
        eigenvalue_plot(ax, ev, f"{label}: radius {np.abs(ev).max():.3f}")
        _square_limits(ax, *(e for _, e in spectra))  # one scale for all: comparable at a glance
    for ax in list(axes.flat)[n:]:
        ax.axis("off")
    fig.suptitle("Recurrent-weight spectra of independently trained networks")
    fig.tight_layout()
    return fig


# Fig. 5 and 6 ------------------------------------------------------------------------------
def cube_edges(n_bits: int) -> list[tuple[int, int]]:
    """Pairs (s, t), s < t, of memory states one bit flip apart: the edges of the
    n-cube (12 for 3 bits)."""
    return [(s, s ^ 1 << b) for s in range(2 ** n_bits) for b in range(n_bits) if s < s ^ 1 << b]


def align_to_cube(centroids: np.ndarray, n_bits: int) -> tuple[np.ndarray, np.ndarray]:
    """Centre ``c`` and orthogonal ``R`` with ``(centroids - c) @ R`` closest (least squares,
    up to scale) to the ideal corners {±1}^n of the same states, so that every realisation
    is drawn in one frame: axis b is bit b, + up. Rotation or reflection only, no
    distortion (``scipy.linalg.orthogonal_procrustes``). Unvisited states (NaN) are left
    out; with fewer than 2 states, or other than ``n_bits`` dimensions, nothing is rotated."""
    from flipflop.analysis import cube_corners  # TensorFlow is imported only when needed

    centroids = np.asarray(centroids, np.float64)
    ok = np.all(np.isfinite(centroids), axis=1)
    if ok.sum() < 2 or centroids.shape[1] != n_bits:
        centre = centroids[ok].mean(axis=0) if ok.any() else np.zeros(centroids.shape[1])
        return centre, np.eye(centroids.shape[1])
    corners = cube_corners(n_bits)[ok]
    a, b = centroids[ok] - centroids[ok].mean(axis=0), corners - corners.mean(axis=0)
    rotation, trace = scipy.linalg.orthogonal_procrustes(a, b)
    size = trace / float(np.sum(b ** 2))  # a @ rotation ~ size * b
    return centroids[ok].mean(axis=0) - size * corners.mean(axis=0) @ rotation.T, rotation


def axis_variance(projected: np.ndarray, rotation: np.ndarray, variance_ratio: Sequence[float]) -> np.ndarray:
    """Fraction of the activity's variance along each rotated axis ``projected @ rotation``.

    ``variance_ratio`` (per projected axis, as :class:`flipflop.analysis.Projection` gives
    it) fixes the activity's total variance: total = var(axis i) / ratio i.
    """
    flat = np.asarray(projected, np.float64).reshape(-1, rotation.shape[0])
    total = flat.var(axis=0).sum() / float(np.sum(variance_ratio))
    return (flat @ rotation).var(axis=0) / total


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
    states = series.states[0]
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


# Training curves ----------------------------------------------------------------------------
def training_curves(histories: Sequence[tuple[str, list[dict]]],
                    targets: Sequence[tuple[float, float] | None] | None = None) -> Figure:
    """Loss and validation MSE (log scale) and validation bit error per epoch, per run.

    ``targets``: per run, the (bit accuracy, MSE) it trained to, drawn as dotted lines
    (one black line when all runs share it, else one per run in its colour).
    """
    fig, (ax0, ax1) = plt.subplots(1, 2, figsize=(11, 4.6), layout="constrained")
    targets = list(targets) if targets is not None else [None] * len(histories)
    handles = []
    for i, (label, rows) in enumerate(histories):
        if not rows:
            continue
        color = plt.get_cmap("tab10")(i % 10)
        epoch = [r["epoch"] for r in rows]
        ax0.plot(epoch, [r["loss"] for r in rows], color=color, lw=1, alpha=0.6)
        ax0.plot(epoch, [r["val_mse"] for r in rows], color=color, lw=1.6, marker="o", ms=3)
        ax1.plot(epoch, [1 - r["val_bit_accuracy"] for r in rows], color=color, lw=1.6, marker="o", ms=3)
        handles.append(Line2D([], [], color=color, lw=1.6, marker="o", ms=3, label=label))
    given = [(i, t) for i, t in enumerate(targets) if t is not None and histories[i][1]]
    shared = len({t for _, t in given}) == 1
    for i, (accuracy, target_mse) in given[:1] if shared else given:
        color = "k" if shared else plt.get_cmap("tab10")(i % 10)
        ax0.axhline(target_mse, color=color, ls=":", lw=1.2)
        ax1.axhline(1 - accuracy, color=color, ls=":", lw=1.2)
    for ax in (ax0, ax1):
        ax.xaxis.set_major_locator(MaxNLocator(integer=True))
        ax.set_yscale("log"), ax.set_xlabel("epoch")
    ax0.set_ylabel("MSE"), ax0.set_title("training loss (thin) and validation MSE (thick)", fontsize=10)
    ax1.set_ylabel("validation bit error (1 − accuracy)"), ax1.set_title("validation bit error", fontsize=10)
    if not handles:
        ax0.text(0.5, 0.5, "no training history (imported network)", ha="center", transform=ax0.transAxes)
        return fig
    handles += [Line2D([], [], color="0.4", lw=1, alpha=0.6, label="training loss"),
                Line2D([], [], color="0.4", lw=1.6, marker="o", ms=3, label="validation")]
    if given:
        accuracy, target_mse = given[0][1]
        text = f"target: accuracy ≥ {accuracy:g}, MSE ≤ {target_mse:g}" if shared else "target of each run"
        handles.append(Line2D([], [], color="k" if shared else "0.4", ls=":", lw=1.2, label=text))
    fig.legend(handles=handles, loc="outside lower center", ncol=min(len(handles), 4), fontsize=8, frameon=False)
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
    return ("k", "tab:blue", "tab:orange", "tab:purple", "tab:cyan")[min(int(k), 4)]


def _saddle_label(k: int, count: int) -> str:
    return f"{count} saddle{'s' * (count != 1)}, {k}{'+' if k == 4 else ''} unstable mode{'s' * (k > 1)}"


def linearised_spectra(w_eigenvalues: np.ndarray, jacobian_eigenvalues: np.ndarray,
                       n_unstable: np.ndarray, title: str = "") -> Figure:
    """Fig. 8: the linearised dynamics at the fixed points, in three panels.

    1. W_rec's eigenvalues and the Jacobian eigenvalues at the stable points (all inside
       the unit circle: the tanh slope shrinks W's spectrum);
    2. the saddles' eigenvalues: inside the unit circle in grey, the unstable ones
       (|λ| > 1) coloured by how many unstable modes the saddle has;
    3. a zoom on λ = 1, where the saddles' real unstable modes sit.
    """
    w_ev = np.asarray(w_eigenvalues)
    jac = np.asarray(jacobian_eigenvalues)
    n_unstable = np.asarray(n_unstable)
    stable_ev = jac[n_unstable == 0].ravel()
    group = np.minimum(n_unstable, 4)
    fig, (ax0, ax1, ax2) = plt.subplots(1, 3, figsize=(16, 6.1), layout="constrained")
    fig.get_layout_engine().set(wspace=0.06)
    for ax in (ax0, ax1, ax2):
        _unit_circle(ax)

    def stable_and_w(ax, size: float) -> None:
        ax.scatter(w_ev.real, w_ev.imag, s=size * 2, facecolors="none", edgecolors="0.55", lw=0.6,
                   label="$W^{rec}$")
        if stable_ev.size:
            ax.scatter(stable_ev.real, stable_ev.imag, s=size, color="tab:green", alpha=0.5, lw=0,
                       label=f"Jacobians at the {np.sum(n_unstable == 0)} stable points")

    stable_and_w(ax0, 6)
    _square_limits(ax0, w_ev, stable_ev)
    radius = f" (largest |λ| {np.abs(stable_ev).max():.3f})" if stable_ev.size else ""
    ax0.set_title(f"stable points{radius} vs $W^{{rec}}$", fontsize=10)
    _legend_below(ax0)

    saddles = jac[n_unstable > 0]
    inside = saddles[np.abs(saddles) <= 1]
    ax1.scatter(inside.real, inside.imag, s=3, color="0.78", lw=0, label="|λ| ≤ 1")
    for k in sorted(set(group[n_unstable > 0].tolist())):  # the fewest modes on top
        ev = jac[group == k]
        ev = ev[np.abs(ev) > 1]
        ax1.scatter(ev.real, ev.imag, s=22, color=_saddle_color(k), edgecolor="k", lw=0.3, zorder=10 - k,
                    label=_saddle_label(k, int(np.sum(group == k))) + ": |λ| > 1")
        ax2.scatter(ev.real, ev.imag, s=30, color=_saddle_color(k), edgecolor="k", lw=0.3, zorder=10 - k)
    _square_limits(ax1, saddles)
    ax1.set_title(f"{np.sum(n_unstable > 0)} saddles: their unstable eigenvalues", fontsize=10)
    _legend_below(ax1)

    stable_and_w(ax2, 14)
    distance = np.abs(saddles[np.abs(saddles) > 1] - 1)
    half = float(np.clip(1.3 * distance[distance < 0.35].max(initial=0), 0.15, 0.35))
    ax2.set_xlim(1 - half, 1 + half), ax2.set_ylim(-half, half)
    ax2.set_title("zoom near λ = 1 (slow and unstable directions)", fontsize=10)
    ax2.scatter([], [], s=30, color="w", edgecolor="k", lw=0.3, label="saddles' |λ| > 1, coloured as in the middle")
    _legend_below(ax2)
    if title:
        fig.suptitle(title)
    return fig
