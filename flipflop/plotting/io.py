"""Saving figures: formats, atomic writes, and clearing a folder of an earlier figure set."""
from __future__ import annotations

import os
from pathlib import Path
from typing import TYPE_CHECKING, Sequence

from flipflop.errors import FlipFlopError
from flipflop.runs.fileio import atomic_path

if TYPE_CHECKING:
    from matplotlib.figure import Figure

FORMATS = ("png", "pdf", "svg")


def parse_formats(text: str) -> tuple[str, ...]:
    """``"png,pdf"`` -> ``("png", "pdf")``; an unknown format is a FlipFlopError."""
    formats = tuple(f.strip().lower() for f in text.split(",") if f.strip())
    bad = [f for f in formats if f not in FORMATS]
    if bad or not formats:
        raise FlipFlopError(f"unknown figure format {', '.join(bad) or text!r}; use png, pdf or svg")
    return formats


def save_figure(fig: Figure, path: str | os.PathLike, formats: Sequence[str] = ("png",), dpi: int = 150) -> list[Path]:
    """Save ``fig`` as ``path`` (a stem: a dot in it is part of the name, as in
    ``trajectories_yang19.dm1-v0``) plus ``.<format>`` for each of ``formats``, atomically; close it."""
    import matplotlib.pyplot as plt  # here: choosing formats loads no matplotlib

    out = []
    for fmt in formats:
        target = Path(f"{os.fspath(path)}.{fmt}")
        with atomic_path(target) as tmp:
            fig.savefig(tmp, format=fmt, dpi=dpi, bbox_inches="tight")
        out.append(target)
    plt.close(fig)
    return out


def remove_stale(folder: str | os.PathLike, keep: Sequence[str], patterns: Sequence[str]) -> list[Path]:
    """Delete the files in ``folder`` named like one of ``patterns`` (globs: the figures and
    report of a task's set) but not in ``keep`` (file names), so that it holds one
    consistent set; other files stay. Returns the removed paths."""
    folder, keep = Path(folder), set(keep)
    stale = sorted({p for pattern in patterns for p in folder.glob(pattern) if p.is_file() and p.name not in keep})
    for p in stale:
        p.unlink()
    return stale
