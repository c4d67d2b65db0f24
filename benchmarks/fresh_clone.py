"""A newcomer's first command, checked end to end: clone, install, `flipflop reproduce`.

    python benchmarks/fresh_clone.py [--repo .] [--workdir DIR] [--python VENV_PYTHON]
                                     [--paper ../shared/reference/paper-checkpoint]

1. Clones the repository's HEAD into ``DIR/clone``, makes a new venv there and runs
   ``pip install .`` (skipped with ``--python``, which names an existing environment's
   interpreter).
2. Runs ``flipflop reproduce`` (defaults) in the clone, with ``$FLIPFLOP_PAPER_CHECKPOINT``
   set to ``--paper``, sampling the memory (RSS) of its process tree every 0.25 s. It
   prints the wall time, the peak and the output line that preceded the peak.
3. Checks what a user would: ``git status`` is clean; every output line is one of ours (no
   TensorFlow chatter); each trained network's weights equal the shipped one in ``data/``;
   each figure equals the committed one in ``figures/`` pixel for pixel (else: how many
   pixels differ, and by how much); REPORT.md's tables equal the committed REPORT's.
   Identity holds on the CPU type that made ``data/`` and ``figures/`` (AVX-512 here);
   on another instruction set oneDNN's kernels round differently, and what must hold there
   is the REPORT's "every bar and the signature" line, which it checks on any CPU.

Linux only (it reads /proc). About 15 minutes on 2 cores, plus the install.
"""
from __future__ import annotations

import argparse
import os
import re
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

import numpy as np

CHATTER = re.compile(r"^([IWEF]\d{4} |WARNING|oneDNN|To enable|Traceback)|Warning:|cuda|absl|tensorflow", re.I)


def tree_rss(pid: int) -> int:
    """Resident memory (bytes) of a process and all its descendants."""
    total, todo, seen = 0, [pid], set()
    while todo:
        p = todo.pop()
        if p in seen:
            continue
        seen.add(p)
        try:
            total += int(re.search(r"VmRSS:\s+(\d+)", Path(f"/proc/{p}/status").read_text()).group(1)) * 1024
            for t in os.listdir(f"/proc/{p}/task"):
                todo += [int(c) for c in Path(f"/proc/{p}/task/{t}/children").read_text().split()]
        except (OSError, AttributeError):
            pass
    return total


