"""The n-bit flip-flop task: noisy set/reset pulses in, delayed held bits out.

Trial structure (per channel, paper defaults, all times in ms):

- pulse 1 onset uniform in [10, 99] ms, value +1, -1 or none (prob. 1/3 each);
- pulse 2 onset = onset 1 + 70 ms + U[1, 50] ms, value +1 or -1;
- pulse 3 onset = onset 2 + 100 ms + U[1, 50] ms, value +1 or -1 (may run past the end);
- every pulse lasts 20 ms; the input carries 0.1 x N(0, 1) noise on every step;
- the target is 0 until the first response, then takes each pulse's value from
  20 ms after its falling edge on (a same-sign pulse keeps the state).

Deviations from the paper's published code (each deliberate):

- the 8-state test series stacks inputs and targets in the same channel order
  (the published code swapped target channels 0 and 1);
- the last step of each training target keeps its value (the published code zeroed it);
- every draw comes from one seeded ``numpy.random.Generator`` (the code ignored seeds).
"""
from __future__ import annotations

from dataclasses import asdict, dataclass, fields
from typing import NamedTuple

import numpy as np

from flipflop.errors import FlipFlopError


class Trials(NamedTuple):
    """A batch of trials; arrays are (samples, steps, bits) unless stated."""

    inputs: np.ndarray  # float32 noisy pulses
    targets: np.ndarray  # float32 in {-1, 0, +1}
    mask: np.ndarray  # bool, True where the target is a defined bit (+-1)
    states: np.ndarray  # int (samples, steps): memory state 0..2^bits-1, -1 before all bits are set


