"""Fig. 6: the same test series through several realisations: a cube in each."""
from flipflop.figures import cubes_grid, save_figure
from flipflop.report import script_args

args = script_args(__doc__)
fig = cubes_grid([(a.label, a.projection.projected, a.series.states[0], a.cube.centroids) for a in args.analyses],
                 variances=[a.projection.variance_ratio for a in args.analyses])
print(save_figure(fig, args.out / "fig6_cubes", args.formats))
