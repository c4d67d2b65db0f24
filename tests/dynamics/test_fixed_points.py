"""Fixed-point finder: known fixed points of hand-built maps, post-processing helpers,
an independent numpy check of q for GRU / LSTM cells, file round trip and errors."""
from __future__ import annotations

import keras
import numpy as np
import pytest
import tensorflow as tf
from conftest import simple_rnn

from flipflop.errors import FlipFlopError
from flipflop.dynamics.finder import find_fixed_points
from flipflop.dynamics.linear import (EIG_CHUNK, classify, jacobians, leading_vector, recurrent_transpose,
                                      refine_newton, stability_jacobians)
from flipflop.dynamics.optimizer import minimize_q, q_values
from flipflop.dynamics.points import deduplicate, nearest_distances, outlier_mask
from flipflop.dynamics.result import FixedPoints
from flipflop.dynamics.step import recurrent_states, recurrent_step, relax, step_function
from flipflop.models.build import build_model
from flipflop.models.build import recurrent_layer as find_recurrent_layer
from flipflop.tasks.flipflop.task import ideal_counts


@pytest.fixture(scope="module")
def one_bit():
    """1-unit tanh RNN, h' = tanh(2 h): fixed points 0 (unstable) and +-h*, h* = tanh(2 h*)."""
    model = simple_rnn(1, 1, [[1.0]], [[2.0]])
    fps = find_fixed_points(model, initial_states=np.linspace(-1, 1, 41)[:, None], n_init=48,
                            noise_std=0.05, seed=1)
    return model, fps


@pytest.mark.parametrize("cell", ["simplernn", "gru", "lstm", "ctrnn"])
def test_relax_is_repeated_steps_in_one_loop(cell):
    model = build_model(cell, 5, 3, 2, seed=3)
    n = step_function(model).n_state
    h = np.random.default_rng(0).normal(size=(6, n)).astype(np.float32) * 0.3
    u = np.array([0.5, -1.0, 0.25], np.float32)
    stepped = h
    for _ in range(7):
        stepped = recurrent_step(model, stepped, u)
    np.testing.assert_allclose(relax(model, h, u, 7), stepped, atol=1e-6)
    np.testing.assert_array_equal(relax(model, h, u, 0), h)
    with pytest.raises(FlipFlopError):
        relax(model, h, u, -1)


# --- known fixed points -------------------------------------------------------------------

def test_linear_map_has_its_unique_fixed_point():
    rng = np.random.default_rng(0)
    n, n_in = 4, 2
    a = rng.standard_normal((n, n))
    a *= 0.6 / np.max(np.abs(np.linalg.eigvals(a)))  # spectral radius 0.6
    w_in, b = rng.standard_normal((n_in, n)), rng.standard_normal(n)
    u = np.array([0.5, -1.0])
    model = simple_rnn(n, n_in, w_in, a, b, activation="linear")
    # Keras rows: h' = h A + u W_in + b  ->  h* = (u W_in + b) (I - A)^-1
    h_star = (u @ w_in + b) @ np.linalg.inv(np.eye(n) - a)
    states = h_star + rng.standard_normal((200, n))
    fps = find_fixed_points(model, initial_states=states, constant_input=u, n_init=64, noise_std=0.1,
                            tol_q=1e-10, slow_tol=1e-10)
    assert fps.points.shape == (1, n)
    np.testing.assert_allclose(fps.points[0], h_star, atol=1e-4)
    assert fps.is_stable.tolist() == [True] and fps.n_unstable.tolist() == [0]
    expected = np.sort_complex(np.linalg.eigvals(a))
    np.testing.assert_allclose(np.sort_complex(fps.eigenvalues[0]), expected, atol=1e-5)
    np.testing.assert_allclose(fps.jacobians[0], a.T, atol=1e-6)  # [i, j] = dF_i / dh_j
    np.testing.assert_array_equal(fps.input, u.astype(np.float32))
    assert fps.q[0] < 1e-10 and fps.best_q == pytest.approx(fps.q[0])


