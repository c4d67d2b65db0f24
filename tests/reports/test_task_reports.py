"""The primer's tasks analysed like the paper's: evaluate, task figures, figures dispatch, reproduce --task."""
import json

import matplotlib
import numpy as np
import pytest

matplotlib.use("Agg")

import flipflop  # noqa: E402
from flipflop import runs, task_analysis as ta, task_figures as tf_  # noqa: E402
from flipflop.cli import main  # noqa: E402

PRIMER_TASKS = ("perceptual_dm", "context_dm", "parametric_wm", "match_category")
SHORT = {"perceptual_dm": dict(stimulus_ms=200.0), "context_dm": dict(fixation_ms=100.0, stimulus_ms=200.0),
         "parametric_wm": dict(delay_ms=(200.0, 300.0), stimulus1_ms=200.0, stimulus2_ms=200.0),
         "match_category": dict(sample_ms=200.0, test_ms=300.0, delay_ms=(100.0, 200.0), n_directions=4)}


@pytest.fixture(scope="module")
def tiny_task_runs(tmp_path_factory):
    """One tiny Dale CTRNN per primer task, one short epoch each (untrained-ish, but runs)."""
    from flipflop.tasks import make_task
    from flipflop.training import TrainConfig, train

    root, out = tmp_path_factory.mktemp("task-runs"), {}
    for name in PRIMER_TASKS:
        config = TrainConfig.from_recipe("fast", cell="ctrnn", units=12, epochs=1, samples_per_epoch=64,
                                         val_samples=32,  # dt 50 ms: few steps, fast tests cell_kwargs={"dale_ratio": 0.75, "tau_ms": 100.0},
                                         task={**make_task(name).to_dict(), **SHORT[name], "dt_ms": 50.0})
        out[name] = train(config, root / name, verbose=0, log=lambda s: None).path
    return out


def test_evaluate_cli_prints_behaviour_and_bars(capsys, tiny_task_runs):
    expected = {"perceptual_dm": "psychometric", "context_dm": "contexts", "parametric_wm": "pairs",
                "match_category": "boundary"}
    for name, path in tiny_task_runs.items():
        assert main(["evaluate", str(path), "--trials", "200", "--json"]) == 0
        result = json.loads(capsys.readouterr().out)
        assert result["task"] == name and result["n_trials"] == 200
        assert {"accuracy", "mse", "fixation_breaks", "bars", expected[name]} <= set(result)
        assert all({"name", "value", "rule", "met"} <= set(b) for b in result["bars"])
    assert main(["evaluate", str(tiny_task_runs["perceptual_dm"]), "--trials", "200"]) == 0
    text = capsys.readouterr().out
    assert "P(choice 1) by coherence" in text and "0.50 +- 0.06" in text


def test_evaluate_flipflop_reports_bit_accuracy_and_eight_states(capsys, tiny_run):
    assert main(["evaluate", str(tiny_run.path), "--trials", "50", "--json"]) == 0
    result = json.loads(capsys.readouterr().out)
    assert result["task"] == "flipflop" and 0 <= result["bit_accuracy"] <= 1
    assert set(result["eight_state"]) >= {"bit_accuracy", "mse"}


def test_figures_follow_the_runs_task_with_fixed_points(tiny_task_runs, tmp_path, monkeypatch):
    from flipflop import task_report

    monkeypatch.setattr(task_report, "FP_INIT", 16)
    monkeypatch.setattr(task_report, "EVAL_TRIALS", 200)
    signature = {"perceptual_dm": ["psychometric", "sorted_weights"],
                 "context_dm": ["context_curves", "mante_state_space"],
                 "parametric_wm": ["pair_accuracy", "delay_line_attractor"],
                 "match_category": ["category_accuracy", "category_trajectories", "selectivity_onsets"]}
    for name, path in tiny_task_runs.items():
        out = tmp_path / name
        searched = name in ("context_dm", "parametric_wm")  # fixed-point searches cost seconds each
        assert main(["figures", "--runs", str(path), "--out", str(out)] + ["--fixed-points"] * searched) == 0
        drawn = {p.stem.rsplit("_" + name, 1)[0] for p in out.glob("*.png")}
        assert drawn == {"spectrum", "trajectories", *signature[name]}, name
        report = (out / "REPORT.md").read_text()
        assert f"# Report: {name}" in report and "## Bars" in report and "## Fixed points" in report
        assert all(f"`{p.name}`" in report for p in out.glob("*.png"))  # it names each figure file
        assert f"flipflop {flipflop.__version__}, commit " in report and " UTC" in report
        assert bool(list(path.glob("fixed_points_*.npz"))) == searched, name  # cached in the run
        assert ("fixed point(s)" in report) == searched


