"""The networks shipped in data/: small, loadable, and at least as good as the paper's."""
import json
from pathlib import Path

import numpy as np
import pytest
from conftest import PAPER_CHECKPOINTS, PRIMER_TASKS

from flipflop import runs
from flipflop.experiments.paper import realisation_configs
from flipflop.runs import shipped_runs
from flipflop.tasks.flipflop.task import FlipFlopTask
from flipflop.training import TrainConfig
from flipflop.training.metrics import score

DATA = Path(__file__).resolve().parents[2] / "data"
SHIPPED = sorted(DATA.glob("simplernn-400-seed*"))


def test_four_shipped_runs_are_found():
    assert [p.name for p in shipped_runs("flipflop")] == [f"simplernn-400-seed{s}" for s in range(4)]
    assert [p.name for p in shipped_runs("context_dm")] == ["context_dm-ctrnn-dale-seed0"]
    assert len(shipped_runs()) == 8


@pytest.mark.parametrize("path", SHIPPED, ids=[p.name for p in SHIPPED])
def test_shipped_network_beats_the_paper_bar(path):
    files = {p.name for p in path.iterdir()}
    assert {runs.MODEL, runs.INITIAL, runs.CONFIG, runs.HISTORY, runs.METRICS, "fixed_points.npz"} <= files
    assert sum(p.stat().st_size for p in path.iterdir()) < 2 * 2**20
    metrics = json.loads((path / runs.METRICS).read_text())
    assert metrics["heldout"]["bit_accuracy"] >= 0.9995 and metrics["heldout"]["mse"] <= 0.012
    model = runs.load_model(path / runs.MODEL)
    assert model.count_params() == 162_403
    task = FlipFlopTask()
    series = score(model, task, task.eight_state_series())  # measured again, not read back
    np.testing.assert_allclose(series["bit_accuracy"], metrics["eight_state"]["bit_accuracy"], atol=1e-9)
    assert series["bit_accuracy"] >= 0.999


@pytest.mark.parametrize("path", SHIPPED, ids=[p.name for p in SHIPPED])
def test_shipped_network_shows_the_papers_spectral_signature(path):
    from flipflop.analysis.weights import recurrent_matrix, spectral_signature
    from flipflop.tasks.flipflop.analysis import has_paper_signature

    sig = spectral_signature(recurrent_matrix(runs.load_model(path / runs.MODEL)))  # measured, not read back
    assert has_paper_signature(sig), sig


@pytest.mark.parametrize("path", SHIPPED, ids=[p.name for p in SHIPPED])
def test_shipped_network_was_trained_as_reproduce_trains(path):
    train = runs.read_config(path)["train"]  # upgraded to the current config format
    assert train["recipe"] == "faithful"
    assert TrainConfig.from_dict(train).to_dict() == realisation_configs(seeds=[train["seed"]])[0].to_dict()


@pytest.fixture(scope="module")
def paper_eight_state():
    path = PAPER_CHECKPOINTS / "ff_3b_weights-20.hdf5"
    if not path.is_file():
        pytest.skip("../shared/reference/paper-checkpoint is absent")
    from flipflop.runs.legacy import legacy_model

    return score(legacy_model(path)[0], FlipFlopTask(), FlipFlopTask().eight_state_series())


@pytest.mark.parametrize("path", SHIPPED, ids=[p.name for p in SHIPPED])
def test_shipped_network_is_at_least_as_good_as_the_papers_on_the_8_state_series(path, paper_eight_state):
    ours = score(runs.load_model(path / runs.MODEL), FlipFlopTask(), FlipFlopTask().eight_state_series())
    assert ours["bit_accuracy"] >= paper_eight_state["bit_accuracy"]


@pytest.mark.parametrize("task", PRIMER_TASKS)
def test_shipped_task_network_is_small_trained_as_reproduce_and_meets_its_accuracy_bars(task):
    from pathlib import Path

    from flipflop.experiments.primer import task_configs
    from flipflop.reports.evaluate import evaluate_run

    root = Path(__file__).resolve().parents[2]
    path = root / "data" / f"{task}-ctrnn-dale-seed0"
    assert sum(p.stat().st_size for p in path.iterdir()) < 2**20
    assert list(path.glob("fixed_points_*.npz")) and f"data/{task}-ctrnn-dale-seed0/*" in (root / "setup.cfg").read_text()
    train = runs.read_config(path)["train"]
    assert TrainConfig.from_dict(train).to_dict() == task_configs(task, [0])[0].to_dict()
    result = evaluate_run(path, n_trials=1000, seed=5)  # measured again, fresh trials
    accuracy_bars = [b for b in result["bars"] if b["name"].startswith("accuracy") or ": accuracy" in b["name"]]
    assert accuracy_bars and all(b["met"] for b in accuracy_bars), accuracy_bars
