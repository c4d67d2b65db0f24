"""figures/neurogym/TABLE.md and TABLE.csv: one row per NeuroGym environment (all 52) from a
``flipflop sweep --tasks neurogym:all`` and its ``sweep-report`` (``population.csv``).

    PYTHONPATH=. python scripts/neurogym_table.py --sweep sweeps/neurogym --out figures/neurogym [--figures]

``--figures`` first draws each trained environment's figures and REPORT from the run its row
comes from (``flipflop figures --runs RUN --out figures/neurogym/<EnvId>``).

A refused environment is a row that says why; one that trained is a row of numbers:
chance, ideal observer (where computed), performance by our rule and by neurogym's on the
run's 1,000 held-out trials (``metrics.json``),
``normalised`` = (performance - chance) / (reference - chance) by each, epochs, training
time, fixed points found, and a link to its figures (``figures/neurogym/<EnvId>/``) when drawn.
"""
from __future__ import annotations

import argparse
import csv
import io
import json
from pathlib import Path

from flipflop import runs
from flipflop.dynamics.result import FixedPoints
from flipflop.tasks import make_task
from flipflop.tasks.neurogym import envs
from flipflop.tasks.neurogym.observer import normalised

COLUMNS = ["environment", "status", "dt_ms", "chance", "ideal_observer", "neurogym_ceiling", "performance_ours",
           "performance_neurogym", "normalised", "normalised_neurogym", "reached_90pc", "epochs", "train_seconds",
           "fixed_points_found", "figures", "sweep", "note"]


def number(v, digits: int = 3) -> str:
    if v in (None, ""):
        return ""
    try:
        return f"{float(v):.{digits}f}"
    except ValueError:
        return str(v)


def trained_runs(sweeps: list[Path]) -> dict[str, list[Path]]:
    """Task name -> its finished runs, in the sweeps' order (the first is the row's)."""
    trained: dict[str, list[Path]] = {}
    for sweep in sweeps:
        for r in sorted((sweep / "runs").glob("*")):
            if (r / runs.METRICS).is_file() and (r / runs.CONFIG).is_file():
                trained.setdefault(runs.read_config(r)["train"]["task"]["name"], []).append(r)
    return trained


def environment_figures(sweeps: list[Path], out: Path) -> None:
    """Each trained environment's figures and REPORT, from its row's run, in ``out/<EnvId>``
    (what ``flipflop figures --runs RUN --out ...`` writes)."""
    from flipflop.reports.driver import draw_figures

    for name, found in trained_runs(sweeps).items():
        if name.startswith(envs.PREFIX):
            draw_figures([found[0]], out / name.removeprefix(envs.PREFIX))


def rows(sweeps: list[Path], out: Path) -> list[dict]:
    population, results = {}, {}
    for sweep in sweeps:
        if (sweep / "population.csv").is_file():
            population.update({r["task"]: r for r in csv.DictReader(io.StringIO((sweep / "population.csv").read_text()))})
        if (sweep / "results.json").is_file():
            results.update(json.loads((sweep / "results.json").read_text()))
    trained = trained_runs(sweeps)
    table = []
    for env_id in envs.env_ids():
        name = envs.PREFIX + env_id
        row = {"environment": env_id}
        figs = out / env_id
        row["figures"] = f"[figures]({env_id}/)" if figs.is_dir() else ""
        found = trained.get(name, [])
        reason = envs.unsupported(env_id)
        if reason and not found:  # refused with its defaults, and no sweep gave it what it needs
            table.append({**row, "status": "refused", "note": reason})
            continue
        run = found[0] if found else None
        if run is None:
            r = next((v for k, v in results.items() if name.replace(":", "_") in k), {})
            table.append({**row, "status": r.get("status") or "not run",
                          "note": r.get("reason") or "not trained: the sweep's wall-clock budget ran out first"})
            continue
        m = runs.read_json(run / runs.METRICS)
        held = m["heldout"]
        task = make_task(runs.read_config(run)["train"]["task"])
        chance, ideal, ceiling = task.levels()
        ref = 1.0 if ideal is None else ideal
        ref_ng = min(ref, ceiling)
        norm = normalised(held["accuracy"], chance, ref)
        norm_ng = normalised(held["neurogym_performance"], chance, ref_ng)
        p = population.get(name) or {}
        fp = p.get("fixed_points_found", "")
        cached = sorted(run.glob("fixed_points*.npz"))
        if fp in ("", None) and cached:  # not in a sweep report: the run's own cached searches
            p = {**p, "fixed_points_found": sum(int(FixedPoints.load(f).is_fixed.sum()) for f in cached),
                 "fixed_point_inputs": len(cached)}
            fp = p["fixed_points_found"]
        row.update({"status": "trained", "sweep": run.parent.parent.name, "dt_ms": number(task.dt_ms, 0), "chance": number(chance),
                    "ideal_observer": number(ideal), "neurogym_ceiling": number(ceiling),
                    "performance_ours": number(held["accuracy"]), "performance_neurogym": number(held["neurogym_performance"]),
                    "normalised": number(norm), "normalised_neurogym": number(norm_ng),
                    "reached_90pc": "yes" if reached(norm, held["neurogym_performance"]) else "no",
                    "epochs": m.get("epochs_run", ""), "train_seconds": number(m.get("train_seconds"), 0),
                    "fixed_points_found": fp if p.get("fixed_point_inputs") not in (None, "", "0") else "not searched",
                    "note": "; ".join(filter(None, [arguments(task), note(norm, ceiling, m)]))})
        table.append(row)
    return table


