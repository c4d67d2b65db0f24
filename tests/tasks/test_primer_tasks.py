"""The four decision tasks of the Yang & Wang primer: layout, targets, mask, noise, scoring."""
import json
import time

import numpy as np
import pytest

from flipflop.errors import FlipFlopError
from flipflop.tasks import (TASKS, ContextDMTask, MatchCategoryTask, ParametricWMTask, PerceptualDMTask, make_task,
                            period_mask)

PRIMER = [PerceptualDMTask, ContextDMTask, ParametricWMTask, MatchCategoryTask]
N_CONDITIONS = {"perceptual_dm": 9, "context_dm": 72, "parametric_wm": 10, "match_category": 144}


def outputs_choosing(trials, choice, go_value=1.0):
    """Outputs equal to the targets, except that the response period picks ``choice``."""
    out = trials.targets.copy()
    responding = out[..., 1] + out[..., 2] > 0
    out[..., 1] = responding * (choice == 0)[:, None] * go_value
    out[..., 2] = responding * (choice == 1)[:, None] * go_value
    return out


@pytest.mark.parametrize("cls", PRIMER)
def test_registry_channels_and_describe(cls):
    assert TASKS[cls.name] is cls and isinstance(make_task(cls.name), cls)
    task = cls()
    d = json.loads(json.dumps(cls.describe()))
    assert d["name"] == cls.name and d["metric"] == "accuracy" and d["periods"] == list(cls.period_names)
    assert len(d["inputs"]) == task.n_inputs and len(d["outputs"]) == task.n_outputs == 3
    assert all(c["name"] and c["meaning"] for c in d["inputs"] + d["outputs"])
    assert {p["name"] for p in d["parameters"]} >= {"dt_ms", "sigma", "fixation_ms", "grace_ms"}
    assert task.dt_ms == 20.0 and task.sigma > 0
    assert make_task(task.to_dict()) == task
    perf, mse = cls.default_target
    assert 0.5 < perf < 1 and 0 < mse < 0.25


@pytest.mark.parametrize("cls", PRIMER)
def test_shapes_periods_mask_and_go_cue(cls):
    task = cls()
    trials = task.generate(200, seed=3)
    n, n_steps, n_in = trials.inputs.shape
    assert (n, n_in) == (200, task.n_inputs) and trials.targets.shape == (n, n_steps, 3)
    assert trials.inputs.dtype == trials.targets.dtype == trials.mask.dtype == np.float32
    assert trials.mask.shape == (n, n_steps) and len(trials) == n
    assert all(len(v) == n for v in trials.conditions.values()) and "choice" in trials.conditions
    assert list(trials.periods) == list(cls.period_names)
    spans = [trials.periods[p] for p in cls.period_names]
    for a, b in zip(spans, spans[1:]):
        np.testing.assert_array_equal(a[:, 1], b[:, 0])  # consecutive
    assert np.all(spans[0][:, 0] == 0) and spans[-1][:, 1].max() == n_steps  # padded to the longest
    t = np.arange(n_steps)[None]
    go = trials.periods[cls.response_period][:, :1]
    end = spans[-1][:, 1:]
    grace = go + task.steps(task.grace_ms)
    np.testing.assert_array_equal(trials.inputs[..., 0], t < go)  # fixation input, noise-free
    np.testing.assert_array_equal(trials.targets[..., 0], t < go)
    np.testing.assert_array_equal(trials.mask, np.select([t < go, t < grace, t < end], [1, 0, task.decision_weight], 0))
    responding = (t >= go) & (t < end)
    choice = trials.conditions["choice"][:, None]
    np.testing.assert_array_equal(trials.targets[..., 1], responding & (choice == 0))
    np.testing.assert_array_equal(trials.targets[..., 2], responding & (choice == 1))
    assert np.all(trials.inputs[t[..., None].repeat(n, 0)[..., 0] >= end] == 0)  # nothing after a trial's end
    assert np.isin(trials.conditions["choice"], [0, 1]).all() and 0.35 < trials.conditions["choice"].mean() < 0.65


