"""Atomic file I/O and the writer's lock: every file the package writes goes through here.

A write goes to a temporary file beside its target, which then replaces the target
(:func:`atomic_path`): a killed process or a full disk leaves the old file whole. A writer
holds a folder's lock (:func:`locked`, an advisory ``flock`` that the OS releases when
its process dies) for as long as it works in the folder; readers take no lock.
"""
from __future__ import annotations

import contextlib
import errno
import hashlib
import json
import os
import shutil
import tempfile
from pathlib import Path
from typing import Any, Iterator

from flipflop.errors import FlipFlopError

LOCK = ".lock"


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


def check_unlocked(path: str | os.PathLike) -> None:
    """Refuse now, as :func:`locked` would, if another process holds folder ``path``'s lock;
    takes no lock and creates nothing (a check before any work; :func:`locked` still decides)."""
    lock = Path(path) / LOCK
    try:
        import fcntl

        fd = os.open(lock, os.O_RDONLY)
    except (ImportError, OSError):  # no lock file (or no fcntl): nobody holds it
        return
    try:
        fcntl.flock(fd, fcntl.LOCK_SH | fcntl.LOCK_NB)
    except OSError as e:
        if e.errno in (errno.EAGAIN, errno.EACCES):
            raise FlipFlopError(f"{lock.parent} is in use by another flipflop process (pid {_lock_holder(fd)}); "
                                "wait for it to finish or stop it") from None
    finally:
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


def copy_file(source: str | os.PathLike, target: str | os.PathLike) -> None:
    """Copy ``source`` to ``target`` atomically."""
    with atomic_path(target) as tmp:
        shutil.copyfile(source, tmp)


def file_digest(path: str | os.PathLike) -> str:
    """SHA-256 of a file's bytes (hex)."""
    with open(path, "rb") as f:
        return hashlib.file_digest(f, "sha256").hexdigest() if hasattr(hashlib, "file_digest") \
            else hashlib.sha256(f.read()).hexdigest()


def rows_digest(rows: list[dict]) -> str:
    """SHA-256 of history rows (as canonical JSON): ``state.json`` vouches for the rows so far."""
    return hashlib.sha256(json.dumps(rows, sort_keys=True).encode()).hexdigest()
