"""Fig. 3: recurrent weight heat map and eigenvalues, one figure per run."""
from flipflop.reports.scripts import draw_by_stem

draw_by_stem(["fig3_connectivity"], __doc__)
