"""Fig. 4: eigenvalue spectra of several realisations."""
from flipflop.figures import save_figure, spectra_grid
from flipflop.report import script_args

args = script_args(__doc__)
fig = spectra_grid([(a.label, a.spectrum.eigenvalues) for a in args.analyses])
print(save_figure(fig, args.out / "fig4_spectra", args.formats))
