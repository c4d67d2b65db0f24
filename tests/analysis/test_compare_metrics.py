"""The comparison metrics on known cases: a network against itself with its units permuted
or its state space rotated (distance ~ 0 under every metric, which all claim that
invariance), against a shuffled copy (large), and CCA against an independent numpy SVD."""
import numpy as np
import pytest

from flipflop.analysis.compare import condition_means, procrustes_distance, state_procrustes
from flipflop.analysis.compare_dynamics import eigenvalue_wasserstein, slow_eigenvalues
from flipflop.analysis.compare_groups import embedding, group_test
from flipflop.analysis.compare_metrics import parse_metrics
from flipflop.analysis.compare_states import (canonical_correlations, cross_prediction, orthonormal_basis, svcca,
                                               svcca_of_bases, top_directions)
from flipflop.errors import FlipFlopError


def network(n=16, k=24, t=60, seed=0):
    """A random tanh RNN driven by 2-bit flip-flop-like pulses: W (n, n), states (k, t, n), targets (k, t, 2)."""
    rng = np.random.default_rng(seed)
    w = rng.normal(0, 1.2 / np.sqrt(n), (n, n))
    w_in = rng.normal(0, 1, (2, n))
    pulses = np.zeros((k, t, 2))
    for trial in range(k):
        for bit in range(2):
            for onset in rng.choice(np.arange(2, t - 5, 6), 3, replace=False):
                pulses[trial, onset:onset + 3, bit] = rng.choice([-1, 1])
    targets = np.zeros_like(pulses)
    held = np.zeros((k, 2))
    h = np.zeros((k, n))
    states = np.zeros((k, t, n))
    for step in range(t):
        held = np.where(pulses[:, step] != 0, pulses[:, step], held)
        targets[:, step] = held
        h = np.tanh(h @ w + pulses[:, step] @ w_in)
        states[:, step] = h
    return w, states, targets


W, STATES, TARGETS = network()
RNG = np.random.default_rng(7)
PERM = RNG.permutation(W.shape[0])
Q = np.linalg.qr(RNG.normal(size=W.shape))[0]
FLAT = STATES.reshape(-1, W.shape[0])
TRAIN = np.repeat(np.arange(len(STATES)) < 18, STATES.shape[1])
SHUFFLED = RNG.permuted(FLAT, axis=0)  # every unit's values shuffled over time, independently


def copies():
    """(name, W, flat states) of the same network permuted and rotated."""
    return [("permuted", W[PERM][:, PERM], FLAT[:, PERM]), ("rotated", Q.T @ W @ Q, FLAT @ Q)]


@pytest.mark.parametrize("name,w,flat", copies())
def test_every_metric_is_zero_on_the_same_network_permuted_or_rotated(name, w, flat):
    means, _ = condition_means(STATES, TARGETS)
    other, _ = condition_means(flat.reshape(STATES.shape), TARGETS)
    assert state_procrustes(means, other) < 1e-10
    assert 1 - svcca(top_directions(FLAT), top_directions(flat)) < 1e-8
    c = cross_prediction(FLAT, flat, TRAIN)
    assert min(c.a_to_b, c.b_to_a, c.cycle_a, c.cycle_b) > 0.999 and c.distance < 1e-3
    assert eigenvalue_wasserstein(np.linalg.eigvals(W), np.linalg.eigvals(w)) < 1e-8
    jac = lambda m: np.linalg.eigvals(m * 0.5)[None, :]  # a Jacobian at one point: diag(tanh') W, tanh' = 0.5
    assert eigenvalue_wasserstein(slow_eigenvalues(jac(W), 8), slow_eigenvalues(jac(w), 8)) < 1e-8


def test_every_metric_is_large_against_a_shuffled_network():
    means, _ = condition_means(STATES, TARGETS)
    shuffled_means, _ = condition_means(SHUFFLED.reshape(STATES.shape), TARGETS)
    rotated = copies()[1]
    assert state_procrustes(means, shuffled_means) > 0.5
    assert 1 - svcca(top_directions(FLAT), top_directions(SHUFFLED)) > 0.6
    assert cross_prediction(FLAT, SHUFFLED, TRAIN).distance > 0.8
    shuffled_w = RNG.permuted(W.reshape(-1)).reshape(W.shape) * 0.3  # entries shuffled and shrunk
    assert eigenvalue_wasserstein(np.linalg.eigvals(W), np.linalg.eigvals(shuffled_w)) > 0.3
    assert eigenvalue_wasserstein(np.linalg.eigvals(W), np.linalg.eigvals(rotated[1])) < 1e-8


