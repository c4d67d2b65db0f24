"""Every CLI error path: one line on stderr, exit status 2, nothing overwritten."""
import json
import subprocess
import sys

import pytest

from flipflop import runs
from flipflop.cli import main


def run_cli(capsys, *argv):
    code = main([str(a) for a in argv])
    captured = capsys.readouterr()
    return code, captured.out, captured.err


@pytest.mark.parametrize("argv, message", [
    (["train", "--cell", "transformer", "--out", "{tmp}/r"], "unknown cell"),
    (["train", "--units", "0", "--out", "{tmp}/r"], "units"),
    (["train", "--bits", "0", "--out", "{tmp}/r"], "n_bits"),
    (["train", "--pulse-ms", "500", "--out", "{tmp}/r"], "wider than the sequence"),
    (["train", "--noise", "-1", "--out", "{tmp}/r"], "noise_std"),
    (["train", "--recipe", "magic", "--out", "{tmp}/r"], "unknown recipe"),
    (["train", "--tau", "100", "--out", "{tmp}/r"], "only apply to --cell ctrnn"),
    (["train", "--cell", "ctrnn", "--tau", "5", "--dt", "10", "--out", "{tmp}/r"], "must not exceed tau_ms"),
    (["train", "--cell", "ctrnn", "--tau", "0", "--out", "{tmp}/r"], "tau_ms must be > 0"),
    (["train", "--cell", "ctrnn", "--dale", "1.2", "--out", "{tmp}/r"], "dale_ratio"),
    (["train", "--bogus-flag", "--out", "{tmp}/r"], "unrecognized arguments"),
    (["frobnicate"], "invalid choice"),
    (["inspect", "{tmp}/missing.keras"], "does not exist"),
    (["inspect", "{tmp}/corrupt.keras"], "corrupt or unreadable"),
    (["import-legacy", "{tmp}/missing.hdf5", "--out", "{tmp}/r"], "missing file"),
    (["import-legacy", "{tmp}/corrupt.keras", "--out", "{tmp}/r"], "not a readable HDF5"),
])
def test_bad_input_is_one_line_and_status_2(capsys, tmp_path, argv, message):
    (tmp_path / "corrupt.keras").write_bytes(b"garbage")
    code, out, err = run_cli(capsys, *[a.format(tmp=tmp_path) for a in argv])
    assert code == 2
    assert err.startswith("flipflop: error:") and message in err
    assert err.count("\n") == 1 and "Traceback" not in err
    assert not (tmp_path / "r").exists()


def test_model_of_wrong_input_size_is_refused(capsys, tmp_path, tiny_run):
    from flipflop.training.metrics import evaluate
    from flipflop.errors import FlipFlopError
    from flipflop.tasks.flipflop.task import FlipFlopTask

    model = runs.load_model(tiny_run.path)  # trained on 2 bits
    with pytest.raises(FlipFlopError, match="model has 2 inputs and 2 outputs but the flipflop task has 3 inputs"):
        evaluate(model, FlipFlopTask(n_bits=3))


def test_other_config_in_existing_run_is_refused(capsys, tiny_run):
    before = {p.name: p.read_bytes() for p in tiny_run.path.iterdir()}
    code, _, err = run_cli(capsys, "train", "--units", "8", "--bits", "2", "--out", tiny_run.path, "--quiet")
    assert code == 2 and "different config" in err and "--force" in err
    assert {p.name: p.read_bytes() for p in tiny_run.path.iterdir()} == before


def test_inspect_prints_table_and_json(capsys, tiny_run):
    code, out, _ = run_cli(capsys, "inspect", tiny_run.path)
    assert code == 0 and "spectral radius" in out and "SimpleRNNCell" in out and "heldout bit accuracy" in out
    code, out, _ = run_cli(capsys, "inspect", tiny_run.path, "--json")
    info = json.loads(out)
    assert info["units"] == 32 and info["n_params"] == 2 * 32 + 32 * 32 + 32 * 2 + 2
    assert 0 <= info["n_outside_unit_circle"] <= 32 and info["spectral_radius"] > 0
    sig = info["spectral_signature"]
    assert sig["n_above"] == info["n_outside_unit_circle"] and sig["radius"] == pytest.approx(info["spectral_radius"])
    assert sig["p10"] <= sig["median"] <= sig["radius"] and sig["std"] >= 0
    assert info["metrics"]["heldout"]["bit_accuracy"] > 0.95


def test_train_cli_end_to_end_then_resume_is_a_no_op(capsys, tmp_path):
    argv = ["train", "--units", "16", "--bits", "2", "--duration-ms", "60", "--pulse-ms", "5",
            "--epochs", "1", "--samples-per-epoch", "64", "--out", tmp_path / "r", "--quiet"]
    code, out, _ = run_cli(capsys, *argv)
    assert code == 0 and "held-out bit accuracy" in out
    config = json.loads((tmp_path / "r" / runs.CONFIG).read_text())
    assert config["train"]["units"] == 16 and config["train"]["task"]["duration_ms"] == 60.0
    code, out, _ = run_cli(capsys, *argv)
    assert code == 0 and "1 epochs" in out


def test_console_script_exits_2_without_traceback(tmp_path):
    proc = subprocess.run([sys.executable, "-m", "flipflop.cli", "train", "--units", "-3", "--out",
                           str(tmp_path / "r")], capture_output=True, text=True)
    assert proc.returncode == 2
    assert proc.stderr.strip().splitlines() == ["flipflop: error: units must be a positive integer, got -3"]


def test_legacy_import_cli(capsys, tmp_path, paper_checkpoint):
    code, out, _ = run_cli(capsys, "import-legacy", paper_checkpoint, "--out", tmp_path / "paper", "--no-eval")
    assert code == 0
    code, out, _ = run_cli(capsys, "inspect", tmp_path / "paper", "--json")
    info = json.loads(out)
    assert info["n_params"] == 162_403 and info["source"] == "legacy"
    assert info["spectral_radius"] == pytest.approx(1.082, abs=0.01)
    code, _, err = run_cli(capsys, "import-legacy", paper_checkpoint, "--out", tmp_path / "paper")
    assert code == 2 and "not empty" in err


def test_import_is_quiet_and_bare_command_lists_commands(tmp_path):
    code = "import flipflop.training.loop, flipflop.dynamics.finder, flipflop.reports.analyse"
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=tmp_path)
    assert proc.returncode == 0 and proc.stderr == "" and proc.stdout == ""
    proc = subprocess.run([sys.executable, "-m", "flipflop.cli"], capture_output=True, text=True)
    assert proc.returncode == 0 and proc.stderr == ""
    assert all(c in proc.stdout for c in ("train", "tasks", "inspect", "reproduce", "figures", "fixed-points"))


def test_cli_prints_only_our_lines(tiny_run):
    proc = subprocess.run([sys.executable, "-m", "flipflop.cli", "inspect", str(tiny_run.path)],
                          capture_output=True, text=True, env={**__import__("os").environ, "TF_CPP_MIN_LOG_LEVEL": ""})
    assert proc.returncode == 0 and proc.stderr == "" and "spectral radius" in proc.stdout


def test_help_states_defaults_and_choices(capsys, monkeypatch):
    monkeypatch.setenv("COLUMNS", "400")  # one help line per flag
    with pytest.raises(SystemExit):
        main(["train", "--help"])
    out = capsys.readouterr().out
    for text in ("simplernn, gru, lstm, ctrnn", "fast (default", "paper (Adam 1e-4, batch 128", "2048 per epoch",
                 "--sigma-rec", "(default 0.0)", "--dale", "(default none)", "--tau", "100.0 ms"):
        assert text in out, text
