"""The reproduced experiments as data (the paper's, the primer's), and the one ``reproduce``
that runs them. Every task has an experiment: the paper's for its flip-flop, the primer's
(a Dale CTRNN) for any other."""
from __future__ import annotations

from flipflop.experiments.experiment import Experiment
from flipflop.experiments.paper import PAPER, TASK as PAPER_TASK
from flipflop.experiments.primer import PRIMER

EXPERIMENTS: dict[str, Experiment] = {PAPER_TASK: PAPER}


def experiment_for(task: str) -> Experiment:
    """The experiment that reproduces ``task``: its own, else the primer's."""
    return EXPERIMENTS.get(task, PRIMER)


__all__ = ["EXPERIMENTS", "Experiment", "PAPER", "PRIMER", "experiment_for"]
