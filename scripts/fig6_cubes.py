"""Fig. 6: the same test series through several realisations: a cube in each."""
from flipflop.reports.scripts import draw_by_stem

draw_by_stem(["fig6_cubes"], __doc__)
