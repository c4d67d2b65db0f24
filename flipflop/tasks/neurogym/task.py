"""Any NeuroGym environment as a task: ``neurogym:<EnvId>``, trials from the environment's own.

:func:`task_class` makes (once per environment) a :class:`NeurogymTask` subclass named
``neurogym:<EnvId>``; its parameters are the environment's constructor keyword arguments
(``kwargs``, e.g. ``sigma``, ``dim_ring``, ``dt``), its ``timing`` entries (ms) and the loss
weights. ``--task-param NAME=VALUE`` reaches them as ``sigma=0.5`` or ``timing.stimulus=500``.

Trials (:meth:`NeurogymTask.generate`): a fresh environment, ``env.seed(k)`` with ``k`` the
first word of ``SeedSequence(seed)`` (neurogym's own ``RandomState``, its action space and
its timing distributions are seeded by it), then ``new_trial()`` ``n`` times: the trials are
a function of the seed only. Each trial keeps ``batch_seed`` (``k``) and ``trial_index``, so
that neurogym's rule can make it again (:mod:`flipflop.tasks.neurogym.replay`).
Trials differ in length; every batch is padded at the end (loss weight 0) to the longest
of 1,000 probe trials, plus a quarter where lengths vary (``max_steps``), so that Keras
sees one shape in every epoch.

- inputs: ``env.ob``, one channel per observation index, named from ``ob_space.name``;
- targets: the one-hot ground-truth action ``env.gt`` at every step (outputs are logits,
  one per action, named from ``act_space.name``); the loss is cross-entropy
  (``loss = "cross_entropy"``), as in neurogym's training examples, weighted
  ``fixation_weight`` where the ground truth is fixation (action 0) and ``response_weight``
  where it is another action;
- conditions: ``choice`` (the answer: the ground truth at the first non-fixation step, 0
  when there is none), the scalar entries of ``env.trial`` (ground truth, coherence,
  frequencies...), ``batch_seed``, ``trial_index`` and ``n_steps``;
- periods: the environment's ``start_ind``/``end_ind`` of every period.

Scores (:meth:`NeurogymTask.score`): ``accuracy`` by our rule (every response run of the
ground truth answered by the argmax of the mean action probabilities over it, no
non-fixation action before the first; a trial without a response must fixate throughout),
``neurogym_performance`` by the environment's own ``env.step`` on the network's argmax
actions (for most, the first non-fixation action in the decision period decides), ``mse``
(the masked mean squared error of the action probabilities: the Brier score, which picks
the best epoch) and ``cross_entropy``.
"""
from __future__ import annotations

import dataclasses
import functools
import json
from dataclasses import dataclass
from typing import Any, ClassVar

import numpy as np

from flipflop.errors import FlipFlopError, param
from flipflop.tasks.base import Channel, Task, Trials, check_samples
from flipflop.tasks.neurogym import envs
from flipflop.tasks.neurogym.observer import MIN_SPAN, chance_level, ideal_observer
from flipflop.tasks.neurogym.replay import neurogym_performance, our_correct

SERIES_TRIALS = 256
SERIES_SEED = 20_240


