"""`flipflop reproduce`: the paper's experiment and the primer's, end to end on tiny networks."""
import sys

import pytest

from flipflop import runs
from flipflop.cli import main


def test_reproduce_quick_end_to_end(quick):
    root, code = quick
    assert code == 0
    names = {p.name for p in (root / "figs").iterdir()}
    for stem in ("fig1_model", "fig2_training_samples", "fig4_spectra", "fig6_cubes", "training_curves"):
        assert f"{stem}.png" in names and f"{stem}.pdf" in names
    labels = [f"quick-simplernn-24-seed{s}" for s in range(4)]
    assert {f"fig3_connectivity_{labels[0]}.png", f"fig5_eight_states_{labels[0]}.png"} <= names
    with_points = [a for a in labels if (root / "runs" / a / runs.FIXED_POINTS).is_file()]
    assert with_points and labels[0] in with_points  # every run's search is cached; the main run found points
    assert f"fig7_fixed_points_{labels[0]}.png" in names and f"fig8_linearised_{labels[0]}.pdf" in names
    text = (root / "figs" / "REPORT.md").read_text()
    assert "Procrustes" in text and text.count("| quick-simplernn-24-seed") >= 4
    assert "## Fixed points at zero input" in text and f"| {labels[0]} |" in text
    assert sorted(p.name for p in (root / "runs").iterdir()) == labels


def test_reproduce_reuses_finished_runs(quick, capsys):
    root, _ = quick
    before = {p: p.stat().st_mtime_ns for p in (root / "runs").rglob("model.keras")}
    assert main(["reproduce", "--quick", "--no-fixed-points", "--runs", str(root / "runs"),
                 "--out", str(root / "figs2")]) == 0
    assert "already finished" in capsys.readouterr().out
    assert {p: p.stat().st_mtime_ns for p in (root / "runs").rglob("model.keras")} == before
    assert "- reusing the finished quick-simplernn-24-seed0 (3 epochs):" in (root / "figs2" / "REPORT.md").read_text()


def test_the_paper_trains_simplernns_to_the_shipped_target_and_other_cells_to_the_criterion():
    from flipflop.experiments.paper import REALISATION, realisation_configs

    rnn, gru = realisation_configs(seeds=[0])[0], realisation_configs(cell="gru", seeds=[0])[0]
    table = REALISATION["simplernn"]
    assert (rnn.recipe, rnn.target_accuracy, rnn.target_mse, rnn.learning_rate) == (
        table["recipe"], table["target_accuracy"], table["target_mse"], 1e-3)
    assert rnn.recipe == "faithful" and gru.recipe == "fast"
    assert (gru.target_accuracy, gru.target_mse, gru.learning_rate) == (0.999, 0.02, 1e-2)
    assert [c.seed for c in realisation_configs(seeds=(0, 1, 2, 3))] == [0, 1, 2, 3]


def test_every_task_has_an_experiment():
    from flipflop.experiments import PAPER, PRIMER, experiment_for
    from flipflop.tasks import DEFAULT_TASK, TASKS

    assert experiment_for(DEFAULT_TASK) is PAPER
    assert all(experiment_for(name) is PRIMER for name in TASKS if name != DEFAULT_TASK)
    (config,) = PRIMER.configs("parametric_wm", [3])
    assert config.cell == "ctrnn" and config.cell_kwargs["dale_ratio"] == 0.8 and config.target_accuracy == 0.97
    assert PRIMER.run_name(config, False) == "parametric_wm-ctrnn-dale-seed3"


def test_reproduce_task_quick_writes_figures_and_report(capsys, tmp_path, small_specs):
    assert main(["reproduce", "--task", "parametric_wm", "--quick", "--runs", str(tmp_path / "runs"),
                 "--out", str(tmp_path / "fig")]) == 0
    out = tmp_path / "fig" / "parametric_wm"
    assert (out / "REPORT.md").is_file() and (out / "delay_line_attractor_quick-parametric_wm-ctrnn-dale-seed0.png").is_file()
    config = runs.read_config(tmp_path / "runs" / "quick-parametric_wm-ctrnn-dale-seed0")
    assert config["train"]["cell_kwargs"]["dale_ratio"] == 0.8 and config["train"]["cell_kwargs"]["tau_ms"] == 100
    assert main(["reproduce", "--task", "nope", "--quick"]) == 2
    assert "unknown task 'nope'" in capsys.readouterr().err


