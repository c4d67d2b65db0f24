"""From run directories to every figure and ``REPORT.md`` (``flipflop figures``).

The first run is the main realisation (Figs. 3, 5, 7 and 8); all runs make Figs. 4 and 6.
An optional reference run (e.g. the paper's imported network) joins Fig. 4, gets Figs. 3
and 5 (and 7 and 8 when it has fixed points) too, and a row in every table.
"""
from __future__ import annotations

import time
from dataclasses import dataclass
from pathlib import Path
from typing import Callable, Sequence

import numpy as np

from flipflop import analysis, figures, runs
from flipflop.cells import CELLS
from flipflop.errors import FlipFlopError
from flipflop.pipeline import RunAnalysis, analyse_run
from flipflop.progress import each


def draw(analyses: Sequence[RunAnalysis], out: str | Path, formats: Sequence[str] = ("png",),
         reference: RunAnalysis | None = None, log: Callable[[str], None] = print) -> list[Path]:
    """Every figure for ``analyses`` (and ``reference``) into ``out``; returns the files.

    Figure files of an earlier set that this one does not rewrite (and its REPORT.md) are
    removed first (:func:`flipflop.figures.remove_stale`), so ``out`` holds one consistent set.
    """
    out = Path(out)
    if not analyses:
        raise FlipFlopError("no runs to draw")
    main = analyses[0]
    both = [main] + ([reference] if reference else [])
    with_ref = list(analyses) + ([reference] if reference else [])
    plan: list[tuple[str, Callable[[], object]]] = [
        ("fig1_model", lambda: figures.schematic(main.task.n_bits, main.w_rec.shape[0], _cell_name(main))),
        ("fig2_training_samples", lambda: figures.training_samples(main.task.generate(3, seed=0), main.task.dt_ms))]
    for a in both:
        name = figures.matrix_name(a.run.config.get("cell", ""))
        plan += [(f"fig3_connectivity_{a.label}", lambda a=a, name=name: figures.connectivity(
                     a.w_rec, a.spectrum.eigenvalues, f"Fig. 3 — {a.label}" + (
                         f": the recurrent matrix shown is the {name}" if name != "$W^{rec}$" else ""),
                     a.dale_signs, name))]
        plan += [(f"fig5_eight_states_{a.label}", lambda a=a: figures.eight_state(
                     a.series, a.outputs, a.projection.projected, a.cube.centroids, a.task.dt_ms,
                     a.projection.variance_ratio, f"Fig. 5 — {a.label}: all memory states"))]
    plan += [("fig4_spectra", lambda: figures.spectra_grid(
                 [(_grid_label(a, reference), a.spectrum.eigenvalues) for a in with_ref])),
             ("fig6_cubes", lambda: figures.cubes_grid(
                 [(a.label, a.projection.projected, a.series.states[0], a.cube.centroids) for a in analyses],
                 main.task.n_bits, [a.projection.variance_ratio for a in analyses])),
             ("training_curves", lambda: figures.training_curves(
                 [(a.label, a.run.history) for a in analyses], [_target(a) for a in analyses]))]
    plan += [(stem, make) for a in both for stem, make in _fixed_point_figures(a)]
    removed = figures.remove_stale(out, [f"{stem}.{fmt}" for stem, _ in plan for fmt in formats])
    if removed:
        log(f"removed {len(removed)} files of an earlier figure set from {out}")
    written = _save(plan, out, formats)
    log(f"wrote {len(written)} files to {out}")
    return written


def _save(plan: Sequence[tuple[str, Callable[[], object]]], out: Path, formats: Sequence[str]) -> list[Path]:
    """Make and save each (file stem, figure maker) of ``plan`` into ``out``; the files written."""
    return [path for stem, make in plan for path in figures.save_figure(make(), out / stem, formats)]


def _cell_name(a: RunAnalysis) -> str:
    """The cell's Keras name for Fig. 1 (``SimpleRNN``, ``GRU``...), from the cell registry."""
    cell = str(a.run.config.get("cell", "recurrent"))
    spec = CELLS.get(cell.lower())
    return spec.keras_cell.removesuffix("Cell") if spec else cell


def _grid_label(a: RunAnalysis, reference: RunAnalysis | None) -> str:
    return f"{a.label} (reference)" if a is reference else a.label


