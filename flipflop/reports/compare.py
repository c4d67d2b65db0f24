"""``flipflop compare``: distance matrices between runs of one task, under several metrics.

Each run is read and fitted once (:mod:`flipflop.reports.compare_features`); the pairs are
then scored by :func:`pair_scores`, in turn or through any ``mapper`` (the command line
passes Ray's when Ray is installed, :func:`flipflop.sweep.parallel.ray_pairs`). Written into
``out``: ``pairs.csv`` (one row per pair, every score), ``<metric>.csv`` (each distance
matrix), ``distances.png`` (heat maps), ``mds.png`` (2-D MDS of each matrix), ``groups.png``
and ``COMPARE.md`` (within-cell against across-cell distances with a permutation test, DSA's
settings, the timings).

Metrics (all distances, 0 = the same):

- ``procrustes``: Procrustes disparity of the condition-averaged states (every distinct
  target value; for the flip-flop the 8 memories and the patterns before every bit is set);
- ``svcca``: 1 − the mean SVCCA correlation of the states;
- ``dsa``: DSA's angular distance of the delay-embedded linear operators (``[compare]`` extra);
- ``spectral``: 1-Wasserstein distance between the eigenvalues of the trained W_rec;
- ``jacobian``: the same between the fixed points' Jacobians (slowest 16 per point; runs
  whose fixed points are not cached are left out unless ``fixed_points``);
- ``cross``: 1 − the mean held-out R² of the linear maps between the states, both ways
  (their R² and the cycle consistency are in ``pairs.csv``).
"""
from __future__ import annotations

import csv
import io
import itertools
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable, Sequence

import numpy as np

from flipflop import runs
from flipflop.errors import FlipFlopError

from flipflop.analysis.compare_metrics import LABELS, METRICS, WITHOUT_EXTRA, parse_metrics  # noqa: F401

Mapper = Callable[[Callable, list, list], list]  # (pair function, per-run items, index pairs) -> results


def pair_scores(a, b, metrics: Sequence[str], shared_train: np.ndarray | None = None) -> dict:
    """Every requested score of runs ``a`` and ``b`` (:class:`RunFeatures`)."""
    from flipflop.analysis.compare import state_procrustes
    from flipflop.analysis.compare_dynamics import dsa_distance, eigenvalue_wasserstein
    from flipflop.analysis.compare_states import cross_prediction, svcca_of_bases

    out: dict = {}
    if "procrustes" in metrics:
        out["procrustes"] = state_procrustes(a.means, b.means)
    if "svcca" in metrics:
        out["svcca"] = 1.0 - svcca_of_bases(a.reduced, b.reduced)
    if "dsa" in metrics:
        t0 = time.perf_counter()
        out["dsa"] = dsa_distance(a.operator, b.operator)
        out["dsa_seconds"] = time.perf_counter() - t0
    if "spectral" in metrics:
        out["spectral"] = eigenvalue_wasserstein(a.eigenvalues, b.eigenvalues)
    if "jacobian" in metrics:
        ok = a.jacobian_eigenvalues is not None and b.jacobian_eigenvalues is not None and \
            len(a.jacobian_eigenvalues) and len(b.jacobian_eigenvalues)
        out["jacobian"] = eigenvalue_wasserstein(a.jacobian_eigenvalues, b.jacobian_eigenvalues) if ok else np.nan
    if "cross" in metrics:
        c = cross_prediction(a.principal, b.principal, shared_train)
        out.update(cross=c.distance, r2_a_to_b=c.a_to_b, r2_b_to_a=c.b_to_a, cycle_a=c.cycle_a, cycle_b=c.cycle_b)
    return out


def in_turn(fn: Callable, items: list, pairs: list) -> list:
    """The default mapper: ``fn(items, i, j)`` for each pair, in this process."""
    return [fn(items, i, j) for i, j in pairs]


@dataclass
class Comparison:
    """The result of :func:`compare_runs`."""

    names: list[str]
    labels: list[dict]
    metrics: tuple[str, ...]
    matrices: dict[str, np.ndarray]
    pairs: list[dict]
    task: str
    dt_ms: float
    n_trials: int
    dsa: object | None = None            # DSASettings
    seconds: dict = field(default_factory=dict)
    notes: list[str] = field(default_factory=list)


