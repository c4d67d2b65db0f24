"""The generic behavioural fits recover what synthetic choices were built with."""
import numpy as np
import pytest

from flipflop.analysis.behaviour import accuracy_by, logistic_fit, psychometric


def logistic_choices(rng, x, slope, bias):
    """Choice 0 ("choice 1") with probability 1 / (1 + exp(-(slope x + bias)))."""
    return (rng.random(len(x)) >= 1 / (1 + np.exp(-(slope * x + bias)))).astype(np.int64)


def test_psychometric_fit_recovers_slope_and_bias():
    rng = np.random.default_rng(0)
    x = rng.choice([-51.2, -25.6, -12.8, -6.4, 0.0, 6.4, 12.8, 25.6, 51.2], size=20000)
    chose_1 = logistic_choices(rng, x, 0.08, -0.4) == 0
    fit = psychometric(x, chose_1)
    assert fit["slope"] == pytest.approx(0.08, rel=0.08) and fit["bias"] == pytest.approx(-0.4, abs=0.06)
    assert fit["pse"] == pytest.approx(5.0, abs=1.0) and fit["threshold"] == pytest.approx(np.log(3) / 0.08, rel=0.1)
    assert len(fit["x"]) == 9 and sum(fit["n"]) == 20000
    assert fit["p_choice1"][0] < 0.05 and fit["p_choice1"][-1] > 0.95
    assert logistic_fit(x[:10], np.ones(10, bool)) == {"slopes": [None], "bias": None}  # nothing to fit


def test_accuracy_by_groups():
    rows = accuracy_by(np.array([1, 0, 1, 1], bool), np.array([1, 1, 2, 2]), np.array([0, 0, 0, 1]))
    assert rows == [{"key": [1.0, 0.0], "accuracy": 0.5, "n": 2}, {"key": [2.0, 0.0], "accuracy": 1.0, "n": 1},
                    {"key": [2.0, 1.0], "accuracy": 1.0, "n": 1}]
