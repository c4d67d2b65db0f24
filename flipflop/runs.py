"""Run directories and atomic file I/O.

A run directory is the public record of one training:

- ``model.keras``: the best model by validation loss;
- ``initial.keras``: the untrained model;
- ``config.json``: every parameter, the seed, and the package/Keras/TF versions;
- ``history.csv``: one row per finished epoch;
- ``metrics.json``: final metrics (present once the run has finished);
- ``fixed_points.npz``: the fixed points found in the trained network (``flipflop fixed-points``);
- ``fixed_points_<tag>.npz``: those at the input of one period of a decision task (``tag``
  names the period and condition, e.g. ``delay``), cached by the task figures.

While training, ``checkpoint-NNNN.keras`` and ``state.json`` hold the latest epoch
(weights and optimizer) so an interrupted run resumes where it stopped.

``config.json`` carries a ``format`` number (``CONFIG_FORMAT``). Configs written before it
existed (format 1) are flip-flop runs; they are read as such. A config of a newer format
than this package knows is refused.
"""
from __future__ import annotations

import contextlib
import csv
import io
import json
import os
import sys
import tempfile
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Iterator

from flipflop.errors import FlipFlopError

MODEL = "model.keras"
INITIAL = "initial.keras"
CONFIG = "config.json"
HISTORY = "history.csv"
METRICS = "metrics.json"
STATE = "state.json"
FIXED_POINTS = "fixed_points.npz"
CHECKPOINT_GLOB = "checkpoint-*.keras"
TAGGED_FIXED_POINTS_GLOB = "fixed_points_*.npz"
CONFIG_FORMAT = 2
# Everything a training writes: cleared together by ``--force``, so nothing stale survives.
RUN_FILES = (MODEL, INITIAL, CONFIG, HISTORY, METRICS, STATE, FIXED_POINTS)


def checkpoint_name(epoch: int) -> str:
    """The file name of the checkpoint written after ``epoch`` (1-based)."""
    return f"checkpoint-{epoch:04d}.keras"


def clear_run(path: str | os.PathLike) -> None:
    """Delete every file a run writes in ``path`` (and nothing else)."""
    path = Path(path)
    for p in list(path.glob(CHECKPOINT_GLOB)) + list(path.glob(TAGGED_FIXED_POINTS_GLOB)) + \
            [path / n for n in RUN_FILES]:
        p.unlink(missing_ok=True)


def write_config(path: str | os.PathLike, config: dict) -> None:
    """Write a run's ``config.json`` with the current ``format`` number."""
    write_json(Path(path) / CONFIG, {"format": CONFIG_FORMAT, **config})


def read_config(path: str | os.PathLike) -> dict:
    """A run's ``config.json``, upgraded to the current format (older runs are flip-flops)."""
    config = read_json(Path(path) / CONFIG)
    if not isinstance(config, dict):
        raise FlipFlopError(f"corrupt file {Path(path) / CONFIG}: not a JSON object")
    version = config.get("format", 1)
    if not isinstance(version, int) or version > CONFIG_FORMAT:
        raise FlipFlopError(f"{Path(path) / CONFIG} has format {version!r}, newer than this flipflop "
                            f"understands ({CONFIG_FORMAT}); upgrade flipflop")
    if version < 2:  # before tasks were pluggable: a flip-flop run with an unnamed task
        config = {**config, "format": CONFIG_FORMAT, "task": "flipflop"}
        if isinstance(config.get("train"), dict) and isinstance(config["train"].get("task"), dict):
            config["train"] = {**config["train"], "task": {"name": "flipflop", **config["train"]["task"]}}
        if "n_bits" in config:
            config.setdefault("n_inputs", config["n_bits"])
            config.setdefault("n_outputs", config["n_bits"])
    return config


@contextlib.contextmanager
def atomic_path(path: str | os.PathLike) -> Iterator[Path]:
    """Yield a temporary path beside ``path`` (same suffix); on success it replaces ``path``."""
    path = Path(path)
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(prefix=f".{path.stem}.", suffix=path.suffix, dir=path.parent)
    except OSError as e:
        raise FlipFlopError(f"cannot write to {path.parent}: {e.strerror or e}") from None
    os.close(fd)
    umask = os.umask(0)
    os.umask(umask)
    os.chmod(tmp, 0o666 & ~umask)  # mkstemp makes 0600 files; give the usual permissions
    try:
        yield Path(tmp)
        os.replace(tmp, path)
    finally:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(tmp)


