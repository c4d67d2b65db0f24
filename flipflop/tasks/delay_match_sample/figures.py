"""The figure of delayed match-to-sample: accuracy per sample direction, match against non-match."""
from __future__ import annotations

from typing import Sequence

import matplotlib.pyplot as plt
import numpy as np
from matplotlib.figure import Figure


def match_accuracy(directions: Sequence[float], match: Sequence[float], non_match: Sequence[float],
                   title: str = "") -> Figure:
    """Accuracy on match and on non-match trials for each sample direction (deg)."""
    x = np.arange(len(directions))
    fig, ax = plt.subplots(figsize=(5.2, 3.2), layout="constrained")
    ax.bar(x - 0.2, match, 0.4, color="tab:blue", label="match")
    ax.bar(x + 0.2, non_match, 0.4, color="tab:orange", label="non-match")
    ax.axhline(0.5, color="0.6", ls=":", lw=0.8, label="chance")
    ax.set_xticks(x, [f"{d:g}°" for d in directions], fontsize=8)
    ax.set(xlabel="sample direction", ylabel="accuracy", ylim=(0, 1.05), title=title)
    ax.legend(frameon=False, fontsize=7, loc="upper center", bbox_to_anchor=(0.5, -0.2), ncol=3)  # clear of the bars
    return fig
