"""What ``flipflop compare`` reads from each run, once: its states on shared trials, its
spectra, and the per-network fits that the pairwise metrics compare.

All runs must be of one task with the same input and output widths (a one-line refusal
otherwise). They see the same trials: fresh noisy trials of the task at the coarsest step
(``dt_ms``) among the runs; a run with a finer step gets each input step repeated
``dt_coarse / dt`` times (the ratio must be an integer), and its states are read at the
end of each coarse step. The states compared are the recurrent layer's outputs (h; for
the LSTM, not c).
"""
from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Sequence

import numpy as np

from flipflop import runs
from flipflop.analysis.compare import condition_means
from flipflop.analysis.compare_states import VARIANCE_KEPT, n_directions, orthonormal_basis, top_directions
from flipflop.errors import FlipFlopError

N_TRIALS = 64          # shared trials per comparison
TRIALS_SEED = 24_024   # their seed (never a training or validation seed)
TRAIN_FRACTION = 0.75  # trials that fit the cross-prediction maps and choose DSA's delays
MAX_STATE_DIMS = 50    # principal components kept for cross-prediction (99 % of the variance, at most this)


@dataclass
class RunFeatures:
    """One run, as the comparison sees it (small arrays only; what the pairwise work gets)."""

    name: str
    path: str
    labels: dict                     # cell, units, recipe, seed
    means: np.ndarray                # condition-averaged states (C, units)
    reduced: np.ndarray              # SVCCA's top directions, an orthonormal basis (samples, k)
    principal: np.ndarray            # principal components for cross-prediction (samples, <= 50)
    eigenvalues: np.ndarray          # of the trained W_rec (the shown gate block)
    jacobian_eigenvalues: np.ndarray | None  # slowest of each fixed point's Jacobian, pooled; None: not cached
    operator: np.ndarray | None = None       # DSA's fitted operator (rank, rank)
    notes: list[str] = field(default_factory=list)


@dataclass(frozen=True)
class Shared:
    """What every run shares: the trials' targets on the common grid, its step, the split."""

    task: str
    dt_ms: float
    targets: np.ndarray      # (K, T, n_out)
    conditions: list
    train: np.ndarray        # (K * T,) bool: the samples of the training trials
    n_train_trials: int


def _label(run: runs.Run, path: Path) -> dict:
    train = run.config.get("train") if isinstance(run.config.get("train"), dict) else {}
    cell, source = run.config.get("cell", train.get("cell", "?")), run.config.get("source", "trained")
    return {"cell": cell, "units": run.config.get("units", train.get("units")),
            "recipe": train.get("recipe", source), "seed": train.get("seed"),
            "group": cell if source == "trained" else f"{cell} ({source})"}


def check_compatible(paths: Sequence[str | Path]) -> list[runs.Run]:
    """The runs, loaded, if they are at least two of one task with equal input and output
    widths and steps in integer ratios; else a one-line FlipFlopError naming the odd one."""
    if len(paths) < 2:
        raise FlipFlopError(f"compare needs at least two runs, got {len(paths)}")
    if len({Path(p).resolve() for p in paths}) < len(paths):
        raise FlipFlopError("a run is given twice")
    loaded = [runs.load_run(p) for p in paths]
    first = loaded[0].task()
    for p, run in zip(paths, loaded):
        task = run.task()
        if task.name != first.name:
            raise FlipFlopError(f"{p} is a run of the {task.name} task, {paths[0]} of {first.name}: "
                                "compare runs of one task")
        if (task.n_inputs, task.n_outputs) != (first.n_inputs, first.n_outputs):
            raise FlipFlopError(f"{p} has {task.n_inputs} inputs and {task.n_outputs} outputs, {paths[0]} "
                                f"{first.n_inputs} and {first.n_outputs}: compare runs of one output width")
    coarse = max(r.task().dt_ms for r in loaded)
    for p, run in zip(paths, loaded):
        ratio = coarse / run.task().dt_ms
        if abs(ratio - round(ratio)) > 1e-6:
            raise FlipFlopError(f"{p} steps {run.task().dt_ms:g} ms, which does not divide the coarsest "
                                f"step {coarse:g} ms: no common time grid")
    return loaded


def shared_trials(loaded: Sequence[runs.Run], n_trials: int = N_TRIALS, seed: int = TRIALS_SEED):
    """The shared trials (at the coarsest step among the runs) and their :class:`Shared`."""
    task = max((r.task() for r in loaded), key=lambda t: t.dt_ms)
    trials = task.generate(n_trials, seed)
    n_train = max(1, min(n_trials - 1, int(round(TRAIN_FRACTION * n_trials))))
    steps = trials.targets.shape[1]
    train = np.repeat(np.arange(n_trials) < n_train, steps)
    means_of = condition_means(np.zeros((*trials.targets.shape[:2], 1)), trials.targets)[1]
    return trials, Shared(task.name, float(task.dt_ms), trials.targets, means_of, train, n_train)


