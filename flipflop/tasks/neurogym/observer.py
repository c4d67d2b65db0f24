"""Reference levels of a NeuroGym environment: chance, and an ideal observer where one is computed.

Chance (:func:`chance_level`): the best fixed guess, the fraction of trials whose answer is
the most frequent one (a trial without a response counts as the answer "fixate").

Ideal observer (:func:`ideal_observer`), computed where the environment's own encoding
gives it in closed form: a two-alternative random-dot environment (attributes ``cohs``,
``sigma`` per step, three observation channels (fixation and two stimulus channels, e.g.
``dim_ring == 2``), a ``coh`` per trial and a ``stimulus`` period), whose two stimulus
channels carry 0.5 +- coh/200 plus independent N(0, sigma^2) noise per step:
summing the difference over the N stimulus steps, P(correct) = Phi(sqrt(N) coh / (100 sqrt(2)
sigma)), 1/2 at zero coherence, averaged over the trials. None elsewhere (the reference is then 1).
"""
from __future__ import annotations

from typing import Any

import numpy as np
from scipy.special import ndtr

from flipflop.tasks.base import Trials


def chance_level(trials: Trials) -> float:
    """The fraction of trials sharing the most frequent answer (``choice``)."""
    _, counts = np.unique(np.asarray(trials.conditions["choice"]), return_counts=True)
    return float(counts.max() / counts.sum())


def ideal_observer(task: Any, trials: Trials) -> float | None:
    """The ideal observer's accuracy on ``trials`` where computable (see the module), else None."""
    env = task.env()
    c = trials.conditions
    if not (hasattr(env, "cohs") and hasattr(env, "sigma") and getattr(env, "dim_ring", 2) == 2
            and tuple(env.observation_space.shape) == (3,) and "coh" in c and "stimulus" in trials.periods):
        return None
    span = trials.periods["stimulus"]
    n = np.maximum(span[:, 1] - span[:, 0], 0).astype(np.float64)
    sigma = float(env.sigma)
    if sigma <= 0:
        return float(np.mean(np.where(np.asarray(c["coh"]) > 0, 1.0, 0.5)))
    z = np.sqrt(n) * np.abs(np.asarray(c["coh"], np.float64)) / (100.0 * np.sqrt(2.0) * sigma)
    return float(np.mean(ndtr(z)))
