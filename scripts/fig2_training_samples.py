"""Fig. 2: three training samples of the run's task (noisy inputs, delayed targets)."""
from flipflop.reports.scripts import draw_by_stem

draw_by_stem(["fig2_training_samples"], __doc__)
