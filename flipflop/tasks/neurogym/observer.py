"""Reference levels of a NeuroGym environment: chance, and an ideal observer where one is computed.

Chance (:func:`chance_level`): the best fixed guess, the fraction of trials whose answer is
the most frequent one (a trial without a response counts as the answer "fixate").

Ideal observer (:func:`ideal_observer`), computed where the environment's own encoding
gives it in closed form, recognised by its structure (its attributes and per-trial entries),
not by its name:

- *two-alternative random dots* (attributes ``cohs``, ``sigma`` per step, three observation
  channels: fixation and two stimulus channels, e.g. ``dim_ring == 2``; a ``coh`` per trial
  and a ``stimulus`` period): the two channels carry 0.5 +- coh/200 plus independent
  N(0, sigma^2) noise per step; summing their difference over the N stimulus steps,
  P(correct) = Phi(sqrt(N) coh / (100 sqrt(2) sigma)), 1/2 at zero coherence;
- *two modalities* (the same, with five channels, two per modality, and ``coh_prop`` per
  trial: the coherence split ``coh * coh_prop`` and ``coh * (1 - coh_prop)`` between them):
  the observer that knows the split weighs each modality's summed difference by its
  coherence, P(correct) = Phi(sqrt(N) sqrt(c1^2 + c2^2) / (100 sqrt(2) sigma)) (an upper
  bound: an observer that does not know the split does at most as well);
- *probabilistic cues* (attribute ``shape_weight``, a ``log_odd`` per trial, base 10, from
  which the answer is drawn with P = 1 / (1 + 10^-log_odd)): the observer answers the more
  likely side, P(correct) = max(P, 1 - P).

Each is averaged over the trials. None elsewhere (the reference is then 1).
"""
from __future__ import annotations

from typing import Any

import numpy as np
from scipy.special import ndtr

from flipflop.tasks.base import Trials


# Below this reference - chance no score is normalised: every trial has (nearly) one answer.
MIN_SPAN = 0.02


def normalised(value: float, chance: float, reference: float) -> float | None:
    """(value - chance) / (reference - chance); None where reference - chance <= ``MIN_SPAN``."""
    span = reference - chance
    return (value - chance) / span if span > MIN_SPAN else None


def chance_level(trials: Trials) -> float:
    """The fraction of trials sharing the most frequent answer (``choice``)."""
    _, counts = np.unique(np.asarray(trials.conditions["choice"]), return_counts=True)
    return float(counts.max() / counts.sum())


def ideal_observer(task: Any, trials: Trials) -> float | None:
    """The ideal observer's accuracy on ``trials`` where computable (see the module), else None."""
    env = task.env()
    c = trials.conditions
    if hasattr(env, "shape_weight") and "log_odd" in c:
        p = 1.0 / (1.0 + 10.0 ** -np.asarray(c["log_odd"], np.float64))
        return float(np.mean(np.maximum(p, 1.0 - p)))
    if not (hasattr(env, "cohs") and hasattr(env, "sigma") and getattr(env, "dim_ring", 2) == 2
            and "coh" in c and "stimulus" in trials.periods):
        return None
    channels = tuple(env.observation_space.shape)
    coh = np.abs(np.asarray(c["coh"], np.float64))
    if channels == (5,) and "coh_prop" in c:  # two modalities, the coherence split between them
        prop = np.asarray(c["coh_prop"], np.float64)
        coh = coh * np.sqrt(prop ** 2 + (1.0 - prop) ** 2)
    elif channels != (3,):
        return None
    span = trials.periods["stimulus"]
    n = np.maximum(span[:, 1] - span[:, 0], 0).astype(np.float64)
    sigma = float(env.sigma)
    if sigma <= 0:
        return float(np.mean(np.where(coh > 0, 1.0, 0.5)))
    return float(np.mean(ndtr(np.sqrt(n) * coh / (100.0 * np.sqrt(2.0) * sigma))))
