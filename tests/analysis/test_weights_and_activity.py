"""Tests of flipflop.analysis (weights, activity, comparison) against numpy on tiny models and synthetic data."""
from __future__ import annotations

import itertools

import keras
import numpy as np
import pytest
from scipy.stats import ortho_group

from flipflop.analysis import activity as Act
from flipflop.analysis import compare as Cmp
from flipflop.analysis import weights as W
from flipflop.errors import FlipFlopError
from flipflop.models import build as B
from flipflop.models.build import build_model


def sorted_eig(values: np.ndarray) -> np.ndarray:
    return np.sort_complex(np.round(np.asarray(values, complex), 10))


# ---------------------------------------------------------------- spectra


def test_spectrum_of_orthogonal_matrix_is_on_unit_circle():
    q = ortho_group.rvs(12, random_state=1)
    s = W.spectrum(q)
    assert s.spectral_radius == pytest.approx(1.0, abs=1e-9)
    assert s.n_outside == 0 and s.n_total == 12
    np.testing.assert_allclose(sorted_eig(s.eigenvalues), sorted_eig(np.linalg.eigvals(q)), atol=1e-9)
    assert np.all(np.diff(np.abs(s.eigenvalues)) <= 1e-12)  # sorted by decreasing modulus


def test_spectral_signature_of_orthogonal_and_scaled_orthogonal():
    q = ortho_group.rvs(20, random_state=3)
    sig = W.spectral_signature(q)
    assert sig["radius"] == pytest.approx(1.0, abs=1e-9) and sig["n_above"] == 0
    assert sig["median"] == pytest.approx(1.0, abs=1e-9) and sig["p10"] == pytest.approx(1.0, abs=1e-9)
    assert sig["std"] == pytest.approx(0.0, abs=1e-9)
    scaled = W.spectral_signature(1.05 * q)
    assert scaled["radius"] == pytest.approx(1.05) and scaled["median"] == pytest.approx(1.05)
    assert scaled["n_above"] == 20 and scaled["std"] == pytest.approx(0.0, abs=1e-9)
    assert W.spectral_signature(0.9 * q)["n_above"] == 0


def test_spectral_signature_finds_an_outlier_in_a_block_diagonal():
    q = ortho_group.rvs(9, random_state=4)
    m = np.zeros((10, 10))
    m[:9, :9], m[9, 9] = q, 1.5  # nine moduli at 1, one at 1.5
    sig = W.spectral_signature(m)
    assert sig["radius"] == pytest.approx(1.5) and sig["n_above"] == 1
    assert sig["median"] == pytest.approx(1.0) and sig["p10"] == pytest.approx(1.0)
    assert sig["std"] == pytest.approx(np.std([1.0] * 9 + [1.5]))
    assert W.spectral_signature(m, tol=0.6)["n_above"] == 0


def test_spectrum_counts_eigenvalues_outside_with_tolerance():
    s = W.spectrum(np.diag([2.0, 0.5, 1.2]))
    assert s.spectral_radius == pytest.approx(2.0)
    assert (s.n_outside, s.n_total) == (2, 3)
    np.testing.assert_allclose(s.eigenvalues, [2.0, 1.2, 0.5])
    assert W.spectrum(np.diag([1.005, 0.3])).n_outside == 0  # within the paper's 1.01
    assert W.spectrum(np.diag([1.005, 0.3]), tol=0.0).n_outside == 1
    m = np.random.default_rng(0).normal(size=(9, 9))
    np.testing.assert_allclose(sorted_eig(W.spectrum(m).eigenvalues), sorted_eig(np.linalg.eigvals(m)),
                               atol=1e-9)
    with pytest.raises(FlipFlopError, match="square"):
        W.spectrum(np.ones((2, 3)))


# ---------------------------------------------------------------- weights


@pytest.fixture(scope="module")
def rnn():
    return build_model("simplernn", 5, 3, seed=3)


def test_recurrent_matrix_of_simplernn_is_the_stored_kernel(rnn):
    kernel = keras.ops.convert_to_numpy(rnn.get_layer("recurrent").cell.recurrent_kernel)
    assert B.recurrent_layer(rnn) is rnn.get_layer("recurrent")
    np.testing.assert_array_equal(W.recurrent_matrix(rnn), kernel)
    assert list(W.gate_blocks(rnn)) == ["recurrent"]
    with pytest.raises(FlipFlopError, match="recurrent"):
        W.recurrent_matrix(rnn, gate="candidate")


