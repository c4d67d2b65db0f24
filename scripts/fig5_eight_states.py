"""Fig. 5: the 8-state test series through a network, and its 3-D SVD trajectory, one figure per run."""
from flipflop.reports.scripts import draw_by_stem

draw_by_stem(["fig5_eight_states"], __doc__)
