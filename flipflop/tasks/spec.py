"""The analysis spec: what a task declares about analysing networks trained on it.

A task's folder holds its trial generator (``task.py``) and, in ``analysis.py``, one
:class:`TaskAnalysis` named ``ANALYSIS``: a declarative object, like the cell registry's
``CellSpec``. It says

- what behaviour to measure on fresh trials (``behaviour``), and the task's bars (``bars``);
- where to look for fixed points (``fixed_points``: the period whose mean input is held,
  per context) and what to decode at them (``decoded``);
- the sections of its REPORT (``sections``);
- its figures (``figures``: functions of the analysed runs that return a ``Figure``).

A task without an ``analysis`` module gets the generic one
(:data:`flipflop.tasks.default_analysis.DEFAULT`): behaviour from its ``score``, the
spectrum, condition-averaged trajectories in PCA space, and fixed points at each period's
mean input. The one driver (:mod:`flipflop.reports`) reads the spec; nothing outside the
task's folder knows the task.

This module holds only the declarations and the records the driver hands to a spec's
functions (:class:`RunAnalysis`, :class:`FixedPointSet`); it imports no analysis code.
"""
from __future__ import annotations

import dataclasses
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Callable, Literal, Sequence

import numpy as np

if TYPE_CHECKING:  # types only: the records are filled by flipflop.reports
    from matplotlib.figure import Figure

    from flipflop.tasks.base import Task, Trials

# The fresh trials on which a spec's behaviour is measured by default (``flipflop evaluate``, the
# REPORT): none is a training, validation or held-out trial (training used seeds
# [seed, 1, epoch], validation [seed, 2], held-out seed + 10000).
EVALUATION_TRIALS = 4000
EVALUATION_SEED = 777

# How a report treats fixed points: "never" skips them; "cached" uses those cached in the
# run; "missing" also computes (and caches) those not cached; "always" recomputes them.
FixedPointMode = Literal["never", "cached", "missing", "always"]
FIXED_POINT_MODES: tuple[str, ...] = ("never", "cached", "missing", "always")


@dataclass(frozen=True)
class FixedPointInput:
    """Where to look for fixed points: the constant input held during the search.

    ``period``: the mean noise-free input of this period of the analysis series (None: zero
    input). ``trials``: which series trials it is read from, a function of the series'
    conditions returning a boolean mask; the first selected trial is used (None: the mean
    over every trial). ``adjust(task, u)`` edits the input afterwards (e.g. zero evidence).
    ``tag`` names the run's cache file, ``fixed_points_<tag>.npz`` (None:
    ``fixed_points.npz``, the file ``flipflop fixed-points`` writes).
    """

    tag: str | None
    period: str | None = None
    trials: Callable[[dict], np.ndarray] | None = None
    adjust: Callable[["Task", np.ndarray], np.ndarray] | None = None

    @property
    def label(self) -> str:
        """How reports name it: ``motion context``, ``delay``, ``zero input``."""
        return self.tag.replace("_", " ") if self.tag else "zero input"


@dataclass(frozen=True)
class Decoded:
    """The task variable read at the fixed points: condition ``condition`` of the analysis
    series, described in reports as ``says``, in ``unit``."""

    condition: str
    says: str = ""
    unit: str = ""

    @property
    def words(self) -> str:
        return self.says or self.condition


@dataclass(frozen=True)
class Colouring:
    """How trajectory figures colour conditions: by series condition ``condition``, its
    colour bar labelled ``label``; ``circular`` for an angle in deg (0 and 359 alike)."""

    condition: str
    label: str = ""
    circular: bool = False


@dataclass(frozen=True)
class Generalisation:
    """One condition a network never trained on: ``task`` (a variant of the trained task),
    named ``name`` within ``group`` ("conditions", "delays", "timing"...)."""

    group: str
    name: str
    task: "Task"


