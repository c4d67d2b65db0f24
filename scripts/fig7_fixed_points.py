"""Figs. 7 and 8: fixed points (stable filled, saddles open with their unstable direction) and the
Jacobian spectra beside W_rec's, for every run that has a fixed_points.npz."""
from flipflop.reports.scripts import draw_by_stem

draw_by_stem(["fig7_fixed_points", "fig8_linearised"], __doc__)
