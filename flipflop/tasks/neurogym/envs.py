"""NeuroGym's environments, reached lazily: the one module that imports ``neurogym``.

Nothing here runs at import time. :func:`neurogym` imports the library (and refuses in one
line, naming the ``[neurogym]`` extra, when it is missing); :func:`env_ids` lists the 52
environments (``all_envs()``'s 30 and the 22 of its collections); :func:`build` makes one,
seeded, and :func:`unsupported` says why an environment cannot be trained with a supervised
loss (a continuous action space, no ground truth, a constructor that needs arguments).
"""
from __future__ import annotations

import contextlib
import difflib
import fnmatch
import functools
import inspect
import warnings
from typing import Any

import numpy as np

from flipflop.errors import FlipFlopError

PREFIX = "neurogym:"
EXTRA_HINT = "install the extra: pip install 'flipflop[neurogym]' (see the README's NeuroGym section)"


@functools.lru_cache(maxsize=None)
def neurogym() -> Any:
    """The ``neurogym`` module (imported once, quietly); missing, a one-line error naming the extra."""
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            import neurogym as ngym  # noqa: PLC0415  (the extra, imported only here)
            from neurogym.utils.logging import logger
        logger.remove()  # neurogym's loguru lines would interleave with ours
    except ImportError as e:
        raise FlipFlopError(f"neurogym tasks need the neurogym package ({e.name or e} is missing); {EXTRA_HINT}") from None
    return ngym


def registration() -> Any:
    neurogym()
    from neurogym.envs import registration as reg  # noqa: PLC0415

    return reg


@functools.lru_cache(maxsize=None)
def env_ids() -> tuple[str, ...]:
    """Every environment id: ``all_envs()`` (30) then the collections' (22), each sorted."""
    reg = registration()
    native = reg.all_envs()
    return tuple(native) + tuple(e for e in reg.all_envs(collections=True) if e not in native)


def check_id(env_id: str) -> str:
    """``env_id`` if neurogym has it, else a one-line error listing the close names."""
    ids = env_ids()
    if env_id in ids:
        return env_id
    close = difflib.get_close_matches(env_id, ids, n=5, cutoff=0.5)
    hint = f"; did you mean {', '.join(PREFIX + c for c in close)}?" if close else f"; `flipflop tasks` lists all {len(ids)}"
    raise FlipFlopError(f"unknown neurogym environment {env_id!r}{hint}")


def expand(pattern: str) -> list[str]:
    """The environment ids a sweep's ``neurogym:<glob>`` (or ``neurogym:all``) names, in order."""
    body = pattern.removeprefix(PREFIX)
    if body == "all":
        return list(env_ids())
    if any(ch in body for ch in "*?["):
        hits = [e for e in env_ids() if fnmatch.fnmatchcase(e, body)]
        if not hits:
            raise FlipFlopError(f"no neurogym environment matches {pattern!r}")
        return hits
    return [check_id(body)]


def env_class(env_id: str) -> type:
    reg = registration()
    module, _, name = reg.ALL_EXTENDED_ENVS[check_id(env_id)].partition(":")
    import importlib  # noqa: PLC0415

    return getattr(importlib.import_module(module), name)


def constructor_parameters(env_id: str) -> dict[str, Any]:
    """The keyword arguments of the environment's constructor, with their defaults. A factory
    that passes ``**kwargs`` on (yang19's ``multidm(**kwargs)``) has the parameters of the class
    it makes too, with that class's defaults (the factory may pass other values)."""
    return dict(_constructor_parameters(env_id))


@functools.lru_cache(maxsize=None)
def _constructor_parameters(env_id: str) -> tuple[tuple[str, Any], ...]:
    target = env_class(env_id)
    sig = inspect.signature(target.__init__ if isinstance(target, type) else target)
    out = {n: p.default for n, p in sig.parameters.items()
           if n != "self" and p.kind in (p.POSITIONAL_OR_KEYWORD, p.KEYWORD_ONLY)}
    forwards = any(p.kind is p.VAR_KEYWORD for p in sig.parameters.values())
    if forwards and not any(d is inspect.Parameter.empty for d in out.values()):
        made = type(build(env_id, {}, seed=0))
        for n, p in inspect.signature(made.__init__).parameters.items():
            if n != "self" and p.kind in (p.POSITIONAL_OR_KEYWORD, p.KEYWORD_ONLY):
                out.setdefault(n, p.default)
    return tuple(out.items())


@contextlib.contextmanager
def _unseeded_random_states(seed: int | None):
    """Inside the block, ``np.random.RandomState()`` and ``np.random.default_rng()`` without a
    seed are seeded with ``seed`` (nothing changes for None): an environment's ``rng`` is made
    unseeded in its constructor, and what the constructor draws from it (HierarchicalReasoning's
    first block length, AnnubesEnv's own seed) would otherwise differ from build to build."""
    if seed is None:
        yield
        return
    real, real_generator = np.random.RandomState, np.random.default_rng

    class Seeded(real):  # a subclass, so that isinstance checks still hold
        def __init__(self, s=None):
            super().__init__(seed if s is None else s)

    def seeded_generator(s=None):  # AnnubesEnv draws its own seed from default_rng(None)
        return real_generator(seed if s is None else s)

    np.random.RandomState, np.random.default_rng = Seeded, seeded_generator
    try:
        yield
    finally:
        np.random.RandomState, np.random.default_rng = real, real_generator


