"""``flipflop reproduce``: train the four realisations, then draw every figure of the paper.

Runs that already finished in ``runs_dir`` are reused and interrupted ones resume, so the
command can be stopped and started again at any point.
"""
from __future__ import annotations

import time
from pathlib import Path
from typing import Callable, Sequence

from flipflop import report
from flipflop.errors import FlipFlopError
from flipflop.runs import METRICS, ensure_writable_dir
from flipflop.tasks import make_task
from flipflop.training import TrainConfig, train

# The realisations (one table for `reproduce` and scripts/train_shipped.py, which made data/):
# SimpleRNNs train with the faithful recipe, whose W_rec keeps the paper's ring of
# eigenvalues at |lambda| = 1, to validation bit accuracy >= 0.9995 and MSE <= 0.01, past the
# paper network's held-out scores (0.99939, 0.0134). Other cells take `train`'s fast recipe
# and criterion (faithful has no rate for them).
REALISATION = {"simplernn": dict(recipe="faithful", target_accuracy=0.9995, target_mse=0.01, patience=10)}
# --quick: the whole pipeline on tiny networks and short trials (a smoke test, ~1 minute).
QUICK = dict(units=24, batch_size=32, samples_per_epoch=256, epochs=3, learning_rate=1e-2, val_samples=64,
             task=make_task({"name": "flipflop", "duration_ms": 120.0}).to_dict())


def realisation_configs(cell: str = "simplernn", seeds: Sequence[int] = (0, 1, 2, 3), quick: bool = False,
                        recipe: str | None = None, units: int | None = None) -> list[TrainConfig]:
    """The training configs of the realisations (the paper's network; ``REALISATION``'s
    recipe and target for the cell, else `train`'s); with ``quick``, tiny ones on short
    trials. ``recipe`` overrides the table's."""
    extra = dict(QUICK) if quick else dict(REALISATION.get(cell, {}))
    table_recipe = extra.pop("recipe", "fast")
    recipe = recipe or table_recipe
    if units is not None:
        extra["units"] = units
    return [TrainConfig.from_recipe(recipe, cell=cell, seed=seed, **extra) for seed in seeds]


OUTPUT = Path("flipflop-out")  # the default output folder, in the working directory
PAPER_FILE = "ff_3b_weights-20.hdf5"
PAPER_INITIAL = "_N_00_initial.hdf5"
# Where the paper's checkpoint is looked for when --paper is not given (README: how to get it).
PAPER_SEARCH = ("FLIPFLOP_PAPER_CHECKPOINT", Path("paper-checkpoint"),
                Path(__file__).resolve().parents[2] / "shared" / "reference" / "paper-checkpoint")


def find_paper_checkpoint(given: str | Path | None = None) -> Path | None:
    """The paper's epoch-20 checkpoint: ``given`` (a file or its folder; missing is an error),
    else ``$FLIPFLOP_PAPER_CHECKPOINT``, ``./paper-checkpoint/`` or the reference folder."""
    import os

    if given is not None:
        path = Path(given)
        path = path / PAPER_FILE if path.is_dir() else path
        if not path.is_file():
            raise FlipFlopError(f"no paper checkpoint at {given} (expected {PAPER_FILE} or its folder)")
        return path
    for place in PAPER_SEARCH:
        folder = Path(os.environ.get(place, "")) if isinstance(place, str) else place
        if str(folder) not in ("", ".") and (folder / PAPER_FILE).is_file():
            return folder / PAPER_FILE
    return None


def train_all(configs: Sequence[TrainConfig], paths: Sequence[Path], log: Callable[[str], None] = print) -> dict:
    """Train (or reuse, or resume) each config into its run directory, one after another,
    saying so; returns the seconds each took, by run."""
    timings = {}
    for i, (config, path) in enumerate(zip(configs, paths), 1):
        log(f"[{i}/{len(configs) + 1}] training {path} ({config.recipe} recipe)")
        t = time.perf_counter()
        result = train(config, path, verbose=1, log=lambda m: log(f"    {m}"))
        what = "reusing the finished" if result.reused else "training"
        timings[f"{what} {path.name} ({result.epochs_run} epochs)"] = time.perf_counter() - t
        if not result.reached_target:
            log(f"    warning: {path} stopped before reaching the target; its figures may be poor")
    return timings


def _check_seeds(seeds: Sequence[int]) -> list[int]:
    seeds = list(seeds)
    if not seeds:
        raise FlipFlopError("--seeds is empty; give e.g. 0,1,2,3")
    for s in seeds:
        if isinstance(s, bool) or not isinstance(s, int) or s < 0:
            raise FlipFlopError(f"--seeds must be non-negative integers, got {s!r}")
    if len(set(seeds)) != len(seeds):
        raise FlipFlopError(f"--seeds repeats a seed: {seeds}")
    return seeds


def reproduce(cell: str = "simplernn", seeds: Sequence[int] = (0, 1, 2, 3), runs_dir: str | Path = OUTPUT / "runs",
              out: str | Path = OUTPUT / "figures", formats: Sequence[str] = ("png",), quick: bool = False,
              recipe: str | None = None, reference: str | Path | None = None, fixed_points: bool = True,
              paper: str | Path | None = None, log: Callable[[str], None] = print) -> list[Path]:
    """Train (or reuse) one run per seed in ``runs_dir``, then write figures and REPORT.md to ``out``.

    The paper's network joins every figure and table when its checkpoint is found
    (:func:`find_paper_checkpoint`; ``reference`` names an imported run instead).
    Everything is validated before any folder is created.
    """
    t0 = time.perf_counter()
    configs = realisation_configs(cell, _check_seeds(seeds), quick, recipe)  # validates cell and recipe
    paper_file = None if reference is not None or quick else find_paper_checkpoint(paper)
    runs_dir, out = Path(runs_dir), Path(out)
    for folder in (runs_dir, out):
        if folder.exists() and not folder.is_dir():
            raise FlipFlopError(f"{folder} exists and is not a folder")
    runs_dir, _ = ensure_writable_dir(runs_dir), ensure_writable_dir(out)
    if paper_file is not None:
        reference = runs_dir / "paper-epoch20"
        if not (reference / METRICS).is_file():
            from flipflop.legacy import import_legacy

            initial = paper_file.parent / PAPER_INITIAL
            import_legacy(paper_file, reference, initial=initial if initial.is_file() else None, force=True)
        log(f"the paper's network: {paper_file} (imported into {reference})")
    elif reference is None and not quick:
        log("the paper's checkpoint was not found (give --paper PATH; the README says where to get it): "
            "the figures and REPORT have no paper row")
    total = len(configs) + 1
    paths = [runs_dir / f"{'quick-' if quick else ''}{cell}-{c.units}-seed{c.seed}" for c in configs]
    timings = train_all(configs, paths, log)
    log(f"[{total}/{total}] analyses, fixed points and figures into {out}")
    t = time.perf_counter()
    written = report.figures_from_runs(paths, out, formats, reference=reference, log=log, timings=timings,
                                       fixed_points="missing" if fixed_points else False)
    log(f"done in {time.perf_counter() - t0:.0f} s (figures {time.perf_counter() - t:.0f} s)")
    log(f"runs: {runs_dir}")
    log(f"figures and REPORT: {out / 'REPORT.md'}")
    return written
