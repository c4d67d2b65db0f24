"""Fixed points (stable filled, saddles open with their unstable direction) and the
Jacobian spectra beside W_rec's, for every run that has a fixed_points.npz."""
from flipflop.report import draw_fixed_points, script_args

args = script_args(__doc__)
for a in args.analyses:
    print(draw_fixed_points(a, args.out, args.formats))