@dataclass(frozen=True)
class NeurogymTask(Task):
    """A NeuroGym environment (see the module); one subclass per environment id."""

    name: ClassVar[str] = "neurogym"
    env_id: ClassVar[str] = ""
    metric: ClassVar[str] = "accuracy"
    loss: ClassVar[str] = "cross_entropy"
    series_name: ClassVar[str] = "series"
    series_label: ClassVar[str] = f"fixed-seed ({SERIES_TRIALS} trials)"

    kwargs: dict = dataclasses.field(default_factory=dict)  # the environment's constructor arguments
    timing: dict = dataclasses.field(default_factory=dict)  # its timing entries, ms
    fixation_weight: float = param(1.0, low=0, help="loss weight of the steps whose ground truth is fixation")
    response_weight: float = param(1.0, low=0, open_low=True,
                                   help="loss weight of the steps whose ground truth is another action")

    # ---------------------------------------------------------------- parameters

    def check(self) -> None:
        known = envs.constructor_parameters(self.env_id)
        for k in self.kwargs:
            if k == "timing":
                raise FlipFlopError(f"{self.name}: give timing entries as timing.NAME=MS, not kwargs.timing")
            if k not in known:
                raise FlipFlopError(f"{self.name} has no parameter {k!r}; its parameters: "
                                    f"{', '.join(sorted(set(known) - {'timing'}))}, timing.<period>")
        if envs.required_parameters(self.env_id, self.kwargs):
            raise FlipFlopError(envs.unsupported(self.env_id, self.kwargs))
        defaults = self._default_timing()
        for k, v in self.timing.items():
            if k not in defaults:
                raise FlipFlopError(f"{self.name} has no period {k!r} in its timing; its periods: {', '.join(defaults)}")
            ok = isinstance(v, (int, float)) and not isinstance(v, bool) and v >= 0
            ok = ok or (isinstance(v, (list, tuple)) and len(v) > 0)
            if not ok:
                raise FlipFlopError(f"{self.name} timing.{k} must be a duration in ms >= 0 (or neurogym's "
                                    f"[distribution, args] list), got {v!r}")
        reason = envs.unsupported(self.env_id, self.env_kwargs())
        if reason:
            raise FlipFlopError(reason)

    @classmethod
    def from_dict(cls, d: dict) -> "NeurogymTask":
        """Parameters back into a task: ``kwargs``/``timing`` dicts (``to_dict``'s form), or flat
        ``NAME=VALUE`` (a constructor argument) and ``timing.PERIOD=MS`` entries."""
        if not isinstance(d, dict):
            raise FlipFlopError(f"{cls.name} task parameters must be a mapping, got {d!r}")
        kwargs, timing, own = dict(d.get("kwargs") or {}), dict(d.get("timing") or {}), {}
        fields = {f.name for f in dataclasses.fields(cls)} - {"kwargs", "timing"}
        for k, v in d.items():
            if k in ("name", "kwargs", "timing"):
                continue
            if k.startswith("timing."):
                timing[k[7:]] = v
            elif k in fields:
                own[k] = v
            else:
                kwargs[k] = v
        return cls(kwargs=kwargs, timing=timing, **own)

    def to_dict(self) -> dict:
        return {"name": self.name, "kwargs": dict(self.kwargs), "timing": dict(self.timing),
                "fixation_weight": self.fixation_weight, "response_weight": self.response_weight}

    def key(self) -> str:
        return json.dumps(self.to_dict(), sort_keys=True, default=str)

    def env_kwargs(self) -> dict:
        kw = dict(self.kwargs)
        if self.timing:
            kw["timing"] = dict(self.timing)
        return kw

    def _default_timing(self) -> dict:
        return dict(_probe(self.env_id, json.dumps(self.kwargs, sort_keys=True, default=str))["timing"])

    @property
    def max_steps(self) -> int:
        """The length every batch is padded to: the trials' length where it is fixed, else 1.25
        times the longest of 1,000 trials of seed 0 (a batch with a longer trial would be as long
        as it). One length keeps Keras' batches one shape across epochs."""
        return int(_probe(self.env_id, json.dumps(self.env_kwargs(), sort_keys=True, default=str))["max_steps"])

    @property
    def dt_ms(self) -> float:
        """The environment's step, ms (its ``dt``)."""
        return float(_probe(self.env_id, json.dumps(self.env_kwargs(), sort_keys=True, default=str))["dt"])

    @property
    def default_target(self) -> tuple[float, float]:  # type: ignore[override]
        """Stop when our accuracy passes 95 % of the way from chance to the reference (the ideal
        observer where one is computed, else 1); the Brier MSE does not bind (1.0). Where
        every trial has one answer (chance within ``MIN_SPAN`` of the reference: when to act is the
        task, e.g. MotorTiming), our accuracy says nothing, and no target stops the training:
        it runs to its epochs or its patience on the validation Brier score."""
        chance, ideal, _ = self.levels()
        ref = 1.0 if ideal is None else ideal
        if ref - chance <= MIN_SPAN:
            return (0.999, 1e-9)
        return (float(min(0.999, chance + 0.95 * (ref - chance))), 1.0)

    def levels(self) -> tuple[float, float | None, float]:
        """On 2,000 trials of seed 0: chance, the ideal observer (None where not computed), and
        the ceiling of neurogym's rule (the ground-truth actions replayed through ``env.step``;
        below 1 where the environment's rule does not credit a right answer, e.g. GoNogo's
        withheld responses)."""
        return _levels(type(self), self.key())

    # ---------------------------------------------------------------- channels

    def input_channels(self) -> tuple[Channel, ...]:
        env = self.env()
        n = int(env.observation_space.shape[0])
        return tuple(Channel(c, f"observation {i} of {self.env_id}") for i, c in
                     enumerate(envs.names(env.observation_space, n, "ob")))

    def output_channels(self) -> tuple[Channel, ...]:
        env = self.env()
        return tuple(Channel(c, f"logit of action {i}" + (" (hold fixation)" if i == 0 else ""))
                     for i, c in enumerate(envs.names(env.action_space, int(env.action_space.n), "action")))

    @classmethod
    def describe(cls) -> dict:
        d = super().describe()
        probe = _probe(cls.env_id, "{}")
        doc = (env_doc(cls.env_id) or "").strip()
        d.update({"summary": doc.splitlines()[0] if doc else cls.env_id, "dt_ms": probe["dt"],
                  "timing_ms": probe["timing"], "loss": cls.loss,
                  "environment_parameters": {k: v for k, v in probe["parameters"].items() if k != "timing"}})
        return d

    # ---------------------------------------------------------------- trials

    def env(self, seed: int | None = None) -> Any:
        return envs.build(self.env_id, self.env_kwargs(), seed)

    def generate(self, n_samples: int, seed: Any = 0) -> Trials:
        check_samples(n_samples)
        word = int(np.random.SeedSequence(seed).generate_state(1, np.uint32)[0])
        env = self.env(word)
        obs, gts, info, spans = [], [], [], []
        for _ in range(n_samples):
            trial = envs.fresh_trial(env, self.env_id)
            obs.append(np.asarray(env.ob, np.float32))
            gts.append(np.asarray(env.gt).astype(np.int64))
            info.append(trial)
            spans.append((dict(env.start_ind), dict(env.end_ind)))
        return self.assemble(obs, gts, info, spans, word)

    def assemble(self, obs: list, gts: list, info: list, spans: list, word: int) -> Trials:
        """Pad the trials of one batch into arrays (see the module)."""
        n, n_steps = len(obs), max(max(len(o) for o in obs), self.max_steps)
        lengths = np.array([len(o) for o in obs], np.int64)
        inputs = np.zeros((n, n_steps, obs[0].shape[-1]), np.float32)
        gt = np.zeros((n, n_steps), np.int64)
        for i, (o, g) in enumerate(zip(obs, gts)):
            inputs[i, :len(o)] = o
            gt[i, :len(g)] = g
        n_actions = self.n_outputs
        targets = np.zeros((n, n_steps, n_actions), np.float32)
        np.put_along_axis(targets, gt[..., None], 1.0, axis=-1)
        inside = np.arange(n_steps)[None, :] < lengths[:, None]
        mask = np.where(gt == 0, np.float32(self.fixation_weight), np.float32(self.response_weight)) * inside
        answering = gt != 0
        first = np.where(answering.any(1), answering.argmax(1), 0)
        conditions = {"choice": np.where(answering.any(1), gt[np.arange(n), first], 0)}
        conditions.update(trial_conditions(info))
        conditions.update({"batch_seed": np.full(n, word, np.int64), "trial_index": np.arange(n), "n_steps": lengths})
        names = list(dict.fromkeys(self.period_names + tuple(k for s, _ in spans for k in s)))
        periods = {p: np.array([[min(s.get(p, 0), L), min(e.get(p, 0), L)] if p in s else [0, 0]
                                for (s, e), L in zip(spans, lengths)], np.int64).reshape(n, 2) for p in names}
        return Trials(inputs, targets, mask.astype(np.float32), conditions, periods)

    def analysis_series(self) -> Trials:
        """``SERIES_TRIALS`` trials of a fixed seed (the environment's own noise)."""
        return self.generate(SERIES_TRIALS, SERIES_SEED)

    # ---------------------------------------------------------------- scores

    def score(self, outputs: np.ndarray, trials: Trials) -> dict:
        outputs = np.asarray(outputs, np.float64)
        if outputs.shape != trials.targets.shape:
            raise FlipFlopError(f"outputs have shape {outputs.shape} but the trials' targets {trials.targets.shape}")
        z = outputs - outputs.max(-1, keepdims=True)
        logp = z - np.log(np.exp(z).sum(-1, keepdims=True))
        w = np.asarray(trials.mask, np.float64)
        brier = np.mean((np.exp(logp) - trials.targets) ** 2, axis=-1)
        ce = -np.sum(logp * trials.targets, axis=-1)
        correct, broke = our_correct(np.exp(logp), trials)
        return {"accuracy": float(np.mean(correct)),
                "neurogym_performance": float(np.mean(neurogym_performance(self, outputs.argmax(-1), trials))),
                "mse": float(np.sum(brier * w) / max(w.sum(), 1e-12)),
                "cross_entropy": float(np.sum(ce * w) / max(w.sum(), 1e-12)),
                "fixation_breaks": float(np.mean(broke))}


