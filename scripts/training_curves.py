"""Training curves of several runs, with the target each trained to."""
from flipflop.reports.scripts import draw_by_stem

draw_by_stem(["training_curves"], __doc__)
