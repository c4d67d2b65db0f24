"""Faults a run folder must survive: a second writer, a kill, a full disk, damaged files,
odd parameters, untrusted models. Each either repairs exactly or refuses in one line.

The long version (many kills, every file, many fuzz cases) is ``benchmarks/faults.py``.
"""
import errno
import json
import os
import random
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from flipflop import runs
from flipflop.cli import main
from flipflop.errors import FlipFlopError

# A tiny CLI training that runs all its epochs (unreachable target, endless patience).
TRAIN = ["train", "--units", "8", "--bits", "2", "--duration-ms", "40", "--pulse-ms", "5",
         "--samples-per-epoch", "64", "--batch-size", "32", "--patience", "99",
         "--target-accuracy", "1", "--target-mse", "1e-9", "--quiet", "--seed", "3"]


def cli(capsys, *argv) -> tuple[int, str, str]:
    code = main([str(a) for a in argv])
    captured = capsys.readouterr()
    return code, captured.out, captured.err


def one_line(code: int, err: str) -> bool:
    return code == 2 and err.startswith("flipflop: error:") and err.count("\n") == 1 and "Traceback" not in err


def weights(path: Path) -> list[bytes]:
    return [w.tobytes() for w in runs.load_model(path).get_weights()]


@pytest.fixture(scope="module")
def reference(tmp_path_factory):
    """The same tiny run trained for 2 and for 3 epochs without interruption."""
    root = tmp_path_factory.mktemp("faults")
    for epochs in (2, 3):
        assert main([*TRAIN, "--epochs", str(epochs), "--out", str(root / f"e{epochs}")]) == 0
    return root


@pytest.fixture
def finished(reference, tmp_path):
    """A copy of the finished 2-epoch run."""
    return Path(shutil.copytree(reference / "e2", tmp_path / "run"))


# --- the lock ---------------------------------------------------------------------------------

def test_second_writer_is_refused_naming_the_pid(capsys, tmp_path):
    out = tmp_path / "r"
    with runs.locked(out):
        assert (out / runs.LOCK).read_text().strip() == str(os.getpid())
        with pytest.raises(FlipFlopError, match=f"in use by another flipflop process \\(pid {os.getpid()}\\)"):
            with runs.locked(out):
                pass
        code, _, err = cli(capsys, *TRAIN, "--epochs", "1", "--out", out)
        assert one_line(code, err) and f"pid {os.getpid()}" in err
    assert not (out / runs.LOCK).exists() and list(out.iterdir()) == []
    with runs.locked(out):  # released: a writer gets it again
        pass


def test_lock_of_a_killed_process_does_not_block(tmp_path):
    out = tmp_path / "r"
    out.mkdir()
    holder = ("import fcntl, os, sys; fd = os.open(sys.argv[1], os.O_RDWR | os.O_CREAT); "
              "fcntl.flock(fd, fcntl.LOCK_EX); os.write(fd, b'%d' % os.getpid()); os.kill(os.getpid(), 9)")
    proc = subprocess.run([sys.executable, "-c", holder, str(out / runs.LOCK)])
    assert proc.returncode == -signal.SIGKILL and (out / runs.LOCK).read_text()  # a stale lock file is left
    with runs.locked(out):
        assert (out / runs.LOCK).read_text().strip() == str(os.getpid())


def test_refused_commands_create_no_folders(capsys, tmp_path):
    cases = [["train", "--lr", "-1", "--out", tmp_path / "x"],
             ["figures", "--runs", tmp_path / "missing", "--out", tmp_path / "x"],
             ["reproduce", "--cell", "gur", "--runs", tmp_path / "x", "--out", tmp_path / "y"],
             ["reproduce", "--seeds", "1,-2", "--runs", tmp_path / "x", "--out", tmp_path / "y"],
             ["fixed-points", tmp_path / "x"]]
    for argv in cases:
        code, _, err = cli(capsys, *argv)
        assert one_line(code, err), (argv, err)
    assert list(tmp_path.iterdir()) == []


@pytest.mark.parametrize("argv, message", [
    (["--n-init", "-3"], "--n-init: must be a positive integer, got -3"),
    (["--seed", "-1"], "--seed: must be a non-negative integer, got -1"),
    (["--trial", "-2", "--period", "trial"], "--trial: must be a non-negative integer, got -2"),
    (["--n-init", "many"], "--n-init: must be an integer"),
])
def test_fixed_points_numbers_are_checked_at_the_boundary(capsys, finished, argv, message):
    code, _, err = cli(capsys, "fixed-points", finished, *argv)
    assert one_line(code, err) and message in err


