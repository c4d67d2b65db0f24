"""From a run directory to everything its task's figures and REPORT need (one driver for every task).

:func:`analyse_run` loads the run and computes what every task gets (the recurrent matrix
and its spectrum, the network on the task's analysis series), then what the task's spec
(:func:`flipflop.reports.specs.analysis_of`) asks for: behaviour and bars on fresh trials,
the fixed points at each of its inputs (cached in the run), and its own extras.
"""
from __future__ import annotations

from pathlib import Path

import numpy as np

from flipflop import runs
from flipflop.analysis.activity import decode_points, outputs
from flipflop.analysis.weights import recurrent_matrix, shown_gate, spectrum
from flipflop.dynamics.linear import jacobians, slow_modes
from flipflop.dynamics.result import FixedPoints
from flipflop.dynamics.search import compute_fixed_points, period_input
from flipflop.dynamics.step import recurrent_step, simulate, step_function
from flipflop.errors import Constraint, FlipFlopError, validate_params
from flipflop.models.build import recurrent_layer
from flipflop.reports.evaluate import evaluate_model
from flipflop.reports.specs import analysis_of
from flipflop.tasks import Task, Trials
from flipflop.tasks.default_analysis import decoded
from flipflop.tasks.spec import FIXED_POINT_MODES, FixedPointInput, FixedPointMode, FixedPointSet, RunAnalysis

MODE = Constraint("choice", choices=FIXED_POINT_MODES)


def resolve_input(task: Task, series: Trials, where: FixedPointInput) -> tuple[int | None, np.ndarray | None]:
    """(series trial, constant input) of a fixed-point input on the task's analysis
    ``series``; the input is None for zero input."""
    if where.period is None:
        return None, None
    trial = None
    if where.trials is not None:
        index = np.flatnonzero(where.trials(series.conditions))
        if not len(index):
            raise FlipFlopError(f"the {task.name} analysis series has no trial for fixed points {where.tag!r}")
        trial = int(index[0])
    u = period_input(task, where.period, trial, series)
    return trial, (where.adjust(task, u) if where.adjust is not None else u)


def fixed_point_set(a: RunAnalysis, where: FixedPointInput, trial: int | None, u: np.ndarray | None,
                    fps: FixedPoints | None) -> FixedPointSet:
    """The record of the fixed points ``fps`` (None: the search found none) at ``where``; for a
    period's input, with each point's slow mode, the decoded variable and the states' speed."""
    n = a.hidden.shape[-1]
    held = np.zeros(a.task.n_inputs, np.float32) if u is None else u
    points = np.zeros((0, n)) if fps is None else fps.points[:, :n]
    f = FixedPointSet(where, trial, held, fps, points, np.zeros(0, bool) if fps is None else fps.n_unstable == 0)
    if where.period is None:
        return f
    if len(points):
        f.slow_values, vectors = slow_modes(jacobians(step_function(a.model), fps.points, held))
        f.slow_vectors = vectors[:, :n]
    else:
        f.slow_values, f.slow_vectors = np.zeros(0, complex), np.zeros((0, n))
    stop = a.series.periods[where.period][:, 1] - 1
    ends, end_states = a.hidden[np.arange(len(stop)), stop], a.states[np.arange(len(stop)), stop]
    by = np.asarray(a.series.conditions[decoded(a).condition], np.float64)
    f.decoded, f.decoded_r2 = decode_points(ends, by, points) if len(points) else (np.zeros(0), float("nan"))
    moved = recurrent_step(a.model, end_states, held)[:, :n] - ends
    f.end_speed = float(np.median(np.linalg.norm(moved, axis=1) / np.maximum(np.linalg.norm(ends, axis=1), 1e-12)))
    return f


def fixed_point_sets(a: RunAnalysis, mode: FixedPointMode, progress: bool = False) -> list[FixedPointSet]:
    """The fixed points at each of the spec's inputs: cached ones read back ("cached"), missing
    ones also searched for and cached ("missing"), all searched again ("always"), or none
    ("never"). A search that finds no point gives an empty set, and no cache."""
    out = []
    if mode == "never":
        return out
    for where in a.spec.inputs(a.task):
        trial, u = resolve_input(a.task, a.series, where)
        cache = a.run.fixed_points_at(where.tag)
        if mode == "always" or (mode == "missing" and not cache.is_file()):
            try:
                compute_fixed_points(a.model, a.task, cache, n_init=a.spec.fixed_point_starts, constant_input=u,
                                     progress=progress)
            except FlipFlopError:  # none converged: reported as none found
                out.append(fixed_point_set(a, where, trial, u, None))
                continue
        if cache.is_file():  # always as cached, so a figure never depends on which it was
            out.append(fixed_point_set(a, where, trial, u, FixedPoints.load(cache).fixed_only()))
    return out


def mechanisms(a: RunAnalysis, mode: FixedPointMode) -> dict | None:
    """The spec's mechanism measures, following the fixed points' ``mode``: read from the run's
    cache ("cached"), computed when missing ("missing") or always ("always"), or none ("never")."""
    if a.spec.mechanisms is None or mode == "never":
        return None
    cache = a.run.mechanisms_path
    if mode == "always" or (mode == "missing" and not cache.is_file()):
        runs.write_json(cache, a.spec.mechanisms(a))
    return runs.read_json(cache) if cache.is_file() else None


@validate_params(fixed_points=MODE)
def analyse_run(path: str | Path, label: str | None = None, fixed_points: FixedPointMode = "cached",
                progress: bool = False) -> RunAnalysis:
    """Load a finished run and analyse it as its task's spec says (see the module docstring).

    ``fixed_points``: "cached" uses the run's cached fixed points; "missing" also computes
    (and caches) those not cached; "always" recomputes them; "never" skips them.
    ``progress`` draws the fixed-point searches' bars on a terminal.
    """
    run = runs.load_run(path)
    task = run.task()
    spec = analysis_of(task)
    model = run.model()
    task.check_model(model)
    series = task.analysis_series()
    outs = outputs(model, series.inputs)
    hidden, states = simulate(model, series.inputs)
    w_rec = recurrent_matrix(model)
    w_out, b_out = model.layers[-1].get_weights()[:2]
    a = RunAnalysis(label or Path(path).name, run, task, spec, model, w_rec, spectrum(w_rec),
                    getattr(recurrent_layer(model).cell, "dale_signs", None), shown_gate(model), (w_out, b_out),
                    series, outs, hidden, states, {**run.metrics, task.series_name: task.score(outs, series)})
    if spec.fresh_evaluation:
        a.evaluation = evaluate_model(model, task, spec.evaluation_trials, spec=spec)
    a.fixed_points = fixed_point_sets(a, fixed_points, progress)
    a.mechanisms = mechanisms(a, fixed_points)
    if spec.analyse is not None:
        a.extras = spec.analyse(a)
    return a