def trial_conditions(info: list[dict]) -> dict[str, np.ndarray]:
    """The scalar entries of the trials' ``env.trial`` dicts that every trial has (numbers and
    booleans; strings, arrays and the rest are left out), as per-trial arrays."""
    keys = [k for k in info[0] if all(k in t for t in info)]
    out = {}
    for k in keys:
        values = [t[k] for t in info]
        if all(isinstance(v, (bool, np.bool_)) for v in values):
            out[k] = np.array(values, bool)
        elif all(isinstance(v, (int, float, np.integer, np.floating)) and not isinstance(v, (bool, np.bool_))
                 for v in values):
            a = np.array(values)
            out[k] = a.astype(np.int64) if np.issubdtype(a.dtype, np.integer) else a.astype(np.float64)
    return {k if k != "choice" else "trial_choice": v for k, v in out.items()}


@functools.lru_cache(maxsize=None)
def _probe(env_id: str, kwargs_json: str) -> dict:
    """dt, timing (ms, in words) and constructor parameters of ``env_id`` built with these kwargs."""
    env = envs.build(env_id, json.loads(kwargs_json), seed=0)
    lengths = [0]
    if envs.unsupported(env_id, json.loads(kwargs_json)) is None:
        for _ in range(1000):
            envs.fresh_trial(env, env_id)
            lengths.append(len(env.gt))
    # variable lengths: a quarter more than the longest probe, so that no batch is longer
    longest = max(lengths) if min(lengths[1:] or [0]) == max(lengths) else int(np.ceil(1.25 * max(lengths)))
    params = {k: (v if isinstance(v, (int, float, str, bool, type(None))) else repr(v))
              for k, v in envs.constructor_parameters(env_id).items()}
    return {"dt": float(env.dt), "timing": envs.timing_words(getattr(env, "timing", {}) or {}), "parameters": params,
            "max_steps": longest}