@dataclass(frozen=True)
class FlipFlopTask:
    """Parameters of the flip-flop task, times in ms.

    ``dt_ms`` sets the simulation step; every other time is converted to
    ``round(t / dt_ms)`` steps, so changing ``dt_ms`` keeps the task's timing.
    """

    n_bits: int = 3
    duration_ms: float = 340.0
    dt_ms: float = 1.0
    pulse_ms: float = 20.0
    first_onset_ms: tuple[float, float] = (10.0, 99.0)
    second_gap_ms: float = 70.0
    third_gap_ms: float = 100.0
    jitter_ms: tuple[float, float] = (1.0, 50.0)
    delay_ms: float = 20.0
    amplitude: float = 1.0
    noise_std: float = 0.1
    p_first_pulse: float = 2.0 / 3.0

    def __post_init__(self) -> None:
        object.__setattr__(self, "first_onset_ms", tuple(float(v) for v in self.first_onset_ms))
        object.__setattr__(self, "jitter_ms", tuple(float(v) for v in self.jitter_ms))
        check_positive_int("n_bits", self.n_bits)
        for name in ("duration_ms", "dt_ms", "pulse_ms", "amplitude"):
            if not np.isfinite(getattr(self, name)) or getattr(self, name) <= 0:
                raise FlipFlopError(f"{name} must be > 0, got {getattr(self, name)}")
        for name in ("second_gap_ms", "third_gap_ms", "delay_ms", "noise_std"):
            if not np.isfinite(getattr(self, name)) or getattr(self, name) < 0:
                raise FlipFlopError(f"{name} must be >= 0, got {getattr(self, name)}")
        if self.pulse_ms > self.duration_ms:
            raise FlipFlopError(
                f"pulse_ms ({self.pulse_ms}) is wider than the sequence ({self.duration_ms} ms)")
        if self.steps(self.pulse_ms) < 1:
            raise FlipFlopError(f"pulse_ms ({self.pulse_ms}) is shorter than one step of {self.dt_ms} ms")
        for name in ("first_onset_ms", "jitter_ms"):
            lo, hi = getattr(self, name)
            if len(getattr(self, name)) != 2 or lo < 0 or hi < lo:
                raise FlipFlopError(f"{name} must be a range (low, high) with 0 <= low <= high")
        if self.first_onset_ms[0] >= self.duration_ms:
            raise FlipFlopError("first_onset_ms starts after the end of the sequence")
        if not 0.0 <= self.p_first_pulse <= 1.0:
            raise FlipFlopError(f"p_first_pulse must be in [0, 1], got {self.p_first_pulse}")

    def steps(self, ms: float) -> int:
        """Number of simulation steps in ``ms`` milliseconds."""
        return int(round(ms / self.dt_ms))

    @property
    def n_steps(self) -> int:
        """Sequence length in steps."""
        return self.steps(self.duration_ms)

    def to_dict(self) -> dict:
        return {k: list(v) if isinstance(v, tuple) else v for k, v in asdict(self).items()}

    @classmethod
    def from_dict(cls, d: dict) -> "FlipFlopTask":
        names = {f.name for f in fields(cls)}
        unknown = set(d) - names
        if unknown:
            raise FlipFlopError(f"unknown task parameter(s): {', '.join(sorted(unknown))}")
        return cls(**{k: tuple(v) if isinstance(v, list) else v for k, v in d.items()})

    def generate(self, n_samples: int, seed: int | np.random.Generator | None = 0) -> Trials:
        """Draw ``n_samples`` independent trials; the same seed gives identical arrays."""
        check_positive_int("n_samples", n_samples)
        rng = np.random.default_rng(seed)
        shape = (n_samples, self.n_bits)
        lo, hi = self.first_onset_ms
        jlo, jhi = self.jitter_ms
        onset1 = rng.integers(self.steps(lo), self.steps(hi), size=shape, endpoint=True)
        jitter = rng.integers(self.steps(jlo), self.steps(jhi), size=(2, *shape), endpoint=True)
        onset2 = onset1 + self.steps(self.second_gap_ms) + jitter[0]
        onset3 = onset2 + self.steps(self.third_gap_ms) + jitter[1]
        signs = rng.choice(np.array([-1.0, 1.0], np.float32), size=(3, *shape))
        first_on = rng.random(shape) < self.p_first_pulse
        values = np.stack([signs[0] * first_on, signs[1], signs[2]])  # (3, N, bits)
        onsets = np.stack([onset1, onset2, onset3])
        inputs, targets = self._render(onsets, values)
        add_noise(inputs, self.noise_std, rng)
        return _trials(inputs, targets)

    def _render(self, onsets: np.ndarray, values: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Pulses (K, N, bits) onsets/values -> noise-free inputs and targets (N, T, bits).

        Each pulse writes its jumps at its edges into a zero array (a difference
        array); one in-place cumulative sum over time then renders every sample.
        """
        width, delay = self.steps(self.pulse_ms), self.steps(self.delay_ms)
        amplitude = np.float32(self.amplitude)
        prev = np.zeros(values.shape[1:], np.float32)
        edges_in, edges_out = [], []
        for onset, value in zip(onsets, values):  # loop over the K pulses only
            edges_in += [(onset, value * amplitude), (onset + width, -value * amplitude)]
            edges_out.append((onset + width + delay, np.where(value != 0, value - prev, 0)))
            prev = np.where(value != 0, value, prev)
        return self._integrate(edges_in), self._integrate(edges_out)

    def _integrate(self, edges: list[tuple[np.ndarray, np.ndarray]]) -> np.ndarray:
        """Sum of step functions: jumps (N, bits) at times (N, bits) -> (N, T, bits)."""
        n, bits = edges[0][0].shape
        out = np.zeros((n, self.n_steps, bits), np.float32)
        sample, channel = np.indices((n, bits))
        for t, jump in edges:
            inside = t < self.n_steps  # a jump past the end never shows
            out[sample[inside], t[inside], channel[inside]] += jump[inside]
        return np.cumsum(out, axis=1, out=out)

    def eight_state_series(self, n_pulses: int = 16, first_onset_ms: float = 30.0,
                           period_ms: float = 70.0, tail_ms: float = 70.0) -> Trials:
        """The noise-free "all memory states" series of the paper's Fig. 5 (one sample).

        Pulse k on channel i has sign +1 if floor(k / 2^i) is even, else -1: a binary
        counter (channel 0 flips every pulse) that visits all 2^bits states in 2^bits
        pulses. Pulses last ``pulse_ms`` and repeat every ``period_ms``.
        """
        check_positive_int("n_pulses", n_pulses)
        if period_ms < self.pulse_ms:
            raise FlipFlopError(f"period_ms ({period_ms}) must be >= pulse_ms ({self.pulse_ms})")
        series = FlipFlopTask(**{**asdict(self),
                                 "duration_ms": first_onset_ms + n_pulses * period_ms + tail_ms})
        k = np.arange(n_pulses)[:, None, None]
        bit = np.arange(self.n_bits)[None, None, :]
        values = np.where((k // 2 ** bit) % 2 == 0, 1.0, -1.0).astype(np.float32)
        onsets = series.steps(first_onset_ms) + k * series.steps(period_ms) + 0 * bit
        inputs, targets = series._render(onsets, values)
        return _trials(inputs, targets)


def add_noise(inputs: np.ndarray, std: float, rng: np.random.Generator,
              chunk: int = 1024) -> None:
    """Add ``std`` x N(0, 1) to ``inputs`` in place, a cache-sized chunk of samples at a time."""
    if std == 0:
        return
    buf = np.empty((min(chunk, len(inputs)), *inputs.shape[1:]), np.float32)
    for start in range(0, len(inputs), chunk):
        part = inputs[start:start + chunk]
        noise = rng.standard_normal(dtype=np.float32, out=buf[:len(part)])
        part += np.float32(std) * noise


def memory_states(targets: np.ndarray, mask: np.ndarray | None = None) -> np.ndarray:
    """Memory state 0..2^bits-1 of every step (channel 0 is the most significant bit;
    +1 reads as 1), or -1 where some bit is not yet set. Shape: targets' without the last axis."""
    n_bits = targets.shape[-1]
    mask = targets != 0 if mask is None else mask
    weights = 2.0 ** np.arange(n_bits - 1, -1, -1)
    dtype = np.float32 if n_bits <= 20 else np.float64  # exact integer arithmetic
    code = np.asarray(targets, dtype) @ weights.astype(dtype)  # sum of +-2^k
    states = ((code + weights.sum()) / 2).astype(np.int8 if n_bits < 8 else np.int64)
    states[~mask.all(axis=-1)] = -1
    return states


def state_label(state: int, n_bits: int) -> str:
    """'+-+' style label of a memory state (channel 0 first)."""
    return "".join("+" if (state >> (n_bits - 1 - b)) & 1 else "-" for b in range(n_bits))


def check_positive_int(name: str, value: object) -> None:
    if isinstance(value, bool) or not isinstance(value, (int, np.integer)) or value <= 0:
        raise FlipFlopError(f"{name} must be a positive integer, got {value!r}")


def _trials(inputs: np.ndarray, targets: np.ndarray) -> Trials:
    mask = targets != 0
    return Trials(inputs, targets, mask, memory_states(targets, mask))
