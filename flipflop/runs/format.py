"""The run-directory format: every file name, and reading and writing a run's files.

A run directory is the public record of one training:

- ``model.keras``: the best model by validation loss;
- ``initial.keras``: the untrained model;
- ``config.json``: every parameter, the seed, and the package/Keras/TF versions;
- ``history.csv``: one row per finished epoch;
- ``metrics.json``: final metrics (present once the run has finished);
- ``fixed_points.npz``: the fixed points found in the trained network (``flipflop fixed-points``);
- ``fixed_points_<tag>.npz``: those at the input of one period of a decision task (``tag``
  names the period and condition, e.g. ``delay``), cached by the task figures.

``checkpoint-NNNN.keras`` and ``state.json`` hold the latest epoch (weights and optimizer):
an interrupted run resumes where it stopped, and a finished one keeps them so it can be
trained further exactly. ``state.json`` is the epoch's commit point; it records checksums
of ``model.keras`` and of the history rows so far. ``metrics.json`` is written last and
records checksums of the files it describes: a run is *finished* only if they all match
(:func:`finished_problem`).

A writer holds ``.lock`` (:func:`flipflop.runs.fileio.locked`) for as long as it works in
the folder; readers take no lock. Every file is written atomically
(:mod:`flipflop.runs.fileio`).

``config.json`` carries a ``format`` number (``CONFIG_FORMAT``). Configs written before it
existed (format 1) are runs of the default task, the paper's flip-flop, whose size they
record as ``n_bits``; they are read as such. A config of a newer format than this package
knows is refused.
"""
from __future__ import annotations

import csv
import io
import os
import sys
import zipfile
from dataclasses import dataclass, field
from pathlib import Path

from flipflop.errors import FlipFlopError
from flipflop.runs.fileio import LOCK, atomic_path, file_digest, read_json, write_json, write_text  # noqa: F401 (LOCK)
from flipflop.tasks import DEFAULT_TASK, make_task

MODEL = "model.keras"
INITIAL = "initial.keras"
CONFIG = "config.json"
HISTORY = "history.csv"
METRICS = "metrics.json"
STATE = "state.json"
FIXED_POINTS = "fixed_points.npz"
MECHANISMS = "mechanisms.json"  # a task's mechanism measures, cached beside its fixed points
CHECKPOINT_GLOB = "checkpoint-*.keras"
TAGGED_FIXED_POINTS_GLOB = "fixed_points_*.npz"
CONFIG_FORMAT = 2
# Everything a training writes: cleared together by ``--force``, so nothing stale survives.
RUN_FILES = (MODEL, INITIAL, CONFIG, HISTORY, METRICS, STATE, FIXED_POINTS)
# The files a finished run's metrics.json vouches for, by checksum.
CHECKED_FILES = (MODEL, INITIAL, CONFIG, HISTORY)


def checkpoint_name(epoch: int) -> str:
    """The file name of the checkpoint written after ``epoch`` (1-based)."""
    return f"checkpoint-{epoch:04d}.keras"


def clear_run(path: str | os.PathLike) -> None:
    """Delete every file a run writes in ``path`` (and nothing else)."""
    path = Path(path)
    clear_fixed_points(path)
    for p in list(path.glob(CHECKPOINT_GLOB)) + [path / n for n in RUN_FILES]:
        p.unlink(missing_ok=True)


def clear_fixed_points(path: str | os.PathLike) -> None:
    """Delete the run's cached fixed points and mechanism measures (they belong to the model that is about to change)."""
    path = Path(path)
    for p in list(path.glob(TAGGED_FIXED_POINTS_GLOB)) + [path / FIXED_POINTS, path / MECHANISMS]:
        p.unlink(missing_ok=True)


def tidy(path: str | os.PathLike, checkpoint: str | None) -> None:
    """Under the run's lock, delete what a killed writer left: temporary files of atomic
    writes, and checkpoints other than ``checkpoint`` (the one ``state.json`` names)."""
    path = Path(path)
    stems = [Path(n).stem for n in RUN_FILES] + ["checkpoint-"]
    for p in path.iterdir():
        stray = p.name.startswith(".") and any(p.name.startswith(f".{s}") for s in stems)
        if stray or (p.match(CHECKPOINT_GLOB) and p.name != checkpoint):
            p.unlink(missing_ok=True)


def write_config(path: str | os.PathLike, config: dict) -> None:
    """Write a run's ``config.json`` with the current ``format`` number."""
    write_json(Path(path) / CONFIG, {"format": CONFIG_FORMAT, **config})


