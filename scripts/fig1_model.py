"""Fig. 1: the model schematic (inputs -> W_in -> recurrent units -> W_out -> outputs)."""
from flipflop.figures import save_figure, schematic
from flipflop.report import script_args

args = script_args(__doc__)
units = args.analyses[0].w_rec.shape[0]
print(save_figure(schematic(args.analyses[0].task.n_bits, units), args.out / "fig1_model", args.formats))
