"""Shared fixtures: a tiny task and a tiny trained run, built once per session."""
import importlib.util
import os
import sys
from pathlib import Path

import pytest

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
os.environ.setdefault("MPLBACKEND", "Agg")


@pytest.fixture(autouse=True)
def _close_figures():
    """Every test's pyplot figures are closed after it (matplotlib warns beyond 20 open); a
    test that never drew loads no matplotlib for this."""
    yield
    if "matplotlib.pyplot" in sys.modules:
        sys.modules["matplotlib.pyplot"].close("all")


SHARED = Path(__file__).resolve().parents[1].parent / "shared" / "reference"
PAPER_CHECKPOINTS = SHARED / "paper-checkpoint"

# A short 2-bit variant of the task: 120 ms trials with 5 ms pulses.
TINY_TASK = dict(n_bits=2, duration_ms=120.0, pulse_ms=5.0, first_onset_ms=(5.0, 30.0),
                 second_gap_ms=20.0, third_gap_ms=20.0, jitter_ms=(1.0, 15.0), delay_ms=5.0)


class StopAfter:
    """A Keras callback that interrupts training (like Ctrl-C) at the end of epoch ``n``."""

    def __new__(cls, n):
        import keras

        class _Stop(keras.callbacks.Callback):
            def on_epoch_end(self, epoch, logs=None):
                if epoch + 1 == n:
                    raise KeyboardInterrupt

        return _Stop()


def simple_rnn(units: int, n_in: int, kernel, recurrent, bias=None, activation="tanh"):
    """A SimpleRNN with the given weights and a 1-unit readout (for maps with known fixed points)."""
    import keras
    import numpy as np

    model = keras.Sequential([
        keras.Input((None, n_in)),
        keras.layers.SimpleRNN(units, activation=activation, use_bias=bias is not None,
                               return_sequences=True, name="recurrent"),
        keras.layers.Dense(1, name="readout"),
    ])
    weights = [np.asarray(kernel, np.float32), np.asarray(recurrent, np.float32)]
    model.get_layer("recurrent").set_weights(weights + ([np.asarray(bias, np.float32)] if bias is not None else []))
    return model


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


@pytest.fixture(scope="session")
def quick(tmp_path_factory):
    """`flipflop reproduce --quick`: 4 tiny realisations, fixed points, every figure, REPORT.md."""
    from flipflop.cli import main

    root = tmp_path_factory.mktemp("quick")
    code = main(["reproduce", "--quick", "--runs", str(root / "runs"), "--out", str(root / "figs"),
                 "--format", "png,pdf"])
    return root, code


PRIMER_TASKS = ("perceptual_dm", "context_dm", "parametric_wm", "match_category")
# Short trials of each primer task, for tiny test networks.
SHORT = {"perceptual_dm": dict(stimulus_ms=200.0), "context_dm": dict(fixation_ms=100.0, stimulus_ms=200.0),
         "parametric_wm": dict(delay_ms=(200.0, 300.0), stimulus1_ms=200.0, stimulus2_ms=200.0),
         "match_category": dict(sample_ms=200.0, test_ms=300.0, delay_ms=(100.0, 200.0), n_directions=4)}


@pytest.fixture(scope="session")
def tiny_task_runs(tmp_path_factory):
    """One tiny Dale CTRNN (75 % excitatory) per primer task, trained one short epoch at dt 50 ms."""
    from flipflop.tasks import make_task
    from flipflop.training import TrainConfig, train

    root, out = tmp_path_factory.mktemp("task-runs"), {}
    for name in PRIMER_TASKS:
        config = TrainConfig.from_recipe("fast", cell="ctrnn", units=12, epochs=1, samples_per_epoch=64,
                                         val_samples=32, cell_kwargs={"dale_ratio": 0.75, "tau_ms": 100.0},
                                         task={**make_task(name).to_dict(), **SHORT[name], "dt_ms": 50.0})
        out[name] = train(config, root / name, verbose=0, log=lambda s: None).path
    return out


@pytest.fixture
def small_specs(monkeypatch):
    """Every task's analysis spec with 16 fixed-point starts and 200 fresh trials, for speed."""
    from flipflop.reports import specs

    full = specs._spec_of
    monkeypatch.setattr(specs, "_spec_of", lambda cls: full(cls).replace(fixed_point_starts=16, evaluation_trials=200,
                                                                         mechanism_trials=40, mechanism_iters=200))


# ---------------------------------------------------------------- the notebooks (tests/docs)

DOCS = Path(__file__).resolve().parents[1] / "docs"


def load_tool(name: str):
    """``docs/<name>.py`` as a module (docs/ is not a package)."""
    spec = importlib.util.spec_from_file_location(f"flipflop_docs_{name}", DOCS / f"{name}.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


class Executed:
    """The notebooks, each run at most once per size and session (``docs/notebooks.py``): (executed
    .ipynb, wall s, kernel CPU s); their figures under ``figures(size)``."""

    def __init__(self, root: Path):
        self.root, self.done, self.tool, self.load_tool = root, {}, load_tool("notebooks"), load_tool

    def figures(self, size: str) -> Path:
        return self.root / size / "figures"

    def folder(self, size: str) -> Path:
        return self.root / size / "notebooks"

    def __call__(self, source: Path, size: str = "small"):
        key = (source.stem, size)
        if key not in self.done:
            self.done[key] = self.tool.execute(source, self.folder(size), size, self.figures(size))
        return self.done[key]


@pytest.fixture(scope="session")
def executed(tmp_path_factory):
    os.environ.setdefault("NO_MKDOCS_2_WARNING", "1")
    return Executed(tmp_path_factory.mktemp("notebooks"))
