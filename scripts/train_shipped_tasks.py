"""Train the shipped primer-task networks in data/: one CTRNN per task in the primer's setting
(100 units, Dale's law 0.8, tau 100 ms, dt 20 ms), exactly as `flipflop reproduce --task NAME`
trains them (with `flipflop.experiments.primer.MECHANISMS`' settings where the mechanism
needs them), slimmed for shipping (no optimizer state), with their fixed points and
mechanism measures cached.

    python scripts/train_shipped_tasks.py [--tasks perceptual_dm,...] [--out data]
"""
import argparse
from pathlib import Path

from flipflop.experiments.primer import run_name, task_configs
from flipflop.reports.analyse import analyse_run
from flipflop.training import train

from train_shipped import slim

TASKS = "perceptual_dm,context_dm,parametric_wm,match_category"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--tasks", default=TASKS)
    parser.add_argument("--out", type=Path, default=Path("data"))
    args = parser.parse_args()
    for task in args.tasks.split(","):
        (config,) = task_configs(task, [0])
        path = args.out / run_name(config)
        result = train(config, path, verbose=0)
        slim(path)
        analysed = analyse_run(path, fixed_points="missing")
        print(path, result.epochs_run, "epochs", result.metrics["heldout"],
              [(b["name"], b["value"], b["met"]) for b in analysed.evaluation["bars"]], sep="\n", flush=True)


if __name__ == "__main__":
    main()
