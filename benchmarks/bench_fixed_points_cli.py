"""Benchmark: ``flipflop fixed-points`` end to end, start-up included, on every shipped SimpleRNN-400.

Each round runs, one after the other, in fresh processes:

1. ``python -c "import gc, tensorflow, keras; gc.freeze()"``: the start-up floor that no search
   can go under (it exits as the ``flipflop`` program does, with the collector frozen: a plain
   import's exit walks TensorFlow's objects, 1.2 s more here; logs before 2026-12-02 timed that);
2. ``python -m flipflop.cli fixed-points RUN`` (the ``flipflop`` program) on a copy of each
   shipped ``data/simplernn-400-seed*`` run (the command writes ``fixed_points.npz`` into
   its run, so ``data/`` is left as it is);
3. with ``--previous COMMIT``: the same command by the package as it was at ``COMMIT``
   (a temporary git worktree), on the same copies, so the two are measured side by side.

Rounds alternate, so a slow minute of the machine falls on both. It prints every wall time,
each run's range, and whether each new search's census is the committed one (every point
within 1e-4 of the largest state norm, the same unstable modes, nothing more).

``--python PATH`` runs the commands with another interpreter, e.g. that of a venv made by
the README's first command (``pip install .``: no pandas or IPython, which Keras imports
where it finds them); this checkout's package is used all the same (``PYTHONPATH``).

    PYTHONPATH=. python benchmarks/bench_fixed_points_cli.py [--repeat 3] [--previous COMMIT]
        [--python VENV/bin/python]
"""
from __future__ import annotations

import argparse
import contextlib
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(Path(__file__).resolve().parent))
from bench_fixed_points import census, same_census  # noqa: E402
from worktree import worktree  # noqa: E402

GOAL_S = 10.0  # the goal per command, start-up included


def timed(cmd: list[str], env: dict, cwd: Path) -> float:
    """Wall seconds of ``cmd``, which must succeed."""
    start = time.perf_counter()
    subprocess.run(cmd, env=env, cwd=cwd, check=True, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    return time.perf_counter() - start


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=3, help="rounds (default 3)")
    parser.add_argument("--previous", metavar="COMMIT", help="also time the package at COMMIT, side by side")
    parser.add_argument("--python", default=sys.executable, help="the interpreter of the commands (default: this one)")
    args = parser.parse_args(argv)
    if args.repeat < 1:
        parser.error(f"--repeat must be at least 1, got {args.repeat}")
    python = args.python

    from flipflop.dynamics.result import FixedPoints

    runs = sorted((ROOT / "data").glob("simplernn-400-seed*"))
    env = {**os.environ, "TF_CPP_MIN_LOG_LEVEL": "3", "PYTHONPATH": str(ROOT)}
    print(f"{len(runs)} shipped SimpleRNN-400 runs; {python}; {os.cpu_count()} CPU cores; "
          f"load average {os.getloadavg()[0]:.1f}; {args.repeat} rounds")
    with tempfile.TemporaryDirectory() as tmp:
        tmp = Path(tmp)
        copies = {r.name: tmp / "runs" / r.name for r in runs}
        for r in runs:
            shutil.copytree(r, copies[r.name])
        with worktree(args.previous, tmp / "previous") if args.previous else contextlib.nullcontext() as tree:
            floor, ours, theirs = [], {r.name: [] for r in runs}, {r.name: [] for r in runs}
            for k in range(args.repeat):
                floor.append(timed([python, "-c", "import gc, tensorflow, keras; gc.freeze()"], env, tmp))
                for name, run in copies.items():
                    ours[name].append(timed([python, "-m", "flipflop.cli", "fixed-points", str(run)], env, ROOT))
                    if tree is not None:
                        theirs[name].append(timed([python, "-m", "flipflop.cli", "fixed-points", str(run)],
                                                  {**env, "PYTHONPATH": str(tree)}, tree))
                line = ", ".join(f"{n[-5:]} {ours[n][-1]:.1f} s" + (f" (at {args.previous}: {theirs[n][-1]:.1f} s)"
                                                                    if tree is not None else "") for n in ours)
                print(f"round {k + 1}: import tensorflow, keras {floor[-1]:.1f} s; {line}", flush=True)

        print(f"\nstart-up floor (import tensorflow, keras): {min(floor):.1f}-{max(floor):.1f} s")
        every = [t for ts in ours.values() for t in ts]
        for name, run in copies.items():
            ref = FixedPoints.load(ROOT / "data" / name / "fixed_points.npz")
            new = FixedPoints.load(run / "fixed_points.npz")
            fixed = new.is_fixed
            row = f"{name}: {min(ours[name]):.1f}-{max(ours[name]):.1f} s"
            if tree is not None:
                row += f" (at {args.previous}: {min(theirs[name]):.1f}-{max(theirs[name]):.1f} s)"
            print(f"{row}; {census(new.n_unstable[fixed])}; {same_census(ref, new.points[fixed], new.n_unstable[fixed])}")
        met = sum(t <= GOAL_S for t in every)
        print(f"\nflipflop fixed-points: {min(every):.1f}-{max(every):.1f} s over {len(every)} commands; "
              f"{met} of {len(every)} within the {GOAL_S:.0f} s goal")
        if tree is not None:
            old = [t for ts in theirs.values() for t in ts]
            print(f"at {args.previous}: {min(old):.1f}-{max(old):.1f} s; median ratio "
                  f"{sorted(old)[len(old) // 2] / sorted(every)[len(every) // 2]:.2f}x")
    return 0


if __name__ == "__main__":
    sys.exit(main())
