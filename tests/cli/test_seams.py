"""The seams for tasks and cells: registries, boundary validation, the loss mask, compatibility."""
import json
import shutil

import numpy as np
import pytest
from conftest import tiny_config

from flipflop import runs
from flipflop.models.cells import CELLS
from flipflop.cli import main
from flipflop.errors import FlipFlopError
from flipflop.tasks import TASKS, make_task
from flipflop.training import TrainConfig, train


def run_cli(capsys, *argv):
    code = main([str(a) for a in argv])
    captured = capsys.readouterr()
    return code, captured.out, captured.err


def test_registries_name_every_task_and_cell():
    assert "flipflop" in TASKS and set(CELLS) >= {"simplernn", "gru", "lstm", "ctrnn"}
    for name, spec in CELLS.items():
        assert spec.name == name and spec.shown_gate in spec.gates and spec.rate("fast") > 0
    assert make_task().name == "flipflop" and make_task({"n_bits": 2}).n_bits == 2  # unnamed = flip-flop


@pytest.mark.parametrize("kwargs, message", [
    (dict(task={"name": "nope"}), "unknown task 'nope'"),
    (dict(task={"name": "flipflop", "n_bits": "three"}), "n_bits must be an integer"),
    (dict(task={"name": "flipflop", "noise_std": -0.1}), "noise_std must be >= 0"),
    (dict(task={"name": "flipflop", "wobble": 1}), "unknown flipflop task parameter"),
    (dict(cell="simplernn", cell_kwargs={"tau_ms": 50.0}), "only apply to the ctrnn cell"),
    (dict(cell="ctrnn", cell_kwargs={"tau_ms": "slow"}), "tau_ms must be a number"),
    (dict(seed=-1), "seed must be a non-negative integer"),
    (dict(clipnorm=0.0), "clipnorm must be > 0"),
    (dict(optimizer="sgd"), "unknown optimizer 'sgd'"),
])
def test_bad_parameters_are_one_line_errors(kwargs, message):
    with pytest.raises(FlipFlopError, match=message) as info:
        TrainConfig.from_recipe("fast", **kwargs)
    assert "\n" not in str(info.value)


def test_a_missing_rate_is_a_one_line_error(monkeypatch):
    monkeypatch.setitem(CELLS["gru"].rates, "fast", None)
    monkeypatch.delitem(CELLS["gru"].rates, "fast")
    with pytest.raises(FlipFlopError, match="no learning rate for the gru cell"):
        TrainConfig.from_recipe("fast", cell="gru")
    assert TrainConfig.from_recipe("fast", cell="gru", learning_rate=1e-3).learning_rate == 1e-3


@pytest.mark.parametrize("argv, message", [
    (["--task", "nope"], "unknown task 'nope'"),
    (["--task-param", "n_bits=x"], "n_bits must be an integer"),
    (["--task-param", "n_bits"], "--task-param takes NAME=VALUE"),
    (["--dale", "0.8"], "--dale only apply to --cell ctrnn"),
    (["--cell", "gru", "--sigma-rec", "0.1"], "--sigma-rec only apply to --cell ctrnn"),
    (["--seed", "-1"], "seed must be a non-negative integer"),
    (["--lr", "-1"], "learning_rate must be > 0"),
])
def test_train_flags_are_validated_at_the_boundary(capsys, tmp_path, argv, message):
    code, _, err = run_cli(capsys, "train", *argv, "--out", tmp_path / "r", "--quiet")
    assert code == 2 and message in err and err.count("\n") == 1
    assert not (tmp_path / "r").exists()


def test_tasks_command_lists_parameters_and_channels(capsys):
    code, out, _ = run_cli(capsys, "tasks", "--json")
    described = {d["name"]: d for d in json.loads(out)}
    assert code == 0 and set(described) == set(TASKS)
    ff = described["flipflop"]
    assert {"name": "duration_ms", "default": 340.0, "unit": "ms"}.items() <= \
        next(p for p in ff["parameters"] if p["name"] == "duration_ms").items()
    assert [c["name"] for c in ff["inputs"]] == ["bit 0", "bit 1", "bit 2"] and ff["metric"] == "bit_accuracy"


def _loss_gradients(model, x, y, w):
    import tensorflow as tf

    with tf.GradientTape() as tape:
        loss = model.compute_loss(x=x, y=y, y_pred=model(x, training=True), sample_weight=w)
    return [g.numpy() for g in tape.gradient(loss, model.trainable_variables)]


def test_masked_steps_carry_no_gradient():
    from flipflop.models.build import build_model

    model = build_model("simplernn", 8, n_inputs=2, n_outputs=3, seed=0)
    rng = np.random.default_rng(0)
    x = rng.normal(size=(4, 10, 2)).astype("float32")
    y = rng.normal(size=(4, 10, 3)).astype("float32")
    w = np.ones((4, 10), np.float32)
    w[:, 6:] = 0.0  # the last 4 steps are free
    y_free = y.copy()
    y_free[:, 6:] += 5.0  # a different target where the mask is 0 ...
    y_held = y.copy()
    y_held[:, :6] += 5.0  # ... and where it is 1
    base = _loss_gradients(model, x, y, w)
    for a, b in zip(base, _loss_gradients(model, x, y_free, w)):
        np.testing.assert_array_equal(a, b)
    assert any(not np.allclose(a, b) for a, b in zip(base, _loss_gradients(model, x, y_held, w)))


