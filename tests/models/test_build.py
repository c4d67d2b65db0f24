import numpy as np
import pytest
import keras

from flipflop.errors import FlipFlopError
from flipflop.models.build import build_model


def test_paper_simplernn_has_162403_parameters():
    model = build_model()
    assert model.count_params() == 162_403
    rnn = model.get_layer("recurrent")
    assert not rnn.use_bias and rnn.cell.activation.__name__ == "tanh"
    w = rnn.cell.recurrent_kernel.numpy()
    np.testing.assert_allclose(w @ w.T, np.eye(400), atol=1e-4)  # orthogonal start
    assert model.get_layer("readout").activation.__name__ == "linear"
    assert model.loss == "mse"


@pytest.mark.parametrize("cell, params", [
    ("simplernn", 3 * 16 + 16 * 16 + 16 * 3 + 3),
    ("gru", 3 * (3 * 16 + 16 * 16 + 2 * 16) + 16 * 3 + 3),
    ("lstm", 4 * (3 * 16 + 16 * 16 + 16) + 16 * 3 + 3),
])
def test_cells_shapes_and_parameter_counts(cell, params):
    model = build_model(cell, units=16)
    assert model.count_params() == params
    assert model.predict(np.zeros((2, 7, 3), np.float32), verbose=0).shape == (2, 7, 3)


def test_gru_lstm_keep_cudnn_compatible_defaults():
    gru = build_model("gru", units=8).get_layer("recurrent")
    lstm = build_model("lstm", units=8).get_layer("recurrent")
    for layer in (gru, lstm):
        cell = layer.cell
        assert cell.activation.__name__ == "tanh" and cell.recurrent_activation.__name__ == "sigmoid"
        assert cell.use_bias and cell.recurrent_dropout == 0 and not layer.unroll
    assert gru.cell.reset_after


def test_same_seed_same_initial_weights():
    a, b, c = build_model(units=8, seed=1), build_model(units=8, seed=1), build_model(units=8, seed=2)
    for x, y in zip(a.get_weights(), b.get_weights()):
        np.testing.assert_array_equal(x, y)
    assert not np.array_equal(a.get_weights()[1], c.get_weights()[1])


@pytest.mark.parametrize("kwargs, message", [
    (dict(cell="transformer"), "unknown cell"),
    (dict(units=0), "units"),
    (dict(n_bits=-1), "n_bits"),
    (dict(learning_rate=0.0), "learning_rate"),
    (dict(optimizer="sgd"), "optimizer"),
])
def test_bad_model_arguments(kwargs, message):
    with pytest.raises(FlipFlopError, match=message):
        build_model(**kwargs)


def test_layerwise_adam_takes_bigger_steps_on_input_and_readout():
    x = np.random.default_rng(0).normal(size=(8, 12, 3)).astype(np.float32)
    y = np.sign(x).astype(np.float32)
    steps = {}
    for mult in (1.0, 10.0):
        model = build_model(units=16, learning_rate=1e-3, decay=0.0, io_lr_multiplier=mult, seed=3)
        before = [w.copy() for w in model.get_weights()]
        model.train_on_batch(x, y)
        steps[mult] = [np.abs(a - b).max() for a, b in zip(model.get_weights(), before)]
    kernel, recurrent, readout = 0, 1, 2
    np.testing.assert_allclose(steps[10.0][recurrent], steps[1.0][recurrent], rtol=1e-3)
    assert steps[10.0][kernel] > 5 * steps[1.0][kernel] and steps[10.0][readout] > 5 * steps[1.0][readout]
    assert model.optimizer.get_config()["io_lr_multiplier"] == 10.0


def test_gru_update_gate_starts_biased_towards_holding():
    cell = build_model("gru", units=8).get_layer("recurrent").cell
    bias = cell.bias.numpy()
    assert np.all(bias[:, :8] == 1.0) and np.all(bias[:, 8:] == 0.0)


def test_muon_steps_the_recurrent_matrix_by_a_fixed_spectral_norm():
    x = np.random.default_rng(0).normal(size=(8, 12, 3)).astype(np.float32)
    y = np.sign(x).astype(np.float32)
    units, lr, ratio = 16, 1e-3, 2.0
    model = build_model(units=units, learning_rate=lr, decay=0.0, optimizer="muon", io_lr_multiplier=ratio, seed=3)
    assert isinstance(model.optimizer, keras.optimizers.Muon)
    before = [w.copy() for w in model.get_weights()]
    model.train_on_batch(x, y)
    kernel, recurrent, readout, bias = (a - b for a, b in zip(model.get_weights(), before))
    # Orthogonalised momentum: every singular value of the step near 0.2 * sqrt(units) * lr
    # (Newton-Schulz leaves them within about [0.7, 1.2] of that).
    s = np.linalg.svd(recurrent, compute_uv=False) / (0.2 * np.sqrt(units) * lr)
    assert 0.6 < s.min() and s.max() < 1.3
    # Input, readout and bias: Adam's first step, ratio * lr on every element.
    for step in (kernel, readout, bias):
        np.testing.assert_allclose(np.abs(step), ratio * lr, rtol=1e-3)
