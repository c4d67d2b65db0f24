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
# # 3. The trained connectivity and its spectrum (Figs. 3–4)
#
# The networks start from a random **orthogonal** W<sub>rec</sub>: all its eigenvalues lie on the
# unit circle, so at the start no direction of activity grows or decays. The paper's
# observation: after training, "except for a small group of eigenvalues that migrated out
# of the unit circle, the rest remain on it". The few outliers are the directions the
# network uses to hold its memories; the ring is the part of the matrix that training
# left nearly untouched.
#
# We read the four networks shipped in `data/` (no training needed).

# %% tags=["parameters"]
# Size: "small" or "default" (set here or with FLIPFLOP_NOTEBOOK_SIZE). This chapter only reads
# the four networks shipped in data/, in seconds, so both sizes draw Figs. 3-4 as `flipflop
# figures` does.
import os
from pathlib import Path

SIZE = os.environ.get("FLIPFLOP_NOTEBOOK_SIZE", "default")
OUT = Path(os.environ.get("FLIPFLOP_NOTEBOOK_OUT", "notebook-out")) / "03_connectivity"
assert SIZE in ("small", "default"), SIZE

# %%
import numpy as np
from IPython.display import Image

import flipflop
from flipflop.analysis.weights import recurrent_matrix, spectral_signature, spectrum
from flipflop.plotting.io import save_figure
from flipflop.plotting.spectra import spectra_grid
from flipflop.runs import INITIAL, shipped_runs
from flipflop.tasks.flipflop.analysis import SIGNATURE_BARS, has_paper_signature

paths = shipped_runs("flipflop")
analyses = [flipflop.analyse(p) for p in paths]  # what `flipflop figures` draws from
a = analyses[0]
print([x.label for x in analyses])

# %% [markdown]
# ## Fig. 3: the recurrent matrix and its eigenvalues
#
# Most weights stay near zero; the eigenvalues keep to the unit circle except a small group
# outside it.

# %%
Image(save_figure(flipflop.draw_figure(analyses, "fig3_connectivity"), OUT / f"fig3_connectivity_{a.label}")[0])

# %% [markdown]
# ## The ring and the outliers, in numbers
#
# `spectral_signature` gives the moduli |λ| summarised: the radius, how many lie
# beyond 1.01, and the median and spread of the ring. The paper's own network has radius
# 1.082, 57 of 400 beyond 1.01, median 1.002 and std 0.016; we test a network for that
# signature with these bars:

# %%
print("bars:", SIGNATURE_BARS)
for x in analyses:
    sig = spectral_signature(x.w_rec)
    print(f"{x.label}: " + ", ".join(f"{k} {v:.3f}" if isinstance(v, float) else f"{k} {v}" for k, v in sig.items()),
          "-> the paper's signature" if has_paper_signature(sig) else "-> not the paper's signature")

# %% [markdown]
# Before training the matrix is orthogonal, and every eigenvalue sits on the circle
# (|λ| = 1 to round-off). Training moved only a few of them:

# %%
before = spectrum(recurrent_matrix(a.run.model(INITIAL)))
after = a.spectrum
print(f"before: radius {before.spectral_radius:.4f}, {before.n_outside} beyond 1.01; "
      f"|λ| in [{np.abs(before.eigenvalues).min():.4f}, {np.abs(before.eigenvalues).max():.4f}]")
print(f"after:  radius {after.spectral_radius:.4f}, {after.n_outside} beyond 1.01")
print("the largest outliers' moduli:", np.round(np.abs(after.eigenvalues[:12]), 3))
fig = spectra_grid([(f"{a.label}, untrained", before.eigenvalues), (f"{a.label}, trained", after.eigenvalues)],
                   title="The same network before and after training")
Image(save_figure(fig, OUT / "spectrum_before_after")[0])

# %% [markdown]
# ## Fig. 4: the spectra of the independently trained networks
#
# Each realisation (another seed: other initial weights and other trials) ends with its
# own few outliers on the same ring.

# %%
Image(save_figure(flipflop.draw_figure(analyses, "fig4_spectra"), OUT / "fig4_spectra")[0])

# %% [markdown]
# What the outliers do: an eigenvalue with |λ| > 1 is a direction in which activity
# grows under the linear part of the map, until the tanh saturates it. The memories of
# notebook 4 sit where that growth is balanced by saturation; notebook 5 finds those
# states as fixed points and linearises the network there (Fig. 8), where the Jacobian
# diag(1 − h²) W<sub>rec</sub> shrinks the ring inside the circle.
