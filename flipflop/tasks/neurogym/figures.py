"""Figures of any NeuroGym environment: accuracy per condition, and the psychometric curve."""
from __future__ import annotations

import matplotlib.pyplot as plt
import numpy as np
from matplotlib.figure import Figure

from flipflop.plotting import behaviour as plot_behaviour


def condition_accuracy(by: dict, chance: float | None, title: str = "", max_panels: int = 6) -> Figure:
    """One panel per condition: accuracy at each of its values, by our rule and neurogym's."""
    names = list(by)[:max_panels]
    fig, axes = plt.subplots(1, len(names), figsize=(2.6 * len(names) + 0.6, 3.0), layout="constrained", squeeze=False)
    for ax, name in zip(axes[0], names):
        rows = by[name]
        x = np.arange(len(rows))
        ax.bar(x - 0.2, [r["accuracy"] for r in rows], 0.4, color="tab:blue", label="ours")
        ax.bar(x + 0.2, [r["neurogym"] for r in rows], 0.4, color="tab:orange", label="neurogym's rule")
        if chance is not None:
            ax.axhline(chance, color="0.5", ls=":", lw=0.8, label="chance")
        ax.set_xticks(x, [f"{r['value']:.3g}" for r in rows], fontsize=7, rotation=45 if len(rows) > 6 else 0)
        ax.set(xlabel=name, ylim=(0, 1.05))
    axes[0][0].set_ylabel("accuracy")
    fig.legend(*axes[0][0].get_legend_handles_labels(), frameon=False, fontsize=7, loc="outside lower center", ncol=3)
    fig.suptitle(title, fontsize=9)
    return fig


def psychometric_figure(curve: dict, title: str = "") -> Figure:
    """P(choice 2) against the signed condition, with the logistic fit."""
    fig = plot_behaviour.psychometric(curve["x"], curve["p_choice1"], curve["slope"], curve["bias"], title,
                                      xlabel=curve["condition"])
    fig.axes[0].set_ylabel("P(choice 2)")
    return fig
