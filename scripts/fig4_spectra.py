"""Fig. 4: eigenvalue spectra of several realisations."""
from flipflop.reports.scripts import draw_by_stem

draw_by_stem(["fig4_spectra"], __doc__)
