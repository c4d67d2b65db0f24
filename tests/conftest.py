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
    from flipflop.tasks.flipflop.task import FlipFlopTask
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


def write_keras2_checkpoint(path, units: int = 16, n_bits: int = 3, seed: int = 0) -> dict:
    """A Keras 2.3.1-format HDF5 checkpoint with the paper's layout (SimpleRNN without bias,
    then Dense; ``model_weights/<layer>/<layer>/<name>:0``, Adam's optimizer_weights), with
    seeded weights. Returns the arrays written, by name."""
    import json

    import h5py
    import numpy as np

    rng = np.random.default_rng(seed)
    arrays = {"kernel": rng.normal(0, 0.3, (n_bits, units)), "recurrent_kernel":
              np.linalg.qr(rng.normal(size=(units, units)))[0], "out_kernel": rng.normal(0, 0.3, (units, n_bits)),
              "out_bias": rng.normal(0, 0.1, n_bits)}
    arrays = {k: v.astype("float32") for k, v in arrays.items()}
    rnn = {"class_name": "SimpleRNN", "config": {"name": "simple_rnn_1", "batch_input_shape": [None, None, n_bits],
                                                 "return_sequences": True, "units": units, "activation": "tanh",
                                                 "use_bias": False}}
    dense = {"class_name": "Dense", "config": {"name": "dense_1", "batch_input_shape": [None, units],
                                               "units": n_bits, "activation": "linear", "use_bias": True}}
    with h5py.File(path, "w") as f:
        f.attrs["keras_version"] = b"2.3.1"
        f.attrs["backend"] = b"tensorflow"
        f.attrs["model_config"] = json.dumps({"class_name": "Sequential",
                                              "config": {"name": "sequential_1", "layers": [rnn, dense]}}).encode()
        f.attrs["training_config"] = json.dumps({"loss": "mse"}).encode()
        w = f.create_group("model_weights")
        w.attrs["layer_names"] = np.array([b"simple_rnn_1", b"dense_1"])
        for layer, names in (("simple_rnn_1", {"kernel": "kernel", "recurrent_kernel": "recurrent_kernel"}),
                             ("dense_1", {"kernel": "out_kernel", "bias": "out_bias"})):
            g = w.create_group(layer).create_group(layer)
            w[layer].attrs["weight_names"] = np.array([f"{layer}/{n}:0".encode() for n in names])
            for name, key in names.items():
                g.create_dataset(f"{name}:0", data=arrays[key])
        f.create_group("optimizer_weights").create_dataset("Adam/iterations:0", data=np.int64(100))
    return arrays


@pytest.fixture(scope="session")
def keras2_checkpoint(tmp_path_factory):
    """A synthetic Keras 2 checkpoint with the paper's layout (16 units), and its arrays."""
    path = tmp_path_factory.mktemp("legacy") / "ff_3b_weights-synthetic.hdf5"
    return path, write_keras2_checkpoint(path)