def test_no_converged_point_names_only_cli_flags(capsys, finished, monkeypatch):
    from flipflop.dynamics import finder

    def nothing(*args, **kwargs):
        raise finder.NoFixedPoint("no fixed point found ...; raise max_iters or tol_q, set refine_steps")

    monkeypatch.setattr(finder, "find_fixed_points", nothing)
    code, _, err = cli(capsys, "fixed-points", finished, "--n-init", "4")
    assert one_line(code, err) and "--n-init" in err
    assert not any(word in err for word in ("max_iters", "tol_q", "refine_steps"))


# --- finished is verified; damage is repaired exactly or refused --------------------------------

def test_deleted_or_truncated_model_is_restored_from_the_same_epochs_checkpoint(capsys, reference, finished):
    state = json.loads((finished / runs.STATE).read_text())
    assert state["best_epoch"] == state["epoch"] == 2  # the loss still falls: the best is the last
    (finished / runs.MODEL).write_bytes((reference / "e2" / runs.MODEL).read_bytes()[:1000])
    code, _, err = cli(capsys, "inspect", finished)
    assert one_line(code, err) and "corrupt" in err and "not found" not in err.lower()
    code, out, _ = cli(capsys, *TRAIN, "--epochs", "2", "--out", finished)
    assert code == 0 and "restored from checkpoint-0002.keras" in out
    assert weights(finished / runs.MODEL) == weights(reference / "e2" / runs.MODEL)
    (finished / runs.MODEL).unlink()
    code, out, _ = cli(capsys, *TRAIN, "--epochs", "2", "--out", finished)
    assert code == 0 and "model.keras was missing" in out and runs.finished_problem(finished) is None


def test_lost_model_that_no_checkpoint_holds_is_refused(capsys, finished):
    state = json.loads((finished / runs.STATE).read_text())
    runs.write_json(finished / runs.STATE, {**state, "best_epoch": 1})  # the best was an earlier epoch
    (finished / runs.MODEL).unlink()
    code, _, err = cli(capsys, *TRAIN, "--epochs", "2", "--out", finished)
    assert one_line(code, err) and "model.keras is missing" in err and "--force" in err
    code, _, err = cli(capsys, "figures", "--runs", finished, "--out", finished / "figs")
    assert one_line(code, err) and not (finished / "figs").exists()


def garble(path: Path) -> None:
    data = bytearray(path.read_bytes())
    i = len(data) // 2
    data[i] = ord("7") if data[i] != ord("7") else ord("3")  # one character: still parses, maybe
    path.write_bytes(bytes(data))


@pytest.mark.parametrize("name", [runs.MODEL, runs.INITIAL, runs.HISTORY, runs.CONFIG, runs.METRICS,
                                  runs.STATE, runs.checkpoint_name(2)])
