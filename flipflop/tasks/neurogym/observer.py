"""Reference levels of a NeuroGym environment: chance, and an ideal observer where one is computed.

Chance (:func:`chance_level`): the best fixed guess, the fraction of trials whose answers
(one per response run, in order) are the most frequent ones (a trial without a response
counts as the answer "fixate").

Ideal observer (:func:`ideal_observer`), computed where the environment's own encoding
gives it in closed form, recognised by its structure (its attributes and per-trial entries),
not by its name:

- *two-alternative random dots* (attributes ``cohs``, ``sigma`` per step, an observation
  named ``stimulus`` of two channels, e.g. ``dim_ring == 2``, beside fixation or a sure-bet
  cue, or three unnamed channels, fixation and two stimuli; a ``coh`` per trial and a
  ``stimulus`` period): the two channels carry 0.5 +- coh/200 plus independent
  N(0, sigma^2) noise per step; summing their difference over the N stimulus steps,
  P(correct) = Phi(sqrt(N) coh / (100 sqrt(2) sigma)), 1/2 at zero coherence;
- *two modalities* (the same, with five channels, two per modality, and ``coh_prop`` per
  trial: the coherence split ``coh * coh_prop`` and ``coh * (1 - coh_prop)`` between them):
  the observer that knows the split weighs each modality's summed difference by its
  coherence, P(correct) = Phi(sqrt(N) sqrt(c1^2 + c2^2) / (100 sqrt(2) sigma)) (an upper
  bound: an observer that does not know the split does at most as well);
- *two stimuli compared by their summed strength* (yang19's decision family: attributes
  ``w_mod1``, ``w_mod2``, ``stim_mod1``, ``stim_mod2``; per trial ``coh1_mod1``,
  ``coh2_mod1``... the strengths of the stimuli at ``theta1`` and ``theta2`` in each
  modality): the answer is the stimulus whose weighted sum over the shown modalities is
  larger, and a tie (``multidm``: equal and opposite coherences in the two modalities, 1 trial
  in 8) is decided by a coin that no input shows. The noise-free observer is right on every
  other trial and on half the ties: an upper bound (the input noise only lowers it);
- *two modalities, one relevant by context* (attribute ``contexts``; per trial ``context``,
  ``coh_1`` and ``coh_2``, ContextDecisionMaking): the observer that knows the context (given
  as an input, or fixed and learnt) reads the relevant modality's two channels as above, with
  that modality's coherence; the other modality points at an independent direction;
- *probabilistic cues* (attribute ``shape_weight``, a ``log_odd`` per trial, base 10, from
  which the answer is drawn with P = 1 / (1 + 10^-log_odd)): the observer answers the more
  likely side, P(correct) = max(P, 1 - P).

Each is averaged over the trials. None elsewhere (the reference is then 1).
"""
from __future__ import annotations

from collections import Counter
from typing import Any

import numpy as np
from scipy.special import ndtr

from flipflop.tasks.base import Trials
from flipflop.tasks.neurogym.replay import response_runs


# Below this reference - chance no score is normalised: every trial has (nearly) one answer.
MIN_SPAN = 0.02


def normalised(value: float, chance: float, reference: float) -> float | None:
    """(value - chance) / (reference - chance); None where reference - chance <= ``MIN_SPAN``."""
    span = reference - chance
    return (value - chance) / span if span > MIN_SPAN else None


def chance_level(trials: Trials) -> float:
    """The fraction of trials sharing the most frequent answers: the ground truth of each of
    their response runs, in order (our rule scores every run; a trial with two, such as
    HierarchicalReasoning's rule then choice, is answered by a pair)."""
    return float(max(Counter(answers(trials)).values()) / len(trials.targets))


def answers(trials: Trials) -> list[tuple[int, ...]]:
    """Per trial, the ground-truth action of each of its response runs
    (:func:`~flipflop.tasks.neurogym.replay.response_runs`, the runs our rule scores), in order
    (an empty tuple: a trial that asks for fixation throughout)."""
    gt = trials.targets.argmax(-1)
    lengths = trials.conditions["n_steps"]
    return [tuple(int(g[run[0]]) for run in response_runs(g[:int(n)])) for g, n in zip(gt, lengths)]


def ideal_observer(task: Any, trials: Trials) -> float | None:
    """The ideal observer's accuracy on ``trials`` where computable (see the module), else None."""
    env = task.env()
    c = trials.conditions
    if hasattr(env, "shape_weight") and "log_odd" in c:
        p = 1.0 / (1.0 + 10.0 ** -np.asarray(c["log_odd"], np.float64))
        return float(np.mean(np.maximum(p, 1.0 - p)))
    if all(hasattr(env, a) for a in ("w_mod1", "w_mod2", "stim_mod1", "stim_mod2")):
        return _summed_strength(env, c)
    if not (hasattr(env, "cohs") and hasattr(env, "sigma") and getattr(env, "dim_ring", 2) == 2
            and "stimulus" in trials.periods):
        return None
    coh = _dots_coherence(env, c)
    if coh is None:
        return None
    span = trials.periods["stimulus"]
    n = np.maximum(span[:, 1] - span[:, 0], 0).astype(np.float64)
    sigma = float(env.sigma)
    if sigma <= 0:
        return float(np.mean(np.where(coh > 0, 1.0, 0.5)))
    return float(np.mean(ndtr(np.sqrt(n) * coh / (100.0 * np.sqrt(2.0) * sigma))))


def _dots_coherence(env: Any, c: dict) -> np.ndarray | None:
    """Per trial, the coherence (%) that the observer's two compared channels carry (see the
    module's random-dots families), or None where the structure is none of them."""
    names = getattr(env.observation_space, "name", None) or {}
    width = {k: np.size(v) for k, v in names.items()}
    if hasattr(env, "contexts") and {"context", "coh_1", "coh_2"} <= set(c):  # the relevant modality's
        return np.where(np.asarray(c["context"]) == 0, c["coh_1"], c["coh_2"]).astype(np.float64)
    if "coh" not in c:
        return None
    coh = np.abs(np.asarray(c["coh"], np.float64))
    if width.get("stimulus_mod1") == 2 and width.get("stimulus_mod2") == 2 and "coh_prop" in c:
        prop = np.asarray(c["coh_prop"], np.float64)  # two modalities, the coherence split between them
        return coh * np.sqrt(prop ** 2 + (1.0 - prop) ** 2)
    if names:  # one stimulus of two channels, beside fixation (and a sure-bet cue)
        single = width.get("stimulus") == 2 and not any(k.startswith("stim") for k in width if k != "stimulus")
        return coh if single else None
    return coh if tuple(env.observation_space.shape) == (3,) else None  # unnamed: fixation and two channels


def _summed_strength(env: Any, c: dict) -> float | None:
    """The noise-free observer of yang19's decision family (see the module): 1 where the
    weighted sums of the two stimuli's strengths differ, 1/2 on a tie."""
    e1 = e2 = 0.0
    for m in (1, 2):
        if getattr(env, f"stim_mod{m}"):
            if f"coh1_mod{m}" not in c or f"coh2_mod{m}" not in c:
                return None
            w = float(getattr(env, f"w_mod{m}"))
            e1 = e1 + w * np.asarray(c[f"coh1_mod{m}"], np.float64)
            e2 = e2 + w * np.asarray(c[f"coh2_mod{m}"], np.float64)
    tie = np.abs(np.asarray(e1) - np.asarray(e2)) < 1e-9
    return float(np.mean(np.where(tie, 0.5, 1.0)))
