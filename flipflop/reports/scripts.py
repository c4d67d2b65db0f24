"""What the one-figure scripts in ``scripts/`` share: their arguments, and drawing some of a
task's figures (by file stem) for every run given."""
from __future__ import annotations

import argparse
import dataclasses
from pathlib import Path
from typing import Sequence

from flipflop.plotting.io import parse_formats
from flipflop.reports.analyse import analyse_run
from flipflop.reports.draw import figure_plan, save_plan
from flipflop.runs import shipped_runs
from flipflop.tasks import DEFAULT_TASK


def draw_by_stem(stems: Sequence[str], doc: str, argv: Sequence[str] | None = None) -> list[Path]:
    """The figures ``stems`` of the runs' task (``--runs``, default the shipped networks of
    the default task), one per run where a figure is per run, into ``--out`` in ``--format``;
    prints and returns the files."""
    parser = argparse.ArgumentParser(description=doc)
    parser.add_argument("--runs", type=Path, nargs="+", help="run directories (default: the shipped networks)")
    parser.add_argument("--out", type=Path, default=Path("figures"), help="folder (default figures/)")
    parser.add_argument("--format", default="png", help="png (default), pdf, or png,pdf")
    args = parser.parse_args(argv)
    analyses = [analyse_run(p) for p in (args.runs or shipped_runs(DEFAULT_TASK))]
    chosen = [f if f.scope == "set" else dataclasses.replace(f, scope="each")
              for f in analyses[0].spec.figures if f.stem in stems]
    written = save_plan(figure_plan(analyses, figures=chosen), args.out, parse_formats(args.format))
    for path in written:
        print(path)
    return written
