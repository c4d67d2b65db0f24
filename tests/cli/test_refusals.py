"""Every case of issue #19, refused in one line with status 2 and nothing created; the pipe,
SIGTERM, the sweep's lock and results, and refusals that load no TensorFlow."""
import os
import shutil
import signal
import socket
import subprocess
import sys
import threading
import time
from pathlib import Path

import numpy as np
import pytest

from flipflop import runs
from flipflop.cli import main

ROOT = Path(__file__).resolve().parents[2]
ENV = {**os.environ, "PYTHONPATH": str(ROOT), "TF_CPP_MIN_LOG_LEVEL": "3"}
TINY = ["--units", "8", "--bits", "2", "--duration-ms", "60", "--pulse-ms", "5", "--samples-per-epoch", "64",
        "--val-samples", "16", "--quiet"]


def tree(root: Path) -> dict:
    return {str(p): (p.stat().st_size, p.stat().st_mtime_ns) for p in root.rglob("*")}


def refused(capsys, tmp_path, argv, message, cwd=None):
    """Status 2, one line naming ``message``, nothing under tmp_path created or changed."""
    before = tree(tmp_path)
    here = os.getcwd()
    os.chdir(cwd or tmp_path)
    try:
        code = main([str(a) for a in argv])
    finally:
        os.chdir(here)
    err = capsys.readouterr().err
    assert code == 2, err
    assert err.startswith("flipflop: error:") and err.count("\n") == 1 and message in err, err
    assert tree(tmp_path) == before
    return err


@pytest.fixture
def run(tmp_path, tiny_run):
    shutil.copytree(tiny_run.path, tmp_path / "run")
    return tmp_path / "run"


@pytest.mark.parametrize("argv, message", [
    (["train", "--units", "1000000000"], "needs about 2.2e+07 TiB of memory, more than the"),
    (["train", "--units", "100000"], "needs about 2"),
    (["train", "--bits", "1000000"], "TiB of memory"),
    (["train", "--duration-ms", "1e12"], "TiB of memory"),
    (["train", "--seed", str(2 ** 70)], "seed must be >= 0 and <= 4294967295, got an integer of about 22 digits"),
    (["train", "--seed", str(2 ** 32)], "seed must be >= 0 and <= 4294967295, got 4294967296"),
    (["train", "--lr", "nan"], "learning_rate must be finite, got nan"),
    (["train", "--bits", "2", "--task-param", "n_bits=abc"], "n_bits must be an integer, got 'abc'; and --bits 2"),
    (["train", "--bits", "2", "--task-param", "n_bits=2.5"], "n_bits must be an integer, got 2.5; and --bits 2"),
    (["train", "--duration-ms", "100", "--task-param", "duration_ms=Infinity"], "duration_ms must be finite"),
    (["train", "--duration-ms", "100", "--task-param", "duration_ms=200"], "both set duration_ms; give one"),
    (["sweep", "--name", "s", "--seeds", "0-100000000", "--local"], "--seeds: more than 100,000 values"),
    (["sweep", "--name", "s", "--seeds", "0-20000", "--local"], "the grid has 20,001 runs, more than the 10,000"),
    (["sweep", "--name", "s", "--cpus-per-trial", "0"], "argument --cpus-per-trial: must be > 0, got 0"),
    (["sweep", "--name", "s", "--max-concurrent", "0"], "argument --max-concurrent: must be a positive integer"),
    (["sweep", "--name", "s", "--gpus-per-trial", "5"], "--gpus-per-trial 5: this machine has 0 GPUs"),
    (["sweep", "--name", "s", "--cpus-per-trial", "1000"], "--cpus-per-trial 1000: this machine has"),
    (["sweep", "--name", "s", "--address", "127.0.0.1:1"], "cannot reach a Ray cluster at 127.0.0.1:1"),
    (["sweep", "--name", "s", "--units", "8", "--set", "samples_per_epoch=1000000000", "--local"], "of memory"),
    (["reproduce", "--paper", "nope.hdf5"], "no paper checkpoint at nope.hdf5"),
    (["reproduce", "--paper", "nope.hdf5", "--quick"], "no paper checkpoint at nope.hdf5"),
    (["reproduce", "--seeds", "0-5000"], "--seeds: more than 1,000 values"),
    (["train", "--out", ""], "argument --out: is empty"),
    (["train", "--out", "x" * 500], "argument --out: has a name of 500 bytes"),
    (["figures", "--runs", "x" * 500], "has a name of 500 bytes"),
    (["import-legacy", "/proc/self/mem", "--out", "x"], "is not a readable HDF5 file"),  # h5py's multi-line error
    (["train", "--curriculum-ms", "170,x"], "--curriculum-ms: must be a number or numbers separated by commas"),
    (["train", "--curriculum-ms", '"abc"'], "curriculum_ms must be a list of numbers, got 'abc'"),
    (["train", "--curriculum-ms", "170", "--units", "0"], "units must be a positive integer"),  # 170: one entry
    (["train", "--recipe", "paper", "--curriculum-ms", "170"], "a curriculum (curriculum_ms, delay_curriculum_ms) "
                                                                 "needs fresh trials every epoch"),
])
def test_the_issues_refusals(capsys, tmp_path, argv, message, monkeypatch):
    if "CUDA_VISIBLE_DEVICES" in os.environ or Path("/proc/driver/nvidia/gpus").is_dir():
        monkeypatch.setenv("CUDA_VISIBLE_DEVICES", "")  # the GPU case holds on any machine
    if "--out" not in argv and argv[0] == "train":
        argv = [*argv, "--out", "r"]
    if argv[0] == "sweep":
        argv = [*argv, "--root", "sweeps"]
    t = time.process_time()
    refused(capsys, tmp_path, argv, message)
    assert time.process_time() - t < 1.0  # checked, not computed


