"""Population analysis of a sweep (``flipflop sweep-report``): one row per run, one claim per number.

Every finished run of the sweep goes through its task's analysis
(:func:`flipflop.reports.analyse.analyse_run`: spectrum, trajectories, fixed points, and
what the task's spec adds, e.g. the flip-flop's cube), in parallel as Ray tasks (or in
this process with ``local=True``). Written into the sweep directory: ``population.csv``
(every run, failed ones with their reason), ``POPULATION.md`` (each claim as a number
across the population) and ``population.png`` / ``procrustes.png``
(:mod:`flipflop.plotting.population`), and with ``compare`` metrics, ``compare/`` (the
distance matrices of :func:`flipflop.reports.compare.compare_runs` between every finished
run of one task, one folder per task when there are several) with their within- and
across-group tests by cell, size and recipe in POPULATION.md. The task's spec names its own columns
(``population``), the points compared by Procrustes distance (``comparison``) and its lines
of POPULATION.md (``population_summary``).
"""
from __future__ import annotations

import csv
import io
import re
import time
from collections import defaultdict
from pathlib import Path
from typing import Callable, Sequence

import numpy as np

from flipflop import runs
from flipflop.analysis.compare import pairwise_procrustes
from flipflop.analysis.population import stat
from flipflop.analysis.weights import SPECTRUM_TOL
from flipflop.errors import FlipFlopError
from flipflop.runs.sweeps import POPULATION_CSV, POPULATION_MD
from flipflop.sweep.engines import limit_threads, ray_session
from flipflop.sweep.folder import Sweep, open_sweep
from flipflop.tasks import task_class

# Per-run quantities of every task: CSV column -> what it is (the strip plots use these).
SPECTRAL = {
    "spectral_radius": "spectral radius of W_rec",
    "n_above_1.01": "eigenvalues with |λ| > 1.01",
    "ring_median": "median |λ|",
    "ring_std": "std of |λ|",
}
TRAINING = {
    "procrustes_mean": "mean Procrustes distance to the other runs",
    "train_seconds": "training time (s)",
    "epochs_run": "epochs",
}


def _spec(task: str):
    from flipflop.reports.specs import analysis_of

    return analysis_of(task_class(task))


def quantities(rows: Sequence[dict]) -> dict[str, str]:
    """The quantities present in ``rows``, in order: the held-out measures, the spectrum's,
    those of each task's spec, then Procrustes distance and training."""
    heldout = {k: f"held-out {'MSE' if k == 'heldout_mse' else k[len('heldout_'):].replace('_', ' ')}"
               for r in rows for k in r if k.startswith("heldout_")}
    own: dict[str, str] = {}
    for task in dict.fromkeys(r["task"] for r in rows):
        own.update(_spec(task).population_quantities)
    return {**dict(sorted(heldout.items(), key=lambda kv: kv[0] == "heldout_mse")), **SPECTRAL, **own, **TRAINING}


def analyse_point(path: str, fixed_points: bool = True, threads: int | None = None) -> dict:
    """One run's row (without Procrustes distances) and the points its task compares across
    runs, ``(group, points)`` or None."""
    if threads:
        limit_threads(threads)
    from flipflop.reports.analyse import analyse_run

    run = runs.load_run(path)
    a = analyse_run(path, fixed_points="missing" if fixed_points else "never")
    row = {"train_seconds": run.metrics.get("train_seconds"), "epochs_run": run.metrics.get("epochs_run"),
           "reached_target": run.metrics.get("reached_target")}
    row.update({f"heldout_{k}": v for k, v in run.metrics.get("heldout", {}).items()
                if k not in ("n_samples", "seed")})
    if a.spec.population is not None:
        row.update(a.spec.population(a))
    modulus = np.abs(a.spectrum.eigenvalues)
    row.update({"spectral_radius": float(modulus.max()), "n_above_1.01": int(np.sum(modulus > 1 + SPECTRUM_TOL)),
                "ring_median": float(np.median(modulus)), "ring_std": float(np.std(modulus))})
    return {"row": row, "compared": a.spec.comparison(a) if a.spec.comparison is not None else None}


def _analyse_all(paths: Sequence[Path], fixed_points: bool, local: bool, address: str | None,
                 cpus_per_task: float, log: Callable[[str], None]) -> list[dict]:
    """``analyse_point`` of every path: Ray tasks (``cpus_per_task`` each) or in turn."""
    t0 = time.perf_counter()
    if local:
        out = []
        for i, p in enumerate(paths):
            out.append(analyse_point(str(p), fixed_points))
            log(f"analysed {i + 1}/{len(paths)} runs ({time.perf_counter() - t0:.0f} s)")
        return out
    with ray_session(address) as ray:
        remote = ray.remote(num_cpus=cpus_per_task)(analyse_point)
        refs = [remote.remote(str(p.resolve()), fixed_points, max(1, int(cpus_per_task))) for p in paths]
        pending = list(refs)
        while pending:
            ready, pending = ray.wait(pending, num_returns=len(pending), timeout=30.0)
            log(f"analysed {len(refs) - len(pending)}/{len(refs)} runs ({time.perf_counter() - t0:.0f} s)")
        try:
            return ray.get(refs)
        except ray.exceptions.RayTaskError as e:
            cause = e.cause if isinstance(getattr(e, "cause", None), Exception) else e
            if isinstance(cause, FlipFlopError):
                raise cause from None
            raise


