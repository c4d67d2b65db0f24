"""Eigenvalue figures: a spectrum with the unit circle, a grid of spectra (the paper's
Fig. 4), and the linearised dynamics at fixed points beside W_rec's spectrum (Fig. 8)."""
from __future__ import annotations

from typing import Sequence

import matplotlib.pyplot as plt
import numpy as np
from matplotlib.figure import Figure

from flipflop.analysis.weights import SPECTRUM_TOL


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


def eigenvalue_plot(ax, eigenvalues: np.ndarray, title: str = "", tol: float = SPECTRUM_TOL, color="tab:blue") -> None:
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


def spectrum(eigenvalues: np.ndarray, title: str = "") -> Figure:
    """Eigenvalues of W_rec with the unit circle."""
    fig, ax = plt.subplots(figsize=(3.8, 3.8), layout="constrained")
    eigenvalue_plot(ax, eigenvalues, title)
    return fig


def spectra_grid(spectra: Sequence[tuple[str, np.ndarray]],
                 title: str = "Recurrent-weight spectra of independently trained networks") -> Figure:
    """Fig. 4: eigenvalue spectra of several realisations (and a reference network), one
    scale for all, under ``title``."""
    n = len(spectra)
    cols = 1 if n == 1 else 2 if n in (2, 4) else 3
    rows = int(np.ceil(n / cols))
    fig, axes = plt.subplots(rows, cols, figsize=(5 * cols, 4.8 * rows), squeeze=False)
    for ax, (label, ev) in zip(axes.flat, spectra):
        eigenvalue_plot(ax, ev, f"{label}: radius {np.abs(ev).max():.3f}")
        _square_limits(ax, *(e for _, e in spectra))  # one scale for all: comparable at a glance
    for ax in list(axes.flat)[n:]:
        ax.axis("off")
    fig.suptitle(title)
    fig.tight_layout()
    return fig


def saddle_color(k: int):
    """The colour of a saddle with ``k`` unstable modes (4 or more share one)."""
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
        ax1.scatter(ev.real, ev.imag, s=22, color=saddle_color(k), edgecolor="k", lw=0.3, zorder=10 - k,
                    label=_saddle_label(k, int(np.sum(group == k))) + ": |λ| > 1")
        ax2.scatter(ev.real, ev.imag, s=30, color=saddle_color(k), edgecolor="k", lw=0.3, zorder=10 - k)
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