def ensure_writable_dir(path: str | os.PathLike) -> Path:
    """Create folder ``path`` if needed; a FlipFlopError if it cannot be written to."""
    path = Path(path)
    try:
        path.mkdir(parents=True, exist_ok=True)
    except OSError as e:
        raise FlipFlopError(f"cannot write to {path}: {e.strerror or e}") from None
    if not os.access(path, os.W_OK | os.X_OK):
        raise FlipFlopError(f"cannot write to {path}: permission denied")
    return path


def write_text(path: str | os.PathLike, text: str) -> None:
    """Write ``text`` to ``path`` atomically."""
    with atomic_path(path) as tmp:
        tmp.write_text(text)


def write_json(path: str | os.PathLike, obj: Any) -> None:
    write_text(path, json.dumps(obj, indent=2, sort_keys=True) + "\n")


def read_json(path: str | os.PathLike) -> Any:
    """Read a JSON file; a missing or corrupt file is a FlipFlopError."""
    try:
        return json.loads(Path(path).read_text())
    except FileNotFoundError:
        raise FlipFlopError(f"missing file {path}") from None
    except (OSError, ValueError) as e:
        raise FlipFlopError(f"corrupt file {path}: {e}") from None


def save_model(model, path: str | os.PathLike) -> None:
    """``model.save`` to a ``.keras`` file, atomically."""
    with atomic_path(path) as tmp:
        model.save(tmp)


def load_model(path: str | os.PathLike, compile: bool = True):
    """Load a ``.keras`` model (our custom cells included); bad files are a FlipFlopError."""
    from flipflop.backend import keras

    import flipflop.models  # noqa: F401  (registers LayerwiseAdam)
    from flipflop.cells import register_all

    register_all()  # custom cells, for deserialisation

    path = Path(path)
    if path.is_dir():
        path = path / MODEL
    if not path.is_file():
        raise FlipFlopError(f"missing model file {path}")
    if path.suffix != ".keras":
        raise FlipFlopError(f"{path} is not a .keras model (use `flipflop import-legacy` for HDF5)")
    try:
        return keras.models.load_model(path, compile=compile)
    except Exception as e:  # keras raises many types for corrupt archives
        reason = str(e).strip().splitlines()[0] if str(e).strip() else type(e).__name__
        raise FlipFlopError(f"corrupt or unreadable model file {path}: {reason[:200]}") from None


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
    except (OSError, ValueError) as e:
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
    def fixed_points_path(self) -> Path:
        return self.path / FIXED_POINTS

    def fixed_points_at(self, tag: str) -> Path:
        """The cache of the fixed points at one period's input (``tag``: letters, digits, _)."""
        if not tag.replace("_", "").isalnum():
            raise FlipFlopError(f"a fixed-point tag is letters, digits and _, got {tag!r}")
        return self.path / f"fixed_points_{tag}.npz"

    def task(self):
        """The task the run was trained on (the paper's flip-flop for imported networks)."""
        from flipflop.tasks import make_task

        train = self.config.get("train")
        if isinstance(train, dict) and isinstance(train.get("task"), dict):
            return make_task(train["task"])
        if isinstance(self.config.get("task"), dict):  # an imported network's task
            return make_task(self.config["task"])
        return make_task({"name": self.config.get("task", "flipflop"),
                          **({"n_bits": int(self.config["n_bits"])} if "n_bits" in self.config else {})})


def shipped_runs(pattern: str = "simplernn-400-seed*") -> list[Path]:
    """The networks shipped in ``data/`` (source tree or installed copy) whose folder matches ``pattern``."""
    roots = [Path(__file__).resolve().parents[1] / "data", Path(sys.prefix) / "share" / "flipflop" / "data"]
    for root in roots:
        found = sorted(p for p in root.glob(pattern) if (p / MODEL).is_file())
        if found:
            return found
    raise FlipFlopError("no shipped networks found; give run directories with --runs")


def load_run(path: str | os.PathLike, require_finished: bool = True) -> Run:
    """Read a run directory; a missing or incomplete one is a FlipFlopError."""
    path = Path(path)
    if not path.is_dir():
        raise FlipFlopError(f"run directory {path} does not exist")
    for name in (CONFIG, MODEL) + ((METRICS,) if require_finished else ()):
        if not (path / name).is_file():
            raise FlipFlopError(f"run directory {path} is incomplete: no {name}")
    metrics = read_json(path / METRICS) if (path / METRICS).is_file() else {}
    return Run(path, read_config(path), metrics, read_history(path / HISTORY))