@pytest.mark.parametrize("cls", PRIMER)
def test_same_seed_same_trials_and_noise_only_on_stimuli(cls):
    task = cls()
    a, b, c = task.generate(50, seed=11), task.generate(50, seed=11), task.generate(50, seed=12)
    for x, y in zip((a.inputs, a.targets, a.mask), (b.inputs, b.targets, b.mask)):
        np.testing.assert_array_equal(x, y)
    assert not np.array_equal(a.inputs[:, :c.inputs.shape[1]], c.inputs[:, :a.inputs.shape[1]])
    clean = cls(sigma=0.0).generate(400, seed=5)
    noisy = task.generate(400, seed=5)  # same conditions and periods: noise is drawn last
    np.testing.assert_array_equal(clean.targets, noisy.targets)
    diff = noisy.inputs - clean.inputs
    k = len(task.stimulus_channels())
    on = np.zeros(clean.mask.shape, bool)
    for p in cls.stimulus_periods:
        on |= period_mask(clean.periods, p, clean.mask.shape[1])
    assert np.all(diff[~on] == 0) and np.all(diff[..., [0, *range(1 + k, task.n_inputs)]] == 0)
    assert diff[on][:, 1:1 + k].std() == pytest.approx(task.sigma / np.sqrt(task.dt_ms), rel=0.02)


@pytest.mark.parametrize("cls", PRIMER)
def test_scoring_perfect_broken_wrong_and_chance(cls):
    task = cls()
    trials = task.generate(4000, seed=2)
    answerable = task.has_answer(trials.conditions)
    assert task.score(trials.targets, trials) == {"accuracy": 1.0, "mse": 0.0, "fixation_breaks": 0.0}
    choice, broke = task.choices(trials.targets, trials)
    np.testing.assert_array_equal(choice, trials.conditions["choice"])
    assert not broke.any()

    broken = trials.targets.copy()
    first = int(np.flatnonzero(answerable)[0])
    broken[first, 1, 1 + trials.conditions["choice"][first]] = task.fix_threshold + 0.1  # before the go cue
    choice, broke = task.choices(broken, trials)
    assert broke[first] and broke.sum() == 1
    assert task.score(broken, trials)["accuracy"] == pytest.approx(1 - 1 / answerable.sum())

    wrong = outputs_choosing(trials, 1 - trials.conditions["choice"])
    assert task.score(wrong, trials)["accuracy"] == 0.0

    rng = np.random.default_rng(0)
    chance = rng.uniform(0, 0.4, trials.targets.shape).astype(np.float32)
    scores = task.score(chance, trials)
    assert scores["fixation_breaks"] == 0 and abs(scores["accuracy"] - 0.5) < 0.04
    assert json.loads(json.dumps(scores)) == scores
    with pytest.raises(FlipFlopError, match="shape"):
        task.score(chance[:, :-1], trials)