def _target(a: RunAnalysis) -> tuple[float, float] | None:
    """(bit accuracy, MSE) the run trained to, from its config; None for imported networks."""
    train = a.run.config.get("train") or {}
    if "target_accuracy" in train and "target_mse" in train:
        return float(train["target_accuracy"]), float(train["target_mse"])
    return None


def _fixed_point_figures(a: RunAnalysis) -> list[tuple[str, Callable[[], object]]]:
    """(stem, figure maker) of Figs. 7 and 8 for ``a``; none if it has no fixed points."""
    if a.fixed_points is None:
        return []
    fps = a.fixed_points.fixed_only()
    n = a.hidden.shape[-1]  # LSTM states are [h, c]: draw h
    points = a.projection.transform(fps.points[:, :n])
    vectors = np.real(fps.unstable_vectors[:, :n]) @ a.projection.components.T
    return [(f"fig7_fixed_points_{a.label}", lambda: figures.fixed_points_3d(
                a.projection.projected, a.series.states[0], a.cube.centroids, a.task.n_bits, points,
                fps.n_unstable, vectors, f"Fig. 7 — fixed points at zero input — {a.label}",
                variance=a.projection.variance_ratio)),
            (f"fig8_linearised_{a.label}", lambda: figures.linearised_spectra(
                a.spectrum.eigenvalues, fps.eigenvalues, fps.n_unstable,
                f"Fig. 8 — linearised dynamics at the fixed points — {a.label}"))]


def draw_fixed_points(a: RunAnalysis, out: str | Path, formats: Sequence[str] = ("png",)) -> list[Path]:
    """Fixed points on the 8-state trajectory, and the Jacobian spectra beside W_rec's
    (nothing if the run has no fixed points)."""
    return _save(_fixed_point_figures(a), Path(out), formats)


# The paper's spectral signature (its network: radius 1.082, 57 above 1.01, median 1.002, std 0.016).
SIGNATURE_BARS = {"std": 0.025, "median": (0.99, 1.01), "radius": 1.15, "n_above": 80}


def has_paper_signature(sig: dict) -> bool:
    """True if a spectral signature (``analysis.spectral_signature``) meets ``SIGNATURE_BARS``."""
    lo, hi = SIGNATURE_BARS["median"]
    return (sig["std"] <= SIGNATURE_BARS["std"] and lo <= sig["median"] <= hi
            and sig["radius"] <= SIGNATURE_BARS["radius"] and sig["n_above"] <= SIGNATURE_BARS["n_above"])


def _signature_row(a: RunAnalysis) -> str:
    sig = analysis.spectral_signature(a.w_rec)
    recipe = (a.run.config.get("train") or {}).get("recipe", a.run.config.get("source", "–"))
    return (f"| {a.label} | {recipe} | {sig['radius']:.3f} | {sig['n_above']} | {sig['median']:.4f} | "
            f"{sig['std']:.4f} | {sig['p10']:.4f} | {'yes' if has_paper_signature(sig) else 'no'} |")


def _row(a: RunAnalysis) -> str:
    h = a.metrics.get("heldout", {})
    e = a.metrics["eight_state"]
    c = a.cube
    angles = c.axis_angles_deg[np.triu_indices(len(c.axis_angles_deg), 1)]
    acc = f"{h['bit_accuracy']:.5f}" if h else "–"
    err = f"{h['mse']:.4f}" if h else "–"
    return (f"| {a.label} | {acc} | {err} | {e['bit_accuracy']:.5f} | {a.spectrum.spectral_radius:.3f} | "
            f"{a.spectrum.n_outside} | {c.r2:.3f} | {', '.join(f'{x:.2f}' for x in c.bit_decoding)} | "
            f"{', '.join(f'{x:.0f}' for x in angles)} | {', '.join(f'{v:.0%}' for v in a.projection.variance_ratio)} |")


FIGURE_CAPTIONS = (  # file-name prefix -> what the figure shows
    ("fig1_model", "Fig. 1: the model"),
    ("fig2_training_samples", "Fig. 2: training samples (inputs and targets)"),
    ("fig3_connectivity_", "Fig. 3: recurrent weights and their eigenvalues"),
    ("fig4_spectra", "Fig. 4: eigenvalue spectra of every network"),
    ("fig5_eight_states_", "Fig. 5: the 8-state test series and its 3-D trajectory"),
    ("fig6_cubes", "Fig. 6: the cube of every realisation, aligned to the ideal cube"),
    ("fig7_fixed_points_", "Fig. 7: fixed points on the trajectory"),
    ("fig8_linearised_", "Fig. 8: Jacobian spectra at the fixed points"),
    ("training_curves", "training curves and the target each run trained to"),
)


