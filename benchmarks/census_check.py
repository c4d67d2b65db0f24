"""Every shipped network's fixed points searched again, against the committed files.

For each run in ``data/`` and each of its ``fixed_points*.npz``, the search that made it
(:func:`flipflop.dynamics.search.compute_fixed_points`, at the file's input, with the task
spec's number of starts) runs again, and the census is compared: every committed point
matched within 1e-4 of the largest state norm, with the same number of unstable modes, and
nothing more. Prints one line per file, with the search's wall and CPU time.

    PYTHONPATH=. python benchmarks/census_check.py [RUN_NAME ...]
"""
from __future__ import annotations

import os
import sys
import time
from pathlib import Path

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")

import numpy as np  # noqa: E402

sys.path.insert(0, str(Path(__file__).resolve().parent))
from bench_fixed_points import census, same_census  # noqa: E402

DATA = Path(__file__).resolve().parents[1] / "data"


def main(names: list[str]) -> int:
    from flipflop.dynamics.result import FixedPoints
    from flipflop.dynamics.search import compute_fixed_points
    from flipflop.reports.specs import analysis_of
    from flipflop.runs import load_run

    names = names or [p.name for p in sorted(DATA.iterdir()) if p.is_dir()]
    differ = 0
    for name in names:
        run = load_run(DATA / name)
        model, task = run.model(), run.task()
        starts = analysis_of(task).fixed_point_starts
        for f in sorted((DATA / name).glob("fixed_points*.npz")):
            old = FixedPoints.load(f).fixed_only()
            wall, cpu = time.perf_counter(), time.process_time()
            new = compute_fixed_points(model, task, None, n_init=starts,
                                       constant_input=old.input if np.any(old.input) else None).fixed_only()
            wall, cpu = time.perf_counter() - wall, time.process_time() - cpu
            verdict = same_census(old, new.points, new.n_unstable)
            differ += not verdict.startswith("same census")
            print(f"{name}/{f.name}: {census(new.n_unstable)}; {verdict}; {wall:.1f} s wall, {cpu:.1f} s CPU",
                  flush=True)
    return 1 if differ else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
