"""Population analyses on planted arrays: Mante's targeted axes, selectivity, slow modes, decoding."""
import numpy as np

from flipflop.analysis import activity as act
from flipflop.analysis import selectivity as sel
from flipflop.dynamics import linear


def test_targeted_axes_recover_planted_directions():
    rng = np.random.default_rng(0)
    n, steps, units = 200, 6, 30
    regs = rng.standard_normal((n, 3))
    truth = np.linalg.qr(rng.standard_normal((units, 3)))[0].T  # orthonormal (3, units)
    ramp = np.linspace(0, 1, steps)[None, :, None]
    hidden = ramp * (regs @ truth)[:, None, :] + 0.01 * rng.standard_normal((n, steps, units))
    axes, when = act.targeted_axes(hidden, regs)
    assert np.all(when == steps - 1)
    assert np.allclose(np.abs(np.sum(axes * truth, axis=1)), 1, atol=1e-2)


def test_category_onsets_find_when_units_become_selective():
    steps, units = 40, 3
    category = np.array([0, 0, 0, 1, 1, 1])
    rates = np.zeros((6, steps, units))
    rates[:, 10:, 0] = np.where(category == 0, 1.0, -1.0)[:, None]  # unit 0 selective from step 10
    rates[:, :, 1] = np.arange(6)[:, None] * 0.1  # unit 1: direction tuned, not categorical
    index = sel.category_selectivity(rates, category)
    onsets = sel.selectivity_onsets(index, start=5)
    assert onsets[0] == 5 and np.isnan(onsets[2])
    assert np.isnan(onsets[1]) or onsets[1] > 0  # graded tuning is weaker than the step's


def test_slow_modes_pick_the_eigenvalue_nearest_one():
    jac = np.diag([0.5, 0.99, -0.2])[None]
    values, vectors = linear.slow_modes(jac)
    assert np.isclose(values[0], 0.99) and np.allclose(np.abs(vectors[0]), [0, 1, 0])


def test_choice_selectivity_orders_excitatory_units_first():
    activity = np.array([[1.0, 0.0, 2.0, 0.0], [1.2, 0.1, 2.2, 1.0], [0.0, 0.0, 0.0, 0.0], [0.1, 0.1, 0.2, 1.1]])
    selectivity = sel.choice_selectivity(activity, np.array([0, 0, 1, 1]))
    order = sel.selectivity_order(selectivity, np.array([1.0, 1.0, -1.0, 1.0]))
    assert order[-1] == 2 and list(order[:3]) == [0, 1, 3]


def test_decode_line_reads_a_planted_line_beyond_its_training_range():
    rng = np.random.default_rng(0)
    d, f1 = rng.standard_normal(40), np.linspace(10, 34, 10)
    states = f1[:, None] * d[None] + 0.01 * rng.standard_normal((10, 40))
    assert np.allclose(act.decode_line(states, f1, np.stack([22 * d, 40 * d])), [22, 40], atol=0.1)


def test_decode_points_says_when_the_states_do_not_carry_the_variable():
    """States that do not vary with the variable (before a stimulus): the decoder's R² is near
    0, and what it reads at a distant point is not a value of the variable."""
    rng = np.random.default_rng(1)
    d, f1 = rng.standard_normal(40), np.linspace(10, 34, 30)
    carried = f1[:, None] * d[None] + 0.01 * rng.standard_normal((30, 40))
    _, r2 = act.decode_points(carried, f1, carried[:2])
    assert r2 > 0.99
    blank = 1e-7 * rng.standard_normal((30, 40))  # the same state in every trial, up to rounding
    read, r2 = act.decode_points(blank, f1, np.stack([d]))
    assert r2 < 0.5 and abs(read[0]) > 100  # a decoder of noise, read far away: any number