def compare_runs(paths: Sequence[str | Path], metrics: Sequence[str] = METRICS, fixed_points: bool = False,
                 mapper: Mapper | None = None, names: Sequence[str] | None = None,
                 log: Callable[[str], None] = print) -> Comparison:
    """Distance matrices between the runs at ``paths`` under ``metrics``."""
    from flipflop.reports.compare_features import (check_compatible, fit_dsa, run_features, shared_trials,
                                                   unique_names)

    metrics = parse_metrics(metrics) if isinstance(metrics, str) else tuple(metrics)
    if "dsa" in metrics:
        from flipflop.analysis.compare_dynamics import import_dsa

        _, torch = import_dsa()  # refuse before any work when the extra is absent
        torch.set_num_threads(1)
    t0 = time.perf_counter()
    loaded = check_compatible(paths)
    names = list(names) if names is not None else unique_names(paths)
    trials, shared = shared_trials(loaded)
    features, states = [], []
    for run, name in zip(loaded, names):
        f, s = run_features(run, name, trials, shared, fixed_points=fixed_points and "jacobian" in metrics)
        features.append(f)
        states.append(s)
    seconds = {"features": time.perf_counter() - t0}
    log(f"read {len(features)} runs on {len(trials.inputs)} shared trials ({seconds['features']:.1f} s)")
    settings = None
    if "dsa" in metrics:
        settings = fit_dsa(features, states, shared)
        seconds["dsa_fit"] = settings.seconds_fit
        log(settings.describe() + f" ({settings.seconds_fit:.1f} s)")
    del states
    notes = [f"{f.name}: no cached fixed points; left out of the jacobian metric" for f in features
             if "jacobian" in metrics and f.jacobian_eigenvalues is None]
    index_pairs = list(itertools.combinations(range(len(features)), 2))
    t1 = time.perf_counter()
    job = _Job(metrics, shared.train)
    results = (mapper or in_turn)(job, features, index_pairs)
    seconds["pairs"] = time.perf_counter() - t1
    if "dsa" in metrics:
        seconds["dsa_pairs_sum"] = float(sum(r["dsa_seconds"] for r in results))
    log(f"scored {len(index_pairs)} pairs ({seconds['pairs']:.1f} s)")
    n = len(features)
    matrices = {m: np.zeros((n, n)) for m in metrics}
    rows = []
    for (i, j), r in zip(index_pairs, results):
        for m in metrics:
            matrices[m][i, j] = matrices[m][j, i] = r[m]
        rows.append({"a": names[i], "b": names[j], **r})
    for m in ("jacobian",):
        if m in matrices:
            missing = [k for k, f in enumerate(features) if f.jacobian_eigenvalues is None]
            matrices[m][missing, missing] = np.nan
    seconds["total"] = time.perf_counter() - t0
    return Comparison(names, [f.labels for f in features], metrics, matrices, rows, shared.task, shared.dt_ms,
                      len(trials.inputs), settings, seconds, notes)


class _Job:
    """A picklable pair function: the metrics and the training samples travel with it."""

    def __init__(self, metrics: Sequence[str], train: np.ndarray) -> None:
        self.metrics, self.train = tuple(metrics), train

    def __call__(self, items: list, i: int, j: int) -> dict:
        return pair_scores(items[i], items[j], self.metrics, self.train)


def matrix_csv(names: Sequence[str], d: np.ndarray) -> str:
    """A distance matrix as CSV, the run names as the header and first column."""
    buf = io.StringIO()
    w = csv.writer(buf)
    w.writerow(["run", *names])
    for name, row in zip(names, d):
        w.writerow([name, *(f"{v:.6g}" for v in row)])
    return buf.getvalue()


def pairs_csv(rows: list[dict]) -> str:
    buf = io.StringIO()
    w = csv.DictWriter(buf, fieldnames=list(dict.fromkeys(k for r in rows for k in r)), restval="")
    w.writeheader()
    w.writerows([{k: (f"{v:.6g}" if isinstance(v, float) else v) for k, v in r.items()} for r in rows])
    return buf.getvalue()


