"""A second task through the whole toolchain (train, inspect, fixed points), with no task-specific code outside its module."""
import json

import numpy as np

from flipflop import runs
from flipflop.cli import main


def test_perceptual_dm_trains_inspects_and_finds_fixed_points(capsys, tmp_path):
    out = tmp_path / "pdm"
    argv = ["train", "--task", "perceptual_dm", "--cell", "gru", "--units", "16", "--epochs", "2",
            "--samples-per-epoch", "128", "--batch-size", "32", "--out", out, "--quiet",
            "--task-param", "stimulus_ms=200", "--task-param", "decision_ms=200"]
    assert main([str(a) for a in argv]) == 0
    printed = capsys.readouterr().out
    assert "held-out accuracy" in printed and "condition-averaged accuracy" in printed
    config = runs.read_config(out)
    assert config["task"] == "perceptual_dm" and config["train"]["task"]["stimulus_ms"] == 200
    metrics = json.loads((out / runs.METRICS).read_text())
    assert 0 <= metrics["heldout"]["accuracy"] <= 1 and set(metrics) >= {"heldout", "conditions"}
    history = runs.read_history(out / runs.HISTORY)
    assert [r["epoch"] for r in history] == [1, 2] and "val_accuracy" in history[0]

    assert main(["inspect", str(out), "--json"]) == 0
    info = json.loads(capsys.readouterr().out)
    assert info["task"] == "perceptual_dm" and (info["n_inputs"], info["n_outputs"]) == (3, 3)
    assert info["recurrent_block"] == "candidate"

    assert main(["fixed-points", str(out), "--period", "stimulus", "--trial", "0", "--n-init", "64"]) == 0
    assert "saved" in capsys.readouterr().out
    with np.load(out / runs.FIXED_POINTS) as f:
        assert f["input"].shape == (3,) and f["input"][0] == 1.0  # the fixation input is on in the stimulus
