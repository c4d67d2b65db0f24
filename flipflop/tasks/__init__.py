"""The task registry: every task the package trains, by name.

Adding a task: write one module here with a :class:`~flipflop.tasks.base.Task` subclass,
and add one entry to ``TASKS``. Configs store a task as its parameters plus ``"name"``;
a config without a name (written before tasks were pluggable) is a flip-flop.
"""
from __future__ import annotations

from flipflop.errors import FlipFlopError
from flipflop.tasks.base import Channel, Task, Trials, masked_mse, period_mask, sequential_periods
from flipflop.tasks.context_dm import ContextDMTask
from flipflop.tasks.flipflop import FlipFlopTask
from flipflop.tasks.match_category import MatchCategoryTask
from flipflop.tasks.parametric_wm import ParametricWMTask
from flipflop.tasks.perceptual_dm import PerceptualDMTask

TASKS: dict[str, type[Task]] = {
    FlipFlopTask.name: FlipFlopTask,
    PerceptualDMTask.name: PerceptualDMTask,
    ContextDMTask.name: ContextDMTask,
    ParametricWMTask.name: ParametricWMTask,
    MatchCategoryTask.name: MatchCategoryTask,
}
DEFAULT_TASK = FlipFlopTask.name


def task_class(name: str) -> type[Task]:
    """The task class registered as ``name``; an unknown name is a one-line error."""
    try:
        return TASKS[name]
    except (KeyError, TypeError):
        raise FlipFlopError(f"unknown task {name!r}; choose one of {', '.join(TASKS)}") from None


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
           "ParametricWMTask", "PerceptualDMTask", "Task", "Trials", "make_task", "masked_mse", "period_mask",
           "sequential_periods", "task_class"]
