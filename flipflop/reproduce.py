"""``flipflop reproduce``: train the four realisations, then draw every figure of the paper.

Runs that already finished in ``runs_dir`` are reused and interrupted ones resume, so the
command can be stopped and started again at any point.
"""
from __future__ import annotations

import time
from pathlib import Path
from typing import Callable, Sequence

from flipflop import report
from flipflop.runs import ensure_writable_dir
from flipflop.tasks.flipflop import FlipFlopTask
from flipflop.training import TrainConfig, train

# SimpleRNN realisations train past the criterion (0.999, 0.02) to this one, which
# takes 2 more epochs (~15 s) each; the networks in data/ were made with exactly these
# configs. Other cells stop at the criterion: they may take far longer to reach this one.
TARGET = dict(target_accuracy=0.9999, target_mse=0.005, patience=10)
# --quick: the whole pipeline on tiny networks and short trials (a smoke test, ~1 minute).
QUICK = dict(units=24, batch_size=32, samples_per_epoch=256, epochs=3, learning_rate=1e-2, val_samples=64,
             task=FlipFlopTask(duration_ms=120.0).to_dict())


def realisation_configs(cell: str = "simplernn", seeds: Sequence[int] = (0, 1, 2, 3), quick: bool = False,
                        recipe: str = "fast", units: int | None = None) -> list[TrainConfig]:
    """The training configs of the realisations (paper configuration, our default recipe;
    SimpleRNNs trained to ``TARGET``); with ``quick``, tiny ones on short trials."""
    extra = dict(QUICK) if quick else dict(TARGET) if cell == "simplernn" else {}
    if units is not None:
        extra["units"] = units
    return [TrainConfig.from_recipe(recipe, cell=cell, seed=seed, **extra) for seed in seeds]


def reproduce(cell: str = "simplernn", seeds: Sequence[int] = (0, 1, 2, 3), runs_dir: str | Path = "runs",
              out: str | Path = "figures", formats: Sequence[str] = ("png",), quick: bool = False,
              recipe: str = "fast", reference: str | Path | None = None, fixed_points: bool = True,
              log: Callable[[str], None] = print) -> list[Path]:
    """Train (or reuse) one run per seed in ``runs_dir``, then write figures and REPORT.md to ``out``."""
    t0 = time.perf_counter()
    runs_dir, _ = ensure_writable_dir(runs_dir), ensure_writable_dir(out)
    configs = realisation_configs(cell, seeds, quick, recipe)
    total = len(configs) + 1
    paths, timings = [], {}
    for i, config in enumerate(configs, 1):
        path = runs_dir / f"{'quick-' if quick else ''}{cell}-{config.units}-seed{config.seed}"
        log(f"[{i}/{total}] training {path} ({config.recipe} recipe)")
        t = time.perf_counter()
        result = train(config, path, verbose=0, log=lambda m: log(f"    {m}"))
        timings[f"training {path.name}"] = time.perf_counter() - t
        if not result.reached_target:
            log(f"    warning: {path} stopped before reaching the target; its figures may be poor")
        paths.append(path)
    log(f"[{total}/{total}] analyses, fixed points and figures into {out}")
    t = time.perf_counter()
    written = report.figures_from_runs(paths, out, formats, reference=reference,
                                       fixed_points=fixed_points, log=log,
                                       fixed_points_for=1, timings=timings)
    log(f"done in {time.perf_counter() - t0:.0f} s (figures {time.perf_counter() - t:.0f} s)")
    return written
