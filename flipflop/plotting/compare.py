"""Figures of a comparison between networks: distance heat maps, MDS embeddings, and
within-group against across-group distances."""
from __future__ import annotations

from typing import Mapping, Sequence

import matplotlib
import numpy as np
from matplotlib.figure import Figure

from flipflop.errors import FlipFlopError


def _grid(n: int, size: float) -> tuple[Figure, list]:
    cols = min(3, n)
    rows = int(np.ceil(n / cols))
    fig = Figure(figsize=(size * cols, size * rows * 0.92), layout="constrained")
    axes = list(fig.subplots(rows, cols, squeeze=False).flat)
    for ax in axes[n:]:
        ax.axis("off")
    return fig, axes[:n]


def distance_heatmaps(names: Sequence[str], matrices: Mapping[str, np.ndarray], titles: Mapping[str, str]) -> Figure:
    """One heat map per metric, runs labelled in the given order (NaN: grey)."""
    if not matrices:
        raise FlipFlopError("no distance matrices to draw")
    fig, axes = _grid(len(matrices), max(4.2, 0.22 * len(names) + 2.8))
    fontsize = 7 if len(names) <= 20 else 5
    for ax, (m, d) in zip(axes, matrices.items()):
        shown = np.ma.masked_invalid(np.asarray(d, float))
        im = ax.imshow(shown, cmap=matplotlib.colormaps["viridis"].with_extremes(bad="0.8"), vmin=0)
        ax.set_xticks(range(len(names)), names, rotation=90, fontsize=fontsize)
        ax.set_yticks(range(len(names)), names, fontsize=fontsize)
        ax.set_title(titles.get(m, m), fontsize=9)
        fig.colorbar(im, ax=ax, shrink=0.75)
    return fig


def mds_panels(matrices: Mapping[str, np.ndarray], groups: Sequence[str], titles: Mapping[str, str]) -> Figure:
    """The 2-D metric-MDS embedding of each distance matrix, networks coloured by group."""
    from flipflop.analysis.compare_groups import embedding

    fig, axes = _grid(len(matrices), 3.6)
    order = list(dict.fromkeys(groups))
    for ax, (m, d) in zip(axes, matrices.items()):
        d = np.asarray(d, float)
        off = d + np.diag(np.full(len(d), np.nan))
        shown = np.flatnonzero(np.isfinite(off).any(axis=1))  # runs without this metric are left out
        xy = np.full((len(d), 2), np.nan)
        if len(shown) >= 2:
            xy[shown] = embedding(d[np.ix_(shown, shown)])
        for g_i, g in enumerate(order):
            sel = np.array([x == g for x in groups])
            ax.scatter(xy[sel, 0], xy[sel, 1], s=28, color=f"C{g_i % 10}", label=g, alpha=0.85)
        left_out = len(d) - len(shown) if len(shown) >= 2 else len(d)
        ax.set_title(f"MDS of {titles.get(m, m)}" + (f"\n({left_out} runs without it left out)" if left_out else ""),
                     fontsize=9)
        ax.set_aspect("equal", adjustable="datalim")
        ax.tick_params(labelsize=7)
    axes[0].legend(fontsize=7, loc="best")
    return fig


def group_strips(matrices: Mapping[str, np.ndarray], groups: Sequence[str], titles: Mapping[str, str],
                 seed: int = 0) -> Figure:
    """Per metric, the distances of pairs within a group (each group its own column) and
    across groups (last column), one dot per pair; bars are means."""
    from flipflop.analysis.compare_groups import pair_masks

    fig, axes = _grid(len(matrices), 3.6)
    order = [g for g in dict.fromkeys(groups) if list(groups).count(g) > 1]  # lone runs have no within pairs
    lab = np.asarray(groups)
    jitter = np.random.default_rng(seed)
    for ax, (m, d) in zip(axes, matrices.items()):
        d = np.asarray(d, float)
        within, across = pair_masks(groups)
        columns = [(g, d[within & (lab[:, None] == g)]) for g in order] + [("across", d[across])]
        for x, (name, v) in enumerate(columns):
            v = v[np.isfinite(v)]
            if not len(v):
                continue
            colour = f"C{x % 10}" if name != "across" else "k"
            ax.scatter(x + jitter.uniform(-0.18, 0.18, len(v)), v, s=9, alpha=0.6, color=colour)
            ax.hlines(v.mean(), x - 0.3, x + 0.3, color="k", lw=1.5)
        ax.set_xticks(range(len(columns)), [c[0] for c in columns], rotation=30, fontsize=7)
        ax.set_title(titles.get(m, m), fontsize=9)
        ax.set_ylim(bottom=0)
        ax.tick_params(labelsize=7)
    fig.suptitle("Distances within each cell and across cells (one dot per pair; bar: mean)", fontsize=10)
    return fig
