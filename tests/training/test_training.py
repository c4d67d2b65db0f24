"""Training into run directories: learning, saving, resuming, determinism, refusals."""
import json

import numpy as np
import pytest
from conftest import StopAfter, tiny_config

from flipflop import runs
from flipflop.errors import FlipFlopError
from flipflop.tasks.flipflop.task import FlipFlopTask
from flipflop.training import TrainConfig, TrainingDiverged, train


def test_tiny_network_learns_the_short_task(tiny_run):
    assert tiny_run.reached_target
    assert tiny_run.metrics["heldout"]["bit_accuracy"] > 0.95
    for name in (runs.MODEL, runs.INITIAL, runs.CONFIG, runs.HISTORY, runs.METRICS):
        assert (tiny_run.path / name).is_file()
    # the last checkpoint and state.json stay, so the run can be trained further exactly
    state = json.loads((tiny_run.path / runs.STATE).read_text())
    assert [p.name for p in tiny_run.path.glob("checkpoint-*")] == [state["checkpoint"]]
    assert runs.finished_problem(tiny_run.path) is None
    config = json.loads((tiny_run.path / runs.CONFIG).read_text())
    assert config["train"]["seed"] == 0 and {"keras", "tensorflow", "flipflop"} <= set(config["versions"])
    history = runs.read_history(tiny_run.path / runs.HISTORY)
    assert [r["epoch"] for r in history] == list(range(1, len(history) + 1))


def test_saved_model_gives_identical_predictions(tiny_run):
    run = runs.load_run(tiny_run.path)
    a, b = run.model(), runs.load_model(tiny_run.path / runs.MODEL)
    x = FlipFlopTask(n_bits=2, duration_ms=50).generate(4, 1).inputs
    np.testing.assert_array_equal(a.predict(x, verbose=0), b.predict(x, verbose=0))
    initial = run.model(runs.INITIAL)
    assert not np.allclose(initial.get_weights()[1], a.get_weights()[1])


def test_same_seed_gives_identical_weights_on_cpu(tmp_path):
    config = tiny_config(epochs=2, target_accuracy=1.0, target_mse=1e-9)
    a = train(config, tmp_path / "a", verbose=0, log=lambda s: None)
    b = train(config, tmp_path / "b", verbose=0, log=lambda s: None)
    for x, y in zip(runs.load_model(a.path).get_weights(), runs.load_model(b.path).get_weights()):
        assert x.tobytes() == y.tobytes()


def test_interrupted_run_resumes_at_the_right_epoch(tmp_path):
    config = tiny_config(epochs=4, target_accuracy=1.0, target_mse=1e-9, patience=99)
    straight = train(config, tmp_path / "straight", verbose=0, log=lambda s: None)
    with pytest.raises(KeyboardInterrupt):
        train(config, tmp_path / "cut", verbose=0, log=lambda s: None, callbacks=[StopAfter(3)])
    state = json.loads((tmp_path / "cut" / runs.STATE).read_text())
    assert state["epoch"] == 2  # epoch 3 was interrupted before its checkpoint; 1-2 are kept
    messages = []
    resumed = train(config, tmp_path / "cut", verbose=0, log=messages.append)
    assert any("resuming after epoch 2" in m for m in messages)
    assert resumed.epochs_run == 4
    history = runs.read_history(tmp_path / "cut" / runs.HISTORY)
    assert [r["epoch"] for r in history] == [1, 2, 3, 4]
    # the resumed run ends exactly where the uninterrupted one does
    for x, y in zip(runs.load_model(straight.path).get_weights(), runs.load_model(resumed.path).get_weights()):
        np.testing.assert_array_equal(x, y)


def test_finished_run_is_reused(tiny_run):
    messages = []
    again = train(tiny_config(), tiny_run.path, verbose=0, log=messages.append)
    assert again.seconds == 0.0 and again.reused and not tiny_run.reused and "already finished" in messages[0]


def test_different_config_is_refused_without_force(tiny_run, tmp_path):
    before = (tiny_run.path / runs.MODEL).read_bytes()
    with pytest.raises(FlipFlopError, match="different config"):
        train(tiny_config(units=8), tiny_run.path, verbose=0)
    assert (tiny_run.path / runs.MODEL).read_bytes() == before


class PoisonAt:
    """A Keras callback that sets a readout weight to NaN at the start of epoch ``n``."""

    def __new__(cls, n):
        import keras

        class _Poison(keras.callbacks.Callback):
            def on_epoch_begin(self, epoch, logs=None):
                if epoch + 1 == n:
                    w = self.model.get_layer("readout").get_weights()
                    w[0][0, 0] = np.nan
                    self.model.get_layer("readout").set_weights(w)

        return _Poison()


def test_nan_stops_training_and_keeps_last_good_model(tmp_path):
    config = tiny_config(epochs=3, target_accuracy=1.0, target_mse=1e-9)
    with pytest.raises(TrainingDiverged, match="last good model"):
        train(config, tmp_path / "nan", verbose=0, log=lambda s: None, callbacks=[PoisonAt(2)])
    kept = runs.load_model(tmp_path / "nan" / runs.MODEL)
    assert all(np.isfinite(w).all() for w in kept.get_weights())
    assert json.loads((tmp_path / "nan" / runs.STATE).read_text())["epoch"] == 1


def test_paper_recipe_is_one_argument_away():
    paper = TrainConfig.from_recipe("paper")
    assert (paper.batch_size, paper.samples_per_epoch, paper.learning_rate, paper.decay) == (128, 30050, 1e-4, 1e-4)
    assert not paper.fresh_data
    with pytest.raises(FlipFlopError, match="unknown recipe"):
        TrainConfig.from_recipe("magic")


def test_fast_recipe_takes_the_learning_rate_of_the_cell():
    rates = {cell: TrainConfig.from_recipe("fast", cell=cell).learning_rate for cell in ("simplernn", "lstm", "gru")}
    assert rates == {"simplernn": 1e-3, "lstm": 1e-3, "gru": 1e-2}
    assert TrainConfig.from_recipe("fast", cell="ctrnn", cell_kwargs={"dt_ms": 1.0}).learning_rate == 1e-2
    assert TrainConfig.from_recipe("fast", cell="gru", learning_rate=5e-3).learning_rate == 5e-3
    assert TrainConfig.from_recipe("fast").optimizer == "muon" and TrainConfig.from_recipe("paper").optimizer == "adam"
    with pytest.raises(FlipFlopError, match="unknown cell"):
        TrainConfig.from_recipe("fast", cell="transformer")