def test_force_removes_every_file_of_the_old_run(tmp_path):
    config = tiny_config(epochs=1)
    out = tmp_path / "r"
    train(config, out, verbose=0, log=lambda s: None)
    (out / runs.FIXED_POINTS).write_bytes(b"fixed points of the old network")
    (out / "notes.txt").write_text("mine")
    train(tiny_config(epochs=1, seed=1), out, force=True, verbose=0, log=lambda s: None)
    assert not (out / runs.FIXED_POINTS).exists()  # no stale fixed points over the new network
    assert (out / "notes.txt").read_text() == "mine" and runs.read_config(out)["train"]["seed"] == 1


def _downgrade_to_format_1(path):
    """Rewrite a run's config.json as the previous release wrote it (no format, unnamed task)."""
    config = json.loads((path / runs.CONFIG).read_text())
    config.pop("format")
    config.pop("task")
    config.pop("n_inputs")
    config.pop("n_outputs")
    config["n_bits"] = config["train"]["task"]["n_bits"]
    config["train"]["task"].pop("name")
    (path / runs.CONFIG).write_text(json.dumps(config))


def test_a_run_of_the_previous_release_loads_and_resumes(tmp_path):
    from conftest import StopAfter

    config = tiny_config(epochs=3, target_accuracy=1.0, target_mse=1e-9, patience=99)
    straight = train(config, tmp_path / "straight", verbose=0, log=lambda s: None)
    with pytest.raises(KeyboardInterrupt):
        train(config, tmp_path / "old", verbose=0, log=lambda s: None, callbacks=[StopAfter(2)])
    _downgrade_to_format_1(tmp_path / "old")
    messages = []
    resumed = train(config, tmp_path / "old", verbose=0, log=messages.append)
    assert any("resuming after epoch 1" in m for m in messages) and resumed.epochs_run == 3
    for x, y in zip(runs.load_model(straight.path).get_weights(), runs.load_model(resumed.path).get_weights()):
        assert x.tobytes() == y.tobytes()
    assert runs.load_run(tmp_path / "old").task().n_bits == 2


def test_a_config_newer_than_the_package_is_refused(capsys, tiny_run, tmp_path):
    path = tmp_path / "future"
    shutil.copytree(tiny_run.path, path)
    config = json.loads((path / runs.CONFIG).read_text())
    (path / runs.CONFIG).write_text(json.dumps({**config, "format": runs.CONFIG_FORMAT + 1}))
    code, _, err = run_cli(capsys, "inspect", path)
    assert code == 2 and "newer than this flipflop understands" in err and err.count("\n") == 1


@pytest.mark.parametrize("argv, message", [
    (["--task", "perceptual_dm", "--task-param", "stimulus_ms=-100"], "stimulus_ms"),
    (["--task", "parametric_wm", "--task-param", "delay_ms=[900,500]"], "delay_ms"),
    (["--task", "perceptual_dm", "--task-param", "coherences=[0,50,120]"], "coherences"),
    (["--task", "context_dm", "--task-param", "coherences=[-5,50]"], "coherences"),
    (["--task", "parametric_wm", "--task-param", "pairs_hz=[18,10,20,20]"], "f1 == f2"),
    (["--task", "match_category", "--task-param", "test_ms=60"], "test_ms"),
])
def test_bad_task_parameters_are_one_line_exit_2(capsys, tmp_path, argv, message):
    assert main(["train", "--out", str(tmp_path / "x"), "--quiet", *argv]) == 2
    err = capsys.readouterr().err.strip()
    assert err.startswith("flipflop: error:") and message in err and "\n" not in err
    assert not (tmp_path / "x").exists()


@pytest.mark.parametrize("argv, message", [
    (["--bits", "2", "--task-param", "n_bits=abc"],
     "--task-param n_bits must be an integer, got 'abc'; and --bits 2 and --task-param n_bits='abc' both set n_bits"),
    (["--bits", "2", "--task-param", "n_bits=3"], "--bits 2 and --task-param n_bits=3 both set n_bits; give one"),
    (["--task", "context_dm", "--bits", "2"], "--bits only apply to --task flipflop"),
    (["--task", "context_dm", "--duration-ms", "100"], "--duration-ms only apply to --task flipflop"),
])
def test_task_flags_are_generated_and_checked(capsys, tmp_path, argv, message):
    assert main(["train", "--out", str(tmp_path / "x"), "--quiet", *argv]) == 2
    err = capsys.readouterr().err
    assert err.startswith("flipflop: error:") and message in err and err.count("\n") == 1
    assert not (tmp_path / "x").exists()


def test_a_cell_changes_the_tasks_default_step_only_where_none_is_given():
    from flipflop.cli.checks import task_params
    from flipflop.cli.parser import build_parser

    def step(*argv):
        args = build_parser().parse_args(["train", "--out", "x", *argv])
        return task_params(args)["dt_ms"]

    assert step("--cell", "ctrnn") == 10.0 and step() == 1.0  # the flip-flop's CTRNN step, else its own
    assert step("--cell", "ctrnn", "--task-param", "dt_ms=5") == 5.0 and step("--cell", "ctrnn", "--dt", "2") == 2.0
    assert step("--cell", "ctrnn", "--task", "context_dm") == 20.0  # the primer's task keeps its 20 ms
