"""Tests for the continuous-time RNN cell (tiny networks, short sequences)."""
from __future__ import annotations

import keras
import numpy as np
import pytest

from flipflop.models.ctrnn import CTRNN, excitatory_readout_mask
from flipflop.errors import FlipFlopError
from flipflop.models.build import build_model
from flipflop.tasks.flipflop.task import FlipFlopTask


def _x(batch: int = 2, steps: int = 6, features: int = 3, seed: int = 0) -> np.ndarray:
    return np.random.default_rng(seed).standard_normal((batch, steps, features)).astype(np.float32)


def _np(t) -> np.ndarray:
    return keras.ops.convert_to_numpy(t)


def _rnn(**kwargs) -> tuple[keras.layers.RNN, CTRNN]:
    cell = CTRNN(**kwargs)
    return keras.layers.RNN(cell, return_sequences=True), cell


def test_alpha_one_equals_simplernn():
    x = _x()
    simple = keras.layers.SimpleRNN(4, use_bias=False, return_sequences=True)
    expected = _np(simple(x))
    layer, cell = _rnn(units=4, tau_ms=10.0, dt_ms=10.0, seed=3)
    layer(x)
    cell.kernel.assign(simple.cell.kernel)
    cell.recurrent_kernel.assign(simple.cell.recurrent_kernel)
    np.testing.assert_allclose(_np(layer(x)), expected, atol=1e-5)


@pytest.mark.parametrize("kwargs", [
    dict(use_bias=True),
    dict(dale_ratio=0.6, no_self_connections=True,
         mask=(np.random.default_rng(1).random((5, 5)) < 0.7).astype(np.float32)),
])
def test_leaky_matches_numpy_euler(kwargs):
    x = _x(features=2)
    layer, cell = _rnn(units=5, tau_ms=40.0, dt_ms=10.0, seed=0, **kwargs)
    layer(x)
    if cell.bias is not None:
        cell.bias.assign(np.linspace(-0.5, 0.5, 5).astype(np.float32))
    w_in, w = _np(cell.kernel), _np(cell.recurrent_kernel)
    b = np.zeros(5, np.float32) if cell.bias is None else _np(cell.bias)
    if "dale_ratio" in kwargs:  # independent effective matrix: |W| * sign(pre) * mask, no diagonal
        w = np.abs(w) * np.array([1, 1, 1, -1, -1], np.float32)[:, None] * kwargs["mask"]
        np.fill_diagonal(w, 0.0)
    h, out = np.zeros((2, 5), np.float32), []
    for t in range(x.shape[1]):
        h = 0.75 * h + 0.25 * np.tanh(x[:, t] @ w_in + h @ w + b)
        out.append(h)
    np.testing.assert_allclose(_np(layer(x)), np.stack(out, axis=1), atol=1e-5)


def _fit(model: keras.Model, steps: int = 8, epochs: int = 3) -> None:
    x = _x(batch=4, steps=steps, features=3, seed=5)
    y = np.sign(_x(batch=4, steps=steps, features=3, seed=6))
    model.fit(x, y, batch_size=2, epochs=epochs, verbose=0)


def test_dale_signs_survive_training_and_excitatory_readout():
    model = build_model("ctrnn", units=6, tau_ms=50.0, dt_ms=10.0, dale_ratio=0.5, sigma_rec=0.1,
                        learning_rate=0.5, decay=0.0, readout_excitatory_only=True, seed=0)
    cell = model.get_layer("recurrent").cell
    np.testing.assert_array_equal(cell.dale_signs, [1, 1, 1, -1, -1, -1])
    w0 = _np(cell.effective_recurrent_kernel())
    np.testing.assert_allclose(w0.sum(axis=0), 0.0, atol=1e-5)  # each unit's E and I inputs balance
    assert np.max(np.abs(np.linalg.eigvals(w0))) == pytest.approx(1.0, abs=1e-4)
    raw0 = _np(cell.recurrent_kernel)
    _fit(model)
    w = _np(cell.effective_recurrent_kernel())
    assert not np.allclose(_np(cell.recurrent_kernel), raw0)  # training did move the weights
    assert (w[:3] >= 0).all() and (w[3:] <= 0).all()  # rows: E presynaptic units, then I
    assert (np.sign(w) * np.sign(w0) >= 0).all()
    readout = _np(model.get_layer("readout").kernel)
    assert (readout[3:] == 0).all() and (readout[:3] != 0).all()
    np.testing.assert_array_equal(excitatory_readout_mask(6, 0.5)[:, 0], [1, 1, 1, 0, 0, 0])


