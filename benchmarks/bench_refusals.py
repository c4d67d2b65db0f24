"""How fast the CLI answers metadata and refusals, before and after issue #19, side by side.

    PYTHONPATH=$PWD python benchmarks/bench_refusals.py --before /tmp/before19 [--repeats 5]

``--before`` is a checkout of the code before (``git worktree add /tmp/before19 e115f9d``).
Each command runs as ``python -m flipflop.cli`` with PYTHONPATH pointing at one checkout,
the two checkouts alternating, ``--repeats`` times each, in one run; printed: the median
wall time and the median CPU time (user + system, of the process and its threads) of each
command for each checkout, their ratio, and the load average. The target: each ≤ 1 s after.
"""
from __future__ import annotations

import argparse
import os
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
COMMANDS = {"flipflop tasks": ["tasks"], "flipflop train --lr nan": ["train", "--lr", "nan", "--out", "r"],
            "flipflop inspect missing": ["inspect", "missing"], "flipflop --help": ["--help"],
            "flipflop tasks --json": ["tasks", "--json"]}


def once(code: Path, argv: list[str], cwd: Path) -> tuple[float, float, int]:
    env = {**os.environ, "PYTHONPATH": str(code), "TF_CPP_MIN_LOG_LEVEL": "3"}
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    t = time.perf_counter()
    proc = subprocess.run([sys.executable, "-m", "flipflop.cli", *argv], cwd=cwd, env=env, capture_output=True)
    wall = time.perf_counter() - t
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    return wall, (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime), proc.returncode


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--before", type=Path, required=True, help="checkout of the code before")
    parser.add_argument("--repeats", type=int, default=5)
    args = parser.parse_args()
    codes = {"before": args.before.resolve(), "after": ROOT}
    times = {(c, k): [] for c in codes for k in COMMANDS}
    statuses = {}
    loads = [os.getloadavg()[0]]
    with tempfile.TemporaryDirectory() as cwd:
        for _ in range(args.repeats):
            for name, argv in COMMANDS.items():
                for label, code in codes.items():
                    wall, cpu, status = once(code, argv, Path(cwd))
                    times[(label, name)].append((wall, cpu))
                    statuses[(label, name)] = status
            loads.append(os.getloadavg()[0])
            print(f"  repeat done, load {loads[-1]:.1f}", flush=True)
    print(f"{args.repeats} runs each, alternating; load average (1 min) {min(loads):.1f}-{max(loads):.1f} "
          f"on {os.cpu_count()} CPUs\n")
    print("| command | status before / after | wall before | wall after | CPU before | CPU after | ratio (wall) |")
    print("|---|---|---|---|---|---|---|")
    for name in COMMANDS:
        b = [statistics.median(x) for x in zip(*times[("before", name)])]
        a = [statistics.median(x) for x in zip(*times[("after", name)])]
        print(f"| `{name}` | {statuses[('before', name)]} / {statuses[('after', name)]} | {b[0]:.2f} s | "
              f"{a[0]:.2f} s | {b[1]:.2f} s | {a[1]:.2f} s | {b[0] / a[0]:.0f}x |")


if __name__ == "__main__":
    main()