def test_wrong_files_are_refused_before_any_work(capsys, tmp_path, run, tiny_task_runs, keras2_checkpoint):
    k, n = 3, 5  # a fixed_points.npz with the right keys and wrong shapes
    np.savez(run / runs.FIXED_POINTS, points=np.zeros((k, n)), q=np.zeros(k), is_fixed=np.ones(k, bool),
             jacobians=np.zeros((k, 0, 0)), eigenvalues=np.zeros((k, n)), n_unstable=np.zeros(k, int),
             unstable_vectors=np.zeros((k, n)), input=np.zeros(2), n_init=8, iterations=1, best_q=0.0, tol_q=1e-6,
             slow_tol=1e-3, n_converged=1, format_version=1)
    refused(capsys, tmp_path, ["figures", "--runs", run, "--out", "figs"], "points of 5 states, but the network has 32")
    np.savez(run / runs.FIXED_POINTS, points=np.zeros((k, 32)), q=np.zeros(k + 1), is_fixed=np.ones(k, bool),
             jacobians=np.zeros((k, 0, 0)), eigenvalues=np.zeros((k, 32)), n_unstable=np.zeros(k, int),
             unstable_vectors=np.zeros((k, 32)), input=np.zeros(2), n_init=8, iterations=1, best_q=0.0, tol_q=1e-6,
             slow_tol=1e-3, n_converged=1, format_version=1)
    refused(capsys, tmp_path, ["figures", "--runs", run], "q has shape (4,), not (3,)")
    (run / runs.FIXED_POINTS).unlink()
    other = tiny_task_runs["perceptual_dm"]
    refused(capsys, tmp_path, ["figures", "--runs", run, "--reference", other], "is a perceptual_dm run, but the runs")
    refused(capsys, tmp_path, ["evaluate", run, "--trials", "1000000000"], "evaluating on 1,000,000,000 trials needs")
    refused(capsys, tmp_path, ["fixed-points", run, "--n-init", "1000000000"], "from 1,000,000,000 starts needs")
    refused(capsys, tmp_path, ["fixed-points", run, "--seed", str(2 ** 70)], "argument --seed: must be >= 0 and <=")
    refused(capsys, tmp_path, ["fixed-points", run, "--input", "0,0,0"], "--input needs 2 values")
    refused(capsys, tmp_path, ["fixed-points", run, "--period", "nope"], "has no period 'nope'")
    refused(capsys, tmp_path, ["evaluate", tmp_path / "missing"], "does not exist")
    (tmp_path / "file").write_text("x")
    refused(capsys, tmp_path, ["import-legacy", keras2_checkpoint[0], "--out", tmp_path / "file"],
            "exists and is not a folder")
    refused(capsys, tmp_path, ["train", "--out", tmp_path / "file" / "r"], "is not a folder")


def test_an_address_that_is_not_a_ray_cluster_is_refused_fast(capsys, tmp_path):
    server = socket.socket()
    server.bind(("127.0.0.1", 0))
    server.listen(4)

    def serve():
        conn, _ = server.accept()
        conn.sendall(b"SSH-2.0-OpenSSH_9.0\r\n")
        conn.close()

    threading.Thread(target=serve, daemon=True).start()
    address = f"127.0.0.1:{server.getsockname()[1]}"
    t = time.perf_counter()
    refused(capsys, tmp_path, ["sweep", "--name", "s", "--root", "sweeps", "--address", address],
            "answers, but not as a Ray cluster does")
    assert time.perf_counter() - t < 2.0
    server.close()


def test_a_config_is_inspected_and_refusals_load_no_tensorflow(tmp_path, run):
    probe = ("import sys; from flipflop.cli import main; code = main(sys.argv[1:]); "
             "print(code, *[m in sys.modules for m in ('tensorflow', 'keras', 'ray', 'matplotlib')])")
    for argv, out in [(["tasks", "--json"], '"name": "flipflop"'), (["train", "--lr", "nan", "--out", "r"], ""),
                      (["inspect", "missing"], ""), (["inspect", str(run / "config.json")], "SimpleRNN".lower()),
                      (["fixed-points", str(run), "--n-init", "0"], ""), (["sweep", "--name", "s", "--units", "0"], "")]:
        proc = subprocess.run([sys.executable, "-c", probe, *argv], cwd=tmp_path, env=ENV, capture_output=True,
                              text=True, timeout=120)
        status, *heavy = proc.stdout.split()[-5:]
        assert heavy == ["False"] * 4, (argv, proc.stdout[-200:])
        assert status == ("0" if out else "2") and out in proc.stdout.lower(), (argv, proc.stdout, proc.stderr)
    assert not (tmp_path / "r").exists() and not (tmp_path / "sweeps").exists()


