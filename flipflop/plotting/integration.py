"""Figures of evidence integration: accuracy against stimulus duration beside the ideal
observer's, and the psychophysical kernel. Arrays in, a ``Figure`` out."""
from __future__ import annotations

from typing import Sequence

import matplotlib.pyplot as plt
import numpy as np
from matplotlib.figure import Figure


def integration_figure(durations_ms: Sequence[float], accuracy: Sequence[float], ideal: Sequence[float],
                       weights: Sequence[float], bin_ms: float, title: str = "",
                       neurogym: Sequence[float] | None = None) -> Figure:
    """Left: accuracy against stimulus duration (network by our rule, and NeuroGym's if
    given; the ideal observer dashed). Right: the psychophysical kernel, each bin's weight
    against time in the stimulus, with its mean and half the mean."""
    fig, (left, right) = plt.subplots(1, 2, figsize=(8.4, 3.4), layout="constrained")
    d = np.asarray(durations_ms) / 1000.0
    left.plot(d, accuracy, "o-", color="tab:blue", label="network (our rule)")
    if neurogym is not None:
        left.plot(d, neurogym, "s:", color="tab:green", ms=4, label="network (NeuroGym's rule)")
    left.plot(d, ideal, "--", color="0.4", label="ideal observer")
    left.set(xlabel="stimulus duration (s)", ylabel="accuracy", title="accuracy against duration")
    left.legend(frameon=False, fontsize=7)
    w = np.asarray(weights, np.float64)
    t = (np.arange(len(w)) + 0.5) * bin_ms / 1000.0
    right.bar(t, w, width=0.8 * bin_ms / 1000.0, color="tab:orange")
    right.axhline(w.mean(), color="k", lw=1, label="mean")
    right.axhline(w.mean() / 2, color="k", lw=1, ls="--", label="half the mean")
    right.set(xlabel="time in stimulus (s)", ylabel="logistic weight", title="psychophysical kernel")
    right.legend(frameon=False, fontsize=7)
    fig.suptitle(title, fontsize=9)
    return fig
