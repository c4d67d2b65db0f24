"""Training: ``TrainConfig`` (the table of every setting), ``train`` (one ``model.fit`` into a
run directory, seeded and resumable), its callbacks and data.

``TrainConfig`` imports no TensorFlow; ``train``, ``TrainResult`` and ``TrainingDiverged``
load the training loop (and TensorFlow) when first used.
"""
from __future__ import annotations

from typing import Any

from flipflop.training.config import TrainConfig

_LOOP = ("train", "TrainResult", "TrainingDiverged")


def __getattr__(name: str) -> Any:
    if name in _LOOP:
        from flipflop.training import loop

        return getattr(loop, name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


__all__ = ["TrainConfig", *_LOOP]
