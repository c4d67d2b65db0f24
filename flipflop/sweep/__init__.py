"""Sweeps: a grid of training runs, each an ordinary run directory, run by Ray Tune or in turn,
and the population report over them. Ray is imported only when an engine needs it."""
from flipflop.sweep.engines import (INSTALL_HINT, check_address, check_resources, import_ray, limit_threads,
                                    ray_session, run_local, run_ray, trial)
from flipflop.sweep.folder import Progress, Sweep, SweepResult, check_sweep, open_sweep, rebuild_results
from flipflop.sweep.grid import AXES, Grid, Point, make_config, parse_list, parse_setting, point_name, points

__all__ = ["AXES", "INSTALL_HINT", "Grid", "Point", "Progress", "Sweep", "SweepResult", "check_address",
           "check_resources", "check_sweep", "import_ray", "limit_threads", "make_config", "open_sweep", "parse_list",
           "parse_setting", "point_name", "points", "ray_session", "rebuild_results", "run_local", "run_ray", "trial"]
