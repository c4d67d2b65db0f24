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
# # 1. The task: pulses, targets, the loss mask and the 8-state series (Figs. 1–2)
#
# Jarne's tutorial trains a recurrent network to be a **3-bit flip-flop**: three input
# channels each receive brief set (+1) and reset (−1) pulses, and each output must hold the
# sign of its channel's last pulse until the next one arrives. A network that does this
# has to store 2³ = 8 memories, one per combination of bits. Everything in this notebook
# is the task alone: no network is trained.

# %% tags=["parameters"]
# Size: "small" (a smoke test, seconds) or "default" (the paper's numbers). Set it here or
# with the environment variable FLIPFLOP_NOTEBOOK_SIZE; figures are saved under OUT.
import os
from pathlib import Path

SIZE = os.environ.get("FLIPFLOP_NOTEBOOK_SIZE", "default")
OUT = Path(os.environ.get("FLIPFLOP_NOTEBOOK_OUT", "notebook-out")) / "01_task"
assert SIZE in ("small", "default"), SIZE

# %%
import numpy as np
from IPython.display import Image

import flipflop
from flipflop.errors import FlipFlopError
from flipflop.plotting.io import save_figure
from flipflop.tasks.flipflop import figures
from flipflop.tasks.flipflop.task import state_label

task = flipflop.make_task("flipflop")  # the paper's settings; every parameter can be changed
task

# %% [markdown]
# Every parameter carries its unit, its default and its allowed range (the same table
# `flipflop tasks` prints and `flipflop train --task-param` validates):

# %%
for p in type(task).describe()["parameters"]:
    print(f"{p['name']:<16} {p['default']!s:<22} {p['unit']:<3} {p['allowed']:<14} {p['help']}")

# %% [markdown]
# ## Fig. 1: the model
#
# Three inputs drive 400 recurrent units through W<sub>in</sub>; the units drive each other
# through W<sub>rec</sub> and three linear outputs read them out through W<sub>out</sub>:
# h(t+1) = tanh(W<sub>rec</sub> h(t) + W<sub>in</sub> x(t)), z(t) = W<sub>out</sub> h(t) + b.

# %%
Image(save_figure(figures.schematic(task.n_bits, 400, "SimpleRNN"), OUT / "fig1_model")[0])

# %% [markdown]
# ## Fig. 2: training samples
#
# A trial lasts 340 ms (one step per ms). Each channel gets up to three pulses of 20 ms:
# the first (set, reset, or none) at a random time in the first 100 ms, the next ones
# after random gaps. The target follows each pulse 20 ms after its falling edge, and the
# input carries Gaussian noise (σ = 0.1). The generator is seeded: the same seed gives the
# same trials, bit for bit, on every machine.

# %%
trials = task.generate(3, seed=0)
print({name: getattr(trials, name).shape for name in ("inputs", "targets", "mask")})
Image(save_figure(figures.training_samples(trials, task.dt_ms), OUT / "fig2_training_samples")[0])

# %% [markdown]
# ## The loss mask
#
# `trials.mask` weighs each step in the loss. The flip-flop weighs every step (the paper's
# loss is the MSE over the whole trial, including the 0 the target holds before a
# channel's first pulse); the decision tasks of notebook 7 set it to 0 where the output is
# free (e.g. during a grace period before the response).

# %%
print("fraction of steps in the loss:", float(trials.mask.mean()))
print("steps whose target is still 0 (no pulse yet), per channel:",
      (trials.targets == 0).sum(axis=1).tolist())

# %% [markdown]
# How the pulses fall: the paper draws its training set of 30,050 trials once. At the
# small size we draw 1,000. Each channel gets a first pulse with probability 2/3, and a
# trial's bits are independent.

# %%
n = 1000 if SIZE == "small" else 30050
big = task.generate(n, seed=1)
print("fraction of steps still before a channel's first pulse (target 0):", np.round((big.targets == 0).mean(axis=(0, 1)), 3))

# %% [markdown]
# ## The 8-state series (the analysis input of Figs. 5–8)
#
# The paper analyses its networks on one noise-free series in which the three channels
# count in binary: channel 1 flips at every pulse, channel 2 every second pulse, channel 3
# every fourth, so 8 pulses visit all 8 memory states (16 pulses: twice). Each step is
# labelled with the memory state the targets hold (−1 before the first pulse).

# %%
series = task.analysis_series()
state = series.conditions["state"][0]
visited = [int(s) for s in state[np.r_[True, np.diff(state) != 0]] if s >= 0]
print("states in the order visited:", [state_label(s, task.n_bits) for s in visited])
fig = figures.training_samples(series, task.dt_ms, n_samples=1, width=10, title="The 8-state series: inputs and targets")
Image(save_figure(fig, OUT / "eight_state_series")[0])

# %% [markdown]
# The same task at another size, e.g. 2 bits with 10 ms pulses, is one argument away
# (`flipflop train --bits 2 --pulse-ms 10`); an impossible value is refused in one line:

# %%
two = flipflop.make_task({"name": "flipflop", "n_bits": 2, "pulse_ms": 10.0})
print(two.generate(1, seed=0).inputs.shape)
try:
    flipflop.make_task({"name": "flipflop", "pulse_ms": -5})
except FlipFlopError as e:
    print("refused:", e)
