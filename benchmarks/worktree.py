"""The package as it was at a commit, for benchmarks that measure before and after side by side."""
from __future__ import annotations

import contextlib
import subprocess
from pathlib import Path
from typing import Iterator

ROOT = Path(__file__).resolve().parents[1]


@contextlib.contextmanager
def worktree(commit: str, where: Path) -> Iterator[Path]:
    """A detached git worktree of ``commit`` at ``where`` (put it on ``PYTHONPATH`` to run that
    package), removed on leaving the block."""
    subprocess.run(["git", "-C", str(ROOT), "worktree", "add", "--detach", "-q", str(where), commit], check=True)
    try:
        yield where
    finally:
        subprocess.run(["git", "-C", str(ROOT), "worktree", "remove", "--force", str(where)], check=False)
