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
# # 7. The primer's tasks: train, evaluate, psychometric curves and the task figures
#
# Yang and Wang's primer (2020) trains the same kind of network on the cognitive tasks of
# the field: perceptual decision making (random-dot motion), context-dependent decisions
# (Mante et al. 2013), parametric working memory (Romo et al. 1999) and
# match-to-category (Freedman and Assad 2006). Each is a task of the registry, and every
# tool of the flip-flop applies to it: `train`, `evaluate`, fixed points and figures.
# Its setting: a continuous-time RNN (CTRNN) of 100 units with Dale's law (80 % excitatory),
# τ = 100 ms, a step of 20 ms.

# %% tags=["parameters"]
# Size: "small" (one task: a 16-unit network trained for two short epochs, and the shipped
# network's figures) or "default" (the primer's setting trained on perceptual DM, and every
# shipped task's evaluation and figures). Set it here or with FLIPFLOP_NOTEBOOK_SIZE.
import os
from pathlib import Path

SIZE = os.environ.get("FLIPFLOP_NOTEBOOK_SIZE", "default")
OUT = Path(os.environ.get("FLIPFLOP_NOTEBOOK_OUT", "notebook-out")) / "07_primer_tasks"
assert SIZE in ("small", "default"), SIZE

# %%
from IPython.display import Image, display

import flipflop
from flipflop.experiments.primer import task_configs
from flipflop.reports.evaluate import format_evaluation
from flipflop.runs import shipped_runs

for name, cls in flipflop.TASKS.items():
    d = cls.describe()
    print(f"{name}: {d['summary']}\n    periods: {', '.join(d['periods']) or '-'}; "
          f"inputs: {len(d['inputs'])}, outputs: {len(d['outputs'])}")

# %% [markdown]
# ## A trial of perceptual DM
#
# Fixation, a noisy motion stimulus whose coherence sets the evidence, and a decision
# period in which one of two outputs must win. The mask leaves the output free at the
# start of the decision period.

# %%
task = flipflop.make_task("perceptual_dm")
trials = task.generate(4, seed=0)
print({k: v.shape for k, v in trials.periods.items()})
print("conditions:", {k: v.tolist() for k, v in trials.conditions.items() if v.ndim == 1})
print("steps in the loss per trial:", trials.mask.sum(axis=1).tolist(), "of", trials.mask.shape[1])

# %% [markdown]
# ## Train, in the primer's setting
#
# `task_configs` gives the primer's training config for a task (the experiment `flipflop
# reproduce --task perceptual_dm` trains); at the small size its `--quick` variant.

# %%
config = task_configs("perceptual_dm", quick=SIZE == "small")[0]
print(config.cell, config.units, config.cell_kwargs, f"recipe {config.recipe}, lr {config.learning_rate:g}")
result = flipflop.train(config, OUT / "runs" / "perceptual_dm", verbose=0)
print(f"{result.epochs_run} epochs, {result.seconds:.0f} s, target {'reached' if result.reached_target else 'not reached'}")

# %% [markdown]
# ## Evaluate: behaviour on fresh trials, and the task's bars
#
# `flipflop.evaluate` measures accuracy on fresh noisy trials, the psychometric curve and
# its logistic fit, and checks the primer's bars (≥ 97 % correct at high coherence, an
# unbiased choice at zero coherence, a monotonic curve). A network trained for two short
# epochs (the small size) does not meet them.

# %%
print(format_evaluation(flipflop.evaluate(result.path, n_trials=500 if SIZE == "small" else 4000)))

# %% [markdown]
# ## The shipped networks: evaluation and figures
#
# `data/` ships one network per primer task, in the primer's setting, with its fixed
# points cached. `draw_figures` draws each task's figure set (its spectrum, the
# condition-averaged trajectories with the fixed points, and the task's own figures: the
# psychometric curve and the weights sorted by selectivity for perceptual DM, the curves
# per context and Mante's state space for context DM, and so on) and writes `REPORT.md`.

# %%
shipped = {flipflop.load_run(p).task().name: p for p in shipped_runs()}
chosen = ["perceptual_dm"] if SIZE == "small" else [t for t in shipped if t != "flipflop"]
for name in chosen:
    print(format_evaluation(flipflop.evaluate(shipped[name], n_trials=500 if SIZE == "small" else 4000)))
    for path in flipflop.draw_figures([shipped[name]], OUT / name, log=lambda line: None):
        if path.suffix == ".png":
            print(path.name)
            display(Image(path))
