"""What the two-alternative decision tasks share: timing, fixation, targets, mask, noise, scoring.

A :class:`DecisionTask` lays out its ``period_names`` one after the other; each period
``p`` takes its duration from the field ``p_ms``: a number (fixed) or a ``(low, high)``
range (uniform over the whole steps in between, drawn per trial). The memory delay
(``delay_period``) can have a long tail: a fraction ``delay_tail_p`` of trials draws it
uniformly between its range's upper end and ``delay_tail_ms`` instead (drawn after every
other duration, so ``delay_tail_p = 0`` leaves the trials bit-identical);
:meth:`DecisionTask.capped_delay` clips the delay for a curriculum. The *response period*
(``response_period``, "decision" unless a task says otherwise) starts with the go cue.

Inputs: channel 0 is the fixation cue, 1 from the start of the trial until the go cue,
then 0. Then come the task's stimulus channels (noisy) and its cue channels (noise-free).
Input noise: N(0, 1) x ``sigma / sqrt(dt_ms)`` on every stimulus channel during the
stimulus periods (neurogym's scaling, ``sigma`` in sqrt(ms)), so the evidence integrated
over a stimulus keeps the same signal-to-noise ratio whatever ``dt_ms``; at the default
``sigma`` = 1 and ``dt_ms`` = 20 ms that is a std of 0.224 per step.

Outputs and targets: 3 channels, fixation + the two choices. The fixation target is 1
until the go cue and 0 after; the target of the correct choice is 1 from the go cue to
the end of the trial, the other choice's 0, and both choices are 0 before the go cue.

Loss mask (after Yang et al. 2019): weight 1 before the go cue, 0 during ``grace_ms``
(100 ms) after it (the output is free to move), ``decision_weight`` (5) for the rest of the
response period, and 0 on the padding after a trial's end (trials of a batch have
different lengths when a period's duration varies; the batch is as long as its longest).

Scoring (:meth:`DecisionTask.choices`): the choice is the argmax of the mean choice
outputs over the weighted response steps (after the grace period); a choice output above
``fix_threshold`` before the go cue is a fixation break, an error whatever the choice
(the fixation output itself is not read: the loss already pulls it to its target).
Accuracy is the fraction of trials, among those that have a correct answer, that are
answered correctly without a fixation break.
"""
from __future__ import annotations

from dataclasses import dataclass, replace
from typing import Any, ClassVar, Iterator

import numpy as np

from flipflop.errors import FlipFlopError, param
from flipflop.tasks.base import Channel, Task, Trials, check_samples, masked_mse, period_mask, sequential_periods

FIXATION_IN = Channel("fixation", "1 until the go cue (the start of the response period), then 0")
FIXATION_OUT = Channel("fixation", "target 1 until the go cue, 0 after")