def test_one_bit_flip_flop_has_three_fixed_points(one_bit):
    _, fps = one_bit
    h_star = 1.0
    for _ in range(200):
        h_star = np.tanh(2 * h_star)
    assert fps.n_fixed == 3 and len(fps.points) == 3
    order = np.argsort(fps.points[:, 0])
    np.testing.assert_allclose(fps.points[order, 0], [-h_star, 0.0, h_star], atol=1e-4)
    assert fps.n_unstable[order].tolist() == [0, 1, 0]
    assert fps.is_stable[order].tolist() == [True, False, True]
    np.testing.assert_allclose(np.abs(fps.eigenvalues[order, 0]), [2 * (1 - h_star ** 2), 2.0,
                                                                   2 * (1 - h_star ** 2)], rtol=1e-4)
    saddle = order[1]
    np.testing.assert_allclose(fps.unstable_vectors[saddle], [1.0])
    np.testing.assert_array_equal(fps.unstable_vectors[order[[0, 2]]], 0.0)
    assert fps.n_converged <= fps.n_init == 48 and fps.iterations > 0


def test_newton_refinement_lands_on_the_fixed_point(one_bit):
    model, fps = one_bit
    h_star = fps.points[np.argmax(fps.points[:, 0]), 0]
    points, q = refine_newton(step_function(model), np.array([[0.7], [-1.3], [0.0]]), np.zeros(1), 8)
    np.testing.assert_allclose(points[:, 0], [h_star, -h_star, 0.0], atol=1e-6)
    assert np.all(q < 1e-12)
    # Adam stopped early leaves slow points; refinement turns them into exact fixed points
    coarse = find_fixed_points(model, initial_states=np.linspace(0.6, 1, 8)[:, None], n_init=8,
                               noise_std=0.0, tol_q=1e-13, slow_tol=1.0, max_iters=2, refine_steps=6)
    assert coarse.n_fixed == 1 and coarse.q[0] < 1e-13
    np.testing.assert_allclose(coarse.points[0, 0], h_star, atol=1e-6)


def test_newton_merging_duplicates_keeps_the_same_points(one_bit):
    """Points that come within merge_tol of a lower-q point stop early; the unique points and
    their q are those of the unmerged refinement."""
    model, _ = one_bit
    starts = np.array([[0.7], [0.71], [0.72], [-1.3], [-1.31]])
    step = step_function(model)
    plain = refine_newton(step, starts, np.zeros(1), 8)
    merged = refine_newton(step, starts, np.zeros(1), 8, merge_tol=0.05)
    for points, q in (plain, merged):
        keep = deduplicate(points, q, 0.05)
        assert len(keep) == 2
    best = [deduplicate(*r, 0.05) for r in (plain, merged)]
    np.testing.assert_allclose(np.sort(plain[0][best[0], 0]), np.sort(merged[0][best[1], 0]), atol=1e-7)
    assert np.all(merged[1][best[1]] < 1e-12)


def test_closed_form_jacobians_equal_autodiff():
    rng = np.random.default_rng(3)
    model = simple_rnn(6, 2, rng.normal(size=(2, 6)), rng.normal(size=(6, 6)) / 2, rng.normal(size=6))
    step = step_function(model)
    points, u = rng.normal(size=(5, 6)).astype(np.float32), np.array([0.3, -0.2], np.float32)
    assert recurrent_transpose(step) is not None
    np.testing.assert_allclose(stability_jacobians(step, points, u), jacobians(step, points, u), atol=1e-6)
    linear = simple_rnn(3, 1, [[1.0, 0.0, 0.0]], np.eye(3) / 2, activation="linear")
    assert recurrent_transpose(step_function(linear)) is None  # not tanh: autodiff


def test_leading_vector_is_the_eigenvector():
    rng = np.random.default_rng(4)
    a = rng.normal(size=(20, 20)) / np.sqrt(20)
    w, v = np.linalg.eig(a)
    k = int(np.argmax(np.abs(w)))
    vec = leading_vector(a, w[k])
    np.testing.assert_allclose(np.abs(np.vdot(vec, v[:, k])), 1.0, atol=1e-8)  # same up to phase


class LeakyCell(keras.layers.Layer):
    """CTRNN-like cell whose state (x) differs from its output (tanh x), no training arg:
    x' = (1 - a) x + a (tanh(x) W + u V)."""

    def __init__(self, units, alpha=0.2, **kwargs):
        super().__init__(**kwargs)
        self.units, self.alpha, self.state_size, self.output_size = units, alpha, units, units

    def build(self, input_shape):
        self.w = self.add_weight(shape=(self.units, self.units), initializer="zeros", name="w")
        self.v = self.add_weight(shape=(input_shape[-1], self.units), initializer="ones", name="v")

    def call(self, inputs, states):
        x = states[0]
        new = (1 - self.alpha) * x + self.alpha * (tf.tanh(x) @ self.w + inputs @ self.v)
        return tf.tanh(new), [new]


