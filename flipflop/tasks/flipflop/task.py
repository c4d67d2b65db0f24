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

import math
from dataclasses import asdict, dataclass
from typing import ClassVar

import numpy as np

from flipflop.errors import FlipFlopError, check_positive_int, param
from flipflop.tasks.base import Channel, Task, Trials, check_samples, masked_mse


@dataclass(frozen=True)
class FlipFlopTask(Task):
    """The n-bit flip-flop: set/reset pulses on each channel, the last one held as a bit.

    Channels: input ``bit k`` carries the +-1 pulses of bit k; output ``bit k`` should hold
    the sign of its last pulse (0 before the first). ``dt_ms`` sets the simulation step;
    every other time is converted to ``round(t / dt_ms)`` steps, so changing ``dt_ms``
    keeps the task's timing. Performance: bit accuracy (sign of the output against the
    held bit, over the steps where a bit is set). The loss weighs every step.
    """

    name: ClassVar[str] = "flipflop"
    metric: ClassVar[str] = "bit_accuracy"
    period_names: ClassVar[tuple[str, ...]] = ()
    series_name: ClassVar[str] = "eight_state"
    series_label: ClassVar[str] = "8-state"
    # A continuous-time cell integrates the 1 ms task at a 10 ms step unless told otherwise.
    cell_defaults: ClassVar[dict[str, dict]] = {"ctrnn": {"dt_ms": 10.0}}

    n_bits: int = param(3, kind="int", low=1, help="number of independent bits (channels)", flag="--bits")
    duration_ms: float = param(340.0, low=0, open_low=True, unit="ms", help="trial length", flag="--duration-ms")
    dt_ms: float = param(1.0, low=0, open_low=True, unit="ms", help="simulation step", flag="--dt-ms --dt")
    pulse_ms: float = param(20.0, low=0, open_low=True, unit="ms", help="pulse width", flag="--pulse-ms")
    first_onset_ms: tuple[float, float] = param((10.0, 99.0), kind="range", low=0, unit="ms",
                                                help="onset of the first pulse, uniform in [low, high]")
    second_gap_ms: float = param(70.0, low=0, unit="ms", help="minimum gap from pulse 1 to pulse 2 onsets")
    third_gap_ms: float = param(100.0, low=0, unit="ms", help="minimum gap from pulse 2 to pulse 3 onsets")
    jitter_ms: tuple[float, float] = param((1.0, 50.0), kind="range", low=0, unit="ms",
                                           help="extra gap before pulses 2 and 3, uniform in [low, high]")
    delay_ms: float = param(20.0, low=0, unit="ms", help="response delay after a pulse's falling edge",
                            flag="--delay-ms")
    amplitude: float = param(1.0, low=0, open_low=True, help="pulse height")
    noise_std: float = param(0.1, low=0, help="input noise std per step", flag="--noise")
    p_first_pulse: float = param(2.0 / 3.0, low=0, high=1, help="probability that a channel gets a first pulse")

    def check(self) -> None:
        if self.pulse_ms > self.duration_ms:
            raise FlipFlopError(
                f"pulse_ms ({self.pulse_ms}) is wider than the sequence ({self.duration_ms} ms)")
        if self.steps(self.pulse_ms) < 1:
            raise FlipFlopError(f"pulse_ms ({self.pulse_ms}) is shorter than one step of {self.dt_ms} ms")
        if self.first_onset_ms[0] >= self.duration_ms:
            raise FlipFlopError("first_onset_ms starts after the end of the sequence")

    def input_channels(self) -> tuple[Channel, ...]:
        return tuple(Channel(f"bit {k}", f"set (+{self.amplitude:g}) / reset (-{self.amplitude:g}) pulses of "
                                         f"bit {k}, {self.pulse_ms:g} ms wide, with noise") for k in range(self.n_bits))

    def output_channels(self) -> tuple[Channel, ...]:
        return tuple(Channel(f"bit {k}", f"the sign of bit {k}'s last pulse, from {self.delay_ms:g} ms after "
                                         "its falling edge; 0 before its first pulse") for k in range(self.n_bits))

    def score(self, outputs: np.ndarray, trials: Trials) -> dict:
        """Bit accuracy (over steps with a defined +-1 target) and MSE over every step."""
        return {"bit_accuracy": bit_accuracy(outputs, trials.targets), "mse": masked_mse(outputs, trials)}

    def ideal_census(self) -> tuple[str, dict[int, int]]:
        """The fixed points of an ideal network, printed beside a census: the n-bit product
        system's (:func:`ideal_counts`)."""
        return f"ideal {self.n_bits}-bit", ideal_counts(self.n_bits)

    def analysis_series(self) -> Trials:
        """The noise-free 8-state series (every memory state visited in turn)."""
        return self.eight_state_series()

    def steps(self, ms: float) -> int:
        """Number of simulation steps in ``ms`` milliseconds."""
        return int(round(ms / self.dt_ms))

    @property
    def n_steps(self) -> int:
        """Sequence length in steps."""
        return self.steps(self.duration_ms)

    def generate(self, n_samples: int, seed: int | np.random.Generator | None = 0) -> Trials:
        """Draw ``n_samples`` independent trials; the same seed gives identical arrays."""
        check_samples(n_samples)
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


def ideal_counts(n_bits: int) -> dict[int, int]:
    """Fixed points of the ideal n-bit product system by number of unstable modes k:
    C(n, k) * 2^(n - k) (each bit sits at -1, +1 or the saddle between them)."""
    return {k: math.comb(n_bits, k) * 2 ** (n_bits - k) for k in range(n_bits + 1)}


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


def bit_accuracy(outputs: np.ndarray, targets: np.ndarray) -> float:
    """Fraction of steps where sign(output) equals the target, over steps where the target is +-1."""
    defined = targets != 0
    if not defined.any():
        raise FlipFlopError("no step has a defined (+-1) target")
    return float(np.mean(np.sign(outputs[defined]) == targets[defined]))


def _trials(inputs: np.ndarray, targets: np.ndarray) -> Trials:
    """Flip-flop trials: the loss weighs every step (as the paper's training does)."""
    mask = np.ones(targets.shape[:2], np.float32)
    n = targets.shape[1]
    return Trials(inputs, targets, mask, {"state": memory_states(targets)},
                  {"trial": np.tile(np.array([[0, n]], np.int64), (len(targets), 1))})