@pytest.mark.parametrize("damage", ["truncate", "garble"])
def test_damaged_file_is_repaired_or_refused_in_one_line(capsys, reference, finished, name, damage):
    path = finished / name
    if damage == "truncate":
        path.write_bytes(path.read_bytes()[:len(path.read_bytes()) // 2])
    else:
        garble(path)
    for argv in (["inspect", finished], [*TRAIN, "--epochs", "2", "--out", finished]):
        code, out, err = cli(capsys, *argv)
        assert code == 0 or one_line(code, err), (argv, err)
    if code == 0:  # train said the run is fine: then it is, and the same as before
        assert runs.finished_problem(finished) is None
        assert weights(finished / runs.MODEL) == weights(reference / "e2" / runs.MODEL)
        assert runs.read_history(finished / runs.HISTORY) == runs.read_history(reference / "e2" / runs.HISTORY)
        metrics = json.loads((finished / runs.METRICS).read_text())
        assert metrics["heldout"] == json.loads((reference / "e2" / runs.METRICS).read_text())["heldout"]
    else:
        assert "--force" in err


def test_damaged_fixed_points_are_refused_then_recomputed(capsys, finished, monkeypatch):
    from flipflop.reports.analyse import analyse_run

    (finished / runs.FIXED_POINTS).write_bytes(b"PK\x03\x04 not an npz")
    with pytest.raises(FlipFlopError, match="not a valid fixed-point file"):
        analyse_run(finished)


# --- continuing, resuming, a full disk, a kill -----------------------------------------------

def test_finished_run_trains_further_exactly(capsys, reference, finished):
    stale = [finished / runs.FIXED_POINTS, finished / "fixed_points_stimulus.npz"]  # of the epoch-2 model
    for p in stale:
        p.write_bytes(b"cached")
    code, out, _ = cli(capsys, *TRAIN, "--epochs", "3", "--out", finished)
    assert code == 0 and "continuing after epoch 2 with epochs 2 -> 3" in out
    assert not any(p.exists() for p in stale)  # the model changed: its cached fixed points went
    assert weights(finished / runs.MODEL) == weights(reference / "e3" / runs.MODEL)
    assert (finished / runs.HISTORY).read_text().splitlines()[1].startswith("1,")  # integer epochs
    assert [r["epoch"] for r in runs.read_history(finished / runs.HISTORY)] == [1, 2, 3]
    continued = json.loads((finished / runs.CONFIG).read_text())["continued"]
    assert continued[0]["after_epoch"] == 2 and continued[0]["changed"] == {"epochs": [2, 3]}
    code, _, err = cli(capsys, *TRAIN, "--epochs", "1", "--out", finished)
    assert one_line(code, err) and "already run 3 epochs" in err


@pytest.mark.parametrize("k", [6, 7])  # writes: config, initial, then per epoch model, checkpoint, history, state
def test_full_disk_keeps_the_last_epoch_and_resumes(capsys, reference, tmp_path, monkeypatch, k):
    out, real, calls = tmp_path / "r", os.replace, []

    def replace(src, dst):
        calls.append(dst)
        if len(calls) == k:  # 6: epoch 1's commit (state.json); 7: epoch 2's best model
            raise OSError(errno.ENOSPC, "No space left on device")
        return real(src, dst)

    monkeypatch.setattr(os, "replace", replace)
    code, _, err = cli(capsys, *TRAIN, "--epochs", "2", "--out", out)
    assert one_line(code, err) and "No space left on device" in err
    monkeypatch.setattr(os, "replace", real)
    committed = json.loads((out / runs.STATE).read_text())["epoch"] if k == 7 else 0
    assert committed == k - 6 and not (k == 6 and (out / runs.STATE).exists()) and not list(out.glob(".*.keras"))
    with pytest.raises(FlipFlopError, match="still training or interrupted"):  # readers see no half run
        runs.load_run(out)
    code, out_text, _ = cli(capsys, *TRAIN, "--epochs", "2", "--out", out)
    assert code == 0 and ("resuming after epoch 1" in out_text if k == 7 else "training again from epoch 1" in out_text)
    assert weights(out / runs.MODEL) == weights(reference / "e2" / runs.MODEL)


def test_killed_trainer_resumes_bit_for_bit(capsys, reference, tmp_path):
    out = tmp_path / "r"
    env = {**os.environ, "PYTHONPATH": str(Path(__file__).resolve().parents[2])}
    proc = subprocess.Popen([sys.executable, "-m", "flipflop.cli", *TRAIN, "--epochs", "2", "--out", str(out)],
                            env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    deadline = time.monotonic() + 120
    while not (out / runs.INITIAL).exists() and proc.poll() is None and time.monotonic() < deadline:
        time.sleep(0.05)
    time.sleep(random.Random(0).uniform(0, 1.0))
    proc.send_signal(signal.SIGKILL)
    proc.wait()
    code, _, err = cli(capsys, *TRAIN, "--epochs", "2", "--out", out)
    assert code == 0, err
    assert weights(out / runs.MODEL) == weights(reference / "e2" / runs.MODEL)
    assert runs.finished_problem(out) is None
    assert sorted(p.name for p in out.iterdir()) == sorted(p.name for p in (reference / "e2").iterdir())


def test_debris_of_a_killed_writer_is_tidied(tmp_path):
    for name in (".model.x1y2.keras", ".state.abc.json", "checkpoint-0001.keras", "checkpoint-0002.keras",
                 ".mine", "notes.txt"):
        (tmp_path / name).write_text("x")
    runs.tidy(tmp_path, "checkpoint-0002.keras")
    assert sorted(p.name for p in tmp_path.iterdir()) == [".mine", "checkpoint-0002.keras", "notes.txt"]


# --- untrusted files and odd parameters -------------------------------------------------------

def test_model_with_code_is_refused_as_unsafe(capsys, tmp_path):
    import keras

    model = keras.Sequential([keras.Input((3,)), keras.layers.Lambda(lambda x: x * 2)])
    model.save(tmp_path / "lambda.keras")
    with pytest.raises(FlipFlopError, match="Lambda layer.*safe mode"):
        runs.load_model(tmp_path / "lambda.keras")
    code, _, err = cli(capsys, "inspect", tmp_path / "lambda.keras")
    assert one_line(code, err) and "Lambda" in err


BAD = [-1, 0, -0.5, float("nan"), float("inf"), 1e9, "x", None]


def fuzz_params():
    """Training and task parameters: plausible ones, with (half the time) one field set to an
    odd value (negative, zero, NaN, infinite, huge, a string, None)."""
    task = st.fixed_dictionaries({
        "n_bits": st.integers(1, 3), "duration_ms": st.floats(10, 150), "pulse_ms": st.floats(1, 10),
        "delay_ms": st.floats(0, 20), "noise_std": st.floats(0, 0.5),
        "first_onset_ms": st.tuples(st.floats(0, 10), st.floats(10, 40)), "p_first_pulse": st.floats(0, 1)})
    cell_kwargs = st.fixed_dictionaries({}, optional={
        "tau_ms": st.floats(1, 200), "dale_ratio": st.one_of(st.none(), st.floats(0.05, 0.95)),
        "sigma_rec": st.floats(0, 0.2)})
    params = st.fixed_dictionaries({
        "cell": st.sampled_from(["simplernn", "gru", "lstm", "ctrnn"]), "units": st.integers(1, 12),
        "batch_size": st.integers(1, 8), "learning_rate": st.floats(1e-4, 1), "epochs": st.integers(1, 3),
        "optimizer": st.sampled_from(["muon", "adam"]), "task": task, "cell_kwargs": cell_kwargs})
    fields = ["cell", "units", "batch_size", "learning_rate", "epochs", "optimizer", "task.n_bits",
              "task.duration_ms", "task.pulse_ms", "task.delay_ms", "task.noise_std", "task.p_first_pulse",
              "task.first_onset_ms", "task.dt_ms", "cell_kwargs.tau_ms", "cell_kwargs.dale_ratio",
              "cell_kwargs.sigma_rec"]
    poison = st.one_of(st.none(), st.tuples(st.sampled_from(fields), st.sampled_from(BAD)))
    return st.tuples(params, poison).map(lambda pair: _poisoned(*pair))


def _poisoned(params: dict, poison) -> dict:
    params = {**params, "task": dict(params["task"]), "cell_kwargs": dict(params["cell_kwargs"])}
    if poison is not None:
        (name, value), where = poison, params
        if "." in name:
            group, name = name.split(".")
            where = params[group]
        where[name] = value
    return params


def train_one_batch(params: dict) -> str:
    """Build the config and model and train one batch: "trained", or "refused" on a
    FlipFlopError with a one-line message. Any other exception propagates."""
    from flipflop.models.build import build_model
    from flipflop.tasks import make_task
    from flipflop.training import TrainConfig

    try:
        task_dict = make_task({"name": "flipflop", **params["task"]}).to_dict()
        cell_kwargs = dict(params["cell_kwargs"]) if params["cell"] == "ctrnn" else {}
        config = TrainConfig.from_recipe("fast", **{**params, "task": task_dict, "cell_kwargs": cell_kwargs})
        task = config.make_task()
        model = build_model(config.cell, config.units, task.n_inputs, task.n_outputs,
                            learning_rate=config.learning_rate, optimizer=config.optimizer, seed=config.seed,
                            **config.cell_kwargs)
        trials = task.generate(config.batch_size, [0, 1])
        model.train_on_batch(trials.inputs, trials.targets)  # a diverging loss is allowed; a crash is not
        return "trained"
    except FlipFlopError as e:
        assert "\n" not in str(e) and str(e), repr(e)
        return "refused"


@settings(max_examples=5, deadline=None, suppress_health_check=list(HealthCheck), derandomize=True)
@given(fuzz_params())
def test_any_parameters_train_or_are_refused_in_one_line(params):
    train_one_batch(params)
