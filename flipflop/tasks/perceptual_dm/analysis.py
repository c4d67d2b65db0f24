"""The analysis of perceptual decision making: the psychometric curve and its bars, fixed
points on the zero-coherence stimulus, and W_rec sorted by choice selectivity."""
from __future__ import annotations

from dataclasses import replace

import numpy as np
from matplotlib.figure import Figure

from flipflop.analysis.activity import outputs, window_mean
from flipflop.analysis.rules import rules
from flipflop.analysis.integration import binned_evidence, psychophysical_kernel, rises_to_plateau
from flipflop.plotting.integration import integration_figure
from flipflop.analysis.behaviour import accuracy_where, bar, bar_lines, number, psychometric
from flipflop.analysis.selectivity import choice_selectivity, selectivity_order
from flipflop.plotting import behaviour as plot_behaviour
from flipflop.plotting.weights import sorted_weights
from flipflop.tasks.base import Task, Trials
from flipflop.tasks.decision import zero_evidence
from flipflop.tasks.default_analysis import DEFAULT, sections
from flipflop.tasks.spec import EVALUATION_SEED, Colouring, Decoded, FigureSpec, FixedPointInput, Generalisation, RunAnalysis

DURATIONS_MS = (100.0, 200.0, 400.0, 600.0, 800.0, 1000.0, 1500.0, 2000.0)
KERNEL_BINS, KERNEL_COHERENCES = 10, (0.0, 3.2)  # bins over the stimulus; weak-evidence trials
KERNEL_MIN_RATIO = 0.5  # no bin below half the mean weight (issue 22)


def mechanisms(a: RunAnalysis) -> dict:
    """Accuracy against stimulus duration (ours, NeuroGym's rule, the ideal observer) and the
    psychophysical kernel on weak-evidence trials (fresh trials; 5 x ``mechanism_trials`` each)."""
    task, n = a.task, 5 * a.spec.mechanism_trials
    rows = []
    for i, ms in enumerate(DURATIONS_MS):
        t = replace(task, stimulus_ms=ms)
        trials = t.generate(n, [EVALUATION_SEED, 25, i])
        rows.append({"stimulus_ms": ms, **rules(t, outputs(a.model, trials.inputs), trials)})
    weak = replace(task, coherences=KERNEL_COHERENCES)
    trials = weak.generate(2 * n, [EVALUATION_SEED, 26])
    choice, broke = weak.choices(outputs(a.model, trials.inputs), trials)
    evidence = trials.inputs[..., 1] - trials.inputs[..., 2]
    n_bins = min(KERNEL_BINS, int(np.min(np.diff(trials.periods["stimulus"], axis=1))))
    bins = binned_evidence(evidence, trials.periods["stimulus"], n_bins)
    kept = ~broke
    kernel = (psychophysical_kernel(bins[kept], choice[kept] == 0, trials.conditions["coherence"][kept])
              if len(np.unique(choice[kept])) == 2 else {"weights": [float("nan")] * n_bins, "mean": float("nan"),
                                                         "min_ratio": float("nan")})
    ideal_bins = psychophysical_kernel(bins, weak.ideal_choices(trials) == 0, trials.conditions["coherence"])
    shape = rises_to_plateau(np.array(DURATIONS_MS), np.array([r["ours"] for r in rows]))
    out = {"durations": rows, "kernel": kernel, "ideal_kernel_min_ratio": ideal_bins["min_ratio"],
           "kernel_trials": int((~broke).sum()), "bin_ms": task.stimulus_ms / n_bins,  # type: ignore[attr-defined]
           "shape": shape}
    out["bars"] = [
        bar("accuracy rises with stimulus duration to a plateau (gain, last step)", shape["gain"],
            shape["rises"] and shape["plateau"],
            f"gain >= 0.03 from {DURATIONS_MS[0]:g} ms and <= 0.02 between the last two durations "
            f"(last step {shape['last_step']:.3f})"),
        bar("psychophysical kernel: smallest bin / mean weight", kernel["min_ratio"],
            bool(kernel["min_ratio"] >= KERNEL_MIN_RATIO), f">= {KERNEL_MIN_RATIO}")]
    return out


def generalisation(task: Task) -> tuple[Generalisation, ...]:
    """Unseen coherences, a longer stimulus, delays before the go cue, NeuroGym's timing."""
    cases = [Generalisation("conditions", f"coherence {c:g} %", replace(task, coherences=(c,)))
             for c in (3.2, 9.6, 19.2, 38.4, 76.8)]
    cases += [Generalisation("durations", "stimulus 2000 ms", replace(task, stimulus_ms=2000.0))]
    cases += [Generalisation("delays", f"delay {ms:g} ms", replace(task, delay_ms=(ms, ms))) for ms in (500.0, 1000.0)]
    cases.append(Generalisation("timing", "NeuroGym (100/2000/0/100 ms, no grace)",
                                replace(task, fixation_ms=100.0, stimulus_ms=2000.0, delay_ms=(0.0, 0.0),
                                        decision_ms=100.0, grace_ms=0.0)))
    return tuple(cases)


def mechanism_lines(analyses, reference=None, files=()) -> list[str]:
    m = analyses[0].mechanisms
    if not m:
        return []
    k = m["kernel"]
    lines = ["", "## Mechanism: integration", "",
             "| stimulus (ms) | trials | accuracy (ours) | accuracy (NeuroGym's rule) | ideal observer |",
             "|---|---|---|---|---|"]
    lines += [f"| {r['stimulus_ms']:g} | {r['n']} | {r['ours']:.3f} | {r['neurogym']:.3f} | {r['ideal']:.3f} |"
              for r in m["durations"]]
    lines += ["", f"Psychophysical kernel ({m['kernel_trials']} trials at {', '.join(f'{c:g}' for c in KERNEL_COHERENCES)}"
                  f" % coherence, {len(k['weights'])} bins of {m['bin_ms']:g} ms): weights "
                  + ", ".join(f"{w:.3g}" for w in k["weights"]) + f"; smallest / mean {k['min_ratio']:.2f} "
                  f"(the ideal observer's: {m['ideal_kernel_min_ratio']:.2f})."]
    lines += bar_lines(m["bars"])
    return lines


def integration(a: RunAnalysis) -> Figure | None:
    m = a.mechanisms
    if not m:
        return None
    d = m["durations"]
    return integration_figure([r["stimulus_ms"] for r in d], [r["ours"] for r in d], [r["ideal"] for r in d],
                              m["kernel"]["weights"], m["bin_ms"], f"{a.label}: integration",
                              neurogym=[r["neurogym"] for r in d])


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
    mechanisms=mechanisms, generalisation=generalisation,
    sections=lambda analyses, reference=None, files=(): sections(analyses, reference, files) + mechanism_lines(analyses),
    figures=DEFAULT.figures + (
        FigureSpec("integration", integration, caption="accuracy against stimulus duration, and the psychophysical kernel"),
        FigureSpec("psychometric", psychometric_figure, caption="P(choice 1) against signed coherence, logistic fit"),
        FigureSpec("sorted_weights", sorted_weights_figure, caption="W_rec sorted by choice selectivity, E then I")))