def test_custom_cell_whose_output_is_not_its_state():
    model = keras.Sequential([keras.Input((None, 2)), keras.layers.RNN(LeakyCell(3), return_sequences=True),
                              keras.layers.Dense(2)])
    v = np.array([[1.0, 2.0, 3.0], [0.5, -1.0, 0.0]], np.float32)
    model.layers[0].cell.v.assign(v)
    u = np.array([0.4, -0.2])
    x = np.tile(u, (2, 60, 1)).astype(np.float32)
    states = recurrent_states(model, x)
    np.testing.assert_allclose(np.tanh(states), model.layers[0](x).numpy(), atol=1e-6)  # states, not outputs
    fps = find_fixed_points(model, inputs=x, constant_input=u, n_init=16, noise_std=0.1, outlier_factor=None)
    assert len(fps.points) == 1 and fps.is_stable[0]  # W = 0: x* = u V, Jacobian (1 - a) I
    np.testing.assert_allclose(fps.points[0], u @ v, atol=1e-5)
    np.testing.assert_allclose(fps.eigenvalues[0], [0.8] * 3, atol=1e-6)


# --- post-processing helpers --------------------------------------------------------------

def test_deduplicate_keeps_lowest_q_of_each_cluster():
    points = np.array([[0.0, 0.0], [1e-3, 0.0], [1.0, 1.0], [1.0, 1.0 + 5e-4], [-1.0, 0.0]])
    q = np.array([1e-8, 1e-12, 1e-9, 1e-11, 1e-10])
    kept = deduplicate(points, q, tol=1e-2)
    assert kept.tolist() == [1, 3, 4]  # one per cluster, the lowest q, lowest q first
    assert len(deduplicate(points, q, tol=1e-5)) == 5
    assert deduplicate(np.zeros((0, 2)), np.zeros(0), tol=1.0).tolist() == []


def _greedy(points: np.ndarray, q: np.ndarray, tol: float) -> list[int]:
    """The deduplication written out by brute force: keep the lowest q, drop its neighbours."""
    kept: list[int] = []
    for i in np.argsort(q, kind="stable"):
        if not kept or np.min(np.linalg.norm(points[kept] - points[i], axis=1)) > tol:
            kept.append(int(i))
    return kept


@pytest.mark.parametrize("seed", range(5))
def test_tree_deduplication_and_distances_equal_brute_force(seed):
    rng = np.random.default_rng(seed)
    centres = rng.normal(size=(20, 30))
    points = centres[rng.integers(0, 20, 300)] + 1e-3 * rng.normal(size=(300, 30))  # clusters in 30-D
    q = rng.random(300)
    kept = deduplicate(points, q, tol=0.05)
    assert kept.tolist() == _greedy(points, q, 0.05) and 15 <= len(kept) <= 20
    reference = rng.normal(size=(200, 30))
    brute = np.linalg.norm(points[:, None] - reference[None], axis=-1)
    np.testing.assert_allclose(nearest_distances(points, reference), brute.min(axis=1), rtol=1e-12)
    self_brute = np.linalg.norm(reference[:, None] - reference[None], axis=-1) + np.diag(np.full(200, np.inf))
    np.testing.assert_allclose(nearest_distances(reference, reference, exclude_self=True), self_brute.min(axis=1),
                               rtol=1e-12)


def test_classify_counts_unstable_modes_and_picks_leading_vector():
    rot = 1.2 * np.array([[np.cos(0.3), -np.sin(0.3)], [np.sin(0.3), np.cos(0.3)]])
    jacs = np.zeros((3, 3, 3))
    jacs[0] = np.diag([0.5, 0.9, -0.99])  # stable
    jacs[1] = np.diag([0.5, -2.0, 1.5])  # two unstable modes, leading one along axis 1
    jacs[2, :2, :2], jacs[2, 2, 2] = rot, 0.1  # complex pair of modulus 1.2
    eig, n_unstable, vectors = classify(jacs)
    assert n_unstable.tolist() == [0, 2, 2]
    np.testing.assert_allclose(np.abs(eig[1]), [2.0, 1.5, 0.5])  # sorted by modulus
    np.testing.assert_array_equal(vectors[0], 0.0)
    np.testing.assert_allclose(vectors[1], [0.0, 1.0, 0.0], atol=1e-12)
    np.testing.assert_allclose(np.linalg.norm(vectors[2]), 1.0)
    assert abs(vectors[2, 2]) < 1e-12  # lies in the rotating plane