def build(env_id: str, kwargs: dict | None = None, seed: int | None = None) -> Any:
    """The unwrapped environment ``env_id`` made with ``kwargs`` (seeded if ``seed``: what its
    constructor draws too); a failure is a one-line error naming the environment and its error."""
    reg = registration()
    check_id(env_id)
    try:
        with warnings.catch_warnings(), _unseeded_random_states(seed):
            warnings.simplefilter("ignore")
            env = reg.make(env_id, **(kwargs or {})).unwrapped
    except Exception as e:  # noqa: BLE001 - any failure of a third-party constructor
        raise FlipFlopError(f"neurogym environment {env_id} failed to build: {type(e).__name__}: "
                            f"{str(e).splitlines()[0] if str(e) else ''}".rstrip(": ")) from None
    if seed is not None:
        env.seed(int(seed))
    return env


def new_trial(env: Any, env_id: str) -> dict:
    """One trial of ``env`` (its ``trial`` dict); a failure names the environment and its error."""
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            trial = env.new_trial()
    except Exception as e:  # noqa: BLE001
        raise FlipFlopError(f"neurogym environment {env_id} failed to make a trial: {type(e).__name__}: {e}") from None
    return trial or {}


def fresh_trial(env: Any, env_id: str) -> dict:
    """The environment's next trial, its period tables cleared first (a period of the previous
    trial would otherwise linger in ``start_ind``)."""
    for d in (env.start_t, env.end_t, env.start_ind, env.end_ind):
        d.clear()
    return new_trial(env, env_id)


def required_parameters(env_id: str, kwargs: dict | None = None) -> list[str]:
    """The constructor arguments of ``env_id`` that have no default and are not in ``kwargs``."""
    return [n for n, d in constructor_parameters(env_id).items()
            if d is inspect.Parameter.empty and n not in (kwargs or {})]


def unsupported(env_id: str, kwargs: dict | None = None) -> str | None:
    """Why ``env_id`` cannot be trained with a supervised loss, or None when it can."""
    missing = required_parameters(env_id, kwargs)
    if missing:
        return (f"{env_id}'s constructor needs {', '.join(missing)}, which have no defaults: give "
                f"{' and '.join(f'--task-param {m}=JSON' for m in missing)}")
    try:
        env = build(env_id, kwargs, seed=0)
    except FlipFlopError as e:
        return str(e)
    space = env.action_space
    if not hasattr(space, "n"):
        return (f"{env_id} has a continuous action space ({type(space).__name__}{tuple(space.shape or ())}); "
                "the adapter trains discrete actions with cross-entropy")
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            env.new_trial()
    except Exception as e:  # noqa: BLE001
        return f"neurogym environment {env_id} failed to make a trial: {type(e).__name__}: {e}"
    if not getattr(env, "_gt_built", False) or not hasattr(env, "gt") or not hasattr(env, "ob"):
        return (f"{env_id} is not a supervised environment: its trials set no ground truth "
                "(a reinforcement-learning task, rewarded only through env.step)")
    if np.asarray(env.gt).ndim != 1:
        return f"{env_id}'s ground truth is not one action per step (shape {np.shape(env.gt)})"
    top = int(np.max(env.gt))
    for _ in range(20):
        env.new_trial()
        top = max(top, int(np.max(env.gt)))
    if top >= env.action_space.n:
        return (f"{env_id}'s ground truth is not an action (values up to {top} for {env.action_space.n} actions): "
                "it is a target the agent reaches in closed loop, not an answer to imitate")
    return None


def names(space: Any, size: int, stem: str) -> list[str]:
    """One name per index of an observation or action space, from its ``name`` dict
    (``{"fixation": 0, "stimulus": [1, 2]}`` -> fixation, stimulus 1, stimulus 2)."""
    out = [f"{stem} {k}" for k in range(size)]
    for key, where in (getattr(space, "name", None) or {}).items():
        idx = [where] if np.ndim(where) == 0 else list(where)
        for j, i in enumerate(idx):
            if 0 <= int(i) < size:
                out[int(i)] = key if len(idx) == 1 else f"{key} {j + 1}"
    return out


def timing_words(timing: dict) -> dict[str, Any]:
    """The environment's timing (ms) as JSON-able values: a number, a list, a distribution."""
    out: dict[str, Any] = {}
    for k, v in timing.items():
        if isinstance(v, (int, float, np.integer, np.floating)):
            out[k] = float(v)
        elif isinstance(v, (list, tuple)):
            out[k] = [x if isinstance(x, str) else (list(x) if isinstance(x, (list, tuple)) else float(x)) for x in v]
        else:
            out[k] = type(v).__name__ if not callable(v) or isinstance(v, type) else "a function of the trial"
            args = getattr(v, "vmean", None)
            if args is not None:
                out[k] = f"truncated exponential (mean {float(v.vmean):g}, min {float(getattr(v, 'vmin', 0)):g}, "\
                         f"max {float(getattr(v, 'vmax', np.inf)):g})"
    return out
