"""NeuroGym's environments as ``flipflop tasks`` lists them: timing (ms), dt, observation
channels and action meanings (from ``ob_space.name`` / ``act_space.name``), or why one is
refused. Empty (and a note) when the ``[neurogym]`` extra is not installed."""
from __future__ import annotations

import importlib.util

from flipflop.errors import FlipFlopError
from flipflop.tasks.neurogym import envs


def installed() -> bool:
    return importlib.util.find_spec("neurogym") is not None


def describe(env_id: str) -> dict:
    """One environment: its task's ``describe()`` (timing, dt, channels, actions), or its refusal."""
    from flipflop.tasks.neurogym.task import task_class

    reason = envs.unsupported(env_id)
    if reason:
        return {"name": envs.PREFIX + env_id, "supported": False, "reason": reason}
    try:
        return {**task_class(env_id).describe(), "supported": True}
    except FlipFlopError as e:
        return {"name": envs.PREFIX + env_id, "supported": False, "reason": str(e)}


def describe_all() -> list[dict]:
    """Every environment (``all_envs()`` then the collections'), described or refused."""
    return [describe(e) for e in envs.env_ids()]


def lines(d: dict) -> list[str]:
    """What ``flipflop tasks`` prints for one environment."""
    if not d["supported"]:
        return [f"{d['name']}: refused: {d['reason']}", ""]
    timing = ", ".join(f"{k} {v:g}" if isinstance(v, float) else f"{k} {v}" for k, v in d["timing_ms"].items())
    return [f"{d['name']}: {d['summary']}  (dt {d['dt_ms']:g} ms; loss {d['loss']})",
            f"  timing (ms): {timing}",
            "  observations: " + ", ".join(c["name"] for c in d["inputs"]),
            "  actions: " + ", ".join(f"{i} {c['name']}" for i, c in enumerate(d["outputs"])),
            "  parameters: " + ", ".join(f"{k}={v}" for k, v in d["environment_parameters"].items())
            + "; timing.<period>=MS; " + ", ".join(f"{p['name']}={p['default']}" for p in d["parameters"]), ""]
