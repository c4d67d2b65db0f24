"""Parametric working memory: vibrotactile frequency comparison (Romo et al. 1999)."""
from __future__ import annotations

from dataclasses import dataclass
from typing import ClassVar

import numpy as np

from flipflop.errors import FlipFlopError, param
from flipflop.tasks.base import Channel
from flipflop.tasks.decision import DecisionTask, put, stimulus_sum

# neurogym DelayComparison's vpairs (f1, f2) in Hz, flattened
ROMO_PAIRS_HZ = (18.0, 10.0, 22.0, 14.0, 26.0, 18.0, 30.0, 22.0, 34.0, 26.0)


@dataclass(frozen=True)
class ParametricWMTask(DecisionTask):
    """Delayed frequency comparison: hold f1 through a delay, then report whether f1 > f2.

    Periods: fixation, stimulus1 (f1), delay (variable), stimulus2 (f2), decision (the go
    cue: the fixation input turns off). A trial draws one (f1, f2) pair of ``pairs_hz``
    (flattened as f1, f2, f1, f2, ...), and with ``both_orders`` each pair reversed as
    often; a pair with f1 == f2 has no answer and is refused.

    Inputs: ``fixation``; ``frequency``: a scalar code of the vibration frequency, 0 outside
    the stimuli and 0.5 + 0.5 (f - fmin)/(fmax - fmin) during them (fmin, fmax: the lowest
    and highest frequency of the pairs, 10 and 34 Hz by default; neurogym's "represent"),
    so 10 Hz -> 0.5 and 34 Hz -> 1.0, with N(0, (sigma/sqrt(dt_ms))^2) noise. Outputs:
    ``fixation``, ``f1 > f2``, ``f1 < f2``. Conditions: ``f1``, ``f2`` (Hz), ``choice``
    (0: f1 > f2).

    Departures from neurogym's DelayComparison (fixation 500, stimulus1 500, delay 1000,
    stimulus2 500, decision 100 ms at dt 100 ms, sigma 1): dt 20 ms; fixation 200 ms; the
    delay varies, uniform in 500..1000 ms (Romo's was 3 s; shorter trains in minutes, and
    variable delays force a stable memory rather than a timed one); a 300 ms decision
    period with a 100 ms grace period.

    Default target (0.95 accuracy, 0.03 masked MSE): pairs differ by 8 Hz, i.e. 0.167 in
    input units, against a noise of 0.045 on the mean of a 500 ms stimulus; the ideal
    observer scores 0.995 and its posterior outputs a masked MSE of 0.0008 (measured), so
    the target leaves room for a drifting memory. A GRU-64 (Adam 3e-3, batches of 64, CPU)
    passed it after 5 x 4096 training trials (validation accuracy 0.99).
    """

    name: ClassVar[str] = "parametric_wm"
    period_names: ClassVar[tuple[str, ...]] = ("fixation", "stimulus1", "delay", "stimulus2", "decision")
    stimulus_periods: ClassVar[tuple[str, ...]] = ("stimulus1", "stimulus2")
    default_target: ClassVar[tuple[float, float]] = (0.95, 0.03)

    fixation_ms: float = param(200.0, low=0, unit="ms", help="fixation before f1")
    stimulus1_ms: float = param(500.0, low=0, unit="ms", help="first vibration (f1)")
    delay_ms: tuple[float, float] = param((500.0, 1000.0), kind="range", low=0, unit="ms",
                                          help="memory delay, uniform in [low, high]")
    stimulus2_ms: float = param(500.0, low=0, unit="ms", help="second vibration (f2)")
    decision_ms: float = param(300.0, low=0, unit="ms", help="response period after the go cue")
    pairs_hz: tuple[float, ...] = param(ROMO_PAIRS_HZ, kind="floats", low=0, open_low=True, unit="Hz",
                                        help="(f1, f2) pairs flattened: f1, f2, f1, f2, ... (Romo et al.'s)")
    both_orders: bool = param(True, kind="bool", help="also present every pair reversed (f2, f1)")
    code_range_hz: tuple[float, float] | None = param(None, kind="range", low=0, unit="Hz", none=True,
                                                      help="frequencies coded 0.5 and 1.0 (default: the pairs' "
                                                           "lowest and highest)")

    def check(self) -> None:
        super().check()
        if not self.pairs_hz or len(self.pairs_hz) % 2:
            raise FlipFlopError(f"pairs_hz must hold (f1, f2) pairs, got {len(self.pairs_hz)} numbers")
        if self.code_range_hz is not None and not self.code_range_hz[1] > self.code_range_hz[0]:
            raise FlipFlopError(f"code_range_hz must rise, got {list(self.code_range_hz)}")
        for f1, f2 in self.pairs():
            if f1 == f2:
                raise FlipFlopError(f"pairs_hz has a pair with f1 == f2 ({f1:g} Hz), which has no answer")

    def pairs(self) -> np.ndarray:
        """Every (f1, f2) pair presented, (pairs, 2), in Hz."""
        base = np.asarray(self.pairs_hz, np.float64).reshape(-1, 2)
        return np.concatenate([base, base[:, ::-1]]) if self.both_orders else base

    def code_range(self) -> tuple[float, float]:
        """The frequencies (Hz) coded 0.5 and 1.0: ``code_range_hz``, or the pairs' extremes."""
        return tuple(self.code_range_hz) if self.code_range_hz else (min(self.pairs_hz), max(self.pairs_hz))

    def encode(self, f_hz: np.ndarray) -> np.ndarray:
        """The input value of frequency ``f_hz``: 0.5 at the lowest frequency, 1 at the highest
        (of ``code_range``; frequencies outside it are coded beyond)."""
        lo, hi = self.code_range()
        return 0.5 + 0.5 * (np.asarray(f_hz, np.float64) - lo) / (hi - lo)

    def decode(self, value: np.ndarray) -> np.ndarray:
        """The frequency (Hz) of input value ``value`` (inverse of :meth:`encode`)."""
        lo, hi = self.code_range()
        return lo + (np.asarray(value, np.float64) - 0.5) * 2.0 * (hi - lo)

    def ideal_choices(self, trials) -> np.ndarray:
        """Compares the mean input of the two vibrations (the prior-free ideal observer)."""
        f1 = stimulus_sum(trials, "stimulus1", slice(1, 2))[:, 0] / np.diff(trials.periods["stimulus1"], axis=1)[:, 0]
        f2 = stimulus_sum(trials, "stimulus2", slice(1, 2))[:, 0] / np.diff(trials.periods["stimulus2"], axis=1)[:, 0]
        return (f1 < f2).astype(np.int64)

    def stimulus_channels(self) -> tuple[Channel, ...]:
        lo, hi = self.code_range()
        return (Channel("frequency", f"0.5 + 0.5 (f - {lo:g} Hz)/({hi:g} Hz - {lo:g} Hz) during each vibration, "
                                     "0 otherwise, plus noise during the vibrations"),)

    def choice_channels(self) -> tuple[Channel, Channel]:
        return (Channel("f1 > f2", "target 1 after the go cue when f1 > f2, else 0"),
                Channel("f1 < f2", "target 1 after the go cue when f1 < f2, else 0"))

    def draw_conditions(self, rng: np.random.Generator, n: int) -> dict[str, np.ndarray]:
        return self._labels(self.pairs()[rng.integers(0, len(self.pairs()), size=n)])

    def condition_grid(self) -> dict[str, np.ndarray]:
        return self._labels(self.pairs())

    @staticmethod
    def _labels(pairs: np.ndarray) -> dict[str, np.ndarray]:
        f1, f2 = pairs[:, 0].copy(), pairs[:, 1].copy()
        return {"f1": f1, "f2": f2, "choice": (f1 < f2).astype(np.int64)}

    def fill_inputs(self, inputs: np.ndarray, conditions: dict, periods: dict) -> None:
        put(inputs, periods, "stimulus1", slice(1, 2), self.encode(conditions["f1"])[:, None])
        put(inputs, periods, "stimulus2", slice(1, 2), self.encode(conditions["f2"])[:, None])