def read_config(path: str | os.PathLike) -> dict:
    """A run's ``config.json``, upgraded to the current format (see the module docstring)."""
    config = read_json(Path(path) / CONFIG)
    if not isinstance(config, dict):
        raise FlipFlopError(f"corrupt file {Path(path) / CONFIG}: not a JSON object")
    version = config.get("format", 1)
    if not isinstance(version, int) or version > CONFIG_FORMAT:
        raise FlipFlopError(f"{Path(path) / CONFIG} has format {version!r}, newer than this flipflop "
                            f"understands ({CONFIG_FORMAT}); upgrade flipflop")
    if version < 2:  # before tasks were pluggable: a run of the default task, its size as n_bits
        size = {"n_bits": config["n_bits"]} if "n_bits" in config else {}
        config = {**config, "format": CONFIG_FORMAT, "task": {"name": DEFAULT_TASK, **size}}
        if isinstance(config.get("train"), dict) and isinstance(config["train"].get("task"), dict):
            config["train"] = {**config["train"], "task": {"name": DEFAULT_TASK, **config["train"]["task"]}}
        if "n_bits" in config:
            config.setdefault("n_inputs", config["n_bits"])
            config.setdefault("n_outputs", config["n_bits"])
    return config




























def save_model(model, path: str | os.PathLike) -> None:
    """``model.save`` to a ``.keras`` file, atomically."""
    with atomic_path(path) as tmp:
        model.save(tmp)


def check_model_file(path: str | os.PathLike) -> Path:
    """The ``.keras`` file of ``path`` (a run directory or the file) if it is a whole archive;
    else a one-line FlipFlopError. Reads the archive's checksums only: no TensorFlow."""
    path = Path(path)
    if path.is_dir():
        path = path / MODEL
    if not path.is_file():
        raise FlipFlopError(f"missing model file {path}")
    if path.suffix != ".keras":
        raise FlipFlopError(f"{path} is not a .keras model (use `flipflop import-legacy` for HDF5)")
    try:  # keras says "File not found" for a truncated archive: check it ourselves first
        with zipfile.ZipFile(path) as archive:
            damaged = archive.testzip()
    except (zipfile.BadZipFile, EOFError, OSError, ValueError) as e:
        raise FlipFlopError(f"corrupt or unreadable model file {path}: not a readable .keras archive ({e})") from None
    if damaged is not None:
        raise FlipFlopError(f"corrupt or unreadable model file {path}: {damaged} in it fails its checksum")
    return path


def load_model(path: str | os.PathLike, compile: bool = True):
    """Load a ``.keras`` model (our custom cells included); bad files are a FlipFlopError.

    Keras' safe mode stays on: a model with code in it (a ``Lambda`` layer) is refused.
    """
    from flipflop.backend import keras

    import flipflop.models.build  # noqa: F401  (registers LayerwiseAdam)
    from flipflop.models.cells import register_all

    register_all()  # custom cells, for deserialisation

    path = check_model_file(path)
    try:
        return keras.models.load_model(path, compile=compile, safe_mode=True)
    except Exception as e:  # keras raises many types for corrupt archives
        reason = str(e).strip().splitlines()[0] if str(e).strip() else type(e).__name__
        if "safe_mode" in str(e) or "arbitrary code" in str(e):
            raise FlipFlopError(f"refused to load {path}: it holds Python code (a Lambda layer), which "
                                "could run anything; flipflop loads models in Keras safe mode only") from None
        raise FlipFlopError(f"corrupt or unreadable model file {path}: {reason[:200]}") from None


def write_metrics(path: str | os.PathLike, metrics: dict) -> None:
    """Write ``metrics.json``, the finished run's seal: it records the checksums of
    ``CHECKED_FILES`` as they are now. Write it last."""
    path = Path(path)
    files = {name: file_digest(path / name) for name in CHECKED_FILES if (path / name).is_file()}
    write_json(path / METRICS, {**metrics, "files": files})


def finished_problem(path: str | os.PathLike) -> str | None:
    """None if the run in ``path`` is finished and its files are those ``metrics.json``
    vouches for; else what is wrong, in a few words. (Runs from before the checksums
    were recorded are checked for presence only.)"""
    path = Path(path)
    if not (path / METRICS).is_file():
        return f"no {METRICS} (unfinished)"
    try:
        metrics = read_json(path / METRICS)
    except FlipFlopError:
        return f"{METRICS} is corrupt"
    if not isinstance(metrics, dict) or not isinstance(metrics.get("files", {}), dict):
        return f"{METRICS} is corrupt"
    for name in (MODEL, CONFIG):
        if not (path / name).is_file():
            return f"{name} is missing"
    for name, digest in metrics.get("files", {}).items():
        if name not in CHECKED_FILES:
            return f"{METRICS} is corrupt"
        if not (path / name).is_file():
            return f"{name} is missing"
        if file_digest(path / name) != digest:
            return f"{name} is corrupt or was modified (its checksum differs from {METRICS}'s)"
    return None


