"""The two rules that score a network on a NeuroGym environment's trials.

- :func:`neurogym_performance`: neurogym's own. The trials are made again (each batch from
  its ``batch_seed``, in order up to the last ``trial_index`` asked for; see
  :mod:`flipflop.tasks.neurogym.task`), and the network's action at every step of a trial is
  passed to ``env.step`` (the environment's random state saved and restored around it, so
  the next trial is the one generated); the trial's ``info["performance"]`` when the
  environment ends it is the score. For most environments the first non-fixation action in the
  decision period decides, right or wrong, and actions during fixation are free unless the
  environment aborts on them.
- :func:`our_correct`: ours, the primer tasks' rule. Every run of steps with the same
  non-fixation ground truth is answered by the argmax of the mean action probabilities
  over it; any non-fixation action before the first such run is a fixation break; a trial
  with no response period must hold fixation throughout.
"""
from __future__ import annotations

import warnings
from typing import Any

import numpy as np

from flipflop.tasks.base import Trials
from flipflop.tasks.neurogym import envs


class _NoNextTrial:
    """Stands in for ``env._top`` during a replay, so that ``env.step`` ending a trial draws no next one."""

    @staticmethod
    def new_trial(**kwargs) -> dict:
        return {}


def neurogym_performance(task: Any, actions: np.ndarray, trials: Trials) -> np.ndarray:
    """Per-trial performance (0..1) by ``env.step`` on ``actions`` (trials, steps) of ints."""
    c = trials.conditions
    out = np.zeros(len(actions))
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        for word in np.unique(c["batch_seed"]):
            rows = np.flatnonzero(c["batch_seed"] == word)
            wanted = dict(zip(c["trial_index"][rows].tolist(), rows.tolist()))
            env = task.env(int(word))
            for index in range(max(wanted) + 1):
                envs.fresh_trial(env, task.env_id)
                if index in wanted:
                    i = wanted[index]
                    out[i] = _replay(env, actions[i, :int(c["n_steps"][i])])
    return out


def _replay(env: Any, actions: np.ndarray) -> float:
    """Step ``env``, its current trial just made, through ``actions``; its performance."""
    state = env.rng.get_state()
    env._top, env.t, env.t_ind, env.performance = _NoNextTrial(), 0, 0, 0
    try:
        for a in actions:
            info = env.step(int(a))[-1]
            if info.get("new_trial"):
                return float(info.get("performance", 0) or 0)
        return 0.0
    finally:
        env._top = env
        env.rng.set_state(state)


def response_runs(gt: np.ndarray) -> list[np.ndarray]:
    """The step indices of each run of consecutive non-fixation steps with one ground-truth
    action, in order, for one trial's ground truth ``gt`` (steps,); none for a trial that asks
    for fixation throughout. Our rule scores each run as one answer."""
    respond = np.flatnonzero(gt != 0)
    if not len(respond):
        return []
    return np.split(respond, np.flatnonzero((np.diff(respond) != 1) | (np.diff(gt[respond]) != 0)) + 1)


def our_correct(probs: np.ndarray, trials: Trials) -> tuple[np.ndarray, np.ndarray]:
    """(correct, broke) per trial from the action probabilities ``probs`` (trials, steps, actions)."""
    gt = trials.targets.argmax(-1)
    lengths = trials.conditions["n_steps"]
    actions = probs.argmax(-1)
    correct = np.zeros(len(gt), bool)
    broke = np.zeros(len(gt), bool)
    for i, n in enumerate(lengths):
        g, a = gt[i, :n], actions[i, :n]
        runs = response_runs(g)
        if not runs:
            correct[i] = not np.any(a != 0)
            broke[i] = not correct[i]
            continue
        broke[i] = bool(np.any(a[:runs[0][0]] != 0))
        ok = True
        for run in runs:
            mean = probs[i, run, 1:].mean(0)
            ok &= int(np.argmax(mean)) + 1 == int(g[run[0]])
        correct[i] = ok and not broke[i]
    return correct, broke