def test_mixed_task_runs_get_one_folder_per_task(tiny_task_runs, tiny_run, tmp_path):
    paths = [tiny_task_runs["perceptual_dm"], tiny_task_runs["parametric_wm"]]
    assert main(["figures", "--runs", *map(str, paths), "--out", str(tmp_path)]) == 0
    assert (tmp_path / "perceptual_dm" / "REPORT.md").is_file() and (tmp_path / "parametric_wm" / "REPORT.md").is_file()


def test_task_without_figures_is_one_line_exit_2(capsys, tiny_task_runs, tmp_path, monkeypatch):
    from flipflop import evaluation, task_report

    path = tiny_task_runs["perceptual_dm"]
    monkeypatch.delitem(task_report.SIGNATURES, "perceptual_dm")
    assert main(["figures", "--runs", str(path), "--out", str(tmp_path)]) == 2
    err = capsys.readouterr().err.strip()
    assert err.startswith("flipflop: error: no figures for the perceptual_dm task") and "\n" not in err
    monkeypatch.delitem(evaluation.BARS, "perceptual_dm")
    assert main(["evaluate", str(path)]) == 2
    err = capsys.readouterr().err.strip()
    assert "no behavioural evaluation for the perceptual_dm task" in err and "\n" not in err


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


def test_reproduce_task_quick_writes_figures_and_report(capsys, tmp_path, monkeypatch):
    from flipflop import task_report

    monkeypatch.setattr(task_report, "FP_INIT", 16)
    monkeypatch.setattr(task_report, "EVAL_TRIALS", 200)
    assert main(["reproduce", "--task", "parametric_wm", "--quick", "--runs", str(tmp_path / "runs"),
                 "--out", str(tmp_path / "fig")]) == 0
    out = tmp_path / "fig" / "parametric_wm"
    assert (out / "REPORT.md").is_file() and (out / "delay_line_attractor_quick-parametric_wm-ctrnn-dale-seed0.png").is_file()
    config = runs.read_config(tmp_path / "runs" / "quick-parametric_wm-ctrnn-dale-seed0")
    assert config["train"]["cell_kwargs"]["dale_ratio"] == 0.8 and config["train"]["cell_kwargs"]["tau_ms"] == 100
    assert main(["reproduce", "--task", "nope", "--quick"]) == 2
    assert "unknown task 'nope'" in capsys.readouterr().err


# ---------------------------------------------------------------- analyses on planted arrays


def test_targeted_axes_recover_planted_directions():
    rng = np.random.default_rng(0)
    n, steps, units = 200, 6, 30
    regs = rng.standard_normal((n, 3))
    truth = np.linalg.qr(rng.standard_normal((units, 3)))[0].T  # orthonormal (3, units)
    ramp = np.linspace(0, 1, steps)[None, :, None]
    hidden = ramp * (regs @ truth)[:, None, :] + 0.01 * rng.standard_normal((n, steps, units))
    axes, when = ta.targeted_axes(hidden, regs)
    assert np.all(when == steps - 1)
    assert np.allclose(np.abs(np.sum(axes * truth, axis=1)), 1, atol=1e-2)


def test_category_onsets_find_when_units_become_selective():
    steps, units = 40, 3
    category = np.array([0, 0, 0, 1, 1, 1])
    rates = np.zeros((6, steps, units))
    rates[:, 10:, 0] = np.where(category == 0, 1.0, -1.0)[:, None]  # unit 0 selective from step 10
    rates[:, :, 1] = np.arange(6)[:, None] * 0.1  # unit 1: direction tuned, not categorical
    index = ta.category_selectivity(rates, category)
    onsets = ta.selectivity_onsets(index, start=5)
    assert onsets[0] == 5 and np.isnan(onsets[2])
    assert np.isnan(onsets[1]) or onsets[1] > 0  # graded tuning is weaker than the step's


def test_slow_modes_pick_the_eigenvalue_nearest_one():
    jac = np.diag([0.5, 0.99, -0.2])[None]
    values, vectors = ta.slow_modes(jac)
    assert np.isclose(values[0], 0.99) and np.allclose(np.abs(vectors[0]), [0, 1, 0])