def test_classify_in_chunks_equals_one_matrix_at_a_time():
    """The memory-bounding chunks (EIG_CHUNK) change no number."""
    rng = np.random.default_rng(0)
    jacs = rng.normal(size=(2 * EIG_CHUNK + 3, 12, 12)) / np.sqrt(12) * 1.1
    chunked = classify(jacs)
    single = [classify(j[None]) for j in jacs]
    for k, whole in enumerate(chunked):
        np.testing.assert_array_equal(whole, np.concatenate([s[k] for s in single]))
    assert 0 < int(np.sum(chunked[1] > 0)) < len(jacs)  # both stable points and saddles


def test_outlier_mask_uses_nearest_neighbour_spread():
    grid = np.stack(np.meshgrid(np.arange(5.0), np.arange(5.0)), -1).reshape(-1, 2)  # spacing 1
    points = np.array([[2.0, 2.5], [4.0, 13.0], [30.0, 0.0]])
    assert outlier_mask(points, grid, factor=5.0).tolist() == [False, True, True]
    assert outlier_mask(points, grid, factor=10.0).tolist() == [False, False, True]
    assert not outlier_mask(points, grid, factor=None).any()


# --- independent numpy check of the cell maps and of q ------------------------------------

def _sigmoid(x):
    return 1.0 / (1.0 + np.exp(-x))


def numpy_gru(model, h, u):
    kernel, recurrent, bias = (w.astype(np.float64) for w in model.get_layer("recurrent").get_weights())
    n = recurrent.shape[0]
    x = u @ kernel + bias[0]  # reset_after=True: bias rows are (input, recurrent)
    r_in = h @ recurrent + bias[1]
    z = _sigmoid(x[:, :n] + r_in[:, :n])
    r = _sigmoid(x[:, n:2 * n] + r_in[:, n:2 * n])
    hh = np.tanh(x[:, 2 * n:] + r * r_in[:, 2 * n:])
    return z * h + (1 - z) * hh


def numpy_lstm(model, hc, u):
    kernel, recurrent, bias = (w.astype(np.float64) for w in model.get_layer("recurrent").get_weights())
    n = recurrent.shape[0]
    h, c = hc[:, :n], hc[:, n:]
    z = u @ kernel + h @ recurrent + bias
    i, f, g, o = _sigmoid(z[:, :n]), _sigmoid(z[:, n:2 * n]), np.tanh(z[:, 2 * n:3 * n]), _sigmoid(z[:, 3 * n:])
    c_new = f * c + i * g
    return np.concatenate([o * np.tanh(c_new), c_new], axis=1)


def _perturbed(cell: str, seed: int):
    model = build_model(cell, units=8, n_inputs=3, seed=seed)
    rng = np.random.default_rng(seed)
    layer = model.get_layer("recurrent")
    weights = layer.get_weights()
    weights[-1] = weights[-1] + 0.2 * rng.standard_normal(weights[-1].shape).astype(np.float32)
    layer.set_weights(weights)
    return model


