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
# # 4. Activity on the cube: SVD trajectories and the 8 memories (Figs. 5–6)
#
# Run the 8-state series (notebook 1) through a trained network and record its 400 units
# at every step: a trajectory in a 400-dimensional space. The paper reduces it to its three
# largest directions and finds the 8 memories at the corners of a **cube**, one bit per
# axis. (Its figures say "PCA"; its code computes an uncentred truncated SVD, and so do we;
# `project(..., method="pca")` centres first.)

# %% tags=["parameters"]
# Size: "small" or "default" (set here or with FLIPFLOP_NOTEBOOK_SIZE). This chapter only reads
# the four networks shipped in data/, in seconds, so both sizes draw Figs. 5-6 as `flipflop
# figures` does.
import os
from pathlib import Path

SIZE = os.environ.get("FLIPFLOP_NOTEBOOK_SIZE", "default")
OUT = Path(os.environ.get("FLIPFLOP_NOTEBOOK_OUT", "notebook-out")) / "04_activity"
assert SIZE in ("small", "default"), SIZE

# %%
import numpy as np
from IPython.display import Image

import flipflop
from flipflop.analysis.activity import project
from flipflop.analysis.compare import pairwise_procrustes, procrustes_distance
from flipflop.plotting.io import save_figure
from flipflop.runs import shipped_runs
from flipflop.tasks.flipflop.cube import cube_corners
from flipflop.tasks.flipflop.task import state_label

paths = shipped_runs("flipflop")
analyses = [flipflop.analyse(p) for p in paths]
a = analyses[0]
print("hidden activity on the series:", a.hidden.shape, "(trials, steps, units)")

# %% [markdown]
# ## Fig. 5: the series, the outputs and the trajectory
#
# Top: inputs, targets and the network's outputs on the series; bottom: the trajectory in
# the top-3 SVD space, each resting state coloured by the memory it holds.

# %%
Image(save_figure(flipflop.draw_figure(analyses, "fig5_eight_states"), OUT / f"fig5_eight_states_{a.label}")[0])

# %% [markdown]
# How much of the activity those three directions hold, and how cube-like the 8 resting
# states are: the R² of the best affine map from the corners {±1}³ to the states'
# centroids, a linear decoder's accuracy per bit, and the angles between the fitted bit
# axes (90° for a right-angled cube).

# %%
p, cube = a.extras["projection"], a.extras["cube"]
print("variance per SVD axis:", np.round(p.variance_ratio, 3))
print(f"cube R² {cube.r2:.4f}; bit decoding {np.round(cube.bit_decoding, 3)}")
print("bit-axis angles (°):", np.round(cube.axis_angles_deg[np.triu_indices(3, 1)], 1))
for s, c in enumerate(cube.centroids):
    print(f"  state {state_label(s, 3)}: centroid {np.round(c, 2)}")

# %% [markdown]
# Centring changes the picture only by a shift: the same cube in PCA space.

# %%
pca = project(a.hidden[0], method="pca")
print("PCA variance per axis:", np.round(pca.variance_ratio, 3))

# %% [markdown]
# ## Fig. 6: a cube in every network, rotated differently
#
# The same series through each realisation, each cube aligned to the ideal one for display.

# %%
Image(save_figure(flipflop.draw_figure(analyses, "fig6_cubes"), OUT / "fig6_cubes")[0])

# %% [markdown]
# ## Procrustes: "the same cube, rotated"
#
# `scipy.spatial.procrustes` finds the translation, rotation (or reflection) and scale that
# best map one set of 8 centroids onto another; the disparity left is 0 for the same cube.
# Between realisations:

# %%
d = pairwise_procrustes([x.extras["cube"].centroids for x in analyses])
print("      " + " ".join(f"{x.label[-5:]:>8}" for x in analyses))
for x, row in zip(analyses, d):
    print(f"{x.label[-5:]:>6}", " ".join(f"{v:8.4f}" for v in row))
print("to the ideal cube:", [round(procrustes_distance(x.extras["cube"].centroids, cube_corners(3)), 4) for x in analyses])