def provenance(package_dir: str | Path | None = None, cwd: str | Path = ".") -> str:
    """``flipflop <version>, commit <short hash>, <UTC date and time>``. The commit is that of
    the git checkout holding the package (an editable install); for a package installed
    without git metadata (``pip install .``), that of the flipflop checkout in ``cwd``, if it
    is one, said as such; else "unknown"."""
    from datetime import datetime, timezone

    from flipflop import __version__

    commit = _git(Path(package_dir or Path(__file__).resolve().parent), "rev-parse", "--short", "HEAD")
    if commit is None:
        top = _git(Path(cwd), "rev-parse", "--show-toplevel")
        here = _git(Path(cwd), "rev-parse", "--short", "HEAD") if top else None
        ours = here is not None and (Path(top) / "flipflop" / "__init__.py").is_file()
        commit = f"{here} of the flipflop checkout it ran in" if ours else "unknown"
    return f"flipflop {__version__}, commit {commit}, {datetime.now(timezone.utc):%Y-%m-%d %H:%M} UTC"


def _git(folder: Path, *args: str) -> str | None:
    """``git args`` run in ``folder``: its output, or None (not a checkout, no git)."""
    import subprocess

    try:
        done = subprocess.run(["git", *args], cwd=folder, capture_output=True, text=True, timeout=10)
    except (OSError, subprocess.SubprocessError):
        return None
    return done.stdout.strip() if done.returncode == 0 and done.stdout.strip() else None


def figure_names(files: Sequence[str | Path], *prefixes: str) -> str:
    """"Figures: `a.png`, `b.png`." for the files whose names start with one of ``prefixes``."""
    names = sorted(Path(f).name for f in files if Path(f).name.startswith(prefixes))
    return f"Figures: {', '.join(f'`{n}`' for n in names)}." if names else ""