@pytest.mark.parametrize("cell,numpy_step,n_state", [("gru", numpy_gru, 8), ("lstm", numpy_lstm, 16)])
def test_q_matches_independent_numpy_cell(cell, numpy_step, n_state):
    model = _perturbed(cell, seed=3)
    rng = np.random.default_rng(0)
    u = np.array([0.3, -0.2, 0.1])
    h = 0.5 * rng.standard_normal((5, n_state))
    assert step_function(model).n_state == n_state
    np.testing.assert_allclose(recurrent_step(model, h, u), numpy_step(model, h, np.tile(u, (5, 1))),
                               rtol=1e-5, atol=1e-6)
    d = numpy_step(model, h, np.tile(u, (5, 1))) - h
    q_np = 0.5 * np.sum(d ** 2, axis=1)
    q_tf = q_values(step_function(model), tf.constant(h, tf.float32), tf.constant(np.tile(u, (5, 1)), tf.float32))
    np.testing.assert_allclose(q_tf.numpy(), q_np, rtol=1e-4)

    x = np.tile(u, (4, 30, 1)).astype(np.float32) + 0.1 * rng.standard_normal((4, 30, 3)).astype(np.float32)
    states = recurrent_states(model, x)
    assert states.shape == (4, 30, n_state)
    hidden = model.get_layer("recurrent")(x).numpy()  # the layer's own loop
    np.testing.assert_allclose(states[..., :8], hidden, atol=1e-5)

    # the optimiser's reported q, part-way (q still ~1e-6..1e-2), against numpy at its states
    best_h, best_q, iterations = minimize_q(step_function(model), states[:, 5:8].reshape(-1, n_state), u,
                                            tol_q=1e-30, max_iters=15, learning_rate=0.01)
    assert iterations == 15 and np.all(best_q > 1e-9)
    d = numpy_step(model, best_h.astype(np.float64), np.tile(u, (len(best_h), 1))) - best_h
    np.testing.assert_allclose(best_q, 0.5 * np.sum(d ** 2, axis=1), rtol=1e-3)

    fps = find_fixed_points(model, inputs=x, constant_input=u, n_init=32, noise_std=0.05,
                            tol_q=1e-11, slow_tol=1e-3, max_iters=600, seed=0)
    assert fps.n_fixed >= 1 and fps.points.shape[1] == n_state
    d = numpy_step(model, fps.points.astype(np.float64), np.tile(u, (len(fps.points), 1))) - fps.points
    q_np = 0.5 * np.sum(d ** 2, axis=1)
    np.testing.assert_allclose(fps.q, q_np, rtol=1e-2, atol=1e-11)
    assert np.all(q_np[fps.is_fixed] < 1e-10)


# --- result file and summary --------------------------------------------------------------

def test_save_load_round_trip_and_summary(one_bit, tmp_path):
    _, fps = one_bit
    path = tmp_path / "fps.npz"
    fps.save(path)
    assert [p.name for p in tmp_path.iterdir()] == ["fps.npz"]  # no temporary file left
    back = FixedPoints.load(path)
    for name in ("points", "q", "is_fixed", "jacobians", "eigenvalues", "n_unstable", "unstable_vectors", "input"):
        np.testing.assert_array_equal(getattr(back, name), getattr(fps, name))
    assert (back.n_init, back.iterations, back.best_q, back.tol_q) == (fps.n_init, fps.iterations,
                                                                       fps.best_q, fps.tol_q)
    text = back.summary(("ideal 1-bit", ideal_counts(1)))
    assert "stable" in text and "3 unique" in text and "ideal 1-bit" in text
    lines = {line.split()[0] + line.split()[1]: line.split() for line in text.splitlines()[2:5]}
    assert lines["stable2"][1:] == ["2", "2"]  # found 2, ideal 1-bit 2
    plain = [line.split() for line in back.summary().splitlines()]
    assert ["stable", "2"] in plain and "ideal" not in back.summary()  # no ideal column without one


def test_merge_keeps_each_row_whole_and_the_lowest_q_of_duplicates():
    """merge pools two searches: a duplicate (within dedup_tol) keeps its lower-q row, every
    array of a kept row (its Jacobian included) comes from that row, fixed points first."""
    from flipflop.dynamics.result import merge

    rng = np.random.default_rng(3)

    def result(points, q, fixed):
        k = len(points)
        return FixedPoints(points=np.asarray(points, np.float32), q=np.asarray(q, np.float32),
                           is_fixed=np.asarray(fixed), jacobians=rng.standard_normal((k, 2, 2)),
                           eigenvalues=rng.standard_normal((k, 2)).astype(complex), n_unstable=rng.integers(0, 3, k),
                           unstable_vectors=rng.standard_normal((k, 2)), input=np.zeros(1, np.float32), n_init=k,
                           iterations=5, best_q=float(min(q)), tol_q=1e-10, slow_tol=1e-3, n_converged=0)

    a = result([[0, 0], [1, 0], [5, 5]], [1e-12, 3e-12, 1e-4], [True, True, False])
    b = result([[1, 0.001], [0, 1], [2, 2]], [1e-13, 2e-12, 5e-12], [True, True, True])
    m = merge([a, b])
    expected = [(b, 0), (a, 0), (b, 1), (b, 2), (a, 2)]  # fixed by q (b's twin of [1, 0] wins), then slow
    assert len(m.points) == len(expected)
    for i, (r, j) in enumerate(expected):
        for name in ("points", "q", "is_fixed", "jacobians", "eigenvalues", "n_unstable", "unstable_vectors"):
            np.testing.assert_array_equal(getattr(m, name)[i], getattr(r, name)[j])
    assert (m.n_init, m.best_q) == (6, 1e-13)
    np.testing.assert_array_equal(m.fixed_only().jacobians, m.jacobians[:4])
    whole = merge([b])
    assert whole.fixed_only().jacobians is whole.jacobians  # all fixed: no copy


