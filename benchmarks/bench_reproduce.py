"""Wall time of `flipflop figures` (from the shipped runs) and `flipflop reproduce` (defaults,
training included), each in a fresh process, with where the time goes.

    python benchmarks/bench_reproduce.py              # both (~20 min on 2 cores)
    python benchmarks/bench_reproduce.py --figures-only
"""
from __future__ import annotations

import argparse
import subprocess
import sys
import tempfile
import time
from pathlib import Path


def timed(argv: list[str]) -> tuple[float, str]:
    t = time.perf_counter()
    proc = subprocess.run([sys.executable, "-m", "flipflop.cli", *argv], stdout=subprocess.PIPE,
                          stderr=subprocess.STDOUT, text=True)
    if proc.returncode:
        raise SystemExit(f"flipflop {' '.join(argv)} failed:\n{proc.stdout}")
    return time.perf_counter() - t, proc.stdout


def where_time_went(report: Path) -> str:
    text = report.read_text()
    return text[text.index("## Where the time went"):] if "## Where the time went" in text else ""


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--figures-only", action="store_true")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        seconds, _ = timed(["figures", "--out", f"{tmp}/figs"])
        print(f"flipflop figures (4 shipped runs, cached fixed points): {seconds:.1f} s wall, "
              f"including ~{import_seconds():.1f} s of Python/TensorFlow start-up")
        print(where_time_went(Path(tmp, "figs", "REPORT.md")))
        if args.figures_only:
            return
        seconds, out = timed(["reproduce", "--runs", f"{tmp}/runs", "--out", f"{tmp}/repro"])
        print(f"flipflop reproduce (defaults, 4 x SimpleRNN-400 trained from scratch): {seconds:.0f} s "
              f"= {seconds / 60:.1f} min wall")
        print(where_time_went(Path(tmp, "repro", "REPORT.md")))


def import_seconds() -> float:
    t = time.perf_counter()
    subprocess.run([sys.executable, "-c", "import keras"], capture_output=True)
    return time.perf_counter() - t


if __name__ == "__main__":
    main()
