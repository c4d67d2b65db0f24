"""From run directories to every figure and ``REPORT.md`` (``flipflop figures``).

The first run is the main realisation (Figs. 3 and 5); all runs make Figs. 4 and 6.
An optional reference run (e.g. the paper's imported network) gets Figs. 3 and 5 too and
a row in every table.
"""
from __future__ import annotations

import sys
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Callable, Sequence

import numpy as np

from flipflop import analysis, figures, runs
from flipflop.errors import FlipFlopError
from flipflop.metrics import bit_accuracy, mse
from flipflop.tasks.flipflop import FlipFlopTask, Trials

FIXED_POINTS = "fixed_points.npz"


@dataclass
class RunAnalysis:
    """Everything the figures and the report need from one run."""

    label: str
    run: runs.Run
    task: FlipFlopTask
    w_rec: np.ndarray
    spectrum: analysis.Spectrum
    dale_signs: np.ndarray | None
    series: Trials
    outputs: np.ndarray
    hidden: np.ndarray  # (T, units) on the 8-state series
    projection: analysis.Projection
    cube: analysis.CubeMetrics
    metrics: dict
    readout: tuple[np.ndarray, np.ndarray]  # (W_out, b) of the linear readout
    fixed_points: object | None = None  # flipflop.fixed_points.FixedPoints


def shipped_runs() -> list[Path]:
    """The four SimpleRNN-400 realisations shipped in ``data/`` (source tree or installed copy)."""
    roots = [Path(__file__).resolve().parents[1] / "data", Path(sys.prefix) / "share" / "flipflop" / "data"]
    for root in roots:
        found = sorted(p for p in root.glob("simplernn-400-seed*") if (p / runs.MODEL).is_file())
        if found:
            return found
    raise FlipFlopError("no shipped networks found; give run directories with --runs")


def run_task(run: runs.Run) -> FlipFlopTask:
    """The task a run was trained on (the paper's for imported networks)."""
    train = run.config.get("train")
    if train:
        return FlipFlopTask.from_dict(train["task"])
    return FlipFlopTask(n_bits=int(run.config.get("n_bits", 3)))


def analyse_run(path: str | Path, label: str | None = None, n_bits: int | None = 3,
                fixed_points: bool | str = "cached") -> RunAnalysis:
    """Load a finished run and compute its spectrum, 8-state trajectory and cube metrics.

    ``fixed_points``: "cached" uses ``fixed_points.npz`` in the run if present; True
    computes (and caches) it; False skips it.
    """
    run = runs.load_run(path)
    label = label or Path(path).name
    task = run_task(run)
    if n_bits is not None and task.n_bits != n_bits:
        raise FlipFlopError(f"run {path} was trained on {task.n_bits} bits; these figures need {n_bits}")
    model = run.model()
    layer = analysis.recurrent_layer(model)
    w_rec = analysis.recurrent_matrix(model)
    series = task.eight_state_series()
    outputs = analysis.outputs(model, series.inputs)
    hidden = analysis.hidden_states(model, series.inputs)[0]
    projection = analysis.project(hidden)
    cube = analysis.cube_metrics(projection.projected, series.states[0], task.n_bits,
                                 settle_steps=task.steps(task.delay_ms),
                                 lead_steps=task.steps(task.pulse_ms + task.delay_ms))
    metrics = dict(run.metrics)
    metrics["eight_state"] = {"bit_accuracy": bit_accuracy(outputs, series.targets),
                              "mse": mse(outputs, series.targets)}
    fps = None
    cache = run.path / FIXED_POINTS
    if fixed_points == "cached" and cache.is_file():
        from flipflop.fixed_points import FixedPoints

        fps = FixedPoints.load(cache)
    elif fixed_points is True:
        fps = compute_fixed_points(model, task, cache)
    w_out, b_out = model.layers[-1].get_weights()[:2]
    return RunAnalysis(label, run, task, w_rec, analysis.spectrum(w_rec),
                       getattr(layer.cell, "dale_signs", None), series, outputs, hidden, projection, cube,
                       metrics, (w_out, b_out), fps)


