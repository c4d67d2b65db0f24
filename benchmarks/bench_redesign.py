"""Before/after a redesign: same weights, same time per epoch (measured side by side).

Trains the default SimpleRNN-400 seed 0 (fast recipe) for ``--epochs`` epochs with the
package as it was before a redesign (git commit ``--before``, checked out into a temporary
worktree) and as it is now, alternating, each in a fresh process, and prints the seconds per
epoch of both and whether the final weights are bit-identical. ``--before 7acd445`` is the
commit before the package was laid out in layers (one folder per task); ``ef8d46d`` the one
before the task seam.

    python benchmarks/bench_redesign.py [--epochs 3] [--repeats 2] [--before 7acd445]
"""
from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from worktree import worktree  # noqa: E402

ROOT = Path(__file__).resolve().parents[1]

CHILD = r"""
import json, sys, time, numpy as np
from flipflop.training import TrainConfig, train
from flipflop import runs
config = TrainConfig.from_recipe("fast", epochs=int(sys.argv[2]), target_accuracy=1.0, target_mse=1e-9, patience=99)
train(config, sys.argv[1], verbose=0, log=lambda s: None)
hist = runs.read_history(sys.argv[1] + "/history.csv")
w = runs.load_model(sys.argv[1] + "/model.keras").get_weights()
np.savez(sys.argv[1] + "/weights.npz", *w)
print(json.dumps({"seconds": [r["seconds"] for r in hist]}))
"""


def run(code_root: Path, out: Path, epochs: int) -> list[float]:
    env = {**os.environ, "PYTHONPATH": str(code_root), "TF_CPP_MIN_LOG_LEVEL": "3"}
    proc = subprocess.run([sys.executable, "-c", CHILD, str(out), str(epochs)], env=env, capture_output=True,
                          text=True, check=True, cwd=code_root)
    return json.loads(proc.stdout.strip().splitlines()[-1])["seconds"]


def weights(path: Path) -> list:
    import numpy as np

    with np.load(path / "weights.npz") as f:
        return [f[k] for k in sorted(f.files, key=lambda k: int(k.split("_")[1]))]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--epochs", type=int, default=3)
    parser.add_argument("--repeats", type=int, default=2)
    parser.add_argument("--before", default="7acd445", help="commit before the redesign")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        tmp = Path(tmp)
        with worktree(args.before, tmp / "before") as old:
            times = {"before": [], "after": []}
            for r in range(args.repeats):
                for name, root in (("before", old), ("after", ROOT)):
                    times[name] += run(root, tmp / f"{name}-{r}", args.epochs)
            same = all(a.tobytes() == b.tobytes() for a, b in zip(weights(tmp / "before-0"), weights(tmp / "after-0")))
    import statistics

    print(f"SimpleRNN-400, seed 0, fast recipe, {args.epochs} epochs x {args.repeats} runs each, alternating")
    print(f"{'code':<8}{'median s/epoch':>16}{'min':>8}{'max':>8}")
    for name, t in times.items():
        print(f"{name:<8}{statistics.median(t):>16.2f}{min(t):>8.2f}{max(t):>8.2f}")
    ratio = statistics.median(times["after"]) / statistics.median(times["before"])
    print(f"after / before: {ratio:.3f}")
    print(f"final weights bit-identical: {same}")


if __name__ == "__main__":
    main()
