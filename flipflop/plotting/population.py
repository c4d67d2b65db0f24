"""Figures of a sweep's population: strip plots of each quantity, Procrustes heat maps."""
from __future__ import annotations

from typing import Callable, Mapping, Sequence

import numpy as np
from matplotlib.figure import Figure

from flipflop.errors import FlipFlopError


def strip_plots(rows: Sequence[dict], quantities: Mapping[str, str], group: Callable[[dict], str],
                seed: int = 0) -> Figure:
    """One panel per quantity present in ``rows``: each run a dot (jittered horizontally),
    grouped along x by ``group(row)`` (e.g. cell and size), the group mean as a bar."""
    keys = [k for k in quantities if any(r.get(k) is not None for r in rows)]
    if not rows or not keys:
        raise FlipFlopError("no runs with results to plot")
    labels = list(dict.fromkeys(group(r) for r in rows))
    cols = min(4, len(keys))
    n_rows = int(np.ceil(len(keys) / cols))
    fig = Figure(figsize=(3.2 * cols + 0.3 * len(labels), 2.8 * n_rows), layout="constrained")
    axes = fig.subplots(n_rows, cols, squeeze=False)
    jitter = np.random.default_rng(seed)
    for ax, key in zip(axes.flat, keys):
        for i, label in enumerate(labels):
            v = np.array([r[key] for r in rows if group(r) == label and r.get(key) is not None], float)
            if not len(v):
                continue
            ax.scatter(i + jitter.uniform(-0.15, 0.15, len(v)), v, s=12, alpha=0.7, color=f"C{i % 10}")
            ax.hlines(v.mean(), i - 0.3, i + 0.3, color="k", lw=1.5)
        ax.set_title(quantities[key], fontsize=9)
        ax.set_xticks(range(len(labels)), labels, rotation=30, fontsize=8)
        ax.set_xlim(-0.6, len(labels) - 0.4)
    for ax in list(axes.flat)[len(keys):]:
        ax.axis("off")
    fig.suptitle(f"Population: {len(rows)} runs, one dot per seed (bar: mean)")
    return fig


def procrustes_heatmap(matrices: Mapping[str, tuple[Sequence[str], np.ndarray]]) -> Figure:
    """Each group's (k, k) Procrustes distance matrix as a heat map, runs labelled."""
    if not matrices:
        raise FlipFlopError("no Procrustes matrices to draw")
    n = len(matrices)
    size = max(4.0, 0.25 * max(len(names) for names, _ in matrices.values()) + 2.5)
    fig = Figure(figsize=(size * n, size), layout="constrained")
    axes = fig.subplots(1, n, squeeze=False)[0]
    for ax, (key, (names, d)) in zip(axes, matrices.items()):
        im = ax.imshow(d, cmap="viridis", vmin=0)
        ticks = range(len(names))
        fontsize = 8 if len(names) <= 16 else 5
        ax.set_xticks(ticks, names, rotation=90, fontsize=fontsize)
        ax.set_yticks(ticks, names, fontsize=fontsize)
        ax.set_title(f"Procrustes distance\n({key})", fontsize=9)
        fig.colorbar(im, ax=ax, shrink=0.8)
    return fig