@pytest.mark.parametrize("dale_ratio", [None, 0.8])
def test_masked_weights_stay_zero(dale_ratio):
    mask = (np.random.default_rng(2).random((5, 5)) < 0.5).astype(np.float32)
    model = build_model("ctrnn", units=5, tau_ms=20.0, dt_ms=10.0, dale_ratio=dale_ratio, mask=mask,
                        no_self_connections=True, learning_rate=0.5, decay=0.0, seed=1)
    cell = model.get_layer("recurrent").cell
    raw0 = _np(cell.recurrent_kernel)
    _fit(model, epochs=2)
    off = (mask == 0) | np.eye(5, dtype=bool)
    assert (_np(cell.effective_recurrent_kernel())[off] == 0).all()
    assert (_np(cell.recurrent_kernel)[off] == 0).all()
    assert not np.allclose(_np(cell.recurrent_kernel)[~off], raw0[~off])


def test_noise_only_in_training():
    x = _x()
    model = keras.Sequential([keras.Input((None, 3)),
                              keras.layers.RNN(CTRNN(4, sigma_rec=0.5, seed=7), return_sequences=True)])
    first, second = model.predict(x, verbose=0), model.predict(x, verbose=0)
    np.testing.assert_array_equal(first, second)
    np.testing.assert_allclose(_np(model(x, training=False)), first, atol=1e-6)
    noisy = _np(model(x, training=True))
    assert np.abs(noisy - first).max() > 1e-3


def test_keras_round_trip(tmp_path):
    mask = np.ones((5, 5), np.float32)
    mask[0, 1] = mask[3, 2] = 0.0
    model = build_model("ctrnn", units=5, tau_ms=30.0, dt_ms=5.0, dale_ratio=0.6, mask=mask,
                        no_self_connections=True, sigma_rec=0.05, readout_excitatory_only=True, seed=2)
    x = _x(steps=5)
    path = tmp_path / "ctrnn.keras"
    model.save(path)
    loaded = keras.models.load_model(path)
    np.testing.assert_array_equal(loaded.predict(x, verbose=0), model.predict(x, verbose=0))
    cell = loaded.get_layer("recurrent").cell
    assert isinstance(cell, CTRNN)
    assert (cell.tau_ms, cell.dt_ms, cell.dale_ratio, cell.sigma_rec) == (30.0, 5.0, 0.6, 0.05)
    assert cell.no_self_connections
    np.testing.assert_array_equal(cell.mask, mask)
    np.testing.assert_array_equal(_np(cell.effective_recurrent_kernel()),
                                  _np(model.get_layer("recurrent").cell.effective_recurrent_kernel()))


@pytest.mark.parametrize("kwargs", [
    dict(units=0), dict(units=4, dt_ms=20.0, tau_ms=10.0), dict(units=4, tau_ms=0.0),
    dict(units=4, dt_ms=-1.0), dict(units=4, dale_ratio=0.0), dict(units=4, dale_ratio=1.0),
    dict(units=4, dale_ratio=1.5), dict(units=4, mask=np.ones((3, 4))), dict(units=4, sigma_rec=-0.1),
    dict(units=2, mask=np.full((2, 2), 0.5)),
])
def test_bad_inputs_raise(kwargs):
    with pytest.raises(FlipFlopError):
        CTRNN(**kwargs)


def test_task_dt_keeps_ms_timing():
    coarse = FlipFlopTask(dt_ms=10.0, noise_std=0.0)
    trials = coarse.generate(20, seed=3)
    assert trials.inputs.shape[1] == 34
    widths = []  # every complete pulse's width in steps (a pulse cut by the end is skipped)
    for row in (trials.inputs != 0).transpose(0, 2, 1).reshape(-1, trials.inputs.shape[1]):
        edges = np.diff(np.concatenate([[0], row.astype(int)]))
        onsets, offsets = np.flatnonzero(edges == 1), np.flatnonzero(edges == -1)
        widths += list(offsets - onsets[:len(offsets)])
    widths = np.array(widths)
    assert widths.size > 0 and (widths * coarse.dt_ms == 20.0).all()

    def change_times_ms(task: FlipFlopTask) -> list[np.ndarray]:
        """(time in ms, channel) of every step on which the series' inputs / targets change."""
        series = task.eight_state_series()
        return [(np.argwhere(np.diff(a[0], axis=0) != 0) + [1, 0]) * [task.dt_ms, 1]
                for a in (series.inputs, series.targets)]

    fine = change_times_ms(FlipFlopTask(dt_ms=1.0))
    assert fine[1][0, 0] == 30.0 + 20.0 + 20.0  # first response: onset + pulse + delay
    for fine_ms, coarse_ms in zip(fine, change_times_ms(coarse)):
        np.testing.assert_array_equal(fine_ms, coarse_ms)
