"""Weight-matrix figures: W_rec as a heat map beside its eigenvalues (the paper's Fig. 3),
and W_rec with units sorted by selectivity (Song et al. 2016)."""
from __future__ import annotations

import matplotlib.pyplot as plt
import numpy as np
from matplotlib.figure import Figure

from flipflop.models.cells import CELLS
from flipflop.plotting.spectra import eigenvalue_plot


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
