"""Shared fixtures: a tiny task and a tiny trained run, built once per session."""
import os
from pathlib import Path

import pytest

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
os.environ.setdefault("MPLBACKEND", "Agg")

SHARED = Path(__file__).resolve().parents[1].parent / "shared" / "reference"
PAPER_CHECKPOINTS = SHARED / "paper-checkpoint"

# A short 2-bit variant of the task: 120 ms trials with 5 ms pulses.
TINY_TASK = dict(n_bits=2, duration_ms=120.0, pulse_ms=5.0, first_onset_ms=(5.0, 30.0),
                 second_gap_ms=20.0, third_gap_ms=20.0, jitter_ms=(1.0, 15.0), delay_ms=5.0)


def tiny_config(**overrides):
    from flipflop.tasks.flipflop import FlipFlopTask
    from flipflop.training import TrainConfig

    params = dict(cell="simplernn", units=32, batch_size=32, samples_per_epoch=512, epochs=12,
                  learning_rate=1e-2, val_samples=128, target_accuracy=0.97, target_mse=0.2,
                  task=FlipFlopTask(**TINY_TASK).to_dict())
    return TrainConfig.from_recipe("fast", **{**params, **overrides})


@pytest.fixture(scope="session")
def tiny_run(tmp_path_factory):
    """A tiny SimpleRNN trained past 95% bit accuracy on the short task (a few seconds)."""
    from flipflop.training import train

    out = tmp_path_factory.mktemp("runs") / "tiny"
    result = train(tiny_config(), out, verbose=0, log=lambda s: None)
    return result


@pytest.fixture
def paper_checkpoint():
    path = PAPER_CHECKPOINTS / "ff_3b_weights-20.hdf5"
    if not path.is_file():
        pytest.skip("../shared/reference/paper-checkpoint is absent")
    return path
