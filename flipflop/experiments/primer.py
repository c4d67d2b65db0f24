"""The primer's experiment (Yang & Wang 2020, after Song et al. 2016), for every task but the
paper's: a CTRNN of 100 units with Dale's law (80 % excitatory), tau = 100 ms, at the task's
step (dt = 20 ms for the primer's tasks), trained with the fast recipe until the task's
training target (``TARGETS``: the task's default, raised where the bars need more). Where the
mechanism needs more (``MECHANISMS``: issue 22's line attractors and category attractors),
the CTRNN trains with recurrent noise, on the delays that the memory must bridge (reached by
a delay curriculum) and past the target (``min_epochs``). The first run gets the fixed-point
searches; its figures go into ``out/<task>``.
"""
from __future__ import annotations

from typing import Sequence

from flipflop.experiments.experiment import Experiment
from flipflop.tasks import make_task
from flipflop.training.config import TrainConfig

PRIMER_UNITS = 100
PRIMER_CELL = {"dale_ratio": 0.8, "tau_ms": 100.0}
# Training targets (validation accuracy, masked MSE) where the task's default is not enough
# for the bars: parametric WM and match-to-category stop at 0.97 rather than 0.95, so that the
# fresh-trial accuracy (>= 0.95 over the pairs / away from the boundary) has a margin.
TARGETS: dict[str, dict] = {"parametric_wm": dict(target_accuracy=0.97), "match_category": dict(target_accuracy=0.97)}
# The primer's CTRNN where the mechanism needs more than the behaviour (issue 22; README "The
# primer's mechanisms"): the task's parameters, the cell's and training's, as measured.
# - match-to-category: delays 200-2000 ms (trained at 200-500 ms the category was held for
#   1 s and lost at 2 s, by one stable point), reached by a curriculum of the longest delay
#   per epoch, sigma_rec 0.05 (Yang et al.'s), 15 epochs (validation MSE 0.0002 at epoch 15).
# - parametric WM: delays 500-3000 ms (trained at 500-1000 ms, one stable point held f1 by a
#   slow decay: 0.63 correct at 3 s), a curriculum from 1 s, sigma_rec 0.05, Muon at 3e-3 (at
#   the cell's 1e-2 the validation accuracy swung between 0.67 and 0.95 for 20 epochs), 8 epochs.
# - context DM: variable delays of 0-1000 ms before the go cue (trained without one, the
#   network broke fixation on 55-74 % of delayed trials), a curriculum (0, 0, 0.2, 0.4, 0.6,
#   0.8 s), sigma_rec 0.05, Muon at 3e-3 (at 1e-2 it swung between 0.50 and 0.88 for 13
#   epochs), Yang et al.'s rate and weight penalties (l2_h 3e-3, l2_weight 1e-5) and 30
#   epochs: 0.3 points from the ideal observer at worst (11 epochs without penalties: 3.6).
#   With a 750 ms stimulus no setting of eight gave a line of slow points in both contexts
#   (each context: one point whose slowest mode decays in 0.4-1.1 s); a stimulus of
#   300-3000 ms, drawn per trial, makes leaky integration cost accuracy, and gave lines in
#   both contexts (README, "The primer's mechanisms";
#   benchmarks/results/primer_front_context_dm.md).
MECHANISMS: dict[str, dict] = {
    "context_dm": dict(task=dict(delay_ms=(0.0, 1000.0), stimulus_ms=(300.0, 3000.0)),
                       cell=dict(sigma_rec=0.05, l2_h=3e-3, l2_weight=1e-5),
                       train=dict(delay_curriculum_ms=(0.0, 0.0, 200.0, 400.0, 600.0, 800.0), learning_rate=3e-3,
                                  epochs=30, min_epochs=30, patience=30)),
    "parametric_wm": dict(task=dict(delay_ms=(500.0, 3000.0)), cell=dict(sigma_rec=0.05),
                          train=dict(delay_curriculum_ms=(1000.0, 1000.0, 1000.0, 1500.0, 2000.0, 2500.0),
                                     learning_rate=3e-3, epochs=8, min_epochs=8, patience=30, target_accuracy=0.97)),
    "match_category": dict(task=dict(delay_ms=(200.0, 2000.0)), cell=dict(sigma_rec=0.05),
                           train=dict(delay_curriculum_ms=(500.0, 500.0, 500.0, 800.0, 1100.0, 1400.0, 1700.0),
                                      epochs=15, min_epochs=15, patience=30, target_accuracy=0.97)),
}
# Per (task, cell) settings where the defaults miss a bar (measured, README "Tasks of the primer"):
# a SimpleRNN on perceptual DM stopped at the target after 2 epochs with P(choice 1) at 0 %
# coherence of 0.44 (seed 0), and 0.63 / 0.59 when trained longer at Muon 1e-3; at 3e-4 for 20
# epochs (the 0.99 target is out of reach: the best validation MSE is kept) it is 0.48 (seed 0)
# and 0.50 (seed 1). The zero-coherence bias is the last batches' drift: a smaller step removes it.
CELL_SETTINGS: dict[tuple[str, str], dict] = {
    ("perceptual_dm", "simplernn"): dict(learning_rate=3e-4, target_accuracy=0.99, epochs=20, patience=20)}
# --quick: tiny networks and few trials, the whole pipeline as a smoke test.
QUICK = dict(units=16, batch_size=32, samples_per_epoch=128, epochs=2, learning_rate=1e-2, val_samples=64)


def task_configs(task: str, seeds: Sequence[int] = (0,), cell: str = "ctrnn", quick: bool = False,
                 recipe: str | None = None, units: int | None = None) -> list[TrainConfig]:
    """The training configs of ``task``'s realisations in the primer's setting."""
    extra = dict(QUICK) if quick else dict(TARGETS.get(task, {}), units=PRIMER_UNITS,
                                           **CELL_SETTINGS.get((task, cell), {}))
    mechanism = MECHANISMS.get(task, {}) if cell == "ctrnn" and not quick else {}
    extra.update(mechanism.get("train", {}))
    if units is not None:
        extra["units"] = units
    cell_kwargs = {**PRIMER_CELL, **mechanism.get("cell", {})} if cell == "ctrnn" else {}
    task_params = {**make_task(task).to_dict(), **mechanism.get("task", {})}
    return [TrainConfig.from_recipe(recipe or "fast", cell=cell, seed=s, task=task_params,
                                    cell_kwargs=cell_kwargs, **extra) for s in seeds]


def run_name(config: TrainConfig, quick: bool = False) -> str:
    """``<task>-ctrnn-dale-seed0`` for the primer's setting, else ``<task>-<cell>-<units>-seed0``."""
    task = config.task["name"]
    cell = ("ctrnn-dale" if config.cell == "ctrnn" and config.cell_kwargs.get("dale_ratio")
            else f"{config.cell}-{config.units}")
    return f"{'quick-' if quick else ''}{task}-{cell}-seed{config.seed}"


PRIMER = Experiment("the primer's", task_configs, run_name, cell="ctrnn", seeds=(0,), fixed_points_for=1)