def test_summary_compares_with_ideal_three_bit_system():
    k = np.array([0] * 8 + [1] * 11 + [2] * 6 + [3])
    n = len(k)
    fps = FixedPoints(points=np.zeros((n, 2)), q=np.full(n, 1e-12), is_fixed=np.ones(n, bool),
                      jacobians=np.zeros((n, 2, 2)), eigenvalues=np.zeros((n, 2), complex), n_unstable=k,
                      unstable_vectors=np.zeros((n, 2)), input=np.zeros(3), n_init=64, iterations=10,
                      best_q=1e-12, tol_q=1e-10, slow_tol=1e-6, n_converged=60)
    rows = [line.split() for line in fps.summary(("ideal 3-bit", ideal_counts(3))).splitlines()]
    assert ["stable", "8", "8"] in rows
    assert ["saddle,", "1", "unstable", "mode", "11", "12"] in rows
    assert ["saddle,", "2", "unstable", "modes", "6", "6"] in rows
    assert ["saddle,", "3", "unstable", "modes", "1", "1"] in rows
    assert ["total", "26", "27"] in rows


def test_load_rejects_missing_and_corrupt_files(tmp_path):
    with pytest.raises(FlipFlopError, match="no fixed-point file"):
        FixedPoints.load(tmp_path / "missing.npz")
    bad = tmp_path / "bad.npz"
    bad.write_bytes(b"not a zip file")
    with pytest.raises(FlipFlopError, match="not a valid fixed-point file"):
        FixedPoints.load(bad)
    other = tmp_path / "other.npz"
    np.savez(other, points=np.zeros(3))
    with pytest.raises(FlipFlopError, match="not a valid fixed-point file"):
        FixedPoints.load(other)


# --- errors -------------------------------------------------------------------------------

def test_model_without_recurrent_layer():
    model = keras.Sequential([keras.Input((None, 3)), keras.layers.Dense(4)])
    with pytest.raises(FlipFlopError, match="no recurrent layer"):
        find_fixed_points(model, initial_states=np.zeros((10, 4)))
    with pytest.raises(FlipFlopError, match="no recurrent layer"):
        find_recurrent_layer(model)


def test_bad_inputs_are_reported(one_bit):
    model, _ = one_bit
    with pytest.raises(FlipFlopError, match="length 3 .* input size is 1"):
        find_fixed_points(model, initial_states=np.zeros((10, 1)), constant_input=[0.0, 0.0, 0.0])
    with pytest.raises(FlipFlopError, match="initial_states"):
        find_fixed_points(model, initial_states=np.zeros((10, 2)))
    with pytest.raises(FlipFlopError, match="initial_states .* or inputs"):
        find_fixed_points(model)
    with pytest.raises(FlipFlopError, match="model expects 1 input channels, got 2"):
        find_fixed_points(model, inputs=np.zeros((2, 5, 2)))
    with pytest.raises(FlipFlopError, match="tol_q"):
        find_fixed_points(model, initial_states=np.zeros((10, 1)), tol_q=0)


def test_no_convergence_reports_best_q():
    model = simple_rnn(1, 1, [[1.0]], [[2.0]])
    with pytest.raises(FlipFlopError, match=r"best q reached in 1 iterations is .*raise max_iters"):
        find_fixed_points(model, initial_states=np.full((5, 1), 0.5), n_init=4, noise_std=0.0,
                          max_iters=1, tol_q=1e-12)