def report(analyses: Sequence[RunAnalysis], reference: RunAnalysis | None = None,
           timings: dict | None = None, files: Sequence[str | Path] = ()) -> str:
    """``REPORT.md``: the numbers behind every figure, each table with the figure ``files``
    it belongs with, and provenance (flipflop version, git commit, date)."""
    lines = ["# Report: the numbers behind the figures", "",
             f"Generated by `flipflop figures` / `flipflop reproduce` ({provenance()}). "
             "Held-out metrics are measured on "
             "fresh trials of the paper's distribution; the 8-state series is noise-free. Spectral "
             "radius and the count of eigenvalues with modulus > 1.01 refer to the recurrent matrix W_rec. Cube metrics: R² of the best "
             "affine map from the corners {±1}³ to the 8 state centroids in the 3-D SVD projection; "
             "bit decoding = accuracy of a linear read-out of each bit from that projection; angles "
             "between the fitted bit axes (90° = a right-angled cube); variance = fraction per SVD axis.", "",
             figure_names(files, "fig3_", "fig4_", "fig5_", "training_curves"), "",
             "| network | held-out bit acc. | held-out MSE | 8-state bit acc. | spectral radius | "
             "eigenvalues outside 1.01 | cube R² | bit decoding | bit-axis angles (°) | variance |",
             "|---|---|---|---|---|---|---|---|---|---|"]
    lines += [_row(a) for a in analyses] + ([_row(reference)] if reference else [])
    lines += ["", "## Spectral signature of W_rec", "",
              "Moduli |λ| of the recurrent matrix's eigenvalues. The paper: \"except for a small group of "
              "eigenvalues that migrated out of the unit circle, the rest remain on it\". Its signature, as "
              f"we test it: std |λ| ≤ {SIGNATURE_BARS['std']}, median |λ| in [{SIGNATURE_BARS['median'][0]}, "
              f"{SIGNATURE_BARS['median'][1]}], radius ≤ {SIGNATURE_BARS['radius']}, at most "
              f"{SIGNATURE_BARS['n_above']} of 400 above 1.01.", "",
              "| network | recipe | radius | \\|λ\\| > 1.01 | median \\|λ\\| | std \\|λ\\| | 10th percentile \\|λ\\| | "
              "the paper's signature |", "|---|---|---|---|---|---|---|---|"]
    lines += [_signature_row(a) for a in list(analyses) + ([reference] if reference else [])]
    if len(analyses) > 1:
        d = analysis.pairwise_procrustes([a.cube.centroids for a in analyses])
        lines += ["", "## Procrustes distances between realisations' cubes",
                  "", "Disparity after optimal translation, rotation/reflection and scaling "
                  "(`scipy.spatial.procrustes`; 0 = the same cube, rotated).", "",
                  figure_names(files, "fig6_"), "",
                  "| | " + " | ".join(a.label for a in analyses) + " |",
                  "|---" * (len(analyses) + 1) + "|"]
        lines += [f"| {a.label} | " + " | ".join(f"{x:.4f}" for x in row) + " |" for a, row in zip(analyses, d)]
        off = d[np.triu_indices(len(d), 1)]
        lines += ["", f"Mean off-diagonal distance: {off.mean():.4f} (max {off.max():.4f})."]
    fp_rows = [a for a in list(analyses) + ([reference] if reference else []) if a.fixed_points is not None]
    if fp_rows:
        from flipflop.fixed_points import ideal_counts

        ideal = ideal_counts(3)
        lines += ["", "## Fixed points at zero input", "",
                  "Stable points are split by what the readout says there: a memory state (every output "
                  "beyond ±0.5) or a state with an unset bit (an output near 0, which the task asks for "
                  "before a channel's first pulse). Distance: largest distance of a stable memory point "
                  "to the centroid of its state in the 3-D projection, over the smallest distance "
                  "between two centroids.", "", figure_names(files, "fig7_", "fig8_"), "",
                  "| network | stable: memories (distinct) | stable: unset bit | 1 unstable | 2 unstable | "
                  "3 unstable | more unstable | distance |", "|---|---|---|---|---|---|---|---|",
                  f"| ideal 3-bit system | {ideal[0]} ({ideal[0]}) | 0 | {ideal[1]} | {ideal[2]} | {ideal[3]} | 0 | 0 |"]
        for a in fp_rows:
            fps = a.fixed_points.fixed_only()
            counts = np.bincount(fps.n_unstable, minlength=5)
            _, states = stable_memories(a)
            memories = states[states >= 0]
            distance = stable_to_centroid(a)
            lines.append(f"| {a.label} | {len(memories)} ({len(set(memories.tolist()))}) | {int(np.sum(states < 0))} | "
                         f"{counts[1]} | {counts[2]} | {counts[3]} | {counts[4:].sum()} | "
                         f"{f'{distance:.3f}' if np.isfinite(distance) else '—'} |")
    figure_files = sorted(Path(f).name for f in files if Path(f).name != "REPORT.md")
    if figure_files:
        lines += ["", "## Figure files", ""]
        for name in figure_files:
            caption = next((c for prefix, c in FIGURE_CAPTIONS if name.startswith(prefix)), "")
            lines.append(f"- `{name}`" + (f": {caption}" if caption else ""))
    if timings:
        lines += ["", "## Where the time went", ""] + [f"- {k}: {v:.1f} s" for k, v in timings.items()]
    return "\n".join(lines) + "\n"


def stable_memories(a: RunAnalysis, threshold: float = 0.5) -> tuple[np.ndarray, np.ndarray]:
    """Stable fixed points (h part) and the memory state their readout encodes: 0..2^n-1
    when every output is beyond ±``threshold``, -1 when some bit reads as unset (near 0;
    the task asks for 0 before a channel's first pulse)."""
    from flipflop.tasks.flipflop import memory_states

    fps = a.fixed_points.fixed_only()
    stable = fps.points[fps.n_unstable == 0][:, :a.hidden.shape[-1]]
    out = stable @ a.readout[0] + a.readout[1]
    bits = np.where(np.abs(out) > threshold, np.sign(out), 0.0)
    return stable, memory_states(bits)


def stable_to_centroid(a: RunAnalysis) -> float:
    """Largest distance (3-D projection) from a stable memory point to the centroid of the
    state its readout encodes, relative to the smallest distance between two centroids."""
    stable, states = stable_memories(a)
    cents = a.cube.centroids
    ok = (states >= 0) & np.all(np.isfinite(cents[np.maximum(states, 0)]), axis=1)
    finite = cents[np.all(np.isfinite(cents), axis=1)]
    if not ok.any() or len(finite) < 2:
        return float("nan")
    dist = np.linalg.norm(a.projection.transform(stable[ok]) - cents[states[ok]], axis=1)
    gaps = np.linalg.norm(finite[:, None] - finite[None], axis=-1)
    return float(dist.max() / gaps[np.triu_indices(len(finite), 1)].min())