def test_canonical_correlations_match_an_independent_numpy_svd():
    rng = np.random.default_rng(3)
    latent = rng.normal(size=(500, 4))
    a = latent @ rng.normal(size=(4, 9)) + 0.5 * rng.normal(size=(500, 9))
    b = latent[:, :3] @ rng.normal(size=(3, 6)) + 0.8 * rng.normal(size=(500, 6))
    qa = np.linalg.qr(a - a.mean(0))[0]
    qb = np.linalg.qr(b - b.mean(0))[0]
    expected = np.linalg.svd(qa.T @ qb, compute_uv=False)  # cosines of the principal angles
    got = canonical_correlations(a, b)
    assert got.shape == (6,)
    np.testing.assert_allclose(got, expected, atol=1e-10)
    ra, rb = top_directions(a, k=5), top_directions(b, k=4)  # SVCCA, from the per-network bases as compare does
    assert svcca_of_bases(orthonormal_basis(ra), orthonormal_basis(rb)) == pytest.approx(svcca(ra, rb), abs=1e-10)
    assert got[0] > 0.8 and got[-1] < 0.3  # three shared directions, then noise


def test_procrustes_of_condition_means_generalises_the_cube():
    means, conditions = condition_means(STATES, TARGETS)
    assert means.shape == (len(conditions), W.shape[0]) and (0.0, 0.0) in conditions and (1.0, -1.0) in conditions
    wide = np.pad(means, ((0, 0), (0, 5)))  # the same points in more units
    assert state_procrustes(means, wide) < 1e-12
    assert abs(state_procrustes(means, means[:, :3]) - procrustes_distance(np.pad(means[:, :3], ((0, 0), (0, 13))),
                                                                       means)) < 1e-12


def test_eigenvalue_wasserstein_of_unequal_sets_is_the_exact_transport():
    a = np.array([0.0, 1.0])
    b = np.array([0.0, 0.0, 1.0, 3.0])  # three quarters of the mass stay, a quarter moves from 1 to 3
    assert eigenvalue_wasserstein(a, b) == pytest.approx(0.25 * 2)
    assert eigenvalue_wasserstein(np.array([1j]), np.array([-1j])) == pytest.approx(2.0)


def test_group_test_finds_separated_groups_and_not_mixed_ones():
    x = np.r_[np.zeros(4), np.ones(4) * 10] + np.arange(8) * 0.01
    d = np.abs(x[:, None] - x[None])
    separated = group_test(d, list("aaaabbbb"), 2000)
    mixed = group_test(d, list("abababab"), 2000)
    assert separated.p_value < 0.05 and separated.ratio > 100
    assert mixed.p_value > 0.3 and mixed.statistic < 0
    xy = embedding(d)
    assert np.abs(np.linalg.norm(xy[:, None] - xy[None], axis=-1) - d).max() < 1e-3


def test_metric_names_are_validated():
    assert parse_metrics("all")[0] == "procrustes" and "dsa" not in parse_metrics("nodsa")
    assert parse_metrics("cross,svcca,cross") == ("cross", "svcca")
    with pytest.raises(FlipFlopError, match="unknown metric 'dtw'"):
        parse_metrics("svcca,dtw")
    with pytest.raises(FlipFlopError, match="empty"):
        parse_metrics(",")


def test_dsa_is_near_zero_for_a_rotation_and_large_for_a_shuffle():
    pytest.importorskip("DSA")
    from flipflop.analysis.compare_dynamics import choose_delays, dsa_distance, fit_operator, hankel_rank

    shape = (*STATES.shape[:2], 6)
    pcs = top_directions(FLAT, k=6).reshape(shape)
    delays, scores = choose_delays(pcs, 18, candidates=(1, 2, 4))
    assert delays in scores and scores[delays] >= max(scores.values()) - 0.01
    rank = min(hankel_rank(pcs, delays), 8)
    a = fit_operator(pcs, delays, rank)
    rotated = fit_operator(top_directions(FLAT @ Q, k=6).reshape(shape), delays, rank)
    permuted = fit_operator(top_directions(FLAT[:, PERM], k=6).reshape(shape), delays, rank)
    shuffled = fit_operator(top_directions(SHUFFLED, k=6).reshape(shape), delays, rank)
    same = max(dsa_distance(a, rotated, iters=100), dsa_distance(a, permuted, iters=100))
    other = dsa_distance(a, shuffled, iters=100)
    assert same < 0.05 and other > 0.5


def test_the_core_never_imports_the_compare_extra():
    import subprocess
    import sys

    code = ("import sys, flipflop.reports.compare, flipflop.reports.compare_features, flipflop.sweep.parallel\n"
            "import flipflop.analysis.compare_dynamics, flipflop.plotting.compare\n"
            "print(sorted(m for m in ('DSA', 'torch', 'ot', 'pydmd') if m in sys.modules))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert out.strip() == "[]"
