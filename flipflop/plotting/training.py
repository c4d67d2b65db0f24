"""Training curves: loss and validation MSE, and the validation error of the task's measure."""
from __future__ import annotations

from typing import Sequence

import matplotlib.pyplot as plt
from matplotlib.lines import Line2D
from matplotlib.ticker import MaxNLocator
from matplotlib.figure import Figure


# Training curves ----------------------------------------------------------------------------
def training_curves(histories: Sequence[tuple[str, list[dict]]],
                    targets: Sequence[tuple[float, float] | None] | None = None,
                    metric: str = "bit_accuracy") -> Figure:
    """Loss and validation MSE (log scale) and the validation error of the task's measure
    (1 - ``val_<metric>``, e.g. the flip-flop's bit error) per epoch, per run.

    ``targets``: per run, the (performance, MSE) it trained to, drawn as dotted lines
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
        ax1.plot(epoch, [1 - r[f"val_{metric}"] for r in rows], color=color, lw=1.6, marker="o", ms=3)
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
    error = metric.replace("accuracy", "error").replace("_", " ")
    ax1.set_ylabel(f"validation {error} (1 − accuracy)"), ax1.set_title(f"validation {error}", fontsize=10)
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
