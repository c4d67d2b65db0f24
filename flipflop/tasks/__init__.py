"""The task registry: every task the package trains, by name.

A task is one folder here (or one module, for a small one): ``task.py`` holds the
:class:`~flipflop.tasks.base.Task` subclass (the trial generator), ``analysis.py`` its
analysis spec (:mod:`flipflop.tasks.spec`), and ``__init__.py`` imports the class. Adding a
task is that folder, its import below and its name in ``TASKS``; :func:`register` adds a
task defined elsewhere (a user's own) at run time. Configs store a task as its parameters
plus ``"name"``; a config without a name (written before tasks were pluggable) is a
flip-flop, the default task (the first in ``TASKS``).
"""
from __future__ import annotations

from flipflop.errors import FlipFlopError
from flipflop.tasks.base import Channel, Task, Trials, masked_mse, period_mask, sequential_periods
from flipflop.tasks.context_dm import ContextDMTask
from flipflop.tasks.delay_match_sample import DelayMatchSampleTask
from flipflop.tasks.flipflop import FlipFlopTask
from flipflop.tasks.match_category import MatchCategoryTask
from flipflop.tasks.neurogym import PREFIX as NEUROGYM
from flipflop.tasks.parametric_wm import ParametricWMTask
from flipflop.tasks.perceptual_dm import PerceptualDMTask

TASKS: dict[str, type[Task]] = {cls.name: cls for cls in (
    FlipFlopTask, PerceptualDMTask, ContextDMTask, ParametricWMTask, MatchCategoryTask, DelayMatchSampleTask)}
DEFAULT_TASK = next(iter(TASKS))  # the paper's flip-flop


def register(cls: type[Task]) -> type[Task]:
    """Add task class ``cls`` (a :class:`Task` subclass with a ``name``) to ``TASKS``; a
    name that another class holds is an error. Returns ``cls`` (usable as a decorator)."""
    if not (isinstance(cls, type) and issubclass(cls, Task) and cls.name):
        raise FlipFlopError(f"a task is a Task subclass with a name, got {cls!r}")
    if TASKS.get(cls.name, cls) is not cls:
        raise FlipFlopError(f"task name {cls.name!r} is already registered")
    TASKS[cls.name] = cls
    return cls


def task_class(name: str) -> type[Task]:
    """The task class registered as ``name``, or NeuroGym's environment for ``neurogym:<EnvId>``
    (the ``[neurogym]`` extra); an unknown name is a one-line error."""
    if isinstance(name, str) and name.startswith(NEUROGYM):
        from flipflop.tasks.neurogym.task import task_class as neurogym_task

        return neurogym_task(name[len(NEUROGYM):])
    try:
        return TASKS[name]
    except (KeyError, TypeError):
        raise FlipFlopError(f"unknown task {name!r}; choose one of {', '.join(TASKS)}") from None


def expand_task_names(names: "list[str] | tuple[str, ...]") -> list[str]:
    """Task names with ``neurogym:all`` and globs (``neurogym:yang19.*``) expanded into the
    environments they name, those a supervised loss can train (the others are listed, with
    why, by :func:`flipflop.tasks.neurogym.envs.unsupported`)."""
    out: list[str] = []
    for name in names:
        if isinstance(name, str) and name.startswith(NEUROGYM):
            from flipflop.tasks.neurogym.envs import expand, unsupported

            ids = expand(name)
            out += [NEUROGYM + e for e in ids if len(ids) == 1 or unsupported(e) is None]
        else:
            out.append(name)
    return out


def make_task(spec: "dict | Task | str | None" = None) -> Task:
    """A task from its config dict (``{"name": ..., params...}``), its name, or itself."""
    if isinstance(spec, Task):
        return spec
    if spec is None or isinstance(spec, str):
        return task_class(spec or DEFAULT_TASK)()
    if not isinstance(spec, dict):
        raise FlipFlopError(f"a task is given by its name or parameters, got {spec!r}")
    return task_class(spec.get("name", DEFAULT_TASK)).from_dict(spec)


__all__ = ["TASKS", "DEFAULT_TASK", "Channel", "ContextDMTask", "FlipFlopTask", "MatchCategoryTask",
           "ParametricWMTask", "PerceptualDMTask", "Task", "Trials", "expand_task_names", "make_task", "masked_mse", "period_mask",
           "register", "sequential_periods", "task_class"]