@functools.lru_cache(maxsize=None)
def _levels(cls: type, key: str) -> tuple[float, float | None, float]:
    task = cls.from_dict(json.loads(key))
    trials = task.generate(2000, 0)
    ceiling = float(np.mean(neurogym_performance(task, trials.targets.argmax(-1), trials)))
    return chance_level(trials), ideal_observer(task, trials), ceiling


def env_doc(env_id: str) -> str:
    return envs.env_class(env_id).__doc__ or ""


@functools.lru_cache(maxsize=None)
def task_class(env_id: str) -> type[NeurogymTask]:
    """The task class of environment ``env_id`` (made once): ``neurogym:<env_id>``, its periods
    those of the environment's timing. An unknown id lists the close names."""
    envs.check_id(env_id)
    # an environment whose constructor needs arguments is built only with them: its periods
    # then come from its trials (``assemble`` adds every period a trial has)
    periods = () if envs.required_parameters(env_id) else tuple(_probe(env_id, "{}")["timing"])
    doc = f"NeuroGym's {env_id}: {(env_doc(env_id).strip().splitlines() or [''])[0]}"
    cls = type(f"Neurogym_{env_id.replace('.', '_').replace('-', '_')}", (NeurogymTask,),
               {"name": envs.PREFIX + env_id, "env_id": env_id, "period_names": periods, "__doc__": doc,
                "__module__": __name__, "__qualname__": f"Neurogym_{env_id}"})
    return dataclass(frozen=True)(cls)