@dataclass(frozen=True)
class FigureSpec:
    """One figure of a task's set.

    ``scope``: "set" draws one figure from all runs, ``draw(analyses, reference)`` (the
    reference is None unless ``reference``), saved as ``stem``; "main" draws
    ``draw(analysis)`` for the first run (and for the reference run too when
    ``reference``), "each" for every run (and the reference when ``reference``), saved as
    ``<stem>_<run label>``. ``draw`` may return None: nothing to draw for that run.
    ``caption`` says what it shows, in the REPORT's list of figure files.
    """

    stem: str
    draw: Callable[..., "Figure | None"]
    scope: Literal["set", "main", "each"] = "main"
    reference: bool = False
    caption: str = ""


@dataclass
class FixedPointSet:
    """The fixed points found at one :class:`FixedPointInput` of a run.

    ``result`` is the finder's :class:`~flipflop.dynamics.result.FixedPoints` (fixed points
    only), ``points`` their recurrent-state part (K, units), ``input`` the held input. For
    an input read from a period, the driver adds each point's slow mode (the eigenvalue
    closest to 1 and its eigenvector), the decoded task variable (and the decoder's R²), and ``end_speed``: the
    median relative speed |F(h, u) - h| / |h| of the series' states at the period's end.
    """

    where: FixedPointInput
    trial: int | None
    input: np.ndarray
    result: Any
    points: np.ndarray
    stable: np.ndarray
    slow_values: np.ndarray | None = None
    slow_vectors: np.ndarray | None = None
    decoded: np.ndarray | None = None
    decoded_r2: float = float("nan")  # the decoder's R² on the period's end states
    end_speed: float = float("nan")


@dataclass
class RunAnalysis:
    """Everything a task's figures and REPORT sections get about one run (filled by
    :func:`flipflop.reports.analyse.analyse_run`).

    Arrays: ``w_rec`` (units, units), the recurrent matrix shown (Keras' ``h @ W``
    orientation); ``series`` the task's analysis series, ``outputs`` (trials, T, outputs),
    ``hidden`` (trials, T, units) and the flat recurrent ``states`` (trials, T, n_state)
    on it. ``metrics``: the run's ``metrics.json`` with
    the series' scores measured again. ``evaluation``: behaviour and bars on fresh trials
    (None when the spec measures none). ``extras``: what the spec's ``analyse`` adds.
    """

    label: str
    run: Any  # flipflop.runs.Run
    task: "Task"
    spec: "TaskAnalysis"
    model: Any
    w_rec: np.ndarray
    spectrum: Any  # flipflop.analysis.weights.Spectrum
    dale_signs: np.ndarray | None
    gate: str
    readout: tuple[np.ndarray, np.ndarray]
    series: "Trials"
    outputs: np.ndarray
    hidden: np.ndarray
    states: np.ndarray
    metrics: dict
    evaluation: dict | None = None
    fixed_points: list[FixedPointSet] = field(default_factory=list)
    extras: dict = field(default_factory=dict)
    mechanisms: dict | None = None  # the spec's mechanism measures (cached in the run)

    def fixed_points_at(self, tag: str | None) -> FixedPointSet | None:
        """The fixed-point set of input ``tag``, or None if it was not searched or cached."""
        return next((f for f in self.fixed_points if f.where.tag == tag), None)


Sections = Callable[[Sequence[RunAnalysis], "RunAnalysis | None", Sequence[str]], list]