@pytest.mark.parametrize("argv, message", [
    (["--task", "parametric_wm", "--paper", "x.hdf5"], "--paper and --reference only apply to"),
    (["--seeds", "3-1"], "--seeds: empty range '3-1'"),
    (["--seeds", "1,-2"], "--seeds: malformed item '-2'"),
    (["--paper", "{tmp}/missing.hdf5"], "no paper checkpoint at"),
])
def test_reproduce_refuses_before_creating_anything(capsys, tmp_path, argv, message):
    argv = [a.format(tmp=tmp_path) for a in argv]
    assert main(["reproduce", *argv, "--runs", str(tmp_path / "runs"), "--out", str(tmp_path / "out")]) == 2
    err = capsys.readouterr().err
    assert message in err and err.count("\n") == 1
    assert not (tmp_path / "runs").exists() and not (tmp_path / "out").exists()


def _tiny_configs(seeds, epochs):
    """The paper's realisations of ``seeds``, tiny (16 units, 64 trials of 60 ms per epoch), training
    ``epochs`` epochs with no target to stop them."""
    from flipflop.experiments.paper import realisation_configs
    from flipflop.training import TrainConfig

    return [TrainConfig.from_dict({**c.to_dict(), "units": 16, "epochs": epochs, "samples_per_epoch": 64,
                                   "val_samples": 32, "batch_size": 16, "patience": epochs, "target_accuracy": 1.0,
                                   "target_mse": 1e-9, "task": {**c.to_dict()["task"], "duration_ms": 60.0}})
            for c in realisation_configs(seeds=seeds)]


def test_trainings_side_by_side_give_the_weights_of_one_after_another(tmp_path, capsys):
    """reproduce trains its runs two at a time, each in a process of its own on one thread:
    the weights are those of training them one after another in this process, bit for bit."""
    import numpy as np

    from flipflop.experiments.reproduce import train_all

    configs = _tiny_configs([0, 1], 2)
    apart = train_all(configs, [tmp_path / "a0", tmp_path / "a1"], workers=2)
    together = train_all(configs, [tmp_path / "b0", tmp_path / "b1"], workers=1)
    assert "2 at a time, one thread each" in capsys.readouterr().out
    assert len(apart) == len(together) == 2
    for k in (0, 1):
        a, b = runs.load_model(tmp_path / f"a{k}" / runs.MODEL), runs.load_model(tmp_path / f"b{k}" / runs.MODEL)
        assert all(np.array_equal(x, y) for x, y in zip(a.get_weights(), b.get_weights()))
    first = runs.load_model(tmp_path / "a0" / runs.MODEL).get_weights()
    second = runs.load_model(tmp_path / "a1" / runs.MODEL).get_weights()
    assert not all(np.array_equal(x, y) for x, y in zip(first, second))  # two seeds, two networks


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="reads /proc; PR_SET_PDEATHSIG is Linux's")
def test_killing_reproduce_stops_its_workers_and_the_runs_resume(tmp_path):
    """The parent killed (SIGKILL) while two workers train: both workers end with it (none
    trains on alone), and the same trainings resume from their last committed epochs."""
    import json
    import os
    import signal
    import subprocess
    import time
    from pathlib import Path

    from flipflop.experiments.reproduce import train_all

    code = ("import sys; from pathlib import Path; sys.path.insert(0, %r)\n"
            "from test_reproduce import _tiny_configs\n"
            "from flipflop.experiments.reproduce import train_all\n"
            "train_all(_tiny_configs([0, 1], 400), [Path(%r) / 'r0', Path(%r) / 'r1'], workers=2)\n"
            % (str(Path(__file__).parent), str(tmp_path), str(tmp_path)))
    parent = subprocess.Popen([sys.executable, "-c", code], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    states = [tmp_path / r / runs.STATE for r in ("r0", "r1")]
    deadline = time.time() + 240
    while time.time() < deadline and not all(s.is_file() for s in states) and parent.poll() is None:
        time.sleep(0.5)
    assert all(s.is_file() for s in states), "the workers never committed an epoch"
    children = [int(c) for t in os.listdir(f"/proc/{parent.pid}/task")
                for c in open(f"/proc/{parent.pid}/task/{t}/children").read().split()]
    assert len(children) >= 2
    parent.send_signal(signal.SIGKILL)
    parent.wait()
    for _ in range(40):  # a worker ends with its parent (PR_SET_PDEATHSIG)
        alive = [c for c in children if os.path.exists(f"/proc/{c}") and
                 open(f"/proc/{c}/stat").read().split()[2] != "Z"]
        if not alive:
            break
        time.sleep(0.25)
    assert not alive, f"workers {alive} outlived their parent"
    epochs = [json.loads(s.read_text())["epoch"] for s in states]
    logged = []
    train_all(_tiny_configs([0, 1], max(epochs) + 1), [tmp_path / "r0", tmp_path / "r1"], log=logged.append,
              workers=1)
    assert any("resuming after epoch" in line for line in logged)
