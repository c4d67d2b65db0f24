"""Fig. 3: recurrent weight heat map and eigenvalues, one figure per run."""
from flipflop.figures import connectivity, save_figure
from flipflop.report import script_args

args = script_args(__doc__)
for a in args.analyses:
    fig = connectivity(a.w_rec, a.spectrum.eigenvalues, f"Fig. 3 — {a.label}", a.dale_signs)
    print(save_figure(fig, args.out / f"fig3_connectivity_{a.label}", args.formats))
