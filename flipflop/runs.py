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

``checkpoint-NNNN.keras`` and ``state.json`` hold the latest epoch (weights and optimizer):
an interrupted run resumes where it stopped, and a finished one keeps them so it can be
trained further exactly. ``state.json`` is the epoch's commit point; it records checksums
of ``model.keras`` and of the history rows so far. ``metrics.json`` is written last and
records checksums of the files it describes: a run is *finished* only if they all match
(:func:`finished_problem`).

A writer holds ``.lock`` (an advisory ``flock``, released by the OS when its process
dies) for as long as it works in the folder (:func:`locked`); readers take no lock.

``config.json`` carries a ``format`` number (``CONFIG_FORMAT``). Configs written before it
existed (format 1) are flip-flop runs; they are read as such. A config of a newer format
than this package knows is refused.
"""
from __future__ import annotations

import contextlib
import csv
import errno
import hashlib
import io
import json
import os
import shutil
import sys
import tempfile
import zipfile
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
LOCK = ".lock"
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
    """Delete the run's cached fixed points (they belong to the model that is about to change)."""
    path = Path(path)
    for p in list(path.glob(TAGGED_FIXED_POINTS_GLOB)) + [path / FIXED_POINTS]:
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
    """Yield a temporary path beside ``path`` (same suffix); on success it replaces ``path``.

    A failed write (a full disk, a lost permission) leaves ``path`` as it was and is a
    one-line FlipFlopError.
    """
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
    except OSError as e:
        raise FlipFlopError(f"cannot write {path}: {e.strerror or e}; it is left as it was") from None
    finally:
        with contextlib.suppress(OSError):
            os.unlink(tmp)


@contextlib.contextmanager
def locked(path: str | os.PathLike) -> Iterator[Path]:
    """Hold the writer's lock of folder ``path`` (created if needed) while the block runs.

    The lock is an advisory ``flock`` on ``path/.lock``, which holds the holder's pid: the
    OS releases it when the holder exits or dies, so a stale file never blocks. A second
    writer gets a FlipFlopError naming the holder's pid. If the block fails, folders this
    call created are removed again when they hold nothing else. Without ``fcntl``
    (Windows) no lock is taken.
    """
    path = Path(path)
    if path.exists() and not path.is_dir():
        raise FlipFlopError(f"{path} exists and is not a directory")
    created = [p for p in [path, *path.parents] if not p.exists()]
    ensure_writable_dir(path)
    ok = False
    try:
        with _flock(path / LOCK):
            yield path
            ok = True
    finally:
        if not ok:
            for folder in created:  # leaf first
                with contextlib.suppress(OSError):
                    folder.rmdir()


@contextlib.contextmanager
def _flock(lock: Path) -> Iterator[None]:
    """``flock`` ``lock`` exclusively (not waiting), write our pid in it; remove it on release."""
    try:
        import fcntl
    except ImportError:  # pragma: no cover - not POSIX
        yield
        return
    while True:
        fd = os.open(lock, os.O_RDWR | os.O_CREAT, 0o644)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except OSError as e:
            holder = _lock_holder(fd)
            os.close(fd)
            if e.errno not in (errno.EAGAIN, errno.EACCES):
                raise FlipFlopError(f"cannot lock {lock}: {e.strerror or e}") from None
            raise FlipFlopError(f"{lock.parent} is in use by another flipflop process (pid {holder}); "
                                "wait for it to finish or stop it") from None
        try:  # the previous holder may have removed the file before we locked it: retry then
            same = os.fstat(fd).st_ino == os.stat(lock).st_ino
        except FileNotFoundError:
            same = False
        if same:
            break
        os.close(fd)
    try:
        os.ftruncate(fd, 0)
        os.write(fd, f"{os.getpid()}\n".encode())
        yield
    finally:
        with contextlib.suppress(OSError):
            os.unlink(lock)  # safe: a waiter that opened this file sees it is gone and retries
        os.close(fd)


def _lock_holder(fd: int) -> str:
    """The pid written in a held lock file ('?' if the holder has not written it yet)."""
    import time

    for _ in range(20):
        text = os.pread(fd, 32, 0).decode(errors="replace").strip()
        if text:
            return text
        time.sleep(0.01)
    return "?"


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
    """Load a ``.keras`` model (our custom cells included); bad files are a FlipFlopError.

    Keras' safe mode stays on: a model with code in it (a ``Lambda`` layer) is refused.
    """
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
    try:  # keras says "File not found" for a truncated archive: check it ourselves first
        with zipfile.ZipFile(path) as archive:
            damaged = archive.testzip()
    except (zipfile.BadZipFile, EOFError, OSError, ValueError) as e:
        raise FlipFlopError(f"corrupt or unreadable model file {path}: not a readable .keras archive ({e})") from None
    if damaged is not None:
        raise FlipFlopError(f"corrupt or unreadable model file {path}: {damaged} in it fails its checksum")
    try:
        return keras.models.load_model(path, compile=compile, safe_mode=True)
    except Exception as e:  # keras raises many types for corrupt archives
        reason = str(e).strip().splitlines()[0] if str(e).strip() else type(e).__name__
        if "safe_mode" in str(e) or "arbitrary code" in str(e):
            raise FlipFlopError(f"refused to load {path}: it holds Python code (a Lambda layer), which "
                                "could run anything; flipflop loads models in Keras safe mode only") from None
        raise FlipFlopError(f"corrupt or unreadable model file {path}: {reason[:200]}") from None


def file_digest(path: str | os.PathLike) -> str:
    """SHA-256 of a file's bytes (hex)."""
    with open(path, "rb") as f:
        return hashlib.file_digest(f, "sha256").hexdigest() if hasattr(hashlib, "file_digest") \
            else hashlib.sha256(f.read()).hexdigest()


def rows_digest(rows: list[dict]) -> str:
    """SHA-256 of history rows (as canonical JSON): ``state.json`` vouches for the rows so far."""
    return hashlib.sha256(json.dumps(rows, sort_keys=True).encode()).hexdigest()


def copy_file(source: str | os.PathLike, target: str | os.PathLike) -> None:
    """Copy ``source`` to ``target`` atomically."""
    with atomic_path(target) as tmp:
        shutil.copyfile(source, tmp)


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
