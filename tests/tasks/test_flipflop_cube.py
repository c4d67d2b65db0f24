"""The flip-flop's cube (tasks/flipflop/cube.py): memory states, resting steps, centroids and
the cube fit, against planted trajectories."""
from __future__ import annotations

import numpy as np
import pytest

from flipflop.errors import FlipFlopError
from flipflop.tasks.flipflop import cube as C
from flipflop.tasks.flipflop.task import memory_states



def test_cube_corners_follow_memory_state_convention():
    corners = C.cube_corners(3)
    np.testing.assert_array_equal(memory_states(corners.astype("float32")), np.arange(8))
    assert corners[4].tolist() == [1, -1, -1]  # channel 0 is the most significant bit


def test_resting_mask_and_centroids_skip_transients():
    states = np.array([-1] * 3 + [2] * 10 + [5] * 10)
    mask = C.resting_mask(states, settle_steps=3, lead_steps=2)
    expected = np.zeros(23, bool)
    expected[3 + 3:13 - 2] = True  # state 2 held >= 3 steps and >= 2 steps before its change
    expected[13 + 3:] = True  # last state: the end of the series is no change
    np.testing.assert_array_equal(mask, expected)
    assert C.resting_mask(states, 0, 0).sum() == 20  # every labelled step
    projected = np.arange(23.0)[:, None] * np.ones(3)
    c = C.state_centroids(projected, states, 3, settle_steps=3, lead_steps=2)
    assert c.shape == (8, 3)
    np.testing.assert_allclose(c[2], np.mean(np.arange(6, 11)))
    np.testing.assert_allclose(c[5], np.mean(np.arange(16, 23)))
    assert np.isnan(np.delete(c, [2, 5], axis=0)).all()
    # a 2-D batch: runs never cross samples
    batch = C.resting_mask(np.stack([states, states[::-1]]), 3, 2)
    np.testing.assert_array_equal(batch[0], expected)
    with pytest.raises(FlipFlopError, match="do not match"):
        C.state_centroids(projected[:-1], states, 3)


def cube_trajectory(rng, linear, offset, noise=0.01, hold=40, visits=3):
    """States held ``hold`` steps each, every state visited ``visits`` times in random order."""
    order = np.concatenate([rng.permutation(8) for _ in range(visits)])
    states = np.repeat(order, hold)
    points = C.cube_corners(3)[states] @ linear.T + offset + noise * rng.normal(size=(len(states), 3))
    return points, states


def angles(vectors):
    unit = vectors / np.linalg.norm(vectors, axis=1, keepdims=True)
    return np.degrees(np.arccos(np.clip(unit @ unit.T, -1, 1)))


def test_cube_metrics_recover_an_affine_cube():
    rng = np.random.default_rng(4)
    linear = rng.normal(size=(3, 3))  # bit b moves along column b
    points, states = cube_trajectory(rng, linear, np.array([1.0, -2.0, 0.5]))
    m = C.cube_metrics(points, states, 3, settle_steps=5, lead_steps=5)
    assert m.r2 > 0.999 and m.r2_adjusted > 0.999
    np.testing.assert_allclose(m.bit_decoding, 1.0)
    np.testing.assert_allclose(m.axes, linear.T, atol=0.01)
    np.testing.assert_allclose(m.offset, [1.0, -2.0, 0.5], atol=0.01)
    expected = angles(linear.T)
    np.fill_diagonal(expected, 0)
    np.testing.assert_allclose(m.axis_angles_deg, expected, atol=0.5)
    np.testing.assert_allclose(m.edge_lengths, 2 * np.linalg.norm(linear, axis=0), rtol=0.01)
    np.testing.assert_allclose(m.centroids, C.cube_corners(3) @ linear.T + m.offset, atol=0.01)


def test_structureless_trajectory_gives_low_cube_fit():
    r2, adjusted = [], []
    for seed in range(10):
        rng = np.random.default_rng(seed)
        states = np.repeat(rng.integers(0, 8, 40), 10)
        m = C.cube_metrics(rng.normal(size=(400, 3)), states, 3, settle_steps=0, lead_steps=0)
        r2.append(m.r2)
        adjusted.append(m.r2_adjusted)
        assert m.r2 < 0.95 and np.all(m.bit_decoding < 0.8)
    assert np.mean(r2) < 0.6 and np.mean(adjusted) < 0.3  # chance: 3/7 and 0


def test_cube_metrics_need_enough_states():
    states = np.repeat([0, 7, 3], 30)
    with pytest.raises(FlipFlopError, match="only 3 of 8"):
        C.cube_metrics(np.random.default_rng(0).normal(size=(90, 3)), states, 3, 0, 0)


def test_cube_edges_join_states_one_bit_flip_apart():
    edges = C.cube_edges(3)
    assert len(edges) == len(set(edges)) == 12
    assert all(bin(s ^ t).count("1") == 1 and s < t for s, t in edges)
    assert len(C.cube_edges(2)) == 4 and len(C.cube_edges(4)) == 32


@pytest.mark.parametrize("reflect", [False, True])
def test_align_to_cube_maps_a_rotated_cube_back(reflect):
    from scipy.spatial.transform import Rotation

    corners = C.cube_corners(3)
    q = Rotation.random(random_state=3).as_matrix() @ np.diag([1, 1, -1 if reflect else 1])
    centroids = 2.5 * corners @ q + np.array([4.0, -1.0, 7.0])
    centre, rotation = C.align_to_cube(centroids, 3)
    np.testing.assert_allclose((centroids - centre) @ rotation, 2.5 * corners, atol=1e-9)
    assert not np.allclose(rotation, np.eye(3))
    centroids[5] = np.nan  # an unvisited state: the other seven still fix the frame
    centre, rotation = C.align_to_cube(centroids, 3)
    np.testing.assert_allclose(((centroids - centre) @ rotation)[np.arange(8) != 5],
                               2.5 * corners[np.arange(8) != 5], atol=1e-9)


def test_axis_variance_follows_the_rotation():
    rng = np.random.default_rng(0)
    x = rng.normal(size=(500, 3)) * [3.0, 1.0, 0.5]
    ratio = x.var(axis=0) / (x.var(axis=0).sum() / 0.8)  # a 3-D subspace holding 80% of the variance
    np.testing.assert_allclose(C.axis_variance(x, np.eye(3), ratio), ratio)
    swap = np.eye(3)[:, [2, 0, 1]]
    np.testing.assert_allclose(C.axis_variance(x, swap, ratio), ratio[[2, 0, 1]])
