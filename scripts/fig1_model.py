"""Fig. 1: the model schematic (inputs -> W_in -> recurrent units -> W_out -> outputs)."""
from flipflop.reports.scripts import draw_by_stem

draw_by_stem(["fig1_model"], __doc__)