@pytest.mark.parametrize("cell, gates, default", [
    ("gru", ["update", "reset", "candidate"], 2),
    ("lstm", ["input", "forget", "cell", "output"], 2),
])
def test_gate_blocks_are_the_kernel_column_slices(cell, gates, default):
    units = 4
    model = build_model(cell, units, 3, seed=0)
    kernel = keras.ops.convert_to_numpy(model.get_layer("recurrent").cell.recurrent_kernel)
    blocks = W.gate_blocks(model)
    assert list(blocks) == gates
    for k, name in enumerate(gates):
        assert blocks[name].shape == (units, units)
        np.testing.assert_array_equal(blocks[name], kernel[:, k * units:(k + 1) * units])
        np.testing.assert_array_equal(W.recurrent_matrix(model, gate=name), blocks[name])
    np.testing.assert_array_equal(W.recurrent_matrix(model), kernel[:, default * units:(default + 1) * units])
    with pytest.raises(FlipFlopError) as err:
        W.recurrent_matrix(model, gate="bogus")
    assert all(name in str(err.value) for name in gates)


class MaskedCell(keras.layers.SimpleRNNCell):
    """A stand-in for the CTRNN cell: exposes an effective (masked) recurrent kernel."""

    def effective_recurrent_kernel(self):
        return self.recurrent_kernel * np.triu(np.ones((self.units, self.units), "float32"))


def test_cell_with_effective_kernel_is_used_by_duck_typing():
    model = keras.Sequential([keras.Input((None, 2)), keras.layers.RNN(MaskedCell(4), return_sequences=True)])
    cell = model.layers[0].cell
    expected = keras.ops.convert_to_numpy(cell.recurrent_kernel) * np.triu(np.ones((4, 4)))
    np.testing.assert_allclose(W.recurrent_matrix(model), expected)
    assert not np.allclose(W.recurrent_matrix(model), keras.ops.convert_to_numpy(cell.recurrent_kernel))


def test_model_without_recurrent_layer_raises():
    model = keras.Sequential([keras.Input((None, 3)), keras.layers.Dense(3)])
    with pytest.raises(FlipFlopError, match="no recurrent layer"):
        W.recurrent_matrix(model)
    with pytest.raises(FlipFlopError, match="no recurrent layer"):
        Act.hidden_states(model, np.zeros((1, 4, 3)))


# ---------------------------------------------------------------- activity


def test_hidden_states_and_outputs_match_numpy_forward_pass(rnn):
    x = np.random.default_rng(0).normal(size=(2, 7, 3)).astype("float32")
    cell = rnn.get_layer("recurrent").cell
    w_in = keras.ops.convert_to_numpy(cell.kernel).astype(float)
    u = W.recurrent_matrix(rnn)
    h, expected = np.zeros((2, 5)), []
    for t in range(7):
        h = np.tanh(x[:, t] @ w_in + h @ u)  # paper SimpleRNN: no bias, h0 = 0
        expected.append(h)
    expected = np.stack(expected, axis=1)
    hidden = Act.hidden_states(rnn, x)
    assert hidden.shape == (2, 7, 5)
    np.testing.assert_allclose(hidden, expected, atol=1e-5)
    w_out, b_out = (keras.ops.convert_to_numpy(v) for v in rnn.get_layer("readout").weights)
    np.testing.assert_allclose(Act.outputs(rnn, x), expected @ w_out + b_out, atol=1e-5)


def test_hidden_states_rejects_wrong_input_size(rnn):
    with pytest.raises(FlipFlopError, match="expects 3 input channels, got 2"):
        Act.hidden_states(rnn, np.zeros((1, 4, 2)))
    with pytest.raises(FlipFlopError, match="inputs must be"):
        Act.outputs(rnn, np.zeros((4, 3)))


# ---------------------------------------------------------------- projection


