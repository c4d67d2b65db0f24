"""The options the notebooks use: a figure's title and width, and a run's training target."""
import numpy as np

from flipflop.plotting.spectra import spectra_grid
from flipflop.runs import load_run, shipped_runs, write_config
from flipflop.tasks import make_task
from flipflop.tasks.flipflop.figures import training_samples


def test_spectra_grid_keeps_figure_4s_title_unless_given_another():
    ev = np.exp(1j * np.linspace(0, 6, 20))
    assert spectra_grid([("a", ev)])._suptitle.get_text() == "Recurrent-weight spectra of independently trained networks"
    assert spectra_grid([("a", ev), ("b", ev)], title="before and after")._suptitle.get_text() == "before and after"


def test_training_samples_takes_a_title_and_a_width_per_sample():
    trials = make_task("flipflop").generate(2, seed=0)
    default, wide = training_samples(trials, n_samples=2), training_samples(trials, n_samples=1, width=10, title="x")
    assert default.get_size_inches()[0] == 2 * 3.4 and wide.get_size_inches()[0] == 10
    assert default._suptitle.get_text().startswith("Training samples") and wide._suptitle.get_text() == "x"


def test_a_runs_target_comes_from_its_config_and_an_imported_network_has_none(tmp_path):
    run = load_run(shipped_runs("flipflop")[0])
    assert run.target == (run.config["train"]["target_accuracy"], run.config["train"]["target_mse"])
    assert 0.99 <= run.target[0] <= 1 and 0 < run.target[1] < 0.1
    write_config(tmp_path, {"source": "legacy", "task": make_task().to_dict()})
    (tmp_path / "model.keras").write_bytes(b"")
    assert load_run(tmp_path, require_finished=False).target is None