def states_on_grid(model, inputs: np.ndarray, ratio: int) -> np.ndarray:
    """The recurrent layer's outputs (K, T, units) for coarse-grid ``inputs`` (K, T, n_in),
    each step held ``ratio`` steps, read at the end of each coarse step."""
    from flipflop.dynamics.step import simulate

    fine = np.repeat(np.asarray(inputs, np.float32), ratio, axis=1)
    return simulate(model, fine)[0][:, ratio - 1::ratio]


def jacobian_spectrum(run: runs.Run, compute: bool) -> np.ndarray | None:
    """The pooled slow eigenvalues of the Jacobians at the run's fixed points (zero input),
    from its cache; searched first when ``compute``; None when neither."""
    from flipflop.analysis.compare_dynamics import slow_eigenvalues
    from flipflop.dynamics.result import FixedPoints

    if not run.fixed_points_path.is_file():
        if not compute:
            return None
        from flipflop.dynamics.search import search_fixed_points

        search_fixed_points(run.path)
    fps = FixedPoints.load(run.fixed_points_path).fixed_only()
    return slow_eigenvalues(fps.eigenvalues) if len(fps.points) else np.zeros(0, complex)


def run_features(run: runs.Run, name: str, trials, shared: Shared, fixed_points: bool = False) -> tuple[RunFeatures, np.ndarray]:
    """One run's :class:`RunFeatures` (without DSA's fit) and its states (K, T, units)."""
    from flipflop.analysis.weights import recurrent_matrix

    model = run.model()
    ratio = int(round(shared.dt_ms / run.task().dt_ms))
    states = states_on_grid(model, trials.inputs, ratio).astype(np.float64)
    flat = states.reshape(-1, states.shape[-1])
    means, conditions = condition_means(states, shared.targets)
    if conditions != shared.conditions:
        raise FlipFlopError("condition means do not line up across runs")  # the same targets: cannot happen
    k_state = min(n_directions(flat, VARIANCE_KEPT), MAX_STATE_DIMS)
    return RunFeatures(
        name=name, path=str(run.path), labels=_label(run, run.path), means=means,
        reduced=orthonormal_basis(top_directions(flat)).astype(np.float32),
        principal=top_directions(flat, k=k_state, max_k=MAX_STATE_DIMS).astype(np.float32),
        eigenvalues=np.linalg.eigvals(recurrent_matrix(model)).astype(np.complex128),
        jacobian_eigenvalues=jacobian_spectrum(run, fixed_points)), states


@dataclass(frozen=True)
class DSASettings:
    """DSA's settings for one comparison, set from the data (and stated in the output)."""

    components: int          # principal components per network
    n_delays: int
    rank: int
    per_run_delays: dict     # each run's own choice
    per_run_ranks: dict
    seconds_fit: float = 0.0

    def describe(self) -> str:
        return (f"DSA: top {self.components} principal components per network, {self.n_delays} delays, rank "
                f"{self.rank} (each run's own choice of delays, the fewest within 0.01 of the best held-out "
                f"one-step R² of the state's change: {sorted(self.per_run_delays.values())}; of rank, the Hankel "
                f"directions for 99% of the variance: {sorted(self.per_run_ranks.values())}; the median of each)")


def fit_dsa(features: list[RunFeatures], states: list[np.ndarray], shared: Shared,
            max_components: int = 10) -> DSASettings:
    """Set DSA's components, delays and rank from the data, then fit every run's operator
    (stored in its features): the median over runs of each run's own choice."""
    import time

    from flipflop.analysis.compare_dynamics import choose_delays, fit_operator, hankel_rank

    t0 = time.perf_counter()
    flat = [s.reshape(-1, s.shape[-1]) for s in states]
    p = int(min(max_components, max(n_directions(f) for f in flat)))
    data = []
    for s, f in zip(states, flat):
        pcs = top_directions(f, k=min(p, f.shape[1]))
        pcs = np.pad(pcs, ((0, 0), (0, p - pcs.shape[1])))
        data.append((pcs / max(np.sqrt(np.mean(np.sum(pcs ** 2, 1))), 1e-12)).reshape(s.shape[0], s.shape[1], p))
    delays = {f.name: choose_delays(x, shared.n_train_trials)[0] for f, x in zip(features, data)}
    n_delays = int(np.median(list(delays.values())))
    ranks = {f.name: hankel_rank(x, n_delays) for f, x in zip(features, data)}
    rank = int(np.median(list(ranks.values())))
    for f, x in zip(features, data):
        f.operator = fit_operator(x, n_delays, rank)
    return DSASettings(p, n_delays, rank, delays, ranks, time.perf_counter() - t0)


def unique_names(paths: Sequence[str | Path]) -> list[str]:
    """Short, distinct names of the runs: their folder names, with parents where needed."""
    parts = [Path(p).resolve().parts for p in paths]
    for depth in range(1, max(map(len, parts)) + 1):
        names = ["/".join(p[-depth:]) for p in parts]
        if len(set(names)) == len(names):
            return names
    return [str(p) for p in paths]


__all__ = ["RunFeatures", "Shared", "DSASettings", "check_compatible", "shared_trials", "run_features", "fit_dsa",
           "unique_names"]