def compute_fixed_points(model, task: FlipFlopTask, cache: Path | None = None, n_init: int = 1024,
                         seed: int = 0, constant_input=None, relax_steps: int = 300):
    """Fixed points at a constant input (zero by default), in two searches, merged.

    1. ``n_init`` starts: half are states visited on the 8-state series and 32 held-out
       trials; the other half are such states relaxed for ``relax_steps`` steps at the
       constant input, which brings them close to the attractors, where Adam crawls.
    2. Saddles lie between attractors: midpoints of every pair of stable points found.

    Both searches finish with Newton steps; candidates with q < 1e-3 are refined.
    Saved to ``cache`` (without the Jacobian matrices) if given.
    """
    from itertools import combinations

    from flipflop.fixed_points import find_fixed_points, merge, recurrent_states, recurrent_step

    trials = [task.eight_state_series().inputs, task.generate(32, seed=[seed, 7]).inputs]
    states = [recurrent_states(model, x) for x in trials]
    pool = np.concatenate([s.reshape(-1, s.shape[-1]) for s in states])
    rng = np.random.default_rng([seed, 8])
    starts = pool[rng.choice(len(pool), n_init, replace=len(pool) < n_init)]
    relaxed = starts[:n_init // 2]
    for _ in range(relax_steps):
        relaxed = recurrent_step(model, relaxed, constant_input)
    options = dict(constant_input=constant_input, slow_tol=1e-3, refine_steps=30)
    first = find_fixed_points(model, initial_states=np.concatenate([relaxed, starts[n_init // 2:]]),
                              n_init=n_init, seed=seed, **options)
    stable = first.points[first.is_fixed & (first.n_unstable == 0)]
    results = [first]
    if len(stable) > 1:
        mids = np.array([(stable[i] + stable[j]) / 2 for i, j in combinations(range(len(stable)), 2)])
        try:
            results.append(find_fixed_points(model, initial_states=mids, n_init=4 * len(mids), seed=seed + 1,
                                             outlier_factor=None, **options))
        except FlipFlopError:
            pass  # no saddle converged: keep the first search
    fps = merge(results)
    if cache is not None:
        fps.fixed_only().save(cache, include_jacobians=False)
    return fps


def draw(analyses: Sequence[RunAnalysis], out: str | Path, formats: Sequence[str] = ("png",),
         reference: RunAnalysis | None = None, log: Callable[[str], None] = print) -> list[Path]:
    """Every figure for ``analyses`` (and ``reference``) into ``out``; returns the files."""
    out = Path(out)
    if not analyses:
        raise FlipFlopError("no runs to draw")
    main = analyses[0]
    written: list[Path] = []

    def save(fig, name: str) -> None:
        written.extend(figures.save_figure(fig, out / name, formats))

    save(figures.schematic(main.task.n_bits, main.w_rec.shape[0]), "fig1_model")
    save(figures.training_samples(main.task.generate(3, seed=0), main.task.dt_ms), "fig2_training_samples")
    for a in [main] + ([reference] if reference else []):
        save(figures.connectivity(a.w_rec, a.spectrum.eigenvalues, f"Fig. 3 — {a.label}", a.dale_signs),
             f"fig3_connectivity_{a.label}")
        save(figures.eight_state(a.series, a.outputs, a.projection.projected, a.cube.centroids, a.task.dt_ms,
                                 a.projection.variance_ratio, f"Fig. 5 — {a.label}: all memory states"),
             f"fig5_eight_states_{a.label}")
    save(figures.spectra_grid([(a.label, a.spectrum.eigenvalues) for a in analyses]), "fig4_spectra")
    save(figures.cubes_grid([(a.label, a.projection.projected, a.series.states[0], a.cube.centroids)
                             for a in analyses], main.task.n_bits), "fig6_cubes")
    save(figures.training_curves([(a.label, a.run.history) for a in analyses]), "training_curves")
    for a in [main] + ([reference] if reference else []):
        written.extend(draw_fixed_points(a, out, formats))
    log(f"wrote {len(written)} files to {out}")
    return written


def draw_fixed_points(a: RunAnalysis, out: str | Path, formats: Sequence[str] = ("png",)) -> list[Path]:
    """Fixed points on the 8-state trajectory, and the Jacobian spectra beside W_rec's
    (nothing if the run has no fixed points)."""
    if a.fixed_points is None:
        return []
    fps = a.fixed_points.fixed_only()
    n = a.hidden.shape[-1]  # LSTM states are [h, c]: draw h
    points = a.projection.transform(fps.points[:, :n])
    vectors = np.real(fps.unstable_vectors[:, :n]) @ a.projection.components.T
    fig = figures.fixed_points_3d(a.projection.projected, a.series.states[0], a.cube.centroids, a.task.n_bits,
                                  points, fps.n_unstable, vectors, f"Fixed points at zero input — {a.label}")
    written = figures.save_figure(fig, Path(out) / f"fig7_fixed_points_{a.label}", formats)
    fig = figures.linearised_spectra(a.spectrum.eigenvalues, fps.eigenvalues, fps.n_unstable,
                                     f"Linearised dynamics — {a.label}")
    return written + figures.save_figure(fig, Path(out) / f"fig8_linearised_{a.label}", formats)


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


def report(analyses: Sequence[RunAnalysis], reference: RunAnalysis | None = None,
           timings: dict | None = None) -> str:
    """``REPORT.md``: the numbers behind every figure."""
    lines = ["# Report: the numbers behind the figures", "",
             "Generated by `flipflop figures` / `flipflop reproduce`. Held-out metrics are measured on "
             "fresh trials of the paper's distribution; the 8-state series is noise-free. Spectral "
             "radius and the count of eigenvalues with modulus > 1.01 refer to the recurrent matrix W_rec. Cube metrics: R² of the best "
             "affine map from the corners {±1}³ to the 8 state centroids in the 3-D SVD projection; "
             "bit decoding = accuracy of a linear read-out of each bit from that projection; angles "
             "between the fitted bit axes (90° = a right-angled cube); variance = fraction per SVD axis.", "",
             "| network | held-out bit acc. | held-out MSE | 8-state bit acc. | spectral radius | "
             "eigenvalues outside 1.01 | cube R² | bit decoding | bit-axis angles (°) | variance |",
             "|---|---|---|---|---|---|---|---|---|---|"]
    lines += [_row(a) for a in analyses] + ([_row(reference)] if reference else [])
    if len(analyses) > 1:
        d = analysis.pairwise_procrustes([a.cube.centroids for a in analyses])
        lines += ["", "## Procrustes distances between realisations' cubes",
                  "", "Disparity after optimal translation, rotation/reflection and scaling "
                  "(`scipy.spatial.procrustes`; 0 = the same cube, rotated).", "",
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
                  "between two centroids.", "",
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
    t0 = time.perf_counter()
    out = runs.ensure_writable_dir(out)
    limit = len(paths) if fixed_points_for is None else fixed_points_for
    analyses = [analyse_run(p, fixed_points=fixed_points if i < limit else "cached") for i, p in enumerate(paths)]
    ref = analyse_run(reference, fixed_points=fixed_points) if reference else None
    t1 = time.perf_counter()
    written = draw(analyses, out, formats, ref, log)
    t2 = time.perf_counter()
    timings = {**(timings or {}),
               "analyses (load, trajectories, spectra, cube metrics, fixed points)": t1 - t0,
               "drawing and saving figures": t2 - t1}
    runs.write_text(out / "REPORT.md", report(analyses, ref, timings))
    return written + [out / "REPORT.md"]


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
    args.analyses = [analyse_run(p) for p in (args.runs or shipped_runs())]
    return args
