"""Delayed match-to-sample (Miller, Erickson & Desimone 1996; neurogym's DelayMatchSample)."""
from __future__ import annotations

from dataclasses import dataclass
from typing import ClassVar

import numpy as np

from flipflop.errors import param
from flipflop.tasks.base import Channel
from flipflop.tasks.decision import DecisionTask, put


@dataclass(frozen=True)
class DelayMatchSampleTask(DecisionTask):
    """Delayed match-to-sample: is the test direction the sample's, after a delay?

    Periods: fixation, sample, delay (variable), test, decision (the go cue: the fixation
    input turns off). A trial draws the sample direction from the ring's ``n_ring``
    preferred directions (360 k / n_ring deg), and match with probability 1/2: the test
    shows the sample's direction (match) or the opposite one, 180 deg away (non-match), as
    in neurogym.

    Inputs: ``fixation``; ``ring k``: 0.5 + 0.5 cos(theta - 360 k / n_ring deg) for the
    direction theta shown during the sample and the test (neurogym's encoding), with
    N(0, (sigma/sqrt(dt_ms))^2) noise, 0 otherwise. Outputs: ``fixation``, ``match``,
    ``non-match``. Conditions: ``sample_dir``, ``test_dir`` (deg), ``match`` (bool),
    ``choice`` (0: match).

    Departures from neurogym's DelayMatchSample (fixation 300, sample 500, delay 1000, test
    500, decision 900 ms at dt 100 ms, a 2-unit ring, sigma 1): dt 20 ms (the primer's);
    a 200 ms fixation, 300 ms sample and test; the delay varies, uniform in 300..600 ms (a
    memory rather than a timed response); an 8-unit ring (2 units show only two
    directions); a 300 ms decision period with a 100 ms grace period.

    Default target (0.95 accuracy, 0.03 masked MSE): match and non-match tests differ by
    180 deg, 1 input unit on the ring's preferred units against a noise of 0.08 on the
    mean of a 300 ms stimulus, so an ideal observer answers every trial right; what is
    hard is holding the sample through the delay.
    """

    name: ClassVar[str] = "delay_match_sample"
    period_names: ClassVar[tuple[str, ...]] = ("fixation", "sample", "delay", "test", "decision")
    stimulus_periods: ClassVar[tuple[str, ...]] = ("sample", "test")
    default_target: ClassVar[tuple[float, float]] = (0.95, 0.03)

    fixation_ms: float = param(200.0, low=0, unit="ms", help="fixation before the sample")
    sample_ms: float = param(300.0, low=0, unit="ms", help="sample direction")
    delay_ms: tuple[float, float] = param((300.0, 600.0), kind="range", low=0, unit="ms",
                                          help="memory delay, uniform in [low, high]")
    test_ms: float = param(300.0, low=0, unit="ms", help="test direction")
    decision_ms: float = param(300.0, low=0, unit="ms", help="response period after the go cue")
    n_ring: int = param(8, kind="int", low=2, help="direction-tuned input units, also the sample directions")

    def directions(self) -> np.ndarray:
        """The sample directions in deg: the ring units' preferred directions."""
        return np.arange(self.n_ring) * 360.0 / self.n_ring

    def ring(self, direction_deg: np.ndarray) -> np.ndarray:
        """Ring responses (trials, n_ring) to directions (trials,), 0.5 + 0.5 cos(theta - pref)."""
        return 0.5 + 0.5 * np.cos(np.radians(np.asarray(direction_deg)[:, None] - self.directions()[None, :]))

    def stimulus_channels(self) -> tuple[Channel, ...]:
        return tuple(Channel(f"ring {k}", f"0.5 + 0.5 cos(theta - {360 * k / self.n_ring:g} deg) for the direction "
                                          "theta shown, during sample and test, plus noise")
                     for k in range(self.n_ring))

    def choice_channels(self) -> tuple[Channel, Channel]:
        return (Channel("match", "target 1 after the go cue when the test direction is the sample's, else 0"),
                Channel("non-match", "target 1 after the go cue when it is the opposite one, else 0"))

    def draw_conditions(self, rng: np.random.Generator, n: int) -> dict[str, np.ndarray]:
        sample = self.directions()[rng.integers(0, self.n_ring, size=n)]
        return self._labels(sample, rng.random(n) < 0.5)

    def condition_grid(self) -> dict[str, np.ndarray]:
        sample, match = (a.ravel() for a in np.meshgrid(self.directions(), [True, False], indexing="ij"))
        return self._labels(sample, match)

    @staticmethod
    def _labels(sample: np.ndarray, match: np.ndarray) -> dict[str, np.ndarray]:
        test = np.where(match, sample, (sample + 180.0) % 360.0)
        return {"sample_dir": sample, "test_dir": test, "match": match, "choice": (~match).astype(np.int64)}

    def fill_inputs(self, inputs: np.ndarray, conditions: dict, periods: dict) -> None:
        channels = slice(1, 1 + self.n_ring)
        put(inputs, periods, "sample", channels, self.ring(conditions["sample_dir"]))
        put(inputs, periods, "test", channels, self.ring(conditions["test_dir"]))