def test_a_closed_pipe_ends_quietly(tmp_path):
    proc = subprocess.run(f"{sys.executable} -m flipflop.cli tasks --json | head -c 10", shell=True, env=ENV,
                          capture_output=True, text=True, timeout=120)
    assert proc.stdout == "[\n  {\n    " and proc.stderr == ""
    read, write = os.pipe()
    os.close(read)  # a reader that is gone before the first line: every write fails
    proc = subprocess.run([sys.executable, "-m", "flipflop.cli", "tasks"], stdout=write, stderr=subprocess.PIPE,
                          env=ENV, text=True, timeout=120)
    os.close(write)
    assert proc.returncode == 141 and proc.stderr == ""


def test_sigterm_ends_like_ctrl_c_and_the_run_resumes(tmp_path):
    out = tmp_path / "r"
    argv = [sys.executable, "-m", "flipflop.cli", "train", *TINY, "--epochs", "40", "--patience", "99",
            "--target-accuracy", "1", "--target-mse", "1e-9", "--out", str(out)]
    proc = subprocess.Popen(argv, env=ENV, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    deadline = time.time() + 300
    while not (out / runs.STATE).is_file() and proc.poll() is None and time.time() < deadline:
        time.sleep(0.05)  # until the first epoch is committed
    proc.send_signal(signal.SIGTERM)
    _, err = proc.communicate(timeout=120)
    assert proc.returncode == 143 and err == "flipflop: terminated; run the same command again to resume\n"
    assert not (out / runs.LOCK).exists()  # the lock went with it
    done = runs.read_json(out / runs.STATE)["epoch"]
    again = subprocess.run([*argv[:argv.index("--epochs") + 1], str(done + 1), *argv[argv.index("--epochs") + 2:]],
                           env=ENV, capture_output=True, text=True, timeout=300)
    assert again.returncode == 0, again.stderr
    assert [r["epoch"] for r in runs.read_history(out / runs.HISTORY)] == list(range(1, done + 2))


def test_a_diverged_training_names_no_model_it_does_not_have(capsys, tmp_path):
    code = main(["train", *TINY, "--epochs", "1", "--lr", "1e30", "--out", str(tmp_path / "o")])
    err = capsys.readouterr().err
    assert code == 1 and "no epoch finished, so" in err and "holds no trained model" in err, err
    assert not (tmp_path / "o" / runs.MODEL).exists()


def test_a_second_sweep_driver_is_refused_naming_the_first(capsys, tmp_path):
    with runs.locked(tmp_path / "sweeps" / "s"):  # the first driver (this process)
        err = refused(capsys, tmp_path, ["sweep", "--name", "s", "--root", "sweeps", "--local", "--units", "8"],
                      f"is in use by another flipflop process (pid {os.getpid()})")
    assert "sweeps/s" in err


def test_results_are_rebuilt_from_the_run_folders(capsys, tmp_path):
    from flipflop.runs.sweeps import RESULTS_FILE

    argv = ["sweep", "--name", "s", "--root", str(tmp_path), "--local", "--units", "8", "--no-report",
            "--set", "epochs=1", "--set", "samples_per_epoch=64", "--set", "val_samples=16",
            "--set", "task.duration_ms=60", "--set", "task.pulse_ms=5", "--set", "task.n_bits=2"]
    assert main(argv) == 0
    capsys.readouterr()
    results = tmp_path / "s" / RESULTS_FILE
    runs.write_json(results, {"stale": {"status": "done"}})  # as if the driver died before recording its run
    assert main(argv) == 0 and "0 trained, 1 already finished" in capsys.readouterr().out
    assert runs.read_json(results) == {"simplernn-8-seed0": {"status": "done", "epochs_run": 1,
                                                             "reached_target": False}}


@pytest.mark.parametrize("text, entries", [("170,255", (170.0, 255.0)), ("[170, 255]", (170.0, 255.0)), ("170", (170.0,))])
def test_a_list_flag_takes_commas_a_json_list_or_one_number(text, entries):
    """``--curriculum-ms 170,255``, ``[170, 255]`` and ``170`` (one epoch's entry) reach the
    config as tuples; a single number used to end in a TypeError's traceback."""
    from flipflop.cli.parser import build_parser
    from flipflop.training.config import TrainConfig

    args = build_parser().parse_args(["train", "--out", "r", "--curriculum-ms", text])
    assert TrainConfig(curriculum_ms=args.curriculum_ms).curriculum_ms == entries
