"""The primer's tasks: trial generation, time per epoch against the flip-flop's, and time to the bars.

For each task: the median time to generate 10,000 trials (5 repeats); then a network is
trained with ``flipflop train``'s path (``flipflop.training.train``, our fast recipe, the task's
training target; the primer's Dale CTRNN gets ``reproduce --task``'s config) and evaluated on
4,000 fresh trials against the primer's bars (``flipflop.evaluation``). The flip-flop's epoch
time is measured on two epochs of a SimpleRNN of the same size. Wall-clock seconds depend on
the machine's load: the epochs count does not.

    python benchmarks/bench_tasks.py                       # both cells, every task (~15 min on 2 cores)
    python benchmarks/bench_tasks.py --cells simplernn --tasks perceptual_dm
"""
from __future__ import annotations

import argparse
import os
import tempfile
import time
from pathlib import Path

import numpy as np

TASKS = ("perceptual_dm", "context_dm", "parametric_wm", "match_category")


def generation_seconds(name: str, n: int = 10_000, repeats: int = 5) -> tuple[float, float]:
    """Median wall-clock and CPU (this process) seconds to generate ``n`` trials: on a shared
    machine the CPU time is the load-independent one."""
    from flipflop.tasks import make_task

    task = make_task(name)
    task.generate(100, 0)
    wall, cpu = [], []
    for r in range(repeats):
        t, c = time.perf_counter(), time.process_time()
        task.generate(n, r)
        wall.append(time.perf_counter() - t)
        cpu.append(time.process_time() - c)
    return float(np.median(wall)), float(np.median(cpu))


def config_for(task: str, cell: str, units: int):
    from flipflop.experiments.primer import task_configs

    (config,) = task_configs(task, [0], cell=cell, units=units)
    return config


def train_and_evaluate(config, folder: Path) -> dict:
    from flipflop.reports.evaluate import evaluate_run
    from flipflop.runs import read_history
    from flipflop.training import train

    t = time.perf_counter()
    result = train(config, folder, verbose=0, log=lambda s: None)
    seconds = time.perf_counter() - t
    history = [r["seconds"] for r in read_history(folder / "history.csv")]
    ev = evaluate_run(folder)
    return {"seconds": seconds, "epochs": result.epochs_run, "reached": result.reached_target,
            "epoch_s": float(np.median(history)), "bars": ev["bars"]}


def flipflop_epoch_seconds(units: int, folder: Path) -> float:
    from flipflop.runs import read_history
    from flipflop.training import TrainConfig, train

    config = TrainConfig.from_recipe("fast", units=units, epochs=2, target_accuracy=1.0, target_mse=1e-9)
    train(config, folder, verbose=0, log=lambda s: None)
    return float(np.median([r["seconds"] for r in read_history(folder / "history.csv")]))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--cells", default="simplernn,ctrnn", help="simplernn (128 units) and/or ctrnn (primer)")
    parser.add_argument("--tasks", default=",".join(TASKS))
    parser.add_argument("--generation-only", action="store_true", help="only time trial generation")
    parser.add_argument("--units", type=int, default=128, help="SimpleRNN units (default 128)")
    args = parser.parse_args()
    import flipflop.backend  # noqa: F401

    print(f"load average at start: {os.getloadavg()[0]:.1f} on {os.cpu_count()} cores")
    tasks = args.tasks.split(",")
    print("| task | generate 10,000 trials: wall s | CPU s |\n|---|---|---|")
    for name in tasks:
        wall, cpu = generation_seconds(name)
        print(f"| {name} | {wall:.3f} | {cpu:.3f} |", flush=True)
    if args.generation_only:
        return
    with tempfile.TemporaryDirectory() as tmp:
        ff = flipflop_epoch_seconds(args.units, Path(tmp) / "flipflop")
        print(f"\nflip-flop SimpleRNN-{args.units}: {ff:.1f} s per epoch (2048 trials of 340 steps)\n")
        print("| task | network | epochs | s to target | s per epoch (x flip-flop) | bars met | bars |")
        print("|---|---|---|---|---|---|---|")
        for cell in args.cells.split(","):
            for name in tasks:
                config = config_for(name, cell, args.units if cell == "simplernn" else None)
                r = train_and_evaluate(config, Path(tmp) / f"{name}-{cell}")
                net = f"SimpleRNN-{config.units}" if cell == "simplernn" else f"CTRNN-{config.units} Dale"
                bars = "; ".join(f"{b['name']}: {b['value']:.3g}" for b in r["bars"] if b["value"] is not None)
                print(f"| {name} | {net} | {r['epochs']} | {r['seconds']:.0f} | {r['epoch_s']:.1f} "
                      f"({r['epoch_s'] / ff:.2f}) | {sum(b['met'] for b in r['bars'])}/{len(r['bars'])} | {bars} |",
                      flush=True)
    print(f"\nload average at end: {os.getloadavg()[0]:.1f}")


if __name__ == "__main__":
    main()