def group_lines(c: Comparison, key: str = "group", word: str | None = None) -> list[str]:
    """Markdown: within- against across-group distances by ``key`` (a label: group, cell,
    units, recipe; named ``word`` in the text) for each metric, over the runs whose group
    has two or more members; then each lone run's mean distance to every group."""
    from flipflop.analysis.compare_groups import group_test

    labels = [str(lab.get(key)) for lab in c.labels]
    key = word or key
    counts = {g: labels.count(g) for g in labels}
    keep = [i for i, g in enumerate(labels) if counts[g] > 1]
    kept = [labels[i] for i in keep]
    if len(set(kept)) < 2:
        return [f"Fewer than two {key}s with two runs or more: no within/across-{key} test.", ""]
    lines = [f"Groups by {key}: " + ", ".join(f"{g} ({counts[g]})" for g in dict.fromkeys(kept)) + ".", "",
             f"| metric | within-{key} pairs: mean ± sd (n) | across-{key}: mean ± sd (n) | across / within | "
             "permutation p (one-sided, 10,000) |", "|---|---|---|---|---|"]
    for m in c.metrics:
        try:
            t = group_test(c.matrices[m][np.ix_(keep, keep)], kept)
        except FlipFlopError as e:
            lines.append(f"| {LABELS[m]} | — | — | — | {e} |")
            continue
        lines.append(f"| {LABELS[m]} | {t.within.mean():.4g} ± {t.within.std():.2g} ({len(t.within)}) | "
                     f"{t.across.mean():.4g} ± {t.across.std():.2g} ({len(t.across)}) | {t.ratio:.2f} | "
                     f"{t.p_value:.4f} |")
    lone = [i for i, g in enumerate(labels) if counts[g] == 1]
    if lone:
        groups = list(dict.fromkeys(kept))
        lines += ["", f"Mean distance of each lone run to the runs of each {key}:", "",
                  "| run | metric | " + " | ".join(groups) + " |", "|---|---|" + "---|" * len(groups)]
        for i in lone:
            for m in c.metrics:
                cells = [_finite_mean([c.matrices[m][i, j] for j in keep if labels[j] == g]) for g in groups]
                lines.append(f"| {c.names[i]} | {LABELS[m]} | " + " | ".join(f"{v:.4g}" for v in cells) + " |")
    return lines + [""]


def _finite_mean(values) -> float:
    v = np.asarray(values, float)
    v = v[np.isfinite(v)]
    return float(v.mean()) if len(v) else float("nan")


def markdown(c: Comparison, command: str = "") -> str:
    """``COMPARE.md``: what was compared, how, and the group tests."""
    lines = ["# Comparison of networks", "", f"Generated by `{command or 'flipflop compare'}`.", "",
             f"- {len(c.names)} runs of the {c.task} task, {c.n_trials} shared fresh trials (seed of "
             f"`compare_features.TRIALS_SEED`), compared on a {c.dt_ms:g} ms grid; states: the recurrent "
             "layer's outputs.",
             f"- metrics: {', '.join(LABELS[m] for m in c.metrics)}."]
    if c.dsa is not None:
        lines.append(f"- {c.dsa.describe()}.")
    lines += [f"- note: {n}" for n in c.notes]
    lines += ["", "## Runs", "", "| run | cell | units | recipe | seed |", "|---|---|---|---|---|"]
    lines += [f"| {n} | {lab['cell']} | {lab['units']} | {lab['recipe']} | {lab['seed']} |"
              for n, lab in zip(c.names, c.labels)]
    lines += ["", "## Within and across groups", ""] + group_lines(c, "group")
    lines += ["## Timings", "", "| part | seconds |", "|---|---|"]
    lines += [f"| {k} | {v:.1f} |" for k, v in c.seconds.items()]
    if "dsa" in c.metrics and c.pairs:
        per_pair = c.seconds["dsa_pairs_sum"] / len(c.pairs)
        lines.append(f"| DSA per pair (mean, in its worker) | {per_pair:.2f} |")
    return "\n".join(lines) + "\n"


def write_comparison(c: Comparison, out: str | Path, command: str = "") -> list[Path]:
    """Write the CSVs, the figures and ``COMPARE.md`` into ``out``; returns the paths."""
    from flipflop.plotting.compare import distance_heatmaps, group_strips, mds_panels
    from flipflop.plotting.io import save_figure

    out = Path(out)
    out.mkdir(parents=True, exist_ok=True)
    written = []
    for m in c.metrics:
        runs.write_text(out / f"{m}.csv", matrix_csv(c.names, c.matrices[m]))
        written.append(out / f"{m}.csv")
    runs.write_text(out / "pairs.csv", pairs_csv(c.pairs))
    runs.write_text(out / "COMPARE.md", markdown(c, command))
    written += [out / "pairs.csv", out / "COMPARE.md"]
    groups = [str(lab["group"]) for lab in c.labels]
    titles = {m: LABELS[m] for m in c.metrics}
    written += save_figure(distance_heatmaps(c.names, c.matrices, titles), out / "distances")
    written += save_figure(mds_panels(c.matrices, groups, titles), out / "mds")
    if len(set(groups)) > 1:
        written += save_figure(group_strips(c.matrices, groups, titles), out / "groups")
    return written
