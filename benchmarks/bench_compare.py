"""The comparison study (figures/compare/): `flipflop compare` on the four shipped SimpleRNN-400
networks, 4 GRU-100, 4 LSTM-100 and 4 CTRNN-100 seeds (`flipflop sweep`, README) and the
paper's imported network, every metric; its wall time, and DSA's time per pair beside the
dsa-metric tutorial's figure of about 1.5-2 s per pair.

    PYTHONPATH=. python benchmarks/bench_compare.py [--out figures/compare] [--runs DIR ...]

Prints the command, its wall and CPU time, the time of each part (COMPARE.md's table) and
the ratio of DSA's mean time per pair to 1.75 s (the tutorial's range's middle).
"""
from __future__ import annotations

import argparse
import os
import resource
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
TUTORIAL_SECONDS_PER_PAIR = 1.75  # dsa-metric's tutorial: about 1.5-2 s per pair
DEFAULT_RUNS = ([f"data/simplernn-400-seed{s}" for s in range(4)]
                + [f"sweeps/cmp12/runs/{c}-100-seed{s}" for c in ("gru", "ctrnn", "lstm") for s in range(4)]
                + ["runs/paper"])


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--out", default="figures/compare")
    ap.add_argument("--runs", nargs="+", default=DEFAULT_RUNS)
    ap.add_argument("--metric", default="all")
    args = ap.parse_args()
    runs = [r for r in args.runs if (ROOT / r / "metrics.json").is_file()]
    missing = sorted(set(args.runs) - set(runs))
    if missing:
        print(f"left out (not found): {', '.join(missing)}")
    cmd = [sys.executable, "-m", "flipflop.cli", "compare", *runs, "--metric", args.metric, "--out", args.out]
    print("$ flipflop " + " ".join(cmd[3:]))
    t0 = time.perf_counter()
    subprocess.run(cmd, cwd=ROOT, check=True, env={**os.environ, "PYTHONPATH": str(ROOT)})
    wall = time.perf_counter() - t0
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    print(f"wall {wall:.1f} s, CPU {usage.ru_utime + usage.ru_stime:.1f} s, load average {os.getloadavg()[0]:.1f}")
    report = (ROOT / args.out / "COMPARE.md").read_text()
    table = report[report.index("## Timings"):]
    print(table)
    for line in table.splitlines():
        if line.startswith("| DSA per pair"):
            per_pair = float(line.split("|")[2])
            print(f"DSA per pair {per_pair:.2f} s against the tutorial's ~{TUTORIAL_SECONDS_PER_PAIR} s: "
                  f"ratio {per_pair / TUTORIAL_SECONDS_PER_PAIR:.2f}")


if __name__ == "__main__":
    main()