def population_rows(sweep: Sweep, fixed_points: bool = True, local: bool = False, address: str | None = None,
                    cpus_per_task: float = 1, log: Callable[[str], None] = print) -> tuple[list[dict], dict]:
    """One row per grid point (parameters, status, quantities, Procrustes distances to every
    other finished run of its comparison group) and the Procrustes matrices by group
    ``"task, group"`` (e.g. ``"flipflop, 3 bits"``) as ``(names, matrix)``."""
    results = sweep.results()
    finished = [p for p in sweep.points if sweep.finished(p)]
    analysed = dict(zip([p.name for p in finished],
                        _analyse_all([sweep.run_dir(p) for p in finished], fixed_points, local, address,
                                     cpus_per_task, log) if finished else []))
    rows = []
    for p in sweep.points:
        row = {"name": p.name, **p.params}
        if p.name in analysed:
            row.update(status="done", **analysed[p.name]["row"])
        else:
            r = results.get(p.name, {})
            status, reason = r.get("status", "not run"), r.get("reason", "")
            if status == "done":  # recorded as done, but its folder no longer holds this grid point's finished run
                status, reason = "stale", ("its folder's run is not this grid point's any more (a changed config "
                                           "or default, or damaged files): run the sweep again")
            row.update(status=status, reason=reason)
        rows.append(row)
    by_name = {r["name"]: r for r in rows}
    groups: dict[str, list[str]] = defaultdict(list)
    for name, a in analysed.items():
        if a["compared"] is not None:
            groups[f"{by_name[name]['task']}, {a['compared'][0]}"].append(name)
    matrices = {}
    for key, names in groups.items():
        if len(names) < 2:
            continue
        d = pairwise_procrustes([analysed[n]["compared"][1] for n in names])
        matrices[key] = (names, d)
        for i, n in enumerate(names):
            others = np.delete(d[i], i)
            by_name[n]["procrustes_mean"] = float(others.mean()) if len(others) else None
            by_name[n].update({f"procrustes:{m}": float(d[i, j]) for j, m in enumerate(names) if j != i})
    return rows, matrices


def to_csv(rows: list[dict]) -> str:
    """The rows as CSV text; columns in first-seen order, blanks where a row lacks one."""
    columns = list(dict.fromkeys(k for r in rows for k in r))
    buf = io.StringIO()
    writer = csv.DictWriter(buf, fieldnames=columns, restval="")
    writer.writeheader()
    writer.writerows(rows)
    return buf.getvalue()


def condition(row: dict) -> str:
    """A row's parameters except the seed: its run name without ``-seedS`` (run names hold
    the parameters the grid varies)."""
    return re.sub(r"-seed\d+$", "", row["name"])


def markdown(rows: list[dict], matrices: dict, name: str) -> str:
    """``POPULATION.md``: per condition, each claim as a number over the seeds."""
    by_cond: dict[str, list[dict]] = defaultdict(list)
    for r in rows:
        by_cond[condition(r)].append(r)
    specs = {task: _spec(task) for task in dict.fromkeys(r["task"] for r in rows)}
    intros = " ".join(s.population_intro for s in specs.values() if s.population_intro)
    lines = [f"# Population report: sweep `{name}`", "",
             "Generated by `flipflop sweep-report`. Mean ± standard deviation over the seeds of each "
             "condition (range in brackets); every run's numbers are in `population.csv`." + (f" {intros}" if intros
                                                                                             else ""), ""]
    for cond, group in by_cond.items():
        ok = [r for r in group if r["status"] == "done"]
        n, units = len(ok), group[0]["units"]
        lines += [f"## {cond}", "", f"- runs: {n} of {len(group)} finished"
                  + (f"; {len(group) - n} failed or not run" if n < len(group) else "")]
        if not n:
            lines.append("")
            continue
        reached = sum(bool(r.get("reached_target")) for r in ok)
        perf = ", ".join(f"{k[len('heldout_'):].replace('_', ' ')} {stat(ok, k, '.4f')}" for k in ok[0]
                         if k.startswith("heldout_") and k != "heldout_mse")  # the task's own measures
        lines += [f"- training: {reached} of {n} reached the target; {stat(ok, 'epochs_run', '.1f')} epochs, "
                  f"{stat(ok, 'train_seconds', '.0f')} s",
                  f"- held-out {perf} over {n} seeds; MSE {stat(ok, 'heldout_mse', '.4f')}",
                  f"- spectral radius {stat(ok, 'spectral_radius', '.3f')} over {n} seeds "
                  f"({sum(r['spectral_radius'] > 1 for r in ok)} of {n} above 1)",
                  f"- eigenvalues with |λ| > 1.01: {stat(ok, 'n_above_1.01', '.1f')} of {units}",
                  f"- the ring: median |λ| {stat(ok, 'ring_median', '.3f')}, std of |λ| {stat(ok, 'ring_std', '.3f')}"]
        summary = specs[group[0]["task"]].population_summary
        lines += summary(ok) if summary is not None else []
        lines.append("")
    for key, (names, d) in matrices.items():
        off = d[np.triu_indices(len(d), 1)]
        if len(off):
            lines += [f"## Procrustes distances ({key})", "",
                      f"- {len(off)} pairs of {len(names)} runs: {off.mean():.4f} ± {off.std():.4f} "
                      f"(max {off.max():.4f}; 0 = the same shape, moved, rotated and scaled)", ""]
    failed = [r for r in rows if r["status"] != "done"]
    if failed:
        lines += ["## Runs without results", "", "| run | status | reason |", "|---|---|---|"]
        lines += [f"| {r['name']} | {r['status']} | {r.get('reason', '')} |" for r in failed]
    return "\n".join(lines) + "\n"


