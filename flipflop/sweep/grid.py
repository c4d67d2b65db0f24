"""The grid of a sweep: its axes, its points (one training config each) and their run names."""
from __future__ import annotations

import ast
import itertools
import re
from dataclasses import dataclass
from typing import Sequence

from flipflop.errors import FlipFlopError
from flipflop.tasks import DEFAULT_TASK, expand_task_names, make_task, task_class
from flipflop.training.config import TrainConfig

# Grid axes given by their own flags; --set may not set them.
AXES = ("cell", "units", "seed", "recipe", "task")


def parse_list(text: str, name: str) -> tuple[str, ...]:
    """Comma-separated names; an empty list is a one-line error."""
    items = tuple(v.strip() for v in str(text).split(",") if v.strip())
    if not items:
        raise FlipFlopError(f"{name} is empty")
    return items


def _literal(text: str):
    try:
        return ast.literal_eval(text)
    except (ValueError, SyntaxError):
        return text  # a bare word: a string


def parse_setting(text: str) -> tuple[str, tuple]:
    """``NAME=V1,V2,...`` -> (NAME, values). Values are Python literals (numbers, None,
    True, tuples in parentheses) or bare words. ``task.X`` sets a task parameter,
    ``cell.X`` a cell keyword argument (e.g. ``cell.tau_ms`` of the CTRNN)."""
    name, sep, values = str(text).partition("=")
    name = name.strip()
    if not sep or not re.fullmatch(r"[A-Za-z_][\w.]*", name):
        raise FlipFlopError(f"--set {text!r}: expected NAME=VALUE[,VALUE...]")
    if name in AXES:
        raise FlipFlopError(f"--set {name}: use --{name}s for this axis")
    parsed = _literal(f"[{values}]")
    if not isinstance(parsed, list):
        parsed = [_literal(v.strip()) for v in values.split(",") if v.strip()]
    if not parsed:
        raise FlipFlopError(f"--set {name}: no values")
    return name, tuple(tuple(v) if isinstance(v, list) else v for v in parsed)


@dataclass(frozen=True)
class Grid:
    """The axes of a sweep; every combination is one run."""

    cells: tuple[str, ...] = ("simplernn",)
    units: tuple[int, ...] = (400,)
    seeds: tuple[int, ...] = (0,)
    recipes: tuple[str, ...] = ("fast",)
    tasks: tuple[str, ...] = (DEFAULT_TASK,)
    settings: tuple[tuple[str, tuple], ...] = ()  # (parameter, values), in the order given

    def __post_init__(self) -> None:
        object.__setattr__(self, "tasks", tuple(expand_task_names(self.tasks)))  # neurogym:all, globs
        for axis in ("cells", "units", "seeds", "recipes", "tasks"):
            if not getattr(self, axis):
                raise FlipFlopError(f"the grid has no {axis}")
        names = [n for n, _ in self.settings]
        if len(set(names)) != len(names):
            raise FlipFlopError(f"--set given twice for {', '.join(sorted({n for n in names if names.count(n) > 1}))}")

    def to_dict(self) -> dict:
        return {"cells": list(self.cells), "units": list(self.units), "seeds": list(self.seeds),
                "recipes": list(self.recipes), "tasks": list(self.tasks),
                "settings": [[n, [list(v) if isinstance(v, tuple) else v for v in vs]] for n, vs in self.settings]}

    @classmethod
    def from_dict(cls, d: dict) -> "Grid":
        return cls(tuple(d["cells"]), tuple(d["units"]), tuple(d["seeds"]), tuple(d["recipes"]),
                   tuple(d["tasks"]), tuple((n, tuple(tuple(v) if isinstance(v, list) else v for v in vs))
                                            for n, vs in d["settings"]))


@dataclass(frozen=True)
class Point:
    """One grid point: its run name, its parameters (axes and settings) and its config."""

    name: str
    params: dict
    config: TrainConfig


def _slug(value) -> str:
    return re.sub(r"[^A-Za-z0-9.+-]+", "_", str(value)).strip("_") or "_"


def point_name(params: dict, varying: Sequence[str] = ()) -> str:
    """``cell-units``, then ``recipe``, ``task`` and ``name=value`` of each setting in
    ``varying`` (those the grid gives several values), then ``seedS``: e.g.
    ``simplernn-400-seed3`` or ``gru-64-learning_rate=0.003-seed0``."""
    parts = [params["cell"], str(params["units"])]
    parts += [_slug(params[k]) for k in ("recipe", "task") if k in varying]
    parts += [f"{k}={_slug(v)}" for k, v in params.items() if k not in AXES and k in varying]
    return "-".join(parts + [f"seed{params['seed']}"])


def make_config(params: dict) -> TrainConfig:
    """The TrainConfig of one point (validates every parameter)."""
    top, task_params, cell_kwargs = {}, {}, {}
    for key, value in params.items():
        if key.startswith("task."):
            task_params[key[5:]] = value
        elif key.startswith("cell."):
            cell_kwargs[key[5:]] = value
        elif key not in AXES:
            top[key] = value
    task_params = task_class(params["task"]).for_cell(params["cell"], task_params)  # as `flipflop train` does
    task = make_task({"name": params["task"], **task_params}).to_dict()
    return TrainConfig.from_recipe(params["recipe"], cell=params["cell"], units=params["units"],
                                   seed=params["seed"], task=task, cell_kwargs=cell_kwargs or None, **top)


def points(grid: Grid) -> list[Point]:
    """Every combination of the grid, seeds varying fastest; all configs validated."""
    names = [n for n, _ in grid.settings]
    varying = [n for n, vs in grid.settings if len(vs) > 1]
    varying += [k for k, vs in (("recipe", grid.recipes), ("task", grid.tasks)) if len(vs) > 1]
    out: list[Point] = []
    for combo in itertools.product(grid.tasks, grid.recipes, grid.cells, grid.units,
                                   *[vs for _, vs in grid.settings], grid.seeds):
        task, recipe, cell, units, *values, seed = combo
        params = {"cell": cell, "units": units, "seed": seed, "recipe": recipe, "task": task,
                  **dict(zip(names, values))}
        out.append(Point(point_name(params, varying), params, make_config(params)))
    if len({p.name for p in out}) != len(out):
        raise FlipFlopError("two grid points get the same run name; make the --set values distinct")
    return out
