"""The primer's training tools: recurrent noise, rate and weight penalties, delays with a long
tail, a delay curriculum, and training past the target (tiny networks)."""
import math

import numpy as np
import pytest

from flipflop.errors import FlipFlopError
from flipflop.tasks import make_task
from flipflop.training.config import TrainConfig


def task_of(name, **params):
    return make_task({"name": name, **params})


def _cell(**kwargs):
    from flipflop.models.ctrnn import CTRNN

    cell = CTRNN(8, tau_ms=100.0, dt_ms=20.0, seed=3, **kwargs)
    cell.build((None, 2))
    return cell


def test_recurrent_noise_scales_with_sqrt_2_alpha():
    """One step from h = 0 with zero weights: the noise alone, std sqrt(2 dt/tau) sigma_rec."""
    import keras

    cell = _cell(sigma_rec=0.5)
    for w in (cell.kernel, cell.recurrent_kernel):
        w.assign(np.zeros(w.shape, np.float32))
    h, _ = cell(keras.ops.zeros((5000, 2)), [keras.ops.zeros((5000, 8))], training=True)
    std = float(np.std(keras.ops.convert_to_numpy(h)))
    assert std == pytest.approx(math.sqrt(2 * 0.2) * 0.5, rel=0.02)  # 40,000 draws: 0.4 % error
    quiet, _ = cell(keras.ops.zeros((4, 2)), [keras.ops.zeros((4, 8))], training=False)
    assert not np.any(keras.ops.convert_to_numpy(quiet))  # no noise outside training


def test_weight_penalty_is_l2_of_both_kernels():
    import keras

    cell = _cell(l2_weight=0.01, dale_ratio=0.75)
    k, r = (keras.ops.convert_to_numpy(w) for w in (cell.kernel, cell.recurrent_kernel))
    total = sum(float(keras.ops.convert_to_numpy(x)) for x in cell.losses)
    assert len(cell.losses) == 2
    assert total == pytest.approx(0.01 * (np.sum(k ** 2) + np.sum(r ** 2)), rel=1e-5)
    assert not _cell().losses  # no penalty by default


def test_rate_penalty_is_mean_squared_rate_and_saved():
    from flipflop.models.build import build_model

    model = build_model("ctrnn", 6, 2, 3, l2_h=0.5, l2_weight=0.0, tau_ms=100.0, dt_ms=20.0, seed=1)
    x = np.random.default_rng(0).normal(size=(5, 7, 2)).astype(np.float32)
    layer = model.get_layer("recurrent")
    h = layer(x)
    import keras

    assert len(layer.losses) == 1
    penalty = float(keras.ops.convert_to_numpy(layer.losses[0]))
    assert penalty == pytest.approx(0.5 * float(np.mean(keras.ops.convert_to_numpy(h) ** 2)), rel=1e-5)


def test_penalties_round_trip_through_keras_file(tmp_path):
    from flipflop import runs
    from flipflop.models.build import build_model

    model = build_model("ctrnn", 6, 2, 3, l2_h=0.25, l2_weight=0.125, sigma_rec=0.05, tau_ms=100.0, dt_ms=20.0,
                        seed=1)
    runs.save_model(model, tmp_path / "m.keras")
    loaded = runs.load_model(tmp_path / "m.keras").get_layer("recurrent")
    assert loaded.activity_regularizer.l2_h == 0.25
    assert loaded.cell.l2_weight == 0.125 and loaded.cell.sigma_rec == 0.05


@pytest.mark.parametrize("bad", [dict(l2_h=-1.0), dict(l2_weight=-0.1), dict(sigma_rec=float("nan"))])
def test_penalties_validated_at_the_boundary(bad):
    with pytest.raises(FlipFlopError, match=next(iter(bad))):
        TrainConfig(cell="ctrnn", units=4, task=make_task("parametric_wm").to_dict(), cell_kwargs=bad)


def test_delay_tail_and_zero_tail_bit_identical():
    task = make_task("parametric_wm")
    tailed = task_of("parametric_wm", delay_tail_p=0.3, delay_tail_ms=3000.0)
    same = task_of("parametric_wm", delay_tail_p=0.0, delay_tail_ms=3000.0)
    a, b = task.generate(400, 5), same.generate(400, 5)
    assert np.array_equal(a.inputs, b.inputs) and np.array_equal(a.periods["delay"], b.periods["delay"])
    d = np.diff(tailed.generate(4000, 5).periods["delay"], axis=1)[:, 0] * task.dt_ms
    assert d.min() >= 500 and d.max() == 3000
    assert np.mean(d > 1000) == pytest.approx(0.3 * (2000 - 20) / 2000, abs=0.03)
    with pytest.raises(FlipFlopError, match="delay_tail_ms"):
        task_of("parametric_wm", delay_tail_p=0.1, delay_tail_ms=800.0)