COMPARE_DEFAULT = ("procrustes", "svcca", "spectral", "jacobian", "cross")  # no extra needed
GROUP_KEYS = {"cell": "cell", "units": "size", "recipe": "recipe"}


def compare_population(sweep: Sweep, rows: list[dict], metrics: Sequence[str], local: bool = False,
                       address: str | None = None, log: Callable[[str], None] = print) -> tuple[list[str], list[Path]]:
    """The comparison metrics between the sweep's finished runs (one comparison per task):
    POPULATION.md's lines (within and across each of cell, size and recipe that varies)
    and the files written under ``compare/``."""
    import functools

    from flipflop.reports.compare import compare_runs, group_lines, write_comparison
    from flipflop.sweep.parallel import ray_pairs

    by_task: dict[str, list[dict]] = defaultdict(list)
    for r in rows:
        if r["status"] == "done":
            by_task[r["task"]].append(r)
    lines, written = [], []
    for task, group in by_task.items():
        if len(group) < 2:
            continue
        c = compare_runs([sweep.path / "runs" / r["name"] for r in group], metrics, mapper=None if local else
                         functools.partial(ray_pairs, address=address), names=[r["name"] for r in group], log=log)
        out = sweep.path / ("compare" if len(by_task) == 1 else f"compare-{task}")
        written += write_comparison(c, out, command=f"flipflop sweep-report {sweep.path.name}")
        lines += [f"## Comparisons ({task}: {len(group)} runs, `{out.name}/`)", ""]
        if c.dsa is not None:
            lines += [f"{c.dsa.describe()}.", ""]
        for key, word in GROUP_KEYS.items():
            if len({str(lab.get(key)) for lab in c.labels}) > 1:
                lines += [f"### Within and across {word}", ""] + group_lines(c, key, word)
        if all(len({str(lab.get(k)) for lab in c.labels}) == 1 for k in GROUP_KEYS):
            off = {m: c.matrices[m][np.triu_indices(len(group), 1)] for m in c.metrics}
            lines += ["| metric | pairs: mean ± sd (max) |", "|---|---|"]
            lines += [f"| {m} | {np.nanmean(v):.4g} ± {np.nanstd(v):.2g} ({np.nanmax(v):.4g}) |" for m, v in off.items()]
            lines.append("")
    return lines, written


def sweep_report(name: str, root: str | Path = "sweeps", fixed_points: bool = True, local: bool = False,
                 address: str | None = None, cpus_per_task: float = 1, compare: Sequence[str] = COMPARE_DEFAULT,
                 log: Callable[[str], None] = print) -> list[Path]:
    """Analyse every finished run of sweep ``root/name``; write CSV, Markdown and figures
    (``compare``: the comparison metrics between runs; empty for none)."""
    from flipflop.plotting.io import save_figure
    from flipflop.plotting.population import procrustes_heatmap, strip_plots

    sweep = open_sweep(name, root=root)
    rows, matrices = population_rows(sweep, fixed_points, local, address, cpus_per_task, log)
    runs.write_text(sweep.path / POPULATION_CSV, to_csv(rows))
    extra, compared = compare_population(sweep, rows, compare, local, address, log) if compare else ([], [])
    runs.write_text(sweep.path / POPULATION_MD, markdown(rows, matrices, name) + ("\n" + "\n".join(extra) if extra else ""))
    written = [sweep.path / POPULATION_CSV, sweep.path / POPULATION_MD, *compared]
    done = [r for r in rows if r["status"] == "done"]
    if done:
        written += save_figure(strip_plots(done, quantities(done), condition), sweep.path / "population")
    if matrices:
        written += save_figure(procrustes_heatmap(matrices), sweep.path / "procrustes")
    log(f"wrote {', '.join(str(p) for p in written)}")
    return written
