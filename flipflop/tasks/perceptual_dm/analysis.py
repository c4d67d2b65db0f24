"""The analysis of perceptual decision making: the psychometric curve and its bars, fixed
points on the zero-coherence stimulus, and W_rec sorted by choice selectivity."""
from __future__ import annotations

import numpy as np
from matplotlib.figure import Figure

from flipflop.analysis.activity import window_mean
from flipflop.analysis.behaviour import accuracy_where, bar, number, psychometric
from flipflop.analysis.selectivity import choice_selectivity, selectivity_order
from flipflop.plotting import behaviour as plot_behaviour
from flipflop.plotting.weights import sorted_weights
from flipflop.tasks.base import Task, Trials
from flipflop.tasks.decision import zero_evidence
from flipflop.tasks.default_analysis import DEFAULT
from flipflop.tasks.spec import Colouring, Decoded, FigureSpec, FixedPointInput, RunAnalysis


def behaviour(task: Task, outputs: np.ndarray, trials: Trials) -> dict:
    """Psychometric curve: P(choice 1) against signed coherence (%), with its logistic fit."""
    choice, broke = task.choices(outputs, trials)  # type: ignore[attr-defined]
    kept = ~broke
    return {"psychometric": psychometric(trials.conditions["coherence"][kept], choice[kept] == 0)}


def bars(task: Task, outputs: np.ndarray, trials: Trials, b: dict) -> list[dict]:
    """>= 97 % correct at the highest coherence; P(choice 1) = 50 +- 6 % at zero coherence;
    the psychometric curve monotonic (no drop beyond 2 s.e. between neighbours)."""
    coh = np.abs(trials.conditions["coherence"])
    top = accuracy_where(task, outputs, trials, coh == coh.max())
    curve = b["psychometric"]
    x, p = np.asarray(curve["x"]), np.asarray(curve["p_choice1"])
    p0 = float(p[x == 0][0]) if np.any(x == 0) else None
    # monotonic up to binomial noise: no drop larger than 2 standard errors between neighbours
    n = np.maximum(np.asarray(curve["n"], float), 1)
    se = np.sqrt(p * (1 - p) / n + 1e-12)
    drops = p[:-1] - p[1:]
    tolerance = 2 * np.sqrt(se[:-1] ** 2 + se[1:] ** 2)
    monotonic = bool(np.all(drops <= np.maximum(tolerance, 1e-9)))
    # choice 1 is correct for positive coherence: P(choice 1) rises with coherence
    return [bar(f"accuracy at {coh.max():g} % coherence", top, top >= 0.97, ">= 0.97"),
            bar("P(choice 1) at 0 % coherence", p0, p0 is not None and abs(p0 - 0.5) <= 0.06, "0.50 +- 0.06"),
            bar("psychometric curve monotonic", float(np.max(drops, initial=0.0)), monotonic,
                "no drop beyond 2 s.e. between neighbouring coherences")]


def describe(result: dict) -> list[str]:
    c = result["psychometric"]
    return ["  P(choice 1) by coherence: " + ", ".join(f"{x:g}%: {p:.3f}" for x, p in zip(c["x"], c["p_choice1"])),
            f"  logistic: slope {number(c['slope'])} /%, bias {number(c['bias'])}, "
            f"threshold {number(c['threshold'])} %"]


def psychometric_figure(a: RunAnalysis) -> Figure:
    c = a.evaluation["psychometric"]
    return plot_behaviour.psychometric(c["x"], c["p_choice1"], c["slope"], c["bias"], f"{a.label}: psychometric curve")


def sorted_weights_figure(a: RunAnalysis) -> Figure:
    """W_rec with units sorted by choice selectivity during the stimulus (Song et al. 2016)."""
    keep = a.series.conditions["coherence"] != 0
    activity = window_mean(a.hidden[keep], a.series.periods["stimulus"][keep])
    sel = choice_selectivity(activity, a.series.conditions["choice"][keep])
    signs = a.dale_signs
    order = selectivity_order(sel, signs)
    n_exc = int(np.sum(signs > 0)) if signs is not None else None
    return sorted_weights(a.w_rec, order, n_exc, f"{a.label}: W_rec sorted by choice selectivity")


ANALYSIS = DEFAULT.replace(
    behaviour=behaviour, bars=bars, describe=describe,
    # Mante et al.'s input: the stimulus period at 0 % coherence (both streams equal)
    fixed_points=(FixedPointInput("stimulus_zero_coherence", "stimulus", lambda c: c["coherence"] >= 0,
                                  zero_evidence),),
    decoded=Decoded("choice", "the choice (0 = choice 1, 1 = choice 2)"),
    colour_by=Colouring("coherence", "signed coherence (%)"),
    figures=DEFAULT.figures + (
        FigureSpec("psychometric", psychometric_figure, caption="P(choice 1) against signed coherence, logistic fit"),
        FigureSpec("sorted_weights", sorted_weights_figure, caption="W_rec sorted by choice selectivity, E then I")))
