"""Population analysis of a sweep (``flipflop sweep-report``): one row per run, one claim per number.

Every finished run of the sweep goes through the existing analyses
(:func:`flipflop.report.analyse_run`: spectrum, 8-state trajectory, cube metrics, fixed
points), in parallel as Ray tasks (or in this process with ``local=True``). Written into
the sweep directory: ``population.csv`` (every run, failed ones with their reason),
``POPULATION.md`` (each paper claim as a number across the population) and
``population.png`` / ``procrustes.png`` (see :mod:`flipflop.population_figures`).
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

from flipflop import analysis, runs
from flipflop.errors import FlipFlopError
from flipflop.sweep import Sweep, limit_threads, open_sweep, ray_session

CSV_FILE = "population.csv"
MD_FILE = "POPULATION.md"
RING_TOL = 0.01  # |lambda| > 1 + RING_TOL counts as outside the unit circle (the paper's 1.01)
# Per-run quantities: CSV column -> what it is (the Markdown and the strip plots use these).
QUANTITIES = {
    "heldout_bit_accuracy": "held-out bit accuracy",
    "heldout_accuracy": "held-out accuracy",
    "heldout_mse": "held-out MSE",
    "spectral_radius": "spectral radius of W_rec",
    "n_above_1.01": "eigenvalues with |λ| > 1.01",
    "ring_median": "median |λ|",
    "ring_std": "std of |λ|",
    "cube_r2": "cube R²",
    "fp_stable_memories": "stable fixed points at memory states",
    "fp_stable_other": "other stable fixed points",
    "fp_saddles_1": "saddles with 1 unstable mode",
    "fp_saddles_2": "saddles with 2 unstable modes",
    "fp_saddles_3": "saddles with 3 unstable modes",
    "fp_saddles_more": "fixed points with > 3 unstable modes",
    "procrustes_mean": "mean Procrustes distance to the other runs",
    "train_seconds": "training time (s)",
    "epochs_run": "epochs",
}


def analyse_point(path: str, fixed_points: bool = True, threads: int | None = None) -> dict:
    """One run's row (without Procrustes distances) and its cube centroids (flip-flop only)."""
    if threads:
        limit_threads(threads)
    from flipflop.pipeline import analyse_run
    from flipflop.report import stable_memories

    run = runs.load_run(path)
    flipflop = run.task().name == "flipflop"
    fp = ("cached" if run.fixed_points_path.is_file() else True) if fixed_points and flipflop else False
    a = analyse_run(path, fixed_points=fp)
    row = {"train_seconds": run.metrics.get("train_seconds"), "epochs_run": run.metrics.get("epochs_run"),
           "reached_target": run.metrics.get("reached_target")}
    row.update({f"heldout_{k}": v for k, v in run.metrics.get("heldout", {}).items()
                if k not in ("n_samples", "seed")})
    centroids = None
    if a.cube is not None:
        row["cube_r2"], centroids = a.cube.r2, a.cube.centroids
    if a.fixed_points is not None:
        fps = a.fixed_points.fixed_only()
        counts = np.bincount(fps.n_unstable, minlength=5)
        _, states = stable_memories(a)
        memories = states[states >= 0]
        row.update({"fp_stable_memories": len(memories), "fp_distinct_memories": len(set(memories.tolist())),
                    "fp_stable_other": int(np.sum(states < 0)), "fp_saddles_1": int(counts[1]),
                    "fp_saddles_2": int(counts[2]), "fp_saddles_3": int(counts[3]),
                    "fp_saddles_more": int(counts[4:].sum()), "n_memory_states": 2 ** a.task.n_bits})
    eig = a.spectrum.eigenvalues
    modulus = np.abs(eig)
    row.update({"spectral_radius": float(modulus.max()), "n_above_1.01": int(np.sum(modulus > 1 + RING_TOL)),
                "ring_median": float(np.median(modulus)), "ring_std": float(np.std(modulus))})
    return {"row": row, "centroids": centroids}


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
    other finished flip-flop run with the same number of bits) and the Procrustes matrices
    by group ``"task, n bits"`` as ``(names, matrix)``."""
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
            row.update(status=r.get("status", "not run"), reason=r.get("reason", ""))
        rows.append(row)
    by_name = {r["name"]: r for r in rows}
    groups: dict[str, list[str]] = defaultdict(list)
    for name, a in analysed.items():
        c = a["centroids"]
        if c is not None and np.all(np.isfinite(c)):
            groups[f"{by_name[name]['task']}, {int(np.log2(len(c)))} bits"].append(name)
    matrices = {}
    for key, names in groups.items():
        if len(names) < 2:
            continue
        d = analysis.pairwise_procrustes([analysed[n]["centroids"] for n in names])
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


def _values(rows: list[dict], key: str) -> np.ndarray:
    return np.array([r[key] for r in rows if r.get(key) is not None], float)


def _stat(rows: list[dict], key: str, fmt: str) -> str:
    v = _values(rows, key)
    if not len(v):
        return "—"
    if len(v) == 1:
        return f"{v[0]:{fmt}}"
    return f"{v.mean():{fmt}} ± {v.std(ddof=1) if len(v) > 1 else 0.0:{fmt}} (range {v.min():{fmt}}–{v.max():{fmt}})"


def markdown(rows: list[dict], matrices: dict, name: str) -> str:
    """``POPULATION.md``: per condition, each paper claim as a number over the seeds."""
    from flipflop.fixed_points import ideal_counts

    by_cond: dict[str, list[dict]] = defaultdict(list)
    for r in rows:
        by_cond[condition(r)].append(r)
    lines = [f"# Population report: sweep `{name}`", "",
             "Generated by `flipflop sweep-report`. Mean ± standard deviation over the seeds of each "
             "condition (range in brackets); every run's numbers are in `population.csv`. "
             "Paper (one SimpleRNN-400): spectral radius 1.082, 57 of 400 eigenvalues with |λ| > 1.01, "
             "most on the unit circle, a cube in every network, rotated differently.", ""]
    for cond, group in by_cond.items():
        ok = [r for r in group if r["status"] == "done"]
        n, units = len(ok), group[0]["units"]
        lines += [f"## {cond}", "", f"- runs: {n} of {len(group)} finished"
                  + (f"; {len(group) - n} failed or not run" if n < len(group) else "")]
        if not n:
            lines.append("")
            continue
        reached = sum(bool(r.get("reached_target")) for r in ok)
        perf = ", ".join(f"{k[len('heldout_'):].replace('_', ' ')} {_stat(ok, k, '.4f')}" for k in ok[0]
                         if k.startswith("heldout_") and k != "heldout_mse")  # the task's own measures
        lines += [f"- training: {reached} of {n} reached the target; {_stat(ok, 'epochs_run', '.1f')} epochs, "
                  f"{_stat(ok, 'train_seconds', '.0f')} s",
                  f"- held-out {perf} over {n} seeds; MSE {_stat(ok, 'heldout_mse', '.4f')}",
                  f"- spectral radius {_stat(ok, 'spectral_radius', '.3f')} over {n} seeds "
                  f"({sum(r['spectral_radius'] > 1 for r in ok)} of {n} above 1)",
                  f"- eigenvalues with |λ| > 1.01: {_stat(ok, 'n_above_1.01', '.1f')} of {units}",
                  f"- the ring: median |λ| {_stat(ok, 'ring_median', '.3f')}, std of |λ| {_stat(ok, 'ring_std', '.3f')}"]
        if any(r.get("cube_r2") is not None for r in ok):
            r2 = _values(ok, "cube_r2")
            lines.append(f"- cube R² {_stat(ok, 'cube_r2', '.3f')}; {int(np.sum(r2 > 0.9))} of {len(r2)} above 0.9")
        fp = [r for r in ok if r.get("fp_stable_memories") is not None]
        if fp:
            m = fp[0]["n_memory_states"]
            ideal = ideal_counts(int(np.log2(m)))
            full = sum(r["fp_distinct_memories"] == m and r["fp_stable_memories"] == m for r in fp)
            lines += [f"- {full} of {len(fp)} have {m} stable memory points, one per memory state; "
                      f"stable points at memories {_stat(fp, 'fp_stable_memories', '.1f')}",
                      f"- other stable points {_stat(fp, 'fp_stable_other', '.1f')}; saddles with 1 / 2 / 3 "
                      f"unstable modes: {_stat(fp, 'fp_saddles_1', '.1f')} / {_stat(fp, 'fp_saddles_2', '.1f')}"
                      f" / {_stat(fp, 'fp_saddles_3', '.1f')} (ideal {ideal.get(1, 0)} / {ideal.get(2, 0)} / "
                      f"{ideal.get(3, 0)})"]
        lines.append("")
    for key, (names, d) in matrices.items():
        off = d[np.triu_indices(len(d), 1)]
        if len(off):
            lines += [f"## Procrustes distances between cubes ({key})", "",
                      f"- {len(off)} pairs of {len(names)} runs: {off.mean():.4f} ± {off.std():.4f} "
                      f"(max {off.max():.4f}; 0 = the same cube, rotated and scaled)", ""]
    failed = [r for r in rows if r["status"] != "done"]
    if failed:
        lines += ["## Runs without results", "", "| run | status | reason |", "|---|---|---|"]
        lines += [f"| {r['name']} | {r['status']} | {r.get('reason', '')} |" for r in failed]
    return "\n".join(lines) + "\n"


def sweep_report(name: str, root: str | Path = "sweeps", fixed_points: bool = True, local: bool = False,
                 address: str | None = None, cpus_per_task: float = 1,
                 log: Callable[[str], None] = print) -> list[Path]:
    """Analyse every finished run of sweep ``root/name``; write CSV, Markdown and figures."""
    from flipflop.figures import save_figure
    from flipflop.population_figures import procrustes_heatmap, strip_plots

    sweep = open_sweep(name, root=root)
    rows, matrices = population_rows(sweep, fixed_points, local, address, cpus_per_task, log)
    runs.write_text(sweep.path / CSV_FILE, to_csv(rows))
    runs.write_text(sweep.path / MD_FILE, markdown(rows, matrices, name))
    written = [sweep.path / CSV_FILE, sweep.path / MD_FILE]
    done = [r for r in rows if r["status"] == "done"]
    if done:
        written += save_figure(strip_plots(done, QUANTITIES, condition), sweep.path / "population")
    if matrices:
        written += save_figure(procrustes_heatmap(matrices), sweep.path / "procrustes")
    log(f"wrote {', '.join(str(p) for p in written)}")
    return written