def test_choice_selectivity_orders_excitatory_units_first():
    act = np.array([[1.0, 0.0, 2.0, 0.0], [1.2, 0.1, 2.2, 1.0], [0.0, 0.0, 0.0, 0.0], [0.1, 0.1, 0.2, 1.1]])
    sel = ta.choice_selectivity(act, np.array([0, 0, 1, 1]))
    order = ta.selectivity_order(sel, np.array([1.0, 1.0, -1.0, 1.0]))
    assert order[-1] == 2 and list(order[:3]) == [0, 1, 3]


# ---------------------------------------------------------------- figures on synthetic arrays


def test_trajectories_draw_one_line_per_condition_and_the_fixed_points():
    proj = np.random.default_rng(1).standard_normal((7, 20, 3))
    fig = tf_.trajectories(proj, np.linspace(-50, 50, 7), "coherence", {"stimulus": 5},
                           points=np.zeros((3, 3)), stable=np.array([True, False, True]))
    ax = fig.axes[0]
    assert len(ax.lines) == 7
    assert sum(len(c.get_offsets()) for c in ax.collections) == 7 + 3


def test_signature_figures_draw_their_content():
    rng = np.random.default_rng(2)
    fig = tf_.sorted_weights(rng.standard_normal((10, 10)), np.arange(10)[::-1], 8)
    assert fig.axes[0].images[0].get_array().shape == (10, 10) and len(fig.axes[0].lines) == 2
    panels = [{"xy": rng.standard_normal((6, 15, 2)), "values": np.arange(6) - 2.5, "labels": ("choice", "motion"),
               "title": f"p{i}", "points": rng.standard_normal((4, 2)), "vectors": rng.standard_normal((4, 2))}
              for i in range(4)]
    fig = tf_.mante_state_space(panels)
    assert [len(ax.lines) for ax in fig.axes[:4]] == [6 + 4] * 4
    fig = tf_.delay_line_attractor(rng.standard_normal((5, 30, 2)), np.array([10, 18, 22, 26, 34.0]),
                                   rng.standard_normal((3, 2)), rng.standard_normal((3, 2)))
    assert len(fig.axes[0].lines) == 5 + 3 + 1
    fig = tf_.category_trajectories(rng.standard_normal((4, 40, 3)), [(0, 0), (0, 1), (1, 0), (1, 1)], 20.0,
                                    {"fixation": (0, 10), "sample": (10, 20), "delay": (20, 30), "test": (30, 40)})
    assert len(fig.axes[0].lines) == 4 and len(fig.axes[1].lines) == 4
    assert len(fig.axes[1].patches) == 4  # the shaded epochs
    fig = tf_.onset_histogram(np.array([100.0, 200.0, np.nan]), {"delay": 650.0})
    assert "2 of 3 units" in fig.axes[0].get_title()
    fig = tf_.psychometric([-50, 0, 50], [0.0, 0.5, 1.0], 0.1, 0.0)
    assert len(fig.axes[0].lines) >= 2


def test_decode_line_reads_a_planted_line_beyond_its_training_range():
    rng = np.random.default_rng(0)
    d, f1 = rng.standard_normal(40), np.linspace(10, 34, 10)
    states = f1[:, None] * d[None] + 0.01 * rng.standard_normal((10, 40))
    assert np.allclose(ta.decode_line(states, f1, np.stack([22 * d, 40 * d])), [22, 40], atol=0.1)


# ---------------------------------------------------------------- the shipped primer networks



@pytest.mark.parametrize("task", PRIMER_TASKS)
def test_shipped_task_network_is_small_trained_as_reproduce_and_meets_its_accuracy_bars(task):
    from pathlib import Path

    from flipflop.evaluation import evaluate_run
    from flipflop.reproduce_task import task_configs
    from flipflop.training import TrainConfig

    root = Path(__file__).resolve().parents[1]
    path = root / "data" / f"{task}-ctrnn-dale-seed0"
    assert sum(p.stat().st_size for p in path.iterdir()) < 2**20
    assert list(path.glob("fixed_points_*.npz")) and f"data/{task}-ctrnn-dale-seed0/*" in (root / "setup.cfg").read_text()
    train = runs.read_config(path)["train"]
    assert TrainConfig.from_dict(train).to_dict() == task_configs(task, [0])[0].to_dict()
    result = evaluate_run(path, n_trials=1000, seed=5)  # measured again, fresh trials
    accuracy_bars = [b for b in result["bars"] if b["name"].startswith("accuracy") or ": accuracy" in b["name"]]
    assert accuracy_bars and all(b["met"] for b in accuracy_bars), accuracy_bars
