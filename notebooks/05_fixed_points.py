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
# # 5. Fixed points and linearisation (Figs. 7–8)
#
# With the input off, the network is a map h ↦ F(h) = tanh(W<sub>rec</sub> h). Its fixed
# points F(h\*) = h\* are where activity can rest. We find them as Sussillo and Barak
# (2013) do: minimise q(h) = ½ ‖F(h) − h‖² from many states the
# network visits, keep the minima with q ≈ 0, and linearise F there. The
# eigenvalues of the Jacobian ∂F/∂h at a point say whether it is
# stable (all |λ| < 1: a memory) or a saddle, and along how many directions
# activity leaves it.
#
# An ideal 3-bit flip-flop (three independent bistable switches) has 8 stable points, 12
# saddles with one unstable mode between neighbouring memories, 6 with two and 1 with three.

# %% tags=["parameters"]
# Size: "small" (a 64-start search) or "default" (the search from 1,024 starts on a 400-unit
# network that made the cached points: a minute or two). Figs. 7-8 come from the fixed points cached in data/
# at both sizes, as `flipflop figures` draws them. Set it here or with FLIPFLOP_NOTEBOOK_SIZE.
import os
from pathlib import Path

SIZE = os.environ.get("FLIPFLOP_NOTEBOOK_SIZE", "default")
OUT = Path(os.environ.get("FLIPFLOP_NOTEBOOK_OUT", "notebook-out")) / "05_fixed_points"
assert SIZE in ("small", "default"), SIZE

# %%
import numpy as np
from IPython.display import Image

import flipflop
from flipflop.plotting.io import save_figure
from flipflop.runs import shipped_runs
from flipflop.tasks.flipflop.analysis import stable_memories
from flipflop.tasks.flipflop.task import state_label

paths = shipped_runs("flipflop")
a = flipflop.analyse(paths[0])  # reads the fixed points cached in the run (fixed_points.npz)
fps = a.fixed_points_at(None).result  # None: the zero input
print(fps.summary(a.task.ideal_census()))

# %% [markdown]
# ## The census
#
# Which memory each stable point holds (the readout there, bit by bit), and how many
# unstable modes each saddle has:

# %%
stable, codes = stable_memories(a)
print("stable points hold:", sorted(state_label(c, 3) if c >= 0 else "a bit at 0" for c in codes))
modes, counts = np.unique(fps.n_unstable[fps.n_unstable > 0], return_counts=True)
print("saddles by unstable modes:", {int(m): int(c) for m, c in zip(modes, counts)})
print("the slowest unstable eigenvalue of each saddle:",
      np.round(np.sort([np.abs(ev[n - 1]) for ev, n in zip(fps.eigenvalues, fps.n_unstable) if n > 0]), 3))

# %% [markdown]
# ## Fig. 7: the fixed points on the trajectory
#
# The points in the same 3-D SVD space as Fig. 5, stable ones at the cube's corners,
# saddles coloured by their number of unstable modes, with each saddle's leading unstable
# direction drawn through it.

# %%
Image(save_figure(flipflop.draw_figure(a, "fig7_fixed_points"), OUT / f"fig7_fixed_points_{a.label}")[0])

# %% [markdown]
# ## Fig. 8: the linearised dynamics
#
# The Jacobian's eigenvalues at each fixed point beside W<sub>rec</sub>'s. At a memory the tanh
# is saturated, diag(1 − h\*²) shrinks the ring inside the unit circle, and
# every mode decays: the memory is stable. At a saddle some stay outside.

# %%
Image(save_figure(flipflop.draw_figure(a, "fig8_linearised"), OUT / f"fig8_linearised_{a.label}")[0])

# %% [markdown]
# ## Searching yourself
#
# `find_fixed_points` runs the search on any Keras RNN: Adam on every start at once, Newton
# refinement, deduplication and the Jacobians. Where to start matters: states the network
# visits on its task move fast, and Adam crawls from them. `compute_fixed_points` (what
# `flipflop fixed-points` runs) starts half of its searches from such states relaxed for
# 300 steps at the input (close to the attractors), then searches again from the
# midpoints between the stable points found, where the saddles lie. From the cached
# search's 1,024 starts (the default size: a minute or two) it finds the cached points
# again. The small size runs the primitive alone, from 64 raw states of the series and
# 1,000 iterations: quick, and it finds few.

# %%
from flipflop.dynamics.search import compute_fixed_points

if SIZE == "small":
    found = flipflop.find_fixed_points(a.model, inputs=a.series.inputs, n_init=64, max_iters=1000, seed=0)
else:
    found = compute_fixed_points(a.model, a.task, n_init=1024).fixed_only()  # cache=None: data/ is left alone
print(found.summary(a.task.ideal_census()))
near = [np.min(np.linalg.norm(fps.points - p, axis=1)) for p in found.points]
print(f"{len(found.points)} points found, {sum(d < 1e-3 for d in near)} of them within 1e-3 of a cached one")

# %% [markdown]
# The same from the command line: `flipflop fixed-points data/simplernn-400-seed0`
# (cached in the run), or `flipflop.search_fixed_points(path)` from Python. Notebook 7 looks
# for fixed points at the input of a decision task's period (`period="stimulus"`).
