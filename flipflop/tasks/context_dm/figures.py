"""Figures of context-dependent decision making: Mante et al.'s psychometric curves per context
(their Fig. 1) and their state space along the choice and sensory axes (their Fig. 5)."""
from __future__ import annotations

from typing import Sequence

import matplotlib.pyplot as plt
import numpy as np
from matplotlib.figure import Figure

from flipflop.plotting.behaviour import logistic_curve
from flipflop.plotting.trajectories import DIVERGING, colours


def context_curves(contexts: dict, title: str = "") -> Figure:
    """Mante's Fig. 1: in each context, P(choice 1) against the motion and against the colour
    coherence (the relevant feature steep, the irrelevant flat). ``contexts``: behaviour's."""
    fig, axes = plt.subplots(1, len(contexts), figsize=(4 * len(contexts), 3.4), sharey=True, layout="constrained")
    for ax, (name, ctx) in zip(np.atleast_1d(axes), contexts.items()):
        for feature, colour in (("motion", "k"), ("colour", "tab:blue")):
            c = ctx["curves"][feature]
            ax.plot(c["x"], c["p_choice1"], "o", color=colour,
                    label=f"{feature} ({'relevant' if feature == name else 'irrelevant'})")
            logistic_curve(ax, np.asarray(c["x"]), c["slope"], c["bias"], color=colour, lw=1)
        ax.set(title=f"{name} context", xlabel="signed coherence (%)", ylim=(-0.03, 1.03))
        ax.legend(frameon=False, fontsize=8)
    np.atleast_1d(axes)[0].set_ylabel("P(choice 1)")
    fig.suptitle(title)
    return fig


def mante_state_space(panels: Sequence[dict], title: str = "") -> Figure:
    """Mante et al. 2013's Fig. 5: a grid of panels, each a dict with ``xy`` (conditions, T, 2)
    (activity on the choice axis and a sensory axis), ``values`` (conditions,) the colouring
    coherence, ``title``, ``labels`` (x, y) and optional ``points`` (K, 2) with ``vectors`` (K, 2):
    the fixed points of that context and their slow directions (or, with ``vector_label``
    "selection vector", the line of slow points and their selection vectors)."""
    cols = 2
    rows = int(np.ceil(len(panels) / cols))
    fig, axes = plt.subplots(rows, cols, figsize=(4.4 * cols, 3.8 * rows), squeeze=False, layout="constrained")
    for ax, p in zip(axes.ravel(), panels):
        for traj, colour in zip(p["xy"], colours(p["values"])):
            ax.plot(traj[:, 0], traj[:, 1], color=colour, lw=1.2)
        if p.get("points") is not None and len(p["points"]):
            pts, vec = p["points"], p.get("vectors")
            slow = p.get("vector_label") == "selection vector"
            ax.scatter(pts[:, 0], pts[:, 1], s=18, color="k", marker="x", zorder=4,
                       label="slow points" if slow else "fixed points")
            if vec is not None:
                scale = 0.1 * np.ptp(np.concatenate([t for t in p["xy"]]), axis=0).max()
                for (x, y), (dx, dy) in zip(pts, vec):
                    n = np.hypot(dx, dy) or 1.0
                    ax.plot([x - scale * dx / n, x + scale * dx / n], [y - scale * dy / n, y + scale * dy / n],
                            color="tab:red", lw=1,
                            label=p.get("vector_label", "slowest direction") if x == pts[0, 0] else None)
            ax.legend(frameon=False, fontsize=7)
        ax.set(xlabel=p["labels"][0], ylabel=p["labels"][1], title=p["title"])
    for ax in axes.ravel()[len(panels):]:
        ax.axis("off")
    span = max(float(np.max(np.abs(p["values"]))) for p in panels) or 1.0
    fig.colorbar(plt.cm.ScalarMappable(cmap=DIVERGING, norm=plt.Normalize(-span, span)), ax=axes,
                 label="signed coherence (%) of the input each panel sorts by", shrink=0.6)
    fig.suptitle(title)
    return fig
