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
# # 6. The paper's own network
#
# The paper's trained networks are in its public repository,
# [katejarne/3-bit-FF-tutorial](https://github.com/katejarne/3-bit-FF-tutorial) (MIT), under
# `paper/matrix_weight_example/weights_ff_20_N_400_gap_9/`: `ff_3b_weights-20.hdf5` (after
# epoch 20, the network of the paper's Figs. 3–8) and `_N_00_initial.hdf5` (untrained).
# They are Keras 2.3.1 HDF5 files, which Keras 3 cannot read; `import_legacy` rebuilds the
# network and writes an ordinary run directory. Put the two files in `./paper-checkpoint/`
# (or point `$FLIPFLOP_PAPER_CHECKPOINT` at their folder). Without them this notebook says
# so and does nothing else.

# %% tags=["parameters"]
# Size: "small" (import and spectrum only) or "default" (also its fixed points: a search of
# a few minutes, cached in the imported run, and Figs. 7-8). Set it here or with
# FLIPFLOP_NOTEBOOK_SIZE. The checkpoint: $FLIPFLOP_PAPER_CHECKPOINT or ./paper-checkpoint/.
import os
from pathlib import Path

SIZE = os.environ.get("FLIPFLOP_NOTEBOOK_SIZE", "default")
OUT = Path(os.environ.get("FLIPFLOP_NOTEBOOK_OUT", "notebook-out")) / "06_paper_network"
assert SIZE in ("small", "default"), SIZE

# %%
from IPython.display import Image

import flipflop
from flipflop.analysis.weights import spectral_signature
from flipflop.experiments.paper import find_paper_checkpoint
from flipflop.plotting.io import save_figure
from flipflop.runs import shipped_runs
from flipflop.runs.inspect import describe, format_table
from flipflop.runs.legacy import import_legacy

checkpoint = find_paper_checkpoint()
if checkpoint is None:
    print("The paper's checkpoint is not here: nothing to import (see above for where to put it).")
else:
    print("checkpoint:", checkpoint)

# %%
if checkpoint is not None:
    initial = checkpoint.with_name("_N_00_initial.hdf5")
    paper = import_legacy(checkpoint, OUT / "runs" / "paper-epoch20", initial=initial if initial.is_file() else None,
                          force=True, evaluate_metrics=SIZE == "default")
    print(format_table(describe(paper)))

# %% [markdown]
# ## Its connectivity, beside ours (Figs. 3–4)
#
# The imported network is analysed like any run. With ours (the first shipped realisation)
# as the main run and the paper's as the reference, Fig. 4 draws both spectra.

# %%
if checkpoint is not None:
    ours = flipflop.analyse(shipped_runs("flipflop")[0])
    ref = flipflop.analyse(paper, label="paper-epoch20", fixed_points="never" if SIZE == "small" else "missing")
    for x in (ours, ref):
        sig = spectral_signature(x.w_rec)
        print(f"{x.label}: radius {sig['radius']:.3f}, {sig['n_above']} beyond 1.01, median {sig['median']:.4f}, "
              f"std {sig['std']:.4f}")
    display(Image(save_figure(flipflop.draw_figure(ref, "fig3_connectivity"), OUT / "fig3_connectivity_paper-epoch20")[0]))
    display(Image(save_figure(flipflop.draw_figure([ours], "fig4_spectra", reference=ref), OUT / "fig4_spectra")[0]))

# %% [markdown]
# ## Its memories (Fig. 5) and, at the default size, its fixed points (Figs. 7–8)
#
# Its 8-state series misses nine steps, each the first step of a transition, where its
# output is still crossing zero. Its fixed points include stable points where a bit reads
# 0 (the task asks for a 0 before a channel's first pulse), which ours do not have.

# %%
if checkpoint is not None:
    print("8-state bit accuracy:", round(ref.metrics[ref.task.series_name]["bit_accuracy"], 5))
    display(Image(save_figure(flipflop.draw_figure(ref, "fig5_eight_states"), OUT / "fig5_eight_states_paper-epoch20")[0]))
    for stem in ("fig7_fixed_points", "fig8_linearised"):
        fig = flipflop.draw_figure(ref, stem)  # None without fixed points (the small size)
        if fig is not None:
            display(Image(save_figure(fig, OUT / f"{stem}_paper-epoch20")[0]))
    if ref.fixed_points_at(None) is not None:
        print(ref.fixed_points_at(None).result.summary())
