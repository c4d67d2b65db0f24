"""From a run directory to everything its figures and report need: the per-run analysis.

What is computed depends on the run's task: every task gets the recurrent spectrum, the
trajectories on its analysis series and their projection; the flip-flop also gets its cube
geometry (``analysis.flipflop_cube``).
"""
from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np

from flipflop import analysis, runs
from flipflop.fixed_point_search import compute_fixed_points
from flipflop.tasks import Task, Trials


@dataclass
class RunAnalysis:
    """Everything the figures and the report need from one run."""

    label: str
    run: runs.Run
    task: Task
    w_rec: np.ndarray
    spectrum: analysis.Spectrum
    dale_signs: np.ndarray | None
    series: Trials  # the task's analysis series
    outputs: np.ndarray  # (trials, T, outputs) on the series
    hidden: np.ndarray  # (T, units) for a one-trial series (the flip-flop's), else (trials, T, units)
    projection: analysis.Projection  # of every step of the series
    cube: analysis.CubeMetrics | None  # flip-flop runs only
    metrics: dict
    readout: tuple[np.ndarray, np.ndarray]  # (W_out, b) of the linear readout
    fixed_points: object | None = None  # flipflop.fixed_points.FixedPoints
    gate: str = "recurrent"  # the gate block shown as W_rec (GRU: candidate, LSTM: cell)


def analyse_run(path: str | Path, label: str | None = None, fixed_points: bool | str = "cached",
                progress: bool = False) -> RunAnalysis:
    """Load a finished run and compute its spectrum, trajectories and (flip-flop) cube metrics.

    ``fixed_points``: "cached" uses the run's ``fixed_points.npz`` if present; "missing"
    also computes (and caches) it where absent; True always recomputes it; False skips it.
    ``progress`` draws the fixed-point searches' bars on a terminal.
    """
    run = runs.load_run(path)
    label = label or Path(path).name
    task = run.task()
    model = run.model()
    task.check_model(model)
    layer = analysis.recurrent_layer(model)
    w_rec = analysis.recurrent_matrix(model)
    series = task.analysis_series()
    outputs = analysis.outputs(model, series.inputs)
    hidden = analysis.hidden_states(model, series.inputs)
    hidden = hidden[0] if len(series) == 1 else hidden
    projection = analysis.project(hidden.reshape(-1, hidden.shape[-1]))
    cube = analysis.flipflop_cube(task, projection.projected, series) if task.name == "flipflop" else None
    metrics = {**run.metrics, task.series_name: task.score(outputs, series)}
    fps = None
    if fixed_points is True or (fixed_points == "missing" and not run.fixed_points_path.is_file()):
        compute_fixed_points(model, task, run.fixed_points_path, progress=progress)
    if fixed_points in ("cached", "missing", True) and run.fixed_points_path.is_file():
        from flipflop.fixed_points import FixedPoints

        fps = FixedPoints.load(run.fixed_points_path)  # as cached, so a figure never depends on which it was
    w_out, b_out = model.layers[-1].get_weights()[:2]
    return RunAnalysis(label, run, task, w_rec, analysis.spectrum(w_rec),
                       getattr(layer.cell, "dale_signs", None), series, outputs, hidden, projection, cube,
                       metrics, (w_out, b_out), fps, analysis.shown_gate(model))
