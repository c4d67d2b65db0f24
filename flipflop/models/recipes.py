"""The named training recipes and the optimizers they use (no TensorFlow needed to read them)."""
from __future__ import annotations

# The faithful recipe's pull of W_rec towards its orthogonal start (per unit of learning rate).
# Measured on seed 1 to the shipped target: 14 gave median |lambda| 0.992, 16 gave 0.995, both
# in 7 epochs (benchmarks/results/recipes.md); 16 keeps a margin above the 0.99 bar.
FAITHFUL_ANCHOR_DECAY = 16.0

OPTIMIZERS = ("adam", "muon", "anchored-muon")

# Named recipes; any field can still be overridden. Each cell's learning rate per recipe
# lives in the cell registry (flipflop.models.cells).
RECIPES: dict[str, dict] = {
    # The paper's published code: one 30,050-sample set, Adam 1e-4 with decay 1e-4, batch 128.
    "paper": dict(optimizer="adam", batch_size=128, samples_per_epoch=30050, fresh_data=False,
                  decay=1e-4, clipnorm=None, io_lr_multiplier=1.0, epochs=20, curriculum_ms=()),
    # Ours (see benchmarks/bench_training.py for the evidence): small batches of fresh
    # trials; Muon steps of fixed spectral norm on the recurrent matrix, Adam at 2x on the rest.
    "fast": dict(optimizer="muon", batch_size=32, samples_per_epoch=2048, fresh_data=True,
                 decay=2e-3, clipnorm=1.0, io_lr_multiplier=2.0, epochs=60, curriculum_ms=()),
    # Fast and faithful to the paper's spectrum (benchmarks/bench_recipes.py): the fast recipe
    # with Muon steps pulled back towards the orthogonal start (flipflop.models.optimizers.AnchoredMuon)
    # and Adam at 5x on input and readout; |lambda| of W_rec stay in a tight ring at 1.
    "faithful": dict(optimizer="anchored-muon", batch_size=32, samples_per_epoch=2048, fresh_data=True,
                     decay=2e-3, clipnorm=1.0, io_lr_multiplier=5.0, epochs=60, curriculum_ms=(),
                     anchor_decay=FAITHFUL_ANCHOR_DECAY),
}

# What each recipe is, in a few words (the CLI's help).
RECIPE_NOTES = {
    "fast": "Muon, batches of 32 fresh trials, 2048 per epoch, up to 60 epochs",
    "paper": "Adam 1e-4, batch 128, one set of 30050 trials, 20 epochs",
    "faithful": "fast, with Muon's steps pulled towards the orthogonal start; SimpleRNN",
}