def arguments(task) -> str:
    """The environment arguments a run was made with, where it was given any."""
    if not task.kwargs:
        return ""
    given = ", ".join(f"{k}={json.dumps(v)}" for k, v in sorted(task.kwargs.items()))
    return f"environment arguments {given}"


def note(norm: float | None, ceiling: float, metrics: dict) -> str:
    """Why a row reads as it does, from its numbers."""
    parts = []
    if norm is None:
        parts.append("one answer in every trial (when to act is the task): our rule's chance is the reference, "
                     "so neurogym's rule decides (>= 0.9, no observer)")
    elif norm < 0.1:
        parts.append("at chance by our rule")
    if ceiling < 0.1:
        parts.append(f"neurogym's own rule credits not even the ground-truth actions (ceiling {ceiling:.3f})")
    elif norm is not None and norm >= 0.9 and metrics["heldout"]["neurogym_performance"] < 0.1:
        parts.append(f"neurogym's rule {metrics['heldout']['neurogym_performance']:.3f}: the network's argmax never "
                     "leaves fixation in the decision period; our rule reads the order of its choice outputs there")
    if not metrics.get("reached_target"):
        parts.append("stopped before its target (epoch budget or patience)")
    return "; ".join(parts)


def reached(norm: float | None, neurogym: float) -> bool:
    """The bar: >= 90 % of the way from chance to the reference by our rule; where every trial
    has one answer (our chance is the reference: when to act is the task, which only
    neurogym's rule scores), neurogym's performance >= 0.9."""
    return norm >= 0.9 if norm is not None else neurogym >= 0.9


def settings(sweeps: list[Path]) -> list[str]:
    """One line per sweep: its cell, size and the training settings its grid sets."""
    lines = []
    for sweep in sweeps:
        grid = json.loads((sweep / "sweep.json").read_text())["grid"] if (sweep / "sweep.json").is_file() else {}
        if grid:
            sets = ", ".join(f"{k}={'/'.join(map(str, v))}" for k, v in grid.get("settings", []))
            lines.append(f"- `{sweep.name}`: {'/'.join(grid['cells'])}-{'/'.join(map(str, grid['units']))}, "
                         f"recipe {'/'.join(grid['recipes'])}, {sets}; {len(grid['tasks'])} task name(s)")
    return lines


def markdown(table: list[dict], header: str) -> str:
    shown = ["environment", "status", "chance", "ideal_observer", "neurogym_ceiling", "performance_ours",
             "performance_neurogym", "normalised", "normalised_neurogym", "reached_90pc", "epochs", "train_seconds",
             "fixed_points_found", "figures", "sweep", "note"]
    lines = [header, "", "| " + " | ".join(c.replace("_", " ") for c in shown) + " |", "|" + "---|" * len(shown)]
    for r in table:
        lines.append("| " + " | ".join(str(r.get(c, "")).replace("|", "/") for c in shown) + " |")
    return "\n".join(lines) + "\n"


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--sweep", nargs="+", default=["sweeps/neurogym"], help="sweep folders (the first run found wins)")
    ap.add_argument("--out", default="figures/neurogym")
    ap.add_argument("--header", default="# NeuroGym: every environment")
    ap.add_argument("--figures", action="store_true", help="draw each trained environment's figures first")
    args = ap.parse_args()
    sweeps, out = [Path(s) for s in args.sweep], Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    if args.figures:
        environment_figures(sweeps, out)
    table = rows(sweeps, out)
    buf = io.StringIO()
    writer = csv.DictWriter(buf, fieldnames=COLUMNS, restval="")
    writer.writeheader()
    writer.writerows(table)
    (out / "TABLE.csv").write_text(buf.getvalue())
    trained = [r for r in table if r["status"] == "trained"]
    passed = sum(r.get("reached_90pc") == "yes" for r in trained)
    passed_ng = sum(r.get("normalised_neurogym") not in ("", None) and float(r["normalised_neurogym"]) >= 0.9
                    for r in trained)
    summary = (f"{len(table)} environments: {len(trained)} trained, "
               f"{sum(r['status'] == 'refused' for r in table)} refused, "
               f"{len(table) - len(trained) - sum(r['status'] == 'refused' for r in table)} not finished; "
               f"{passed} reach the bar (>= 90 % of the way from chance to the reference by our rule, or "
               f"neurogym's >= 0.9 where every trial has one answer), {passed_ng} by neurogym's rule alone.")
    passes = "\n".join(["Each environment's row is its run in the first of these sweeps that trained it:", "",
                        *settings(sweeps)])
    (out / "TABLE.md").write_text(markdown(table, f"{args.header}\n\n{summary}\n\n{passes}"))
    print(summary)


if __name__ == "__main__":
    main()