@dataclass(frozen=True)
class TaskAnalysis:
    """A task's analysis spec (see the module docstring). Every field has a working default,
    so a spec states only what its task adds; build one with ``dataclasses.replace`` from
    :data:`flipflop.tasks.default_analysis.DEFAULT`.

    - ``behaviour(task, outputs, trials) -> dict``: behaviour beyond ``task.score``
      (psychometric curves, accuracy by condition), JSON-able.
    - ``bars(task, outputs, trials, behaviour) -> list[dict]``: the task's bars, each
      ``{"name", "value", "rule", "met"}`` (:func:`flipflop.analysis.behaviour.bar`).
    - ``describe(evaluation) -> list[str]``: lines that ``flipflop evaluate`` prints about
      the behaviour.
    - ``fresh_evaluation``: measure behaviour and bars on ``evaluation_trials`` fresh trials
      (seed ``EVALUATION_SEED``) for the REPORT.
    - ``fixed_points``: the inputs to search at, or a function of the task giving them;
      ``fixed_point_starts`` starts per search; ``decoded``: the variable read at them
      (None: the series' ``choice``, else its first condition).
    - ``colour_by``: how trajectory figures colour conditions (:class:`Colouring`; None: by
      the first condition that varies over the series).
    - ``analyse(analysis) -> dict``: per-run extras for the figures and sections.
    - ``mechanisms(analysis) -> dict``: the measures of the task's mechanism (slow-point
      manifolds, selection vectors, attractors, integration), JSON-able, computed when fixed
      points are (and cached in the run beside them); ``mechanism_trials`` fresh trials per
      measure, ``mechanism_iters`` iterations per slow-point search.
    - ``generalisation(task) -> (Generalisation, ...)``: conditions between and beyond the
      trained ones, longer delays and NeuroGym's timing, for ``flipflop evaluate --generalise``.
    - ``figures``: :class:`FigureSpec` s; ``sections(analyses, reference, files)``: the
      REPORT's Markdown lines after its first line; ``intro(analyses)``: what the first
      line says after "Generated by ...".
    - ``population(analysis) -> dict``: per-run columns of ``flipflop sweep-report``;
      ``population_quantities``: their names in words (strip plots); ``comparison(analysis)
      -> (group, points) | None``: corresponding points of runs of one group, compared by
      Procrustes distance; ``population_summary(rows) -> list[str]``: POPULATION.md lines
      on one condition's finished runs; ``population_intro``: a sentence its header adds.
    """

    title: str = ""
    behaviour: Callable[..., dict] | None = None
    bars: Callable[..., list] | None = None
    describe: Callable[[dict], list] | None = None
    fresh_evaluation: bool = True
    evaluation_trials: int = EVALUATION_TRIALS
    fixed_points: "tuple[FixedPointInput, ...] | Callable[[Task], tuple[FixedPointInput, ...]]" = ()
    fixed_point_starts: int = 256
    decoded: Decoded | None = None
    colour_by: Colouring | None = None
    analyse: Callable[[RunAnalysis], dict] | None = None
    mechanisms: Callable[[RunAnalysis], dict] | None = None
    mechanism_trials: int = 400
    mechanism_iters: int = 3000  # iterations of each slow-point search
    generalisation: "Callable[[Task], tuple[Generalisation, ...]] | None" = None
    figures: tuple[FigureSpec, ...] = ()
    sections: Sections | None = None
    intro: Callable[[Sequence[RunAnalysis]], str] | None = None
    population: Callable[[RunAnalysis], dict] | None = None
    population_quantities: dict = field(default_factory=dict)
    comparison: Callable[[RunAnalysis], "tuple[str, np.ndarray] | None"] | None = None
    population_summary: Callable[[list], list] | None = None
    population_intro: str = ""

    def inputs(self, task: "Task") -> tuple[FixedPointInput, ...]:
        """The fixed-point inputs of ``task``."""
        return tuple(self.fixed_points(task) if callable(self.fixed_points) else self.fixed_points)

    def stale_patterns(self) -> list[str]:
        """File-name patterns of every figure this spec draws, in any format, and its REPORT."""
        stems = [f.stem if f.scope == "set" else f"{f.stem}_*" for f in self.figures]
        return [f"{s}.{ext}" for s in stems for ext in ("png", "pdf", "svg")] + ["REPORT.md"]

    def replace(self, **changes: Any) -> "TaskAnalysis":
        """A copy with ``changes`` (``dataclasses.replace``)."""
        return dataclasses.replace(self, **changes)
