# ---
# jupyter:
#   jupytext:
#     formats: py:percent
#     text_representation:
#       extension: .py
#       format_name: percent
#   kernelspec:
#     display_name: Python 3
#     language: python
#     name: python3
# ---

# %% [markdown]
# # 8. Populations: a sweep on Ray, and the population report
#
# The paper draws its conclusions from four networks. A claim such as "the trained
# spectrum keeps a ring at |λ| = 1 with a few outliers" is a statement about every
# network the recipe makes; a sweep trains many (seeds, sizes, cells, any training or task
# parameter) as ordinary run directories, and the population report states each claim as
# a number across them. The same as `flipflop sweep` and `flipflop sweep-report`.

# %% tags=["parameters"]
# Size: "small" (two 16-unit networks on short 2-bit trials, one epoch each, no fixed points)
# or "default" (four SimpleRNN-64 seeds on the paper's task, with the fixed-point census:
# several minutes). Set it here or with FLIPFLOP_NOTEBOOK_SIZE. Needs the [sweep] extra (Ray
# Tune); without Ray the same grid runs in turn in this process.
import os
from pathlib import Path

SIZE = os.environ.get("FLIPFLOP_NOTEBOOK_SIZE", "default")
OUT = Path(os.environ.get("FLIPFLOP_NOTEBOOK_OUT", "notebook-out")) / "08_populations"
assert SIZE in ("small", "default"), SIZE

# %%
import contextlib
import csv
import importlib.util

from IPython.display import Image, Markdown, display

from flipflop import sweep as sw
from flipflop.sweep.population import sweep_report

LOCAL = importlib.util.find_spec("ray") is None  # no [sweep] extra: run in turn, without Ray
if SIZE == "small":
    grid = sw.Grid(units=(16,), seeds=(0, 1), settings=(("epochs", (1,)), ("samples_per_epoch", (128,)),
                                                        ("val_samples", (64,)), ("task.n_bits", (2,)),
                                                        ("task.duration_ms", (200.0,))))
else:
    grid = sw.Grid(units=(64,), seeds=(0, 1, 2, 3), settings=(("epochs", (3,)),))
print(f"{len(sw.points(grid))} runs:", [p.name for p in sw.points(grid)], "(Ray)" if not LOCAL else "(in turn)")

# %% [markdown]
# Each point of the grid is one Ray Tune trial with one CPU, and TensorFlow's thread pools
# inside it are sized to that CPU, so a 2-core laptop trains two at a time. The sweep
# folder is the checkpoint: running the cell again skips finished runs and resumes the
# others.

# %%
sweep = sw.open_sweep(SIZE, grid, root=OUT / "sweeps", force=True)
with contextlib.nullcontext() if LOCAL else sw.ray_session(num_cpus=2):  # one Ray for both steps
    result = sw.run_local(sweep) if LOCAL else sw.run_ray(sweep, cpus_per_trial=1)
    print(f"{len(result.done)} trained, {len(result.skipped)} already finished, {len(result.failed)} failed, "
          f"{result.seconds:.0f} s")
    written = sweep_report(SIZE, OUT / "sweeps", fixed_points=SIZE == "default", local=LOCAL)

# %% [markdown]
# ## The population report
#
# `population.csv`: one row per run (its parameters, training time, held-out scores, the
# spectrum's summary, the cube's R², the fixed-point census and the Procrustes distances to
# the others); `POPULATION.md`: the claims as numbers; and the figures.

# %%
with open(sweep.path / "population.csv") as f:
    rows = list(csv.DictReader(f))
for row in rows:
    print({k: row[k] for k in ("name", "seed", "status", "epochs_run", "heldout_bit_accuracy", "spectral_radius", "n_above_1.01", "cube_r2")
           if k in row})
display(Markdown((sweep.path / "POPULATION.md").read_text()))

# %%
for path in written:
    if path.suffix == ".png":
        display(Image(path))
