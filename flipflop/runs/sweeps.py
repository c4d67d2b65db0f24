"""The sweep-folder format: a sweep ``NAME`` lives in ``ROOT/NAME/``.

- ``sweep.json``: the grid and every point's parameters;
- ``runs/<point>/``: one ordinary run directory per grid point, named by its parameters;
- ``results.json``: done/failed per point, with the reason of a failure;
- ``tune/``: Ray Tune's experiment state (under Ray);
- ``population.csv``, ``POPULATION.md`` and their figures: ``flipflop sweep-report``'s output.
"""
GRID_FILE = "sweep.json"
RESULTS_FILE = "results.json"
RUNS_DIR = "runs"
TUNE_DIR = "tune"
POPULATION_CSV = "population.csv"
POPULATION_MD = "POPULATION.md"