@dataclass(frozen=True)
class DecisionTask(Task):
    """Base of the two-choice tasks with a fixation period and a go cue (see the module)."""

    metric: ClassVar[str] = "accuracy"
    response_period: ClassVar[str] = "decision"
    stimulus_periods: ClassVar[tuple[str, ...]] = ("stimulus",)
    delay_period: ClassVar[str] = "delay"  # the memory delay: its tail and curriculum

    dt_ms: float = param(20.0, low=0, open_low=True, unit="ms", help="simulation step (the primer's 20 ms)",
                         flag="--dt-ms --dt")
    sigma: float = param(1.0, low=0, unit="sqrt(ms)",
                         help="input noise: std sigma / sqrt(dt_ms) per step on the stimulus channels during stimuli")
    grace_ms: float = param(100.0, low=0, unit="ms", help="after the go cue, the outputs are free (loss weight 0)")
    decision_weight: float = param(5.0, low=0, open_low=True,
                                   help="loss weight of the response steps after the grace period (fixation: 1)")
    fix_threshold: float = param(0.5, low=0, high=1, open_low=True,
                                 help="a choice output above this before the go cue breaks fixation")
    delay_tail_p: float = param(0.0, low=0, high=1, help="fraction of trials whose delay comes from the long tail")
    delay_tail_ms: float = param(0.0, low=0, unit="ms",
                                 help="longest delay of the tail (uniform from the delay range's upper end to this)")

    # ---------------------------------------------------------------- what a task adds

    def stimulus_channels(self) -> tuple[Channel, ...]:
        """The noisy stimulus input channels (after the fixation input)."""
        raise NotImplementedError

    def cue_channels(self) -> tuple[Channel, ...]:
        """Noise-free cue inputs after the stimulus channels (none by default)."""
        return ()

    def choice_channels(self) -> tuple[Channel, Channel]:
        """The two choice outputs (choice 0, choice 1)."""
        raise NotImplementedError

    def draw_conditions(self, rng: np.random.Generator, n: int) -> dict[str, np.ndarray]:
        """Per-trial labels of ``n`` random trials, ``"choice"`` (0 or 1) among them."""
        raise NotImplementedError

    def condition_grid(self) -> dict[str, np.ndarray]:
        """Per-trial labels of one trial per condition (the analysis set)."""
        raise NotImplementedError

    def fill_inputs(self, inputs: np.ndarray, conditions: dict, periods: dict) -> None:
        """Write the noise-free stimulus and cue inputs of every trial into ``inputs``."""
        raise NotImplementedError

    def has_answer(self, conditions: dict) -> np.ndarray:
        """Boolean (trials,): trials with a correct answer (all by default)."""
        return np.ones(len(conditions["choice"]), bool)

    def ideal_choices(self, trials: Trials) -> np.ndarray:
        """The ideal observer's choice (0 or 1) on each trial, from the same noisy inputs the
        network sees (each task defines its own)."""
        raise NotImplementedError(f"{self.name} has no ideal observer")

    # ---------------------------------------------------------------- the interface

    def input_channels(self) -> tuple[Channel, ...]:
        return (FIXATION_IN, *self.stimulus_channels(), *self.cue_channels())

    def output_channels(self) -> tuple[Channel, ...]:
        return (FIXATION_OUT, *self.choice_channels())

    def check(self) -> None:
        for p in self.stimulus_periods:
            if self.steps(_low(getattr(self, f"{p}_ms"))) < 1:
                raise FlipFlopError(f"{p}_ms ({_low(getattr(self, f'{p}_ms')):g}) is shorter than one step "
                                    f"of dt_ms ({self.dt_ms:g} ms)")
        if self.delay_tail_p > 0:
            high = _high(getattr(self, f"{self.delay_period}_ms", 0.0))
            if self.delay_tail_ms < high:
                raise FlipFlopError(f"delay_tail_ms ({self.delay_tail_ms:g}) must be at least the delay's upper "
                                    f"end ({high:g} ms) when delay_tail_p > 0")
        response = _low(getattr(self, f"{self.response_period}_ms"))
        if self.steps(response) <= self.steps(self.grace_ms):
            raise FlipFlopError(f"{self.response_period}_ms ({response:g}) must exceed grace_ms "
                                f"({self.grace_ms:g}) by at least one step of {self.dt_ms:g} ms")

    def generate(self, n_samples: int, seed: Any = 0) -> Trials:
        """``n_samples`` random trials with input noise; the same seed gives identical arrays."""
        check_samples(n_samples)
        rng = np.random.default_rng(seed)
        conditions = self.draw_conditions(rng, n_samples)
        return self.render(conditions, self.durations(n_samples, rng), rng)

    def analysis_series(self) -> Trials:
        """One noise-free trial per condition, every variable period at its mid-range duration."""
        conditions = self.condition_grid()
        return self.render(conditions, self.durations(len(conditions["choice"]), None), None)

    def score(self, outputs: np.ndarray, trials: Trials) -> dict:
        """Accuracy (trials with an answer), masked MSE and the fraction of fixation breaks."""
        choice, broke = self.choices(outputs, trials)
        correct = (choice == trials.conditions["choice"]) & ~broke
        answerable = self.has_answer(trials.conditions)
        return {"accuracy": float(np.mean(correct[answerable])) if answerable.any() else float("nan"),
                "mse": masked_mse(outputs, trials), "fixation_breaks": float(np.mean(broke))}

    def choices(self, outputs: np.ndarray, trials: Trials) -> tuple[np.ndarray, np.ndarray]:
        """Each trial's choice (0 or 1: argmax of the mean choice outputs after the grace
        period) and whether it broke fixation (a choice output above ``fix_threshold``
        before the go cue)."""
        outputs = np.asarray(outputs)
        if outputs.shape != trials.targets.shape:
            raise FlipFlopError(f"outputs have shape {outputs.shape} but the trials' targets {trials.targets.shape}")
        t = np.arange(outputs.shape[1])[None, :]
        go, end = trials.periods[self.response_period][:, :1], trials.periods[self.response_period][:, 1:]
        window = (t >= go + self.steps(self.grace_ms)) & (t < end)
        choice_out = outputs[..., 1:3]
        mean = np.einsum("nt,ntc->nc", window.astype(choice_out.dtype), choice_out)
        choice = np.argmax(mean, axis=1)
        broke = np.any((choice_out.max(axis=-1) > self.fix_threshold) & (t < go), axis=1)
        return choice, broke

    def first_actions(self, outputs: np.ndarray, trials: Trials) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """NeuroGym's decision rule: the action of each step is the argmax of the outputs
        (0 fixation, 1 and 2 the choices); the choice is the first action other than fixation
        from the go cue on. Returns (choice 0/1, -1 where there is none; responded; whether
        an argmax before the go cue was not fixation, which NeuroGym's tasks penalise but
        do not abort by default)."""
        outputs = np.asarray(outputs)
        t = np.arange(outputs.shape[1])[None, :]
        go, end = trials.periods[self.response_period][:, :1], trials.periods[self.response_period][:, 1:]
        action = np.argmax(outputs[..., :3], axis=-1)
        acting = (action > 0) & (t >= go) & (t < end)
        responded = acting.any(axis=1)
        first = np.argmax(acting, axis=1)
        choice = np.where(responded, action[np.arange(len(action)), first] - 1, -1)
        early = np.any((action > 0) & (t < go), axis=1)
        return choice, responded, early

    # ---------------------------------------------------------------- rendering

    def durations(self, n: int, rng: np.random.Generator | None) -> dict[str, np.ndarray]:
        """Steps of each period per trial: fixed, uniform in a range, or (no ``rng``) mid-range."""
        out = {}
        for p in self.period_names:
            ms = getattr(self, f"{p}_ms")
            if isinstance(ms, tuple):
                lo, hi = self.steps(ms[0]), self.steps(ms[1])
                out[p] = (rng.integers(lo, hi, size=n, endpoint=True) if rng is not None
                          else np.full(n, (lo + hi) // 2, np.int64))
            else:
                out[p] = np.full(n, self.steps(ms), np.int64)
        if rng is not None and self.delay_tail_p > 0 and self.delay_period in out:
            tail = rng.random(n) < self.delay_tail_p
            lo, hi = self.steps(_high(getattr(self, f"{self.delay_period}_ms"))), self.steps(self.delay_tail_ms)
            out[self.delay_period] = np.where(tail, rng.integers(lo, hi, size=n, endpoint=True),
                                              out[self.delay_period])
        return out

    def max_steps(self) -> int:
        """The longest trial's steps: every period at its upper end (the delay's tail's, if any)."""
        longest = {p: _high(getattr(self, f"{p}_ms")) for p in self.period_names}
        if self.delay_tail_p > 0 and self.delay_period in longest:
            longest[self.delay_period] = self.delay_tail_ms
        return sum(self.steps(ms) for ms in longest.values())

    def capped_delay(self, max_ms: float) -> "DecisionTask":
        """A copy whose memory delay (range and tail) is clipped at ``max_ms`` (a curriculum step)."""
        name = f"{self.delay_period}_ms"
        if not hasattr(self, name):
            raise FlipFlopError(f"{self.name} has no {self.delay_period} period to cap")
        ms = getattr(self, name)
        capped = (min(ms[0], max_ms), min(ms[1], max_ms)) if isinstance(ms, tuple) else min(ms, max_ms)
        tail = min(self.delay_tail_ms, max_ms)
        p = self.delay_tail_p if tail > _high(capped) else 0.0
        return replace(self, **{name: capped, "delay_tail_ms": tail if p else self.delay_tail_ms, "delay_tail_p": p})

    def render(self, conditions: dict, durations: dict, rng: np.random.Generator | None) -> Trials:
        """Inputs, targets and mask of trials with these labels and period steps (noise if ``rng``)."""
        periods = sequential_periods(durations)
        n = len(conditions["choice"])
        end = periods[self.period_names[-1]][:, 1:]
        n_steps = int(end.max())
        t = np.arange(n_steps)[None, :]
        go = periods[self.response_period][:, :1]
        fixating, responding = t < go, (t >= go) & (t < end)

        inputs = np.zeros((n, n_steps, self.n_inputs), np.float32)
        inputs[..., 0] = fixating
        self.fill_inputs(inputs, conditions, periods)
        if rng is not None and self.sigma > 0:
            self._add_noise(inputs, periods, rng)

        choice = np.asarray(conditions["choice"])
        targets = np.zeros((n, n_steps, 3), np.float32)
        targets[..., 0] = fixating
        targets[..., 1] = responding & (choice == 0)[:, None]
        targets[..., 2] = responding & (choice == 1)[:, None]
        weighted = responding & (t >= go + self.steps(self.grace_ms))
        mask = np.where(fixating, np.float32(1), np.where(weighted, np.float32(self.decision_weight), np.float32(0)))
        return Trials(inputs, targets, mask.astype(np.float32), conditions, periods)

    def _add_noise(self, inputs: np.ndarray, periods: dict, rng: np.random.Generator) -> None:
        """N(0, 1) x sigma / sqrt(dt_ms) on the stimulus channels at every stimulus step, drawn in
        one call (trial by trial, step by step) and written through one boolean mask."""
        k = len(self.stimulus_channels())
        on = np.zeros(inputs.shape[:2], bool)
        for p in self.stimulus_periods:
            on |= period_mask(periods, p, inputs.shape[1])
        std = np.float32(self.sigma / np.sqrt(self.dt_ms))
        channels = inputs[:, :, 1:1 + k]  # a view: the writes below land in ``inputs``
        channels[on] += std * rng.standard_normal((int(on.sum()), k), dtype=np.float32)


def blocks(periods: dict, period: str) -> Iterator[tuple[np.ndarray | slice, int, int]]:
    """The trials sharing each distinct ``[start, stop)`` of ``period``, as (trials, start,
    stop) in increasing order; trials is an index array, or ``slice(None)`` for all.
    Writing a period block by block touches only its steps (a short loop over onsets)."""
    span = periods[period]
    keys, inverse = np.unique(span, axis=0, return_inverse=True)
    if len(keys) == 1:
        if keys[0, 1] > keys[0, 0]:
            yield slice(None), int(keys[0, 0]), int(keys[0, 1])
        return
    order = np.argsort(inverse.ravel(), kind="stable")
    groups = np.split(order, np.cumsum(np.bincount(inverse.ravel()))[:-1])
    for (start, stop), trials in zip(keys, groups):
        if stop > start:
            yield trials, int(start), int(stop)


def put(inputs: np.ndarray, periods: dict, period: str, channels: slice, values: np.ndarray) -> None:
    """Add per-trial ``values`` (trials, len(channels)) to ``channels`` during ``period``."""
    values = np.asarray(values, np.float32)
    for trials, start, stop in blocks(periods, period):
        inputs[trials, start:stop, channels] += values[trials, None, :]


def signed_draw(rng: np.random.Generator, levels: tuple[float, ...], n: int) -> tuple[np.ndarray, np.ndarray]:
    """``n`` unsigned levels drawn uniformly from ``levels`` and random signs (+-1)."""
    return rng.choice(np.asarray(levels, np.float64), size=n), rng.choice(np.array([-1.0, 1.0]), size=n)


def signed_levels(levels: tuple[float, ...]) -> np.ndarray:
    """The sorted signed values +-level (0 once) of unsigned ``levels``."""
    levels = np.asarray(levels, np.float64)
    return np.unique(np.concatenate([-levels, levels]) + 0.0)  # + 0.0 turns -0.0 into 0.0


def check_levels(name: str, levels: tuple[float, ...]) -> None:
    """Refuse a list of evidence levels without a nonzero one (no trial would have an answer)."""
    if not any(levels):
        raise FlipFlopError(f"{name} must include a nonzero level, got {list(levels)!r}")


def _low(ms: float | tuple[float, float]) -> float:
    return ms[0] if isinstance(ms, tuple) else ms


def _high(ms: float | tuple[float, float]) -> float:
    return ms[1] if isinstance(ms, tuple) else ms


def stimulus_sum(trials: Trials, period: str, channels: slice) -> np.ndarray:
    """The inputs of ``channels`` summed over ``period`` of each trial (trials, channels):
    what an ideal observer of Gaussian evidence integrates."""
    t = np.arange(trials.inputs.shape[1])[None, :]
    span = trials.periods[period]
    on = ((t >= span[:, :1]) & (t < span[:, 1:])).astype(np.float64)
    return np.einsum("nt,ntc->nc", on, trials.inputs[..., channels].astype(np.float64))


def zero_evidence(task: DecisionTask, u: np.ndarray) -> np.ndarray:
    """Input ``u`` with every stimulus channel at 0.5, the zero-coherence value of the tasks
    that encode evidence as 0.5 +- c/200 (perceptual and context DM): where Mante et al.
    looked for the line attractor."""
    u = np.array(u, np.float32, copy=True)
    u[1:1 + len(task.stimulus_channels())] = 0.5
    return u
