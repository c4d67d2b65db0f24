"""The analysis spec of a task: ``ANALYSIS`` in the ``analysis`` module of its folder, else the
generic one (:data:`flipflop.tasks.default_analysis.DEFAULT`)."""
from __future__ import annotations

import functools
import importlib
import importlib.util

from flipflop.errors import FlipFlopError
from flipflop.tasks.base import Task
from flipflop.tasks.default_analysis import DEFAULT
from flipflop.tasks.spec import TaskAnalysis


@functools.lru_cache(maxsize=None)
def _spec_of(cls: type[Task]) -> TaskAnalysis:
    module = cls.__module__
    if not module.endswith(".task"):  # a task in one module: the generic analysis
        return DEFAULT
    name = module.removesuffix(".task") + ".analysis"
    if importlib.util.find_spec(name) is None:
        return DEFAULT
    spec = getattr(importlib.import_module(name), "ANALYSIS", None)
    if not isinstance(spec, TaskAnalysis):
        raise FlipFlopError(f"{name}.ANALYSIS of the {cls.name} task is not a TaskAnalysis")
    return spec


def analysis_of(task: Task | type[Task]) -> TaskAnalysis:
    """The analysis spec of ``task`` (an instance or its class): the ``ANALYSIS`` of the
    ``analysis`` module beside the module ``task.py`` that defines its class (its folder),
    else the generic one."""
    return _spec_of(task if isinstance(task, type) else type(task))