def run_sampled(argv: list[str], cwd: Path, env: dict) -> tuple[int, list[tuple[float, int, str]], float]:
    """Run ``argv``; returns (exit status, [(seconds, RSS bytes, line)] per output line with
    the peak RSS seen up to that line, wall seconds). Each line is echoed with its time."""
    t0 = time.perf_counter()
    proc = subprocess.Popen(argv, cwd=cwd, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    peak = [0]

    def sample() -> None:
        while proc.poll() is None:
            peak[0] = max(peak[0], tree_rss(proc.pid))
            time.sleep(0.25)

    sampler = threading.Thread(target=sample, daemon=True)
    sampler.start()
    lines = []
    for line in proc.stdout:
        lines.append((time.perf_counter() - t0, peak[0], line.rstrip("\n")))
        peak[0] = 0  # each line records the peak since the previous one
        print(f"[{lines[-1][0]:6.0f} s {lines[-1][1] / 2**30:4.2f} GiB] {lines[-1][2]}", flush=True)
    proc.wait()
    sampler.join(1)
    lines.append((time.perf_counter() - t0, peak[0], "(exit)"))
    return proc.returncode, lines, time.perf_counter() - t0


def compare_weights(runs: Path, shipped: Path) -> list[str]:
    from flipflop.runs import load_run

    out = []
    for run in sorted(runs.glob("simplernn-400-seed*")):
        mine, theirs = load_run(run).model().get_weights(), load_run(shipped / run.name).model().get_weights()
        diff = max(float(np.max(np.abs(a - b))) for a, b in zip(mine, theirs))
        out.append(f"{run.name}: weights {'identical' if diff == 0 else f'differ (max |diff| {diff:.3g})'} "
                   f"to {shipped / run.name}")
    return out


def compare_figures(made: Path, committed: Path) -> tuple[list[str], int]:
    """One line per figure; and the number that differ."""
    from matplotlib.image import imread

    out, differ = [], 0
    for path in sorted(made.glob("*.png")):
        ref = committed / path.name
        if not ref.is_file():
            out.append(f"{path.name}: not among the committed figures")
            differ += 1
            continue
        a, b = imread(path), imread(ref)
        if a.shape != b.shape:
            out.append(f"{path.name}: size {a.shape[:2]} against the committed {b.shape[:2]}")
            differ += 1
            continue
        changed = np.any(a != b, axis=-1)
        if changed.any():
            differ += 1
            out.append(f"{path.name}: {int(changed.sum())} of {changed.size} pixels differ "
                       f"(max {float(np.max(np.abs(a - b))):.3f})")
        else:
            out.append(f"{path.name}: identical")
    return out, differ


def report_tables(path: Path) -> list[str]:
    """REPORT.md's table rows and headings, without the provenance and the timings."""
    text = path.read_text().split("## Where the time went")[0]
    return [line for line in text.splitlines() if line.startswith(("|", "#"))]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--repo", type=Path, default=Path(__file__).resolve().parents[1])
    parser.add_argument("--workdir", type=Path, default=None)
    parser.add_argument("--python", default=None, help="an existing environment's python (skips the install)")
    parser.add_argument("--paper", type=Path,
                        default=Path(__file__).resolve().parents[2] / "shared" / "reference" / "paper-checkpoint")
    args = parser.parse_args()
    work = args.workdir or Path(tempfile.mkdtemp(prefix="flipflop-fresh-"))
    clone = work / "clone"
    subprocess.run(["git", "clone", "-q", str(args.repo), str(clone)], check=True)
    commit = subprocess.run(["git", "rev-parse", "--short", "HEAD"], cwd=clone, capture_output=True,
                            text=True).stdout.strip()
    python = args.python
    if python is None:
        t = time.perf_counter()
        subprocess.run([sys.executable, "-m", "venv", str(work / "venv")], check=True)
        python = str(work / "venv" / "bin" / "python")
        subprocess.run([python, "-m", "pip", "install", "-q", "."], cwd=clone, check=True)
        print(f"pip install . into a new venv: {time.perf_counter() - t:.0f} s")
    env = {**os.environ, "FLIPFLOP_PAPER_CHECKPOINT": str(args.paper.resolve()),
           "PATH": f"{Path(python).parent}{os.pathsep}{os.environ['PATH']}"}
    env.pop("PYTHONPATH", None)
    status, lines, wall = run_sampled([str(Path(python).parent / "flipflop"), "reproduce"], clone, env)
    peak_at = max(range(len(lines)), key=lambda i: lines[i][1])
    print(f"\nflipflop reproduce at {commit}: exit {status}, {wall:.0f} s = {wall / 60:.1f} min wall; "
          f"peak RSS {lines[peak_at][1] / 2**30:.2f} GiB, reached before the line "
          f"{lines[peak_at][2]!r} (the previous: {lines[peak_at - 1][2] if peak_at else ''!r})")
    dirty = subprocess.run(["git", "status", "--porcelain"], cwd=clone, capture_output=True, text=True).stdout
    print(f"git status: {'clean' if not dirty.strip() else 'NOT clean:' + chr(10) + dirty}")
    chatter = [line for _, _, line in lines if CHATTER.search(line) and not line.startswith("    ")]
    print(f"lines not ours: {len(chatter)}" + "".join(f"\n    {c}" for c in chatter[:10]))
    for line in compare_weights(clone / "flipflop-out" / "runs", clone / "data"):
        print(line)
    figures, differ = compare_figures(clone / "flipflop-out" / "figures", clone / "figures")
    print(f"figures: {len(figures) - differ} of {len(figures)} identical to the committed ones")
    for line in figures:
        print(f"    {line}")
    made, committed = (report_tables(p / "REPORT.md") for p in (clone / "flipflop-out" / "figures", clone / "figures"))
    changed = [(a, b) for a, b in zip(made, committed) if a != b] + [("(missing)", b) for b in committed[len(made):]]
    print(f"REPORT tables: {len(committed) - len(changed)} of {len(committed)} lines identical")
    for a, b in changed:
        print(f"    ours:      {a}\n    committed: {b}")
    made_report = (clone / "flipflop-out" / "figures" / "REPORT.md").read_text()
    verdict = [line for line in made_report.splitlines() if line.startswith("Every bar and the signature hold")]
    print(f"what must hold on every CPU: {verdict[0] if verdict else 'MISSING from REPORT.md'}")
    print(f"(work folder: {work})")


if __name__ == "__main__":
    main()