@pytest.mark.parametrize("cls", PRIMER)
def test_analysis_series_one_noise_free_trial_per_condition(cls):
    task = cls()
    series = task.analysis_series()
    assert len(series) == N_CONDITIONS[cls.name]
    assert np.all(series.mask.sum(1) == series.mask.sum(1)[0])  # one fixed length: delay at mid-range
    again = cls(sigma=0.0).analysis_series()
    np.testing.assert_array_equal(series.inputs, again.inputs)  # no noise, whatever sigma
    assert task.score(series.targets, series)["accuracy"] == 1.0
    if "delay" in cls.period_names and isinstance(task.delay_ms, tuple):
        lo, hi = task.delay_ms
        assert np.all(np.diff(series.periods["delay"], axis=1) == (task.steps(lo) + task.steps(hi)) // 2)


def test_perceptual_dm_inputs_and_zero_coherence():
    task = PerceptualDMTask()
    s = task.analysis_series()
    np.testing.assert_array_equal(s.conditions["coherence"], [-51.2, -25.6, -12.8, -6.4, 0, 6.4, 12.8, 25.6, 51.2])
    stim = period_mask(s.periods, "stimulus", s.inputs.shape[1])
    c = s.conditions["coherence"][:, None]
    np.testing.assert_allclose(s.inputs[..., 1], stim * (0.5 + c / 200), atol=1e-6)
    np.testing.assert_allclose(s.inputs[..., 2], stim * (0.5 - c / 200), atol=1e-6)
    trials = task.generate(3000, seed=1)
    coh = trials.conditions["coherence"]
    assert set(np.unique(np.abs(coh))) == set(task.coherences)
    assert np.all(((coh > 0) == (trials.conditions["choice"] == 0))[coh != 0])
    zero = coh == 0
    assert 0.3 < trials.conditions["choice"][zero].mean() < 0.7  # a random target at zero coherence
    np.testing.assert_array_equal(task.has_answer(trials.conditions), ~zero)
    # the default target is reachable: the sign of the summed evidence beats it
    e = np.sum(trials.inputs[..., 1] - trials.inputs[..., 2], axis=1)
    assert np.mean(((e < 0) == trials.conditions["choice"])[~zero]) > PerceptualDMTask.default_target[0]


def test_context_dm_cue_and_rule():
    task = ContextDMTask(delay_ms=(300.0, 900.0))
    trials = task.generate(3000, seed=4)
    cond = trials.conditions
    live = np.arange(trials.inputs.shape[1])[None] < trials.periods["decision"][:, 1:]
    cue = trials.inputs[..., 5:7]
    np.testing.assert_array_equal(cue[..., 0], live * (cond["context"] == 0)[:, None])
    np.testing.assert_array_equal(cue[..., 1], live * (cond["context"] == 1)[:, None])
    relevant = np.where(cond["context"] == 0, cond["motion"], cond["colour"])
    np.testing.assert_array_equal(cond["coherence"], relevant)
    np.testing.assert_array_equal(cond["choice"], relevant < 0)
    assert np.mean(np.sign(cond["motion"]) == np.sign(cond["colour"])) == pytest.approx(0.5, abs=0.04)
    stim = period_mask(trials.periods, "stimulus", trials.inputs.shape[1])[..., None]
    e = np.sum(stim * (trials.inputs[..., [1, 3]] - trials.inputs[..., [2, 4]]), axis=1)
    guess = np.where(cond["context"] == 0, e[:, 0], e[:, 1]) < 0
    assert np.mean(guess == cond["choice"]) > ContextDMTask.default_target[0]
    delay = np.diff(trials.periods["delay"], axis=1)[:, 0]
    assert delay.min() == task.steps(300) and delay.max() == task.steps(900)


def test_context_dm_stimulus_of_variable_length():
    """``stimulus_ms`` as a range: drawn uniformly per trial, evidence only inside it, the
    series at mid-range; a plain number (the shipped runs' configs) stays a number."""
    task = make_task({"name": "context_dm", "stimulus_ms": [300, 3000]})
    assert task.stimulus_ms == (300.0, 3000.0) and ContextDMTask().stimulus_ms == 750.0
    trials = task.generate(2000, seed=5)
    steps = np.diff(trials.periods["stimulus"], axis=1)[:, 0]
    assert steps.min() == task.steps(300) and steps.max() == task.steps(3000) and len(np.unique(steps)) > 100
    assert trials.inputs.shape[1] <= task.max_steps()
    outside = ~period_mask(trials.periods, "stimulus", trials.inputs.shape[1])
    assert np.all(trials.inputs[..., 1:5][outside] == 0)  # no dots outside the stimulus
    series = np.diff(task.analysis_series().periods["stimulus"], axis=1)[:, 0]
    assert np.all(series == (task.steps(300) + task.steps(3000)) // 2)
    assert make_task(task.to_dict()) == task


def test_parametric_wm_pairs_and_encoding():
    task = ParametricWMTask()
    pairs = {tuple(p) for p in task.pairs()}
    assert len(pairs) == 10 and (18.0, 10.0) in pairs and (10.0, 18.0) in pairs
    assert task.encode(10.0) == 0.5 and task.encode(34.0) == 1.0
    s = task.analysis_series()
    for p, f in (("stimulus1", "f1"), ("stimulus2", "f2")):
        on = period_mask(s.periods, p, s.inputs.shape[1])
        np.testing.assert_allclose(s.inputs[..., 1][on], np.repeat(task.encode(s.conditions[f]), on.sum(1)), atol=1e-6)
    np.testing.assert_array_equal(s.conditions["choice"], s.conditions["f1"] < s.conditions["f2"])
    assert len(ParametricWMTask(both_orders=False).pairs()) == 5


def test_match_category_directions_and_ring():
    task = MatchCategoryTask()
    dirs = task.directions()
    np.testing.assert_allclose(np.sort(dirs), np.arange(0, 360, 30))
    assert np.bincount(task.category(dirs)).tolist() == [6, 6]
    assert task.boundary_distance(dirs).min() == pytest.approx(15.0)
    assert task.category(np.array([50.0, 220.0, 230.0, 40.0])).tolist() == [0, 0, 1, 1]
    r = task.ring(np.array([0.0, 90.0]))
    assert r.shape == (2, 16) and r[0].argmax() == 0 and r[1].argmax() == 4 and r.max() == 1.0
    trials = task.generate(4000, seed=8)
    c = trials.conditions
    np.testing.assert_array_equal(c["match"], c["sample_cat"] == c["test_cat"])
    np.testing.assert_array_equal(c["choice"], ~c["match"])
    assert abs(c["match"].mean() - 0.5) < 0.04 and len(np.unique(c["test_dir"])) == 12
    # the response period is the test: the test stimulus is on while the fixation cue is off
    test = period_mask(trials.periods, "test", trials.inputs.shape[1])
    assert np.all(trials.inputs[..., 0][test] == 0) and np.all(trials.targets[..., 0][test] == 0)


BAD = [
    (PerceptualDMTask, {"stimulus_ms": -10.0}, "stimulus_ms"),
    (PerceptualDMTask, {"stimulus_ms": 5.0}, "shorter than one step"),
    (PerceptualDMTask, {"decision_ms": 100.0}, "grace_ms"),
    (PerceptualDMTask, {"coherences": (10.0, 120.0)}, "coherences"),
    (PerceptualDMTask, {"delay_ms": (500.0, 100.0)}, "low <= high"),
    (PerceptualDMTask, {"dt_ms": 0.0}, "dt_ms"),
    (PerceptualDMTask, {"sigma": -1.0}, "sigma"),
    (ContextDMTask, {"coherences": (-5.0,)}, "coherences"),
    (ContextDMTask, {"coherences": (0.0, 0.0)}, "nonzero"),
    (ContextDMTask, {"fixation_ms": "long"}, "fixation_ms"),
    (ContextDMTask, {"stimulus_ms": (900.0, 300.0)}, "low <= high"),
    (ContextDMTask, {"stimulus_ms": (300.0, 600.0, 900.0)}, "range"),
    (ContextDMTask, {"stimulus_ms": (-20.0, 300.0)}, "stimulus_ms"),
    (ParametricWMTask, {"pairs_hz": (18.0, 18.0)}, "f1 == f2"),
    (ParametricWMTask, {"pairs_hz": (18.0, 10.0, 22.0)}, "pairs"),
    (ParametricWMTask, {"pairs_hz": ()}, "pairs"),
    (MatchCategoryTask, {"n_directions": 7}, "even"),
    (MatchCategoryTask, {"boundary_deg": 360.0}, "boundary_deg"),
    (MatchCategoryTask, {"test_ms": 100.0}, "grace_ms"),
]


@pytest.mark.parametrize("cls,kwargs,words", BAD)
def test_bad_parameters_are_one_line_errors(cls, kwargs, words):
    with pytest.raises(FlipFlopError, match=words) as err:
        cls(**kwargs)
    assert "\n" not in str(err.value)


def test_bad_requests_are_one_line_errors():
    with pytest.raises(FlipFlopError, match="n_samples"):
        PerceptualDMTask().generate(0)
    with pytest.raises(FlipFlopError, match="unknown"):
        make_task({"name": "context_dm", "coherence": [5]})


@pytest.mark.parametrize("cls", PRIMER)
def test_ten_thousand_trials_quickly(cls):
    task = cls()
    task.generate(10, seed=0)
    start = time.process_time()  # CPU time: robust to other jobs sharing the cores
    trials = task.generate(10_000, seed=0)
    assert len(trials) == 10_000 and time.process_time() - start < 3.0