def figures_from_runs(paths: Sequence[str | Path], out: str | Path = "figures", formats: Sequence[str] = ("png",),
                      reference: str | Path | None = None, fixed_points: bool | str = "cached",
                      log: Callable[[str], None] = print, fixed_points_for: int | None = None,
                      timings: dict | None = None) -> list[Path]:
    """Analyse runs, draw every figure and write ``REPORT.md`` into ``out``.

    ``fixed_points`` applies to the first ``fixed_points_for`` runs (all by default) and
    the reference; the other runs use a cached ``fixed_points.npz`` if they have one.
    """
    by_task = _group_by_task(paths)
    if set(by_task) != {"flipflop"}:  # the primer's tasks: their own figures (one folder per task if mixed)
        return _figures_by_task(by_task, out, formats, reference, fixed_points, log, fixed_points_for, timings)
    t0 = time.perf_counter()
    if Path(out).exists() and not Path(out).is_dir():
        raise FlipFlopError(f"{out} exists and is not a directory")
    limit = len(paths) if fixed_points_for is None else fixed_points_for
    todo = [(p, fixed_points if i < limit else "cached") for i, p in enumerate(paths)]
    todo += [(reference, fixed_points)] if reference else []
    analysed = []
    what = {True: "; fixed points", "missing": "; fixed points unless cached"}

    def say(item: tuple, k: int, n: int) -> str:
        return f"    analysing {item[0]} ({k}/{n}{what.get(item[1], '')})"

    for path, fps in each(todo, "runs", say, log, "analyses"):  # the slow phase: it says where it is
        analysed.append(analyse_run(path, fixed_points=fps, progress=True))
    analyses, ref = (analysed[:-1], analysed[-1]) if reference else (analysed, None)
    out = runs.ensure_writable_dir(out)  # only once every run has been read: a refusal creates nothing
    t1 = time.perf_counter()
    written = draw(analyses, out, formats, ref, log)
    t2 = time.perf_counter()
    timings = {**(timings or {}),
               "analyses (load, trajectories, spectra, cube metrics, fixed points)": t1 - t0,
               "drawing and saving figures": t2 - t1}
    runs.write_text(out / "REPORT.md", report(analyses, ref, timings, written))
    return written + [out / "REPORT.md"]


def _group_by_task(paths: Sequence[str | Path]) -> dict[str, list]:
    """Run paths by their task's name, in the given order."""
    groups: dict[str, list] = {}
    for p in paths:
        groups.setdefault(runs.load_run(p).task().name, []).append(p)
    return groups


def _figures_by_task(by_task: dict[str, list], out, formats, reference, fixed_points, log, fixed_points_for,
                     timings) -> list[Path]:
    from flipflop.task_report import task_figures_from_runs

    if reference is not None and "flipflop" not in by_task:
        raise FlipFlopError("--reference only applies to flip-flop runs")
    written: list[Path] = []
    for name, paths in by_task.items():
        folder = Path(out) / name if len(by_task) > 1 else Path(out)
        if name == "flipflop":
            written += figures_from_runs(paths, folder, formats, reference, fixed_points, log, fixed_points_for,
                                         timings)
        else:
            written += task_figures_from_runs(paths, folder, formats, fixed_points, log, timings, fixed_points_for)
    return written


def script_args(doc: str, argv: Sequence[str] | None = None):
    """Arguments of the one-figure scripts in ``scripts/``: ``--runs`` (default: the shipped
    networks), ``--out``, ``--format``; adds ``analyses`` (one :class:`RunAnalysis` per run)."""
    import argparse

    parser = argparse.ArgumentParser(description=doc)
    parser.add_argument("--runs", type=Path, nargs="+", help="run directories (default: the shipped networks)")
    parser.add_argument("--out", type=Path, default=Path("figures"), help="folder (default figures/)")
    parser.add_argument("--format", default="png", help="png (default), pdf, or png,pdf")
    args = parser.parse_args(argv)
    args.formats = figures.parse_formats(args.format)
    args.analyses = [analyse_run(p) for p in (args.runs or runs.shipped_runs())]
    return args