def test_project_svd_is_uncentred_and_matches_numpy():
    rng = np.random.default_rng(2)
    activity = rng.normal(size=(4, 30, 10)) @ rng.normal(size=(10, 10)) + 3.0  # large mean
    p = Act.project(activity)
    flat = activity.reshape(-1, 10)
    assert p.projected.shape == (4, 30, 3) and p.method == "svd"
    np.testing.assert_array_equal(p.mean, np.zeros(10))
    np.testing.assert_allclose(p.components @ p.components.T, np.eye(3), atol=1e-8)
    top = np.linalg.svd(flat, full_matrices=False)[2][:3]  # uncentred right singular vectors
    np.testing.assert_allclose(np.abs(np.sum(top * p.components, axis=1)), 1.0, atol=1e-4)
    np.testing.assert_allclose(p.transform(activity), p.projected, atol=1e-8)
    assert np.all((p.variance_ratio > 0) & (p.variance_ratio <= 1)) and p.variance_ratio.sum() <= 1
    np.testing.assert_allclose(p.variance_ratio, np.var(flat @ p.components.T, axis=0) / np.var(flat, axis=0).sum())


def test_project_pca_is_centred_and_orthonormal():
    rng = np.random.default_rng(3)
    activity = rng.normal(size=(60, 8)) * np.arange(1, 9) + 5.0
    p = Act.project(activity, method="pca")
    np.testing.assert_allclose(p.mean, activity.mean(axis=0))
    np.testing.assert_allclose(p.components @ p.components.T, np.eye(3), atol=1e-10)
    np.testing.assert_allclose(p.projected.mean(axis=0), 0.0, atol=1e-10)
    np.testing.assert_allclose(p.transform(activity), p.projected, atol=1e-10)
    centred = activity - activity.mean(axis=0)
    _, sv, vt = np.linalg.svd(centred, full_matrices=False)
    np.testing.assert_allclose(np.abs(np.sum(vt[:3] * p.components, axis=1)), 1.0, atol=1e-8)
    np.testing.assert_allclose(p.variance_ratio, sv[:3] ** 2 / np.sum(sv ** 2))
    assert np.all(np.diff(p.variance_ratio) <= 0) and p.variance_ratio.sum() <= 1
    assert not np.allclose(p.components, Act.project(activity, method="svd").components)
    with pytest.raises(FlipFlopError, match="svd, pca"):
        Act.project(activity, method="tsne")
    with pytest.raises(FlipFlopError, match="n_components"):
        Act.project(activity, n_components=9)
    with pytest.raises(FlipFlopError, match="coordinates"):
        p.transform(np.zeros((2, 7)))


# ---------------------------------------------------------------- comparing networks


def test_procrustes_distance_is_zero_for_a_moved_cube():
    rng = np.random.default_rng(5)
    corners = np.array(list(itertools.product((-1.0, 1.0), repeat=3)))  # 8 corresponding points
    cube = corners @ rng.normal(size=(3, 3)) + rng.normal(size=3)
    rotation = ortho_group.rvs(3, random_state=6)
    moved = 3.7 * cube @ rotation + np.array([10.0, -4.0, 2.0])
    mirrored = cube * np.array([-1.0, 1.0, 1.0])
    assert Cmp.procrustes_distance(cube, moved) < 1e-10
    assert Cmp.procrustes_distance(cube, mirrored) < 1e-10
    other = rng.normal(size=(8, 3))
    d = Cmp.procrustes_distance(cube, other)
    assert 0.05 < d <= 1 and d == pytest.approx(Cmp.procrustes_distance(other, cube))
    shuffled = cube[rng.permutation(8)]  # same points, states mislabelled
    assert Cmp.procrustes_distance(cube, shuffled) > 0.05
    table = Cmp.pairwise_procrustes([cube, moved, other])
    assert table.shape == (3, 3)
    np.testing.assert_allclose(table, table.T)
    np.testing.assert_array_equal(np.diag(table), 0)
    assert table[0, 1] < 1e-10 and table[0, 2] == pytest.approx(d)
    bad = cube.copy()
    bad[3] = np.nan
    with pytest.raises(FlipFlopError, match="NaN"):
        Cmp.procrustes_distance(cube, bad)
    with pytest.raises(FlipFlopError, match="equal shape"):
        Cmp.procrustes_distance(cube, cube[:4])
