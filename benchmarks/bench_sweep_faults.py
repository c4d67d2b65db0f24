"""A sweep folder under rival drivers and killed drivers: one driver per sweep, and
``results.json`` whole after every restart.

    PYTHONPATH=$PWD python benchmarks/bench_sweep_faults.py [--kills 10] [--engine local|ray]

A 6-run tiny sweep (SimpleRNN-8, 2-bit flip-flop of 60 ms, 3 epochs of 64 trials each,
no early stop) is first run uninterrupted: the reference. Then:

- with the first killed sweep, a second driver is started on the same ``--name``: it must
  be refused in one line naming the first one's pid;
- ``--kills`` times, a fresh sweep's driver is killed (SIGKILL) at a random point: once a
  random number (0-5) of its 6 runs have finished, plus 0-2 s; a try whose driver ended
  before its kill is not counted. Then the same command is run again: its ``results.json`` must
  list every run, done, and every run's weights and history must equal the reference's.

Prints one table. ``--engine local`` (default) trains in the driver's process; ``ray`` as
Ray Tune trials (each worker imports TensorFlow: several times slower here).
"""
from __future__ import annotations

import argparse
import os
import random
import re
import shutil
import signal
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from faults import cli_process, print_table, same_run  # noqa: E402

GRID = ["--cells", "simplernn", "--units", "8", "--seeds", "0-5", "--no-report",
        *[a for s in ("epochs=3", "samples_per_epoch=64", "val_samples=16", "batch_size=32", "patience=99",
                      "target_accuracy=1", "target_mse=1e-9", "task.n_bits=2", "task.duration_ms=60",
                      "task.pulse_ms=5") for a in ("--set", s)]]


def sweep_argv(root: Path, name: str, engine: str) -> list:
    extra = ["--local"] if engine == "local" else ["--cpus-per-trial", "1", "--max-concurrent", "2"]
    return ["sweep", "--name", name, "--root", root, *GRID, *extra]


def finished_all(root: Path, name: str, ref: Path) -> tuple[bool, bool, list]:
    """(results.json lists every run as done, every run equals the reference's, runs that differ)."""
    from flipflop import runs

    results = runs.read_json(root / name / "results.json")
    names = sorted(p.name for p in (ref / "runs").iterdir())
    listed = sorted(k for k, v in results.items() if v.get("status") == "done") == names
    differ = [n for n in names if not same_run(root / name / "runs" / n, ref / "runs" / n)]
    return listed, not differ, differ


def _finished(sweep: Path) -> int:
    """Runs of the sweep folder that have finished (their metrics.json written)."""
    runs_dir = sweep / "runs"
    return sum((d / "metrics.json").is_file() for d in runs_dir.iterdir()) if runs_dir.is_dir() else 0


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--kills", type=int, default=10)
    parser.add_argument("--engine", choices=("local", "ray"), default="local")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--reference", type=Path, help="an uninterrupted sweep of the grid, to reuse")
    parser.add_argument("--duration", type=float, default=0.0, help="its duration in s (kills fall in it)")
    args = parser.parse_args()
    work = Path(tempfile.mkdtemp(prefix="flipflop-sweep-faults-"))
    rows = []
    if args.reference:  # an earlier uninterrupted sweep of the same grid
        ref, duration = args.reference, args.duration
    else:
        t = time.perf_counter()
        proc = cli_process(sweep_argv(work, "ref", args.engine))
        _, err = proc.communicate()
        duration = time.perf_counter() - t
        assert proc.returncode == 0, err
        ref = work / "ref"
    print(f"reference sweep: {duration:.0f} s, load average {os.getloadavg()[0]:.1f}", flush=True)
    lost = 0
    rng = random.Random(args.seed)
    kills = []
    i = 0
    while sum(k["killed"] for k in kills) < args.kills and i < 3 * args.kills:
        name = f"kill{i}"
        # a random point of the sweep: once `target` of its 6 runs have finished, a random
        # moment later (a fixed clock time misses: a sweep's length varies with the load)
        target, extra = rng.randrange(6), rng.uniform(0, 2.0)
        proc = cli_process(sweep_argv(work, name, args.engine))
        if i == 0:  # a rival driver on the same --name, started together: one runs, the other is refused
            rival = cli_process(sweep_argv(work, name, args.engine))
            while proc.poll() is None and rival.poll() is None:
                time.sleep(0.05)
            if proc.poll() is not None:  # the rival won the lock: it is the driver to kill
                proc, rival = rival, proc
            _, refusal = rival.communicate()
            named = re.search(r"pid (\d+)", refusal)
            ok = rival.returncode == 2 and named is not None and named[1] == str(proc.pid) and refusal.count("\n") == 1
            rows.append(("2 drivers started together on one --name", f"the second: status {rival.returncode}, "
                         f"refused in one line naming the first's pid: {ok}"))
            lost += not ok
        t0 = time.perf_counter()
        while proc.poll() is None and _finished(work / name) < target:
            time.sleep(0.05)
        time.sleep(extra)
        at = time.perf_counter() - t0
        alive = proc.poll() is None
        if alive:
            proc.send_signal(signal.SIGKILL)
        proc.communicate()
        before = _finished(work / name)
        again = cli_process(sweep_argv(work, name, args.engine))
        out, err = again.communicate()
        listed, same, differ = finished_all(work, name, ref) if again.returncode == 0 else (False, False, ["all"])
        kills.append({"at": at, "finished_before": before, "status": again.returncode, "listed": listed,
                      "same": same, "killed": alive})
        print(f"  kill {i}: at {at:.1f} s ({'killed' if alive else 'had ended'}), {before} of 6 runs finished before; "
              f"rerun status {again.returncode}, results.json complete: {listed}, identical: {same} {differ or ''}"
              f"{err.strip()[-200:] if again.returncode else ''}", flush=True)
        lost += (again.returncode != 0) + (not listed) + (not same)
        i += 1
    ended = sum(not k["killed"] for k in kills)
    kills = [k for k in kills if k["killed"]]
    finished = [k["finished_before"] for k in kills]
    rows.append((f"SIGKILL of the driver at a random time, then the same command ({args.engine} engine)",
                 f"{len(kills)} kills ({sum(0 < f < 6 for f in finished)} with 1-5 of 6 runs finished, "
                 f"{finished.count(0)} with none, {finished.count(6)} with all); {sum(k['listed'] for k in kills)} "
                 f"results.json complete; {sum(k['same'] for k in kills)} with every run's weights and history equal"
                 f" to the uninterrupted sweep's; {ended} tries ended before their kill came (not counted)"))
    rows.append(("anything lost", str(lost)))
    print_table(rows)
    shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
