"""Training data as a Keras ``PyDataset``: epoch ``e``'s trials are a function of ``(seed, e)``.

The fresh-data recipes draw new trials every epoch from ``[seed, 1, e]``; the paper's recipe
shuffles one fixed set (``[seed, 1]``) with a permutation drawn from ``[seed, 3, e]``. A
resumed run therefore sees exactly the data of an uninterrupted one.
"""
from __future__ import annotations

import math

import numpy as np

from flipflop.backend import keras
from flipflop.tasks import Task
from flipflop.training.budget import trial_steps
from flipflop.training.config import TrainConfig


class EpochData(keras.utils.PyDataset):
    """The training batches of each epoch (see the module docstring), from ``initial_epoch`` on."""

    def __init__(self, config: TrainConfig, task: Task, initial_epoch: int = 0) -> None:
        super().__init__(workers=1, use_multiprocessing=False)
        self.config, self.task = config, task
        self.epoch, self._next = initial_epoch, initial_epoch
        self._cached: tuple[int, tuple] | None = None
        self._base = None if config.fresh_data else task.generate(config.samples_per_epoch, [config.seed, 1])

    def __len__(self) -> int:
        return math.ceil(self.config.samples_per_epoch / self.config.batch_size)

    def on_epoch_begin(self) -> None:
        self.epoch, self._next = self._next, self._next + 1

    def arrays(self, epoch: int) -> tuple:
        """Inputs, targets (and loss weights) of every trial of ``epoch``, made once."""
        if self._cached is None or self._cached[0] != epoch:
            self._cached = (epoch, epoch_arrays(self.config, self.task, epoch, self._base))
        return self._cached[1]

    def __getitem__(self, i: int) -> tuple:
        part = slice(i * self.config.batch_size, (i + 1) * self.config.batch_size)
        return tuple(a[part] for a in self.arrays(self.epoch))


def fit_stages(config: TrainConfig, start: int) -> list[tuple[int, int]]:
    """``(first, stop)`` epochs, from ``start`` to ``config.epochs``, over which the trials keep
    one length. Keras fixes the batch shape of a ``fit`` from its first batches, so a duration
    curriculum (``curriculum_ms``) is trained one ``fit`` per trial length; without one this is
    the single stage ``(start, epochs)`` (a curriculum needs fresh trials: ``TrainConfig``)."""
    last = min(config.epochs, len(config.curriculum_ms) + 1)
    steps = [trial_steps(config.epoch_task(e)) for e in range(start, last)]
    edges = [start + i for i in range(1, len(steps)) if steps[i] != steps[i - 1]]
    bounds = [start, *edges, config.epochs]
    return list(zip(bounds[:-1], bounds[1:]))


def epoch_arrays(config: TrainConfig, task: Task, epoch: int, base=None) -> tuple:
    """Inputs, targets (and loss weights, unless every step weighs 1) of ``epoch``."""
    if config.fresh_data:
        trials = config.epoch_task(epoch).generate(config.samples_per_epoch, [config.seed, 1, epoch])
    else:
        trials = base.subset(np.random.default_rng([config.seed, 3, epoch]).permutation(len(base)))
    if np.all(trials.mask == 1):  # the flip-flop: plain MSE, as the paper trains
        return trials.inputs, trials.targets
    arrays = trials.inputs, trials.targets, trials.mask
    if config.delay_curriculum_ms or getattr(task, "delay_tail_p", 0) > 0:
        # Keras fixes the batches' shape from the first epoch: pad every epoch to the longest
        # possible trial (steps of weight 0). Only for the delay tail and curriculum, so that
        # other runs keep their loss exactly.
        pad = task.max_steps() - trials.inputs.shape[1]
        arrays = tuple(np.pad(a, [(0, 0), (0, pad)] + [(0, 0)] * (a.ndim - 2)) for a in arrays)
    return arrays
