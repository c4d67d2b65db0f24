"""flipflop: train and analyse recurrent networks on the tasks of systems neuroscience, with Keras 3.

Reproduces C. Jarne, "Exploring Flip Flop memories and beyond" (2024), and goes beyond it.
The public API, each name loaded when first used (importing the package imports no
TensorFlow)::

    import flipflop

    task = flipflop.make_task(name)                             # a task of flipflop.TASKS, by name
    config = flipflop.TrainConfig.from_recipe("fast", cell="ctrnn", units=100,
                                              task=task.to_dict(), cell_kwargs={"dale_ratio": 0.8})
    flipflop.train(config, "runs/pdm")                          # a run directory, resumable
    run = flipflop.load_run("runs/pdm")                         # config, metrics, history, model()
    flipflop.evaluate("runs/pdm")                               # behaviour and bars on fresh trials
    flipflop.search_fixed_points("runs/pdm", period="stimulus")  # cached in the run
    a = flipflop.analyse("runs/pdm")                            # spectra, trajectories, fixed points
    flipflop.draw_figures(["runs/pdm"], "figures/pdm")          # the task's figures and REPORT.md
    flipflop.reproduce()                                        # the paper, end to end

``find_fixed_points(model, ...)`` is the finder on any Keras RNN; ``register_task`` adds a
task of your own, ``analysis_of`` gives a task's analysis spec, and
``draw_figure(analyses, "fig4_spectra")`` one figure of ``draw_figures`` (for a notebook).
"""
from __future__ import annotations

import importlib
from typing import Any

__version__ = "0.1.0"

# public name -> (module, attribute)
_API = {
    "make_task": ("flipflop.tasks", "make_task"),
    "register_task": ("flipflop.tasks", "register"),
    "TASKS": ("flipflop.tasks", "TASKS"),
    "TrainConfig": ("flipflop.training.config", "TrainConfig"),
    "train": ("flipflop.training.loop", "train"),
    "load_run": ("flipflop.runs.format", "load_run"),
    "evaluate": ("flipflop.reports.evaluate", "evaluate_run"),
    "find_fixed_points": ("flipflop.dynamics.finder", "find_fixed_points"),
    "search_fixed_points": ("flipflop.dynamics.search", "search_fixed_points"),
    "analyse": ("flipflop.reports.analyse", "analyse_run"),
    "analysis_of": ("flipflop.reports.specs", "analysis_of"),
    "draw_figures": ("flipflop.reports.driver", "draw_figures"),
    "draw_figure": ("flipflop.reports.draw", "draw_figure"),
    "reproduce": ("flipflop.experiments.reproduce", "reproduce"),
}

__all__ = ["__version__", *_API]


def __getattr__(name: str) -> Any:
    if name in _API:
        module, attribute = _API[name]
        return getattr(importlib.import_module(module), attribute)
    raise AttributeError(f"module 'flipflop' has no attribute {name!r}")


def __dir__() -> list[str]:
    return sorted(__all__)
