"""Run directories and atomic file I/O.

A run directory is the public record of one training:

- ``model.keras``: the best model by validation loss;
- ``initial.keras``: the untrained model;
- ``config.json``: every parameter, the seed, and the package/Keras/TF versions;
- ``history.csv``: one row per finished epoch;
- ``metrics.json``: final metrics (present once the run has finished).

While training, ``checkpoint-NNNN.keras`` and ``state.json`` hold the latest epoch
(weights and optimizer) so an interrupted run resumes where it stopped.
"""
from __future__ import annotations

import contextlib
import csv
import io
import json
import os
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
    import keras

    import flipflop.ctrnn  # noqa: F401  (registers the CTRNN cell for deserialisation)
    import flipflop.models  # noqa: F401  (registers LayerwiseAdam)

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
            return [{k: float(v) for k, v in row.items()} for row in csv.DictReader(f)]
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


def load_run(path: str | os.PathLike, require_finished: bool = True) -> Run:
    """Read a run directory; a missing or incomplete one is a FlipFlopError."""
    path = Path(path)
    if not path.is_dir():
        raise FlipFlopError(f"run directory {path} does not exist")
    for name in (CONFIG, MODEL) + ((METRICS,) if require_finished else ()):
        if not (path / name).is_file():
            raise FlipFlopError(f"run directory {path} is incomplete: no {name}")
    metrics = read_json(path / METRICS) if (path / METRICS).is_file() else {}
    return Run(path, read_json(path / CONFIG), metrics, read_history(path / HISTORY))
