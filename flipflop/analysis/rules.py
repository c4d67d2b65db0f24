"""Accuracy of a decision task's outputs under two decision rules, beside its ideal observer.

- ``ours``: the task's own rule (:meth:`DecisionTask.choices`: the argmax of the mean choice
  outputs after the grace period; a choice output above the threshold before the go cue is
  a fixation break, an error);
- ``neurogym``: NeuroGym's (:meth:`DecisionTask.first_actions`: the argmax of the outputs at
  each step, the first non-fixation action from the go cue on; no response is an error; an
  early non-fixation argmax is counted in ``early`` and not scored, as NeuroGym's tasks do
  by default);
- ``ideal``: the task's ideal observer (:meth:`DecisionTask.ideal_choices`) on the same trials.

Accuracies are over the trials with a correct answer.
"""
from __future__ import annotations

import numpy as np


def rules(task, outs: np.ndarray, trials, keep: np.ndarray | None = None) -> dict:
    """Accuracy by our rule and NeuroGym's, the ideal observer's, and the fractions of
    fixation breaks, early actions and trials without a response, on ``trials`` (or the
    trials where ``keep``)."""
    truth = np.asarray(trials.conditions["choice"])
    keep = np.ones(len(truth), bool) if keep is None else np.asarray(keep, bool)
    scored = task.has_answer(trials.conditions) & keep
    choice, broke = task.choices(outs, trials)
    first, responded, early = task.first_actions(outs, trials)
    ideal = task.ideal_choices(trials)
    return {"ours": float(np.mean(((choice == truth) & ~broke)[scored])),
            "neurogym": float(np.mean((first == truth)[scored])), "ideal": float(np.mean((ideal == truth)[scored])),
            "fixation_breaks": float(np.mean(broke[keep])), "early": float(np.mean(early[keep])),
            "no_response": float(np.mean(~responded[keep])), "n": int(scored.sum())}
