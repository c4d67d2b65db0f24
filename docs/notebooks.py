"""Execute the notebooks of ``notebooks/`` (jupytext percent files) into ``.ipynb`` files with
their outputs, at a size ("small" or "default"), each in its own Jupyter kernel.

    python docs/notebooks.py --size default --out build/notebooks   # what the site shows
    FLIPFLOP_DOCS_NOTEBOOKS=build/notebooks mkdocs build --strict   # renders them

The tests (``tests/docs``) run every notebook through :func:`execute` at the small size.
"""
from __future__ import annotations

import argparse
import os
import resource
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
NOTEBOOKS = ROOT / "notebooks"
SIZES = ("small", "default")


def sources() -> list[Path]:
    """The notebooks, in chapter order."""
    return sorted(NOTEBOOKS.glob("[0-9][0-9]_*.py"))


def execute(source: Path, out: Path, size: str = "small", figures: Path | None = None,
            timeout: int = 1800) -> tuple[Path, float, float]:
    """Run ``source`` top to bottom in a fresh kernel (working directory: ``notebooks/``,
    ``FLIPFLOP_NOTEBOOK_SIZE=size``, figures into ``figures``); write ``out/<name>.ipynb``
    with its outputs. Returns (that file, wall seconds, CPU seconds of the kernel process:
    user + system, load-independent; Ray's workers are not counted). A cell that raises
    raises here."""
    import jupytext
    import nbformat
    from nbclient import NotebookClient

    if size not in SIZES:
        raise ValueError(f"size must be one of {SIZES}, got {size!r}")
    nb = jupytext.read(source)
    env = {"FLIPFLOP_NOTEBOOK_SIZE": size, "PYTHONPATH": os.pathsep.join(
        [str(ROOT)] + [p for p in os.environ.get("PYTHONPATH", "").split(os.pathsep) if p])}
    if figures is not None:
        env["FLIPFLOP_NOTEBOOK_OUT"] = str(Path(figures).resolve())
    saved = {k: os.environ.get(k) for k in env}
    os.environ.update(env)  # the kernel inherits this process's environment
    try:
        start, cpu = time.perf_counter(), _children_cpu()
        NotebookClient(nb, timeout=timeout, kernel_name="python3",
                       resources={"metadata": {"path": str(source.parent)}}).execute()
        seconds, cpu = time.perf_counter() - start, _children_cpu() - cpu
    finally:
        for k, v in saved.items():
            os.environ.pop(k, None) if v is None else os.environ.__setitem__(k, v)
    out.mkdir(parents=True, exist_ok=True)
    target = out / f"{source.stem}.ipynb"
    nbformat.write(nb, target)
    return target, seconds, cpu


def _children_cpu() -> float:
    """CPU seconds of this process's finished children (the kernel, once shut down)."""
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--size", choices=SIZES, default="default")
    parser.add_argument("--out", type=Path, default=ROOT / "build" / "notebooks")
    parser.add_argument("--figures", type=Path, help="where the notebooks save their figures")
    parser.add_argument("names", nargs="*", help="notebooks to run (default: all), e.g. 03_connectivity")
    args = parser.parse_args(argv)
    chosen = [s for s in sources() if not args.names or s.stem in args.names]
    for source in chosen:
        target, seconds, cpu = execute(source, args.out, args.size, args.figures)
        load = os.getloadavg()[0]
        print(f"{source.name}: {seconds:.1f} s wall, {cpu:.1f} s CPU at the {args.size} size "
              f"(load {load:.1f}) -> {target}", flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
