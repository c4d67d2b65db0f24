"""Importing the paper's Keras 2.3.1 HDF5 checkpoints (skipped without ../shared)."""
import h5py
import numpy as np
import pytest
from conftest import PAPER_CHECKPOINTS

from flipflop import runs
from flipflop.errors import FlipFlopError
from flipflop.runs.legacy import import_legacy, legacy_model


def test_paper_network_imports_with_its_weights(paper_checkpoint, tmp_path):
    model, info = legacy_model(paper_checkpoint)
    assert model.count_params() == 162_403 and info["cell"] == "simplernn" and info["keras_version"] == "2.3.1"
    with h5py.File(paper_checkpoint, "r") as f:
        w_rec = f["model_weights/simple_rnn_10/simple_rnn_10/recurrent_kernel:0"][()]
    np.testing.assert_array_equal(model.get_layer("recurrent").cell.recurrent_kernel.numpy(), w_rec)
    # a numpy forward pass of the stored weights agrees with the rebuilt model
    with h5py.File(paper_checkpoint, "r") as f:
        w_in = f["model_weights/simple_rnn_10/simple_rnn_10/kernel:0"][()]
        w_out = f["model_weights/dense_10/dense_10/kernel:0"][()]
        b_out = f["model_weights/dense_10/dense_10/bias:0"][()]
    x = np.random.default_rng(0).normal(size=(1, 30, 3)).astype(np.float32)
    h, ys = np.zeros(400, np.float32), []
    for t in range(30):
        h = np.tanh(x[0, t] @ w_in + h @ w_rec)
        ys.append(h @ w_out + b_out)
    np.testing.assert_allclose(model.predict(x, verbose=0)[0], np.array(ys), atol=1e-4)


def test_import_writes_a_run_that_our_tools_read(paper_checkpoint, tmp_path):
    out = import_legacy(paper_checkpoint, tmp_path / "paper", initial=PAPER_CHECKPOINTS / "_N_00_initial.hdf5",
                        evaluate_metrics=False)
    run = runs.load_run(out)
    assert run.config["source"] == "legacy" and run.config["units"] == 400
    assert run.model().count_params() == 162_403
    assert (out / runs.INITIAL).is_file()


def test_bad_legacy_files(tmp_path):
    with pytest.raises(FlipFlopError, match="missing file"):
        legacy_model(tmp_path / "nope.hdf5")
    junk = tmp_path / "junk.hdf5"
    junk.write_bytes(b"not an hdf5 file")
    with pytest.raises(FlipFlopError, match="not a readable HDF5"):
        legacy_model(junk)
    weights_only = tmp_path / "weights.h5"
    with h5py.File(weights_only, "w") as f:
        f.create_dataset("x", data=np.zeros(3))
    with pytest.raises(FlipFlopError, match="no model config"):
        legacy_model(weights_only)


def test_synthetic_keras2_checkpoint_imports_exactly(keras2_checkpoint, tmp_path):
    """Runs without ../shared: a file with the paper's HDF5 layout, made by the tests."""
    path, arrays = keras2_checkpoint
    model, info = legacy_model(path)
    assert info["cell"] == "simplernn" and info["units"] == 16 and info["keras_version"] == "2.3.1"
    np.testing.assert_array_equal(model.get_layer("recurrent").cell.recurrent_kernel.numpy(),
                                  arrays["recurrent_kernel"])
    x = np.random.default_rng(1).normal(size=(1, 20, 3)).astype(np.float32)
    h, ys = np.zeros(16, np.float32), []
    for t in range(20):
        h = np.tanh(x[0, t] @ arrays["kernel"] + h @ arrays["recurrent_kernel"])
        ys.append(h @ arrays["out_kernel"] + arrays["out_bias"])
    np.testing.assert_allclose(model.predict(x, verbose=0)[0], np.array(ys), atol=1e-5)
    out = import_legacy(path, tmp_path / "synthetic", evaluate_metrics=True)
    run = runs.load_run(out)
    assert run.config["source"] == "legacy" and run.task().n_bits == 3
    assert set(run.metrics) >= {"heldout", "eight_state"} and run.model().count_params() == 3 * 16 + 16 * 16 + 16 * 3 + 3


def test_legacy_import_cli_without_shared(keras2_checkpoint, tmp_path):
    from flipflop.cli import main

    path, _ = keras2_checkpoint
    assert main(["import-legacy", str(path), "--out", str(tmp_path / "r"), "--no-eval"]) == 0
    assert main(["inspect", str(tmp_path / "r")]) == 0
    assert main(["import-legacy", str(path), "--out", str(tmp_path / "r")]) == 2  # not empty
