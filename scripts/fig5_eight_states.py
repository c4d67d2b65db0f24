"""Fig. 5: the 8-state test series through a network, and its 3-D SVD trajectory."""
from flipflop.figures import eight_state, save_figure
from flipflop.report import script_args

args = script_args(__doc__)
for a in args.analyses:
    fig = eight_state(a.series, a.outputs, a.projection.projected, a.cube.centroids, a.task.dt_ms,
                      a.projection.variance_ratio, f"Fig. 5 — {a.label}: all memory states")
    print(save_figure(fig, args.out / f"fig5_eight_states_{a.label}", args.formats))
