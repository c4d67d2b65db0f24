"""Adding a task: neurogym's delayed match-to-sample, added as one folder and its registry entry,
goes through train, evaluate, fixed-points, figures and reproduce with no edit elsewhere; and a
task that declares no analysis gets the generic one."""
import dataclasses
import json
from typing import ClassVar

import numpy as np
import pytest

from flipflop import runs
from flipflop.cli import main
from flipflop.errors import FlipFlopError
from flipflop.tasks import TASKS, PerceptualDMTask, make_task, register
from flipflop.tasks.delay_match_sample import DelayMatchSampleTask

SHORT = ["--task-param", "fixation_ms=100", "--task-param", "sample_ms=200", "--task-param", "delay_ms=[100,200]",
         "--task-param", "test_ms=200", "--task-param", "decision_ms=200", "--task-param", "dt_ms=50"]


def test_the_task_follows_neurogyms_rule():
    task = DelayMatchSampleTask()
    trials = task.generate(400, seed=3)
    c = trials.conditions
    assert np.all(np.where(c["match"], c["test_dir"] == c["sample_dir"],
                           c["test_dir"] == (c["sample_dir"] + 180) % 360))  # non-match: the opposite direction
    assert 0.4 < c["match"].mean() < 0.6 and set(np.unique(c["sample_dir"])) == set(task.directions())
    series = task.analysis_series()
    start, stop = series.periods["sample"][0]
    preferred = 1 + int(series.conditions["sample_dir"][0] // 45)  # the ring unit preferring the sample
    np.testing.assert_allclose(series.inputs[0, start:stop, preferred], 1.0)  # 0.5 + 0.5 cos 0
    again = task.generate(400, seed=3)
    assert all(np.array_equal(a, b) for a, b in zip((trials.inputs, trials.targets, trials.mask),
                                                    (again.inputs, again.targets, again.mask)))
    assert task.score(trials.targets, trials)["accuracy"] == 1.0


@pytest.fixture(scope="module")
def dms_run(tmp_path_factory):
    out = tmp_path_factory.mktemp("dms") / "run"
    assert main(["train", "--task", "delay_match_sample", "--cell", "ctrnn", "--dale", "0.8", "--units", "16",
                 "--epochs", "2", "--samples-per-epoch", "128", "--out", str(out), "--quiet", *SHORT]) == 0
    return out


def test_train_evaluate_fixed_points_and_figures(dms_run, capsys, tmp_path, small_specs):
    assert runs.read_config(dms_run)["task"] == "delay_match_sample"
    assert main(["evaluate", str(dms_run), "--trials", "200", "--json"]) == 0
    result = json.loads(capsys.readouterr().out)
    assert result["task"] == "delay_match_sample" and len(result["by_sample"]) == 16  # 8 directions x match
    assert [b["name"] for b in result["bars"]] == ["accuracy on match trials", "accuracy on non-match trials"]
    assert main(["fixed-points", str(dms_run), "--period", "delay", "--n-init", "64"]) == 0
    assert "saved" in capsys.readouterr().out and (dms_run / runs.FIXED_POINTS).is_file()
    out = tmp_path / "figs"
    assert main(["figures", "--runs", str(dms_run), "--out", str(out), "--fixed-points"]) == 0
    label = dms_run.name
    assert sorted(p.name for p in out.glob("*.png")) == [f"{s}_{label}.png" for s in
                                                          ("match_accuracy", "spectrum", "trajectories")]
    report = (out / "REPORT.md").read_text()
    assert "# Report: delay_match_sample" in report and "accuracy on non-match trials" in report
    assert f"`match_accuracy_{label}.png`: accuracy per sample direction" in report
    assert (dms_run / "fixed_points_delay.npz").is_file() and "at the delay input (delay period)" in report


def test_reproduce_the_task_in_the_primers_setting(tmp_path, small_specs):
    assert main(["reproduce", "--task", "delay_match_sample", "--quick", "--runs", str(tmp_path / "runs"),
                 "--out", str(tmp_path / "figs")]) == 0
    run = tmp_path / "runs" / "quick-delay_match_sample-ctrnn-dale-seed0"
    assert runs.read_config(run)["train"]["cell_kwargs"]["dale_ratio"] == 0.8
    drawn = {p.name for p in (tmp_path / "figs" / "delay_match_sample").iterdir()}
    assert {"REPORT.md", f"match_accuracy_{run.name}.png", f"trajectories_{run.name}.png"} <= drawn


@dataclasses.dataclass(frozen=True)
class ToyTask(PerceptualDMTask):
    """A task defined in a test module: no analysis of its own."""

    name: ClassVar[str] = "toy"


@pytest.fixture
def toy(monkeypatch):
    monkeypatch.setitem(TASKS, "toy", ToyTask)  # restored afterwards
    TASKS.pop("toy")
    assert register(ToyTask) is ToyTask and TASKS["toy"] is ToyTask
    return ToyTask


def test_a_task_without_an_analysis_gets_the_generic_one(toy, tmp_path, capsys, small_specs):
    from flipflop.reports.specs import analysis_of
    from flipflop.tasks.default_analysis import DEFAULT

    assert analysis_of(toy).figures == DEFAULT.figures and analysis_of(toy).bars is None
    out = tmp_path / "run"
    assert main(["train", "--task", "toy", "--cell", "gru", "--units", "8", "--epochs", "1", "--samples-per-epoch",
                 "64", "--out", str(out), "--quiet", "--task-param", "stimulus_ms=200", "--dt", "50"]) == 0
    capsys.readouterr()
    assert main(["evaluate", str(out), "--trials", "100", "--json"]) == 0
    result = json.loads(capsys.readouterr().out)
    assert set(result) == {"run", "n_trials", "seed", "task", "accuracy", "mse", "fixation_breaks", "conditions"}
    figs = tmp_path / "figs"
    assert main(["figures", "--runs", str(out), "--out", str(figs), "--fixed-points"]) == 0
    assert sorted(p.name for p in figs.glob("*.png")) == ["spectrum_run.png", "trajectories_run.png"]
    report = (figs / "REPORT.md").read_text()
    searched = sorted(p.name for p in out.glob("fixed_points_*.npz"))
    assert "# Report: toy" in report and "## Bars" not in report
    # the generic search: each period's mean input (the empty delay left out)
    periods = [f for f in ("fixation", "stimulus", "decision") if f"({f} period)" in report]
    assert periods == ["fixation", "stimulus", "decision"] and all(p[13:-4] in periods for p in searched)


def test_registering_a_name_twice_is_refused(toy):
    with pytest.raises(FlipFlopError, match="task name .toy. is already registered"):
        register(dataclasses.make_dataclass("Other", [], bases=(PerceptualDMTask,), frozen=True,
                                            namespace={"name": "toy"}))
    assert make_task("toy").name == "toy"
