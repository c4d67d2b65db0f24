"""Behaviour figures: the psychometric curve with its logistic fit."""
from __future__ import annotations

from typing import Sequence

import matplotlib.pyplot as plt
import numpy as np
from matplotlib.figure import Figure


def logistic_curve(ax, x: np.ndarray, slope: float | None, bias: float | None, **kw) -> None:
    """Draw 1 / (1 + exp(-(slope x + bias))) over the range of ``x`` (nothing without a fit)."""
    if slope is None or bias is None:
        return
    grid = np.linspace(min(x), max(x), 200)
    ax.plot(grid, 1 / (1 + np.exp(-(slope * grid + bias))), **kw)


def psychometric(x: Sequence[float], p: Sequence[float], slope: float | None, bias: float | None,
                 title: str = "", xlabel: str = "signed coherence (%)") -> Figure:
    """P(choice 1) against the signed evidence, with the logistic fit."""
    fig, ax = plt.subplots(figsize=(4.2, 3.4), layout="constrained")
    ax.plot(x, p, "o", color="k", label="network")
    logistic_curve(ax, np.asarray(x), slope, bias, color="tab:red", label="logistic fit")
    ax.axhline(0.5, color="0.8", lw=0.8), ax.axvline(0, color="0.8", lw=0.8)
    ax.set(xlabel=xlabel, ylabel="P(choice 1)", ylim=(-0.03, 1.03), title=title)
    ax.legend(frameon=False, fontsize=8)
    return fig
