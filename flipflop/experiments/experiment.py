"""An experiment: the networks that ``flipflop reproduce`` trains for a task, and how it reports them.

Each experiment is data (:mod:`flipflop.experiments.paper`, :mod:`flipflop.experiments.primer`):
the realisations' training configs, their run names, the default cell and seeds, and
whether a reference network (the paper's own) joins the report. One driver
(:func:`flipflop.experiments.reproduce.reproduce`) runs any of them.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Callable, Sequence

from flipflop.training.config import TrainConfig


@dataclass(frozen=True)
class Experiment:
    """One reproduced setup (see the module docstring).

    ``configs(task, seeds, cell, quick, recipe, units)`` gives the realisations' configs
    (``quick``: tiny networks on short trials, a smoke test); ``run_name(config, quick)``
    names each run's folder; ``subfolder``: the figures go into ``out/<task>``;
    ``fixed_points_for``: how many runs get a fixed-point search (None: all);
    ``reference``: the paper's imported network joins the figures when found.
    """

    name: str
    configs: Callable[..., list[TrainConfig]]
    run_name: Callable[[TrainConfig, bool], str]
    cell: str
    seeds: Sequence[int]
    subfolder: bool = True
    fixed_points_for: int | None = None
    reference: bool = False