def test_delay_curriculum_caps_each_epoch():
    from flipflop.training.data import epoch_arrays

    task = dict(task_of("match_category", delay_ms=(200.0, 1000.0), delay_tail_p=0.5,
                          delay_tail_ms=2000.0).to_dict())
    config = TrainConfig(cell="ctrnn", units=4, samples_per_epoch=64, task=task, cell_kwargs={"dale_ratio": 0.5},
                         delay_curriculum_ms=(300.0, 1500.0))
    assert config.epoch_task(0).delay_ms == (200.0, 300.0) and config.epoch_task(0).delay_tail_p == 0
    assert config.epoch_task(1).delay_tail_ms == 1500.0 and config.epoch_task(1).delay_tail_p == 0.5
    assert config.epoch_task(2) == config.make_task()
    arrays = [epoch_arrays(config, config.make_task(), e) for e in range(3)]
    # every epoch is padded to the longest possible trial (Keras fixes the shape), with weight 0
    assert {a[0].shape[1] for a in arrays} == {config.make_task().max_steps()}
    weighted = [int(np.max(np.flatnonzero(a[2].max(axis=0)))) for a in arrays]
    assert weighted[0] < weighted[1] < weighted[2]
    with pytest.raises(FlipFlopError, match="memory delay"):
        TrainConfig(task=make_task().to_dict(), delay_curriculum_ms=(100.0,))


def test_min_epochs_trains_past_the_target(tmp_path):
    from flipflop.training import train

    task = task_of("perceptual_dm", stimulus_ms=100.0, fixation_ms=40.0, decision_ms=160.0).to_dict()
    common = dict(cell="ctrnn", units=8, task=task, samples_per_epoch=32, val_samples=16, epochs=3,
                  target_accuracy=0.01, target_mse=10.0, cell_kwargs={"l2_h": 1e-3, "sigma_rec": 0.05})
    first = train(TrainConfig(**common), tmp_path / "a", verbose=0, log=lambda s: None)
    longer = train(TrainConfig(**common, min_epochs=3), tmp_path / "b", verbose=0, log=lambda s: None)
    assert first.epochs_run == 1 and first.reached_target
    assert longer.epochs_run == 3 and longer.reached_target


def test_a_duration_curriculum_trains_through_its_change_of_trial_length(tmp_path):
    """``curriculum_ms`` shortens the first epochs' trials. Keras fixes a fit's batch shape
    from its first batches, so the switch to full-length trials ended in a TypeError; each
    trial length now has its own fit, and a resumed run continues where it stopped."""
    from flipflop import runs
    from flipflop.training import train
    from flipflop.training.data import fit_stages

    task = task_of("flipflop", n_bits=2, duration_ms=60.0, pulse_ms=5.0).to_dict()
    common = dict(units=8, task=task, samples_per_epoch=32, val_samples=16, target_accuracy=1.0, target_mse=1e-9,
                  curriculum_ms=(30.0, 30.0))
    config = TrainConfig(**common, epochs=3)
    assert fit_stages(config, 0) == [(0, 2), (2, 3)] and fit_stages(config, 2) == [(2, 3)]
    done = train(config, tmp_path / "a", verbose=0, log=lambda s: None)
    assert done.epochs_run == 3
    assert [row["epoch"] for row in runs.read_history(tmp_path / "a" / runs.HISTORY)] == [1, 2, 3]
    first = train(TrainConfig(**common, epochs=1), tmp_path / "b", verbose=0, log=lambda s: None)
    assert first.epochs_run == 1
    resumed = train(config, tmp_path / "b", verbose=0, log=lambda s: None)  # epochs is continuable
    assert resumed.epochs_run == 3
    a, b = (runs.load_model(tmp_path / r / runs.MODEL).get_weights() for r in ("a", "b"))
    assert all(np.array_equal(x, y) for x, y in zip(a, b))  # resumed across the switch: the same weights
