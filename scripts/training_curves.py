"""Training curves (loss, validation MSE and bit error per epoch) of several runs."""
from flipflop.figures import save_figure, training_curves
from flipflop.report import script_args

args = script_args(__doc__)
fig = training_curves([(a.label, a.run.history) for a in args.analyses])
print(save_figure(fig, args.out / "training_curves", args.formats))