def write_history(path: str | os.PathLike, rows: list[dict]) -> None:
    """Write epoch rows (dicts with the same keys) as CSV, atomically."""
    buf = io.StringIO()
    if rows:
        writer = csv.DictWriter(buf, fieldnames=list(rows[0]))
        writer.writeheader()
        writer.writerows(rows)
    write_text(path, buf.getvalue())


def read_history(path: str | os.PathLike) -> list[dict]:
    """Rows of ``history.csv`` with numeric values; a missing file gives no rows."""
    try:
        with open(path, newline="") as f:
            return [{k: int(float(v)) if k == "epoch" else float(v) for k, v in row.items()}
                    for row in csv.DictReader(f)]
    except FileNotFoundError:
        return []
    except (OSError, ValueError, TypeError) as e:  # TypeError: a truncated row's missing values
        raise FlipFlopError(f"corrupt file {path}: {e}") from None


@dataclass
class Run:
    """A finished (or in-progress) run directory, read back."""

    path: Path
    config: dict
    metrics: dict = field(default_factory=dict)
    history: list[dict] = field(default_factory=list)

    def model(self, which: str = MODEL):
        """The best model (``model.keras``) or, with ``which=INITIAL``, the untrained one."""
        return load_model(self.path / which)

    @property
    def finished(self) -> bool:
        return bool(self.metrics)

    @property
    def target(self) -> tuple[float, float] | None:
        """(performance, MSE) the run trained to, from its config; None for an imported network."""
        train = self.config.get("train") or {}
        if "target_accuracy" in train and "target_mse" in train:
            return float(train["target_accuracy"]), float(train["target_mse"])
        return None

    @property
    def fixed_points_path(self) -> Path:
        return self.path / FIXED_POINTS

    @property
    def mechanisms_path(self) -> Path:
        return self.path / MECHANISMS

    def fixed_points_at(self, tag: str | None) -> Path:
        """The cache of the fixed points at one input: ``fixed_points_<tag>.npz`` (``tag``:
        letters, digits, _), or ``fixed_points.npz`` for ``tag`` None."""
        if tag is None:
            return self.fixed_points_path
        if not tag.replace("_", "").isalnum():
            raise FlipFlopError(f"a fixed-point tag is letters, digits and _, got {tag!r}")
        return self.path / f"fixed_points_{tag}.npz"

    def task(self):
        """The task the run was trained on (an imported network's is in its config)."""
        train = self.config.get("train")
        if isinstance(train, dict) and isinstance(train.get("task"), dict):
            return make_task(train["task"])
        return make_task(self.config.get("task"))


def shipped_runs(task: str | None = None) -> list[Path]:
    """The run directories shipped in ``data/`` (source tree or installed copy), sorted by
    name; with ``task``, only those trained on that task (from their ``config.json``)."""
    roots = [Path(__file__).resolve().parents[2] / "data", Path(sys.prefix) / "share" / "flipflop" / "data"]
    for root in roots:
        found = sorted(p for p in root.glob("*") if (p / MODEL).is_file() and (p / CONFIG).is_file())
        if task is not None:
            found = [p for p in found if load_run(p, require_finished=False).task().name == task]
        if found:
            return found
    raise FlipFlopError(f"no shipped networks{f' of the {task} task' if task else ''} found; "
                        "give run directories with --runs")


def versions() -> dict:
    """The versions of flipflop, Keras, TensorFlow and NumPy, as ``config.json`` records them."""
    import numpy as np

    from flipflop import __version__
    from flipflop.backend import keras, tf

    return {"flipflop": __version__, "keras": keras.__version__, "tensorflow": tf.__version__,
            "numpy": np.__version__}


def load_run(path: str | os.PathLike, require_finished: bool = True) -> Run:
    """Read a run directory; a missing, damaged or (with ``require_finished``) unfinished one
    is a FlipFlopError. Takes no lock: files are replaced atomically, and ``metrics.json``
    is written last and vouches for the others by checksum."""
    path = Path(path)
    if not path.is_dir():
        raise FlipFlopError(f"run directory {path} does not exist")
    for name in (CONFIG, MODEL):
        if not (path / name).is_file():
            raise FlipFlopError(f"run directory {path} is incomplete: no {name}")
    config = read_config(path)  # first: a newer format is refused as such
    if (path / METRICS).is_file():
        problem = finished_problem(path)
        if problem:
            raise FlipFlopError(f"run directory {path} is damaged: {problem}; rerun `flipflop train` "
                                "with its arguments to repair it")
    elif require_finished:
        raise FlipFlopError(f"run directory {path} is incomplete: no {METRICS} (still training or "
                            "interrupted; rerun `flipflop train` with its arguments to finish it)")
    metrics = read_json(path / METRICS) if (path / METRICS).is_file() else {}
    return Run(path, config, metrics, read_history(path / HISTORY))
