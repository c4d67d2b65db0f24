"""The paper's experiment: four realisations of its SimpleRNN-400 on the 3-bit flip-flop, and
where its own published checkpoint is found.

SimpleRNNs train with the faithful recipe, whose W_rec keeps the paper's ring of eigenvalues
at |lambda| = 1, to validation bit accuracy >= 0.9995 and MSE <= 0.01, past the paper
network's held-out scores (0.99939, 0.0134). Other cells take `train`'s fast recipe and
criterion (faithful has no rate for them). ``scripts/train_shipped.py`` made ``data/`` from
the same table.
"""
from __future__ import annotations

import os
from pathlib import Path
from typing import Sequence

from flipflop.errors import FlipFlopError
from flipflop.experiments.experiment import Experiment
from flipflop.training.config import TrainConfig

TASK = "flipflop"
REALISATION = {"simplernn": dict(recipe="faithful", target_accuracy=0.9995, target_mse=0.01, patience=10)}
# --quick: the whole pipeline on tiny networks and short trials (a smoke test, ~1 minute).
QUICK = dict(units=24, batch_size=32, samples_per_epoch=256, epochs=3, learning_rate=1e-2, val_samples=64,
             task={"name": TASK, "duration_ms": 120.0})

PAPER_FILE = "ff_3b_weights-20.hdf5"
PAPER_INITIAL = "_N_00_initial.hdf5"
# Where the paper's checkpoint is looked for when --paper is not given (README: how to get it).
PAPER_SEARCH = ("FLIPFLOP_PAPER_CHECKPOINT", Path("paper-checkpoint"),
                Path(__file__).resolve().parents[3] / "shared" / "reference" / "paper-checkpoint")


def realisation_configs(task: str = TASK, seeds: Sequence[int] = (0, 1, 2, 3), cell: str = "simplernn",
                        quick: bool = False, recipe: str | None = None, units: int | None = None) -> list[TrainConfig]:
    """The training configs of the realisations (the paper's network; ``REALISATION``'s
    recipe and target for the cell, else `train`'s); with ``quick``, tiny ones on short
    trials. ``recipe`` overrides the table's."""
    from flipflop.tasks import make_task

    extra = dict(QUICK) if quick else dict(REALISATION.get(cell, {}))
    extra["task"] = make_task({**extra.get("task", {}), "name": task}).to_dict()
    table_recipe = extra.pop("recipe", "fast")
    if units is not None:
        extra["units"] = units
    return [TrainConfig.from_recipe(recipe or table_recipe, cell=cell, seed=seed, **extra) for seed in seeds]


def run_name(config: TrainConfig, quick: bool = False) -> str:
    """``simplernn-400-seed0`` (``quick-`` in front for ``--quick``)."""
    return f"{'quick-' if quick else ''}{config.cell}-{config.units}-seed{config.seed}"


def find_paper_checkpoint(given: str | Path | None = None) -> Path | None:
    """The paper's epoch-20 checkpoint: ``given`` (a file or its folder; missing is an error),
    else ``$FLIPFLOP_PAPER_CHECKPOINT``, ``./paper-checkpoint/`` or the reference folder."""
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


PAPER = Experiment("the paper's", realisation_configs, run_name, cell="simplernn", seeds=(0, 1, 2, 3),
                   subfolder=False, reference=True)
