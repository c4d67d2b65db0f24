"""Run directories: the format (every file name), atomic writes and locks, legacy import, inspect.

``runs`` alone knows the layout of a run folder; everything else asks it. The names most
code needs are here: ``runs.MODEL``, ``runs.load_run``, ``runs.locked``, ``runs.write_json``...
"""
from flipflop.runs.fileio import (LOCK, atomic_path, check_unlocked, copy_file, ensure_writable_dir, file_digest,
                                  locked, read_json, rows_digest, write_json, write_text)
from flipflop.runs.format import (CHECKED_FILES, CHECKPOINT_GLOB, CONFIG, CONFIG_FORMAT, FIXED_POINTS, HISTORY,
                                  INITIAL, MECHANISMS, METRICS, MODEL, RUN_FILES, STATE, TAGGED_FIXED_POINTS_GLOB,
                                  Run, check_model_file, checkpoint_name, clear_fixed_points, clear_run,
                                  finished_problem, load_model, load_run, read_config, read_history, save_model,
                                  shipped_runs, tidy, versions, write_config, write_history, write_metrics)

__all__ = ["CHECKED_FILES", "CHECKPOINT_GLOB", "CONFIG", "CONFIG_FORMAT", "FIXED_POINTS", "HISTORY", "INITIAL", "LOCK",
           "MECHANISMS", "METRICS", "MODEL", "RUN_FILES", "Run", "STATE", "TAGGED_FIXED_POINTS_GLOB", "atomic_path",
           "check_model_file", "check_unlocked", "checkpoint_name", "clear_fixed_points", "clear_run", "copy_file",
           "ensure_writable_dir", "file_digest", "finished_problem", "load_model", "load_run", "locked", "read_config",
           "read_history", "read_json", "rows_digest", "save_model", "shipped_runs", "tidy", "versions", "write_config",
           "write_history", "write_json", "write_metrics", "write_text"]
