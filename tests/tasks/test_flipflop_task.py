"""The flip-flop generator against an independent, slow, per-sample reference."""
import numpy as np
import pytest

from flipflop.errors import FlipFlopError
from flipflop.tasks.flipflop.task import FlipFlopTask, memory_states, state_label


def reference_channel(inp: np.ndarray, width: int, delay: int) -> np.ndarray:
    """Slow reference: scan the noise-free input of one channel for pulses, apply the rule."""
    target = np.zeros_like(inp)
    state, t = 0.0, 0
    pending = []  # (time the response starts, value)
    while t < len(inp):
        if inp[t] != 0 and (t == 0 or inp[t - 1] == 0):
            pending.append((t + width + delay, float(np.sign(inp[t]))))
        t += 1
    for t in range(len(inp)):
        for start, value in pending:
            if start == t:
                state = value
        target[t] = state
    return target


def test_targets_follow_set_reset_hold_rule_with_delay():
    task = FlipFlopTask(noise_std=0.0)
    trials = task.generate(60, seed=5)
    width, delay = task.steps(task.pulse_ms), task.steps(task.delay_ms)
    for n in range(60):
        for b in range(3):
            expected = reference_channel(trials.inputs[n, :, b], width, delay)
            np.testing.assert_array_equal(trials.targets[n, :, b], expected)


def test_pulse_schedule_matches_paper():
    task = FlipFlopTask(noise_std=0.0)
    x = task.generate(2000, seed=1).inputs
    edges = np.diff(np.concatenate([np.zeros((2000, 1, 3)), x], axis=1) != 0, axis=1)
    for n in range(0, 2000, 97):
        for b in range(3):
            on = np.flatnonzero(x[n, :, b] != 0)
            if on.size == 0:
                continue
            runs = np.split(on, np.flatnonzero(np.diff(on) > 1) + 1)
            assert all(len(r) == 20 or r[-1] == 339 for r in runs)  # 20 ms pulses (last may be cut)
            assert 10 <= runs[0][0] <= 99 + 71 + 50
    first = np.argmax(x != 0, axis=1)
    has_first = (x[:, :100] != 0).any(axis=1)
    assert 0.6 < has_first.mean() < 0.73  # pulse 1 present with p = 2/3
    assert first[has_first].min() >= 10 and first[has_first].max() <= 99
    assert edges.any()
    assert set(np.unique(x)) <= {-1.0, 0.0, 1.0}


def test_noise_statistics():
    task = FlipFlopTask()
    clean = FlipFlopTask(noise_std=0.0)
    noisy, ref = task.generate(400, seed=7), clean.generate(400, seed=7)
    np.testing.assert_array_equal(noisy.targets, ref.targets)
    noise = noisy.inputs - ref.inputs
    assert abs(noise.mean()) < 0.002
    assert noise.std() == pytest.approx(0.1, rel=0.01)
    lag1 = np.corrcoef(noise[:, 1:].ravel(), noise[:, :-1].ravel())[0, 1]
    assert abs(lag1) < 0.01


def test_same_seed_same_bits_different_seed_differs():
    task = FlipFlopTask()
    a, b, c = task.generate(50, 3), task.generate(50, 3), task.generate(50, 4)
    for x, y in zip((a.inputs, a.targets, a.mask, a.conditions["state"]), (b.inputs, b.targets, b.mask, b.conditions["state"])):
        assert x.tobytes() == y.tobytes()
    assert not np.array_equal(a.inputs, c.inputs)
    assert a.inputs.dtype == np.float32 and a.inputs.shape == (50, 340, 3)


def test_mask_and_states():
    trials = FlipFlopTask().generate(30, 2)
    np.testing.assert_array_equal(trials.mask, np.ones((30, 340), np.float32))  # the loss weighs every step
    n, t = 4, 300
    bits = trials.targets[n, t]
    if np.all(bits != 0):
        expected = int("".join("1" if v > 0 else "0" for v in bits), 2)
        assert trials.conditions["state"][n, t] == expected
    assert memory_states(np.array([[1.0, -1.0, 1.0], [0.0, 1.0, 1.0]])).tolist() == [5, -1]
    assert state_label(5, 3) == "+-+"


def test_eight_state_series_visits_every_state_in_channel_order():
    task = FlipFlopTask()
    series = task.eight_state_series()
    assert series.inputs.shape[0] == 1
    assert np.all(series.inputs[0] == np.round(series.inputs[0]))  # noise-free
    states = series.conditions["state"][0]
    visited = [s for i, s in enumerate(states) if s >= 0 and (i == 0 or states[i - 1] != s)]
    assert sorted(set(visited)) == list(range(8))
    assert len(visited) == 16  # each of the 16 pulses enters a new state: all 8, twice
    # Each target channel follows its own input channel (the published code swapped 0 and 1).
    for b in range(3):
        expected = reference_channel(series.inputs[0, :, b], 20, 20)
        np.testing.assert_array_equal(series.targets[0, :, b], expected)
    # channel 0 flips on every pulse, channel 1 every 2, channel 2 every 4
    onsets = np.flatnonzero(np.diff(np.abs(series.inputs[0, :, 0]), prepend=0) > 0)
    signs = series.inputs[0, onsets]
    assert np.all(signs[1:, 0] != signs[:-1, 0])
    assert np.all(signs[::2, 1][1:] != signs[::2, 1][:-1])
    assert onsets[0] == 30 and np.all(np.diff(onsets) == 70)


def test_timing_is_in_ms_when_dt_changes():
    fine, coarse = FlipFlopTask(), FlipFlopTask(dt_ms=10.0)
    assert coarse.n_steps == 34 and coarse.steps(coarse.pulse_ms) == 2
    a, b = fine.eight_state_series(), coarse.eight_state_series()
    t_fine = np.flatnonzero(np.diff(a.targets[0, :, 0]) != 0) * fine.dt_ms
    t_coarse = np.flatnonzero(np.diff(b.targets[0, :, 0]) != 0) * coarse.dt_ms
    np.testing.assert_allclose(t_fine, t_coarse, atol=10)


@pytest.mark.parametrize("kwargs, message", [
    (dict(n_bits=0), "n_bits"),
    (dict(pulse_ms=400.0), "wider than the sequence"),
    (dict(noise_std=-0.1), "noise_std"),
    (dict(dt_ms=0.0), "dt_ms"),
])
def test_bad_parameters(kwargs, message):
    with pytest.raises(FlipFlopError, match=message):
        FlipFlopTask(**kwargs)


def test_bad_sample_count():
    with pytest.raises(FlipFlopError, match="n_samples"):
        FlipFlopTask().generate(0)
