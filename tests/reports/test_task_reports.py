"""Every task through the one report driver: evaluate, the task's figures and REPORT, mixed tasks."""
import json

import numpy as np

import flipflop
from flipflop import runs
from flipflop.cli import main
from flipflop.tasks.spec import EVALUATION_SEED

SIGNATURE = {"perceptual_dm": ["psychometric", "sorted_weights"],
             "context_dm": ["context_curves", "mante_state_space"],
             "parametric_wm": ["pair_accuracy", "delay_line_attractor", "line_attractor", "decoded_memory"],
             "match_category": ["category_accuracy", "category_trajectories", "selectivity_onsets"]}


def test_evaluate_cli_prints_behaviour_and_bars(capsys, tiny_task_runs):
    expected = {"perceptual_dm": "psychometric", "context_dm": "contexts", "parametric_wm": "pairs",
                "match_category": "boundary"}
    for name, path in tiny_task_runs.items():
        assert main(["evaluate", str(path), "--trials", "200", "--json"]) == 0
        result = json.loads(capsys.readouterr().out)
        assert result["task"] == name and result["n_trials"] == 200 and result["seed"] == EVALUATION_SEED
        assert {"accuracy", "mse", "fixation_breaks", "bars", expected[name], "conditions"} <= set(result)
        assert result["bars"] and all(set(b) == {"name", "value", "rule", "met"} for b in result["bars"])
    assert main(["evaluate", str(tiny_task_runs["perceptual_dm"]), "--trials", "200"]) == 0
    text = capsys.readouterr().out
    assert "P(choice 1) by coherence" in text and "0.50 +- 0.06" in text and "condition-averaged series" in text


def test_evaluate_flipflop_measures_fresh_trials_and_the_eight_states(capsys, tiny_run):
    from flipflop.training.metrics import score

    assert main(["evaluate", str(tiny_run.path), "--trials", "50", "--seed", "3", "--json"]) == 0
    result = json.loads(capsys.readouterr().out)
    run = runs.load_run(tiny_run.path)
    model, task = run.model(), run.task()
    assert result["task"] == "flipflop" and "bars" not in result
    assert result["bit_accuracy"] == score(model, task, task.generate(50, 3))["bit_accuracy"]  # measured again
    assert result["eight_state"] == score(model, task, task.analysis_series())


def test_figures_follow_the_runs_task_with_fixed_points(tiny_task_runs, tmp_path, small_specs):
    for name, path in tiny_task_runs.items():
        out = tmp_path / name
        searched = name in ("context_dm", "parametric_wm")  # fixed-point searches cost seconds each
        assert main(["figures", "--runs", str(path), "--out", str(out)] + ["--fixed-points"] * searched) == 0
        drawn = {p.stem.rsplit("_" + name, 1)[0] for p in out.glob("*.png")}
        assert (path / "mechanisms.json").is_file() == searched  # measured with the fixed points, cached
        assert drawn == {"spectrum", "trajectories", *SIGNATURE[name]}, name
        report = (out / "REPORT.md").read_text()
        assert f"# Report: {name}" in report and "## Bars" in report and "## Fixed points" in report
        assert all(f"`{p.name}`" in report for p in out.glob("*.png"))  # it names each figure file
        assert f"flipflop {flipflop.__version__}, commit " in report and " UTC" in report
        assert "Behaviour is measured on 200 fresh noisy trials" in report
        cached = sorted(p.name for p in path.glob("fixed_points_*.npz"))
        if searched:  # a search that found points is cached in the run and said in a sentence
            assert cached and all(f"at the {c[13:-4].replace('_', ' ')} input" in report for c in cached), name
        else:
            assert not cached and "not computed (use --fixed-points)" in report


def test_mixed_task_runs_get_one_folder_per_task(tiny_task_runs, tmp_path):
    paths = [tiny_task_runs["perceptual_dm"], tiny_task_runs["parametric_wm"]]
    assert main(["figures", "--runs", *map(str, paths), "--out", str(tmp_path)]) == 0
    for name in ("perceptual_dm", "parametric_wm"):
        report = (tmp_path / name / "REPORT.md").read_text()
        assert f"# Report: {name}" in report and f"| {name} |" in report
    assert not (tmp_path / "REPORT.md").exists()


def test_a_reference_of_another_task_is_refused_before_anything_is_written(capsys, tiny_task_runs, tiny_run,
                                                                           tmp_path):
    out = tmp_path / "figs"
    assert main(["figures", "--runs", str(tiny_run.path), "--reference", str(tiny_task_runs["context_dm"]),
                 "--out", str(out)]) == 2
    err = capsys.readouterr().err
    assert "is a context_dm run, but the runs are of flipflop" in err and err.count("\n") == 1
    assert not out.exists()


def test_the_generic_report_of_a_run_names_every_fixed_point_set(tiny_task_runs, small_specs):
    from flipflop.reports.analyse import analyse_run

    a = analyse_run(tiny_task_runs["context_dm"], fixed_points="missing")
    assert [f.where.tag for f in a.fixed_points] == ["motion_context", "colour_context"]
    for f in a.fixed_points:
        assert f.input.shape == (7,) and np.all(f.input[1:5] == 0.5)  # zero evidence in the stimulus
        assert f.input[5 + ("motion", "colour").index(f.where.tag.split("_")[0])] == 1  # the context cue
        assert f.decoded is not None and len(f.decoded) == len(f.points) and np.isfinite(f.end_speed)
