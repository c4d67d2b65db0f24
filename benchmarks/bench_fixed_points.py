"""Benchmark: our fixed-point search against today's settings and against FixedPointFinder.

On a trained network (default: the shipped SimpleRNN-400 seed 0) it runs, one after the
other in this process, from the same starts:

1. ours: :func:`flipflop.dynamics.search.compute_fixed_points` exactly as
   ``flipflop fixed-points`` runs it (the same starts, the same two searches);
2. ``--previous COMMIT``: the same search by the package as it was at ``COMMIT`` (checked
   out into a temporary git worktree, run in a fresh process; ``e115f9d`` is the release
   before this finder: 5,000 Adam iterations on every start, then Newton), for the speed-up
   measured side by side;
3. ``--fpf PATH``: FixedPointFinder's PyTorch version (a checkout of
   github.com/mattgolub/fixed-point-finder; it is not on PyPI; needs ``torch``) on the same
   network exported to ``torch.nn.RNN`` (``weight_hh = recurrent_kernel.T``,
   ``weight_ih = kernel.T``, ``bias_ih = bias``, ``bias_hh = 0``; the two recurrences are
   checked to agree to 1e-5), from exactly the starts our two searches drew, at its default
   settings except those given (``--fpf-iters``, ``--fpf-starts``). Its candidates are then
   polished with our float64 Newton steps, to compare the censuses. Without ``--fpf`` this
   half is skipped.

Each prints wall and CPU time (all threads) and its census (fixed points by number of
unstable modes), compared with the run's committed ``fixed_points.npz``.

    PYTHONPATH=. python benchmarks/bench_fixed_points.py [--run data/simplernn-400-seed0]
        [--previous e115f9d] [--fpf ../fixed-point-finder] [--fpf-iters 5000] [--fpf-starts 1136]
"""
from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")

import numpy as np  # noqa: E402

sys.path.insert(0, str(Path(__file__).resolve().parent))
from worktree import worktree  # noqa: E402

ROOT = Path(__file__).resolve().parents[1]


def census(n_unstable: np.ndarray) -> str:
    """'stable 8, 1: 2, 3: 8, ...' from unstable-mode counts."""
    counts = np.bincount(np.asarray(n_unstable, int)) if len(n_unstable) else np.zeros(1, int)
    parts = [f"{'stable' if k == 0 else k}: {c}" for k, c in enumerate(counts) if c]
    return f"{int(np.sum(counts))} points ({', '.join(parts) or 'none'})"


def same_census(ref, points: np.ndarray, n_unstable: np.ndarray) -> str:
    """Whether ``points`` hold every committed fixed point (within 1e-4 of the largest
    state norm, same number of unstable modes) and nothing else."""
    ref_points, ref_unstable = ref.points[ref.is_fixed], ref.n_unstable[ref.is_fixed]
    scale = float(np.max(np.linalg.norm(ref_points, axis=1)))
    matched = 0
    for p, k in zip(ref_points, ref_unstable):
        d = np.linalg.norm(points - p, axis=1) / scale if len(points) else np.array([np.inf])
        j = int(np.argmin(d))
        matched += bool(d[j] < 1e-4 and n_unstable[j] == k)
    same = matched == len(ref_points) == len(points)
    return (f"{'same census' if same else 'census DIFFERS'}: {matched} of the {len(ref_points)} committed "
            f"points matched (to 1e-4 of the state norm, same unstable modes); {len(points)} found")


CHILD = r"""
import json, sys, time, numpy as np
from flipflop.runs import load_run
from flipflop.dynamics.search import compute_fixed_points
run = load_run(sys.argv[1])
model, task = run.model(), run.task()
wall, cpu = time.perf_counter(), time.process_time()
fps = compute_fixed_points(model, task, None, seed=int(sys.argv[3])).fixed_only()
wall, cpu = time.perf_counter() - wall, time.process_time() - cpu
np.savez(sys.argv[2], points=fps.points, n_unstable=fps.n_unstable)
print(json.dumps({"wall": wall, "cpu": cpu}))
"""


def run_previous(commit: str, run: Path, seed: int) -> tuple[dict, np.ndarray, np.ndarray]:
    """compute_fixed_points of the package at ``commit``, in a fresh process: times, points, modes."""
    with tempfile.TemporaryDirectory() as tmp, worktree(commit, Path(tmp) / "previous") as tree:
        env = {**os.environ, "PYTHONPATH": str(tree), "TF_CPP_MIN_LOG_LEVEL": "3"}
        out = subprocess.run([sys.executable, "-c", CHILD, str(run.resolve()), f"{tmp}/fps.npz", str(seed)],
                             env=env, cwd=tree, capture_output=True, text=True, check=True)
        times = json.loads(out.stdout.strip().splitlines()[-1])
        with np.load(f"{tmp}/fps.npz") as f:
            return times, f["points"], f["n_unstable"]


class Clock:
    """Wall and process CPU time of a block."""

    def __enter__(self):
        self.wall, self.cpu = time.perf_counter(), time.process_time()
        return self

    def __exit__(self, *exc):
        self.wall, self.cpu = time.perf_counter() - self.wall, time.process_time() - self.cpu

    def __str__(self) -> str:
        return f"{self.wall:.1f} s wall, {self.cpu:.1f} s CPU"


def torch_rnn(model):
    """The SimpleRNN of ``model`` as a ``torch.nn.RNN`` (tanh, batch first, float32; a cell
    without bias gets ``bias_ih = 0``)."""
    import torch

    from flipflop.models.build import recurrent_layer

    cell = recurrent_layer(model).cell
    kernel, recurrent = (np.asarray(w.numpy(), np.float32) for w in (cell.kernel, cell.recurrent_kernel))
    bias = np.zeros(kernel.shape[1], np.float32) if cell.bias is None else np.asarray(cell.bias.numpy(), np.float32)
    rnn = torch.nn.RNN(kernel.shape[0], kernel.shape[1], nonlinearity="tanh", batch_first=True)
    with torch.no_grad():
        rnn.weight_ih_l0.copy_(torch.from_numpy(kernel.T.copy()))
        rnn.weight_hh_l0.copy_(torch.from_numpy(recurrent.T.copy()))
        rnn.bias_ih_l0.copy_(torch.from_numpy(bias))
        rnn.bias_hh_l0.zero_()
    return rnn


def check_export(model, rnn, inputs: np.ndarray) -> float:
    """Max |difference| of the two recurrences' states over ``inputs`` (N, T, n_in)."""
    import torch

    from flipflop.dynamics.step import recurrent_states

    ours = recurrent_states(model, inputs)
    with torch.no_grad():
        theirs = rnn(torch.from_numpy(np.asarray(inputs, np.float32)))[0].numpy()
    return float(np.max(np.abs(ours - theirs)))


def run_fpf(path: Path, model, starts: np.ndarray, u: np.ndarray, iters: int | None, ref, series) -> None:
    """FixedPointFinderTorch from ``starts``; its time and census, then polished by our Newton."""
    sys.path.insert(0, str(path))
    import torch
    from FixedPointFinderTorch import FixedPointFinderTorch

    from flipflop.dynamics.finder import NoFixedPoint  # noqa: F401
    from flipflop.dynamics.linear import classify, refine_newton, stability_jacobians
    from flipflop.dynamics.points import deduplicate
    from flipflop.dynamics.step import step_function

    rnn = torch_rnn(model)
    diff = check_export(model, rnn, series.inputs)
    print(f"\nFixedPointFinder (torch {torch.__version__}, {torch.get_num_threads()} threads), "
          f"{path}: export to torch.nn.RNN, max |state difference| over the analysis series {diff:.2g} "
          f"({'within' if diff <= 1e-5 else 'NOT within'} 1e-5)")
    hps = {"verbose": False, "super_verbose": False}
    if iters is not None:
        hps["max_iters"] = iters
    fpf = FixedPointFinderTorch(rnn, **hps)
    print(f"  settings: defaults (tol_q {fpf.tol_q:g}, tol_dq {fpf.tol_dq:g}, max_iters {fpf.max_iters}, "
          f"tol_unique {fpf.tol_unique:g}, Jacobians computed and decomposed), {len(starts)} starts")
    with Clock() as clock:
        unique, _ = fpf.find_fixed_points(np.asarray(starts, np.float32), np.asarray(u, np.float32)[None, :])
    n_unstable = np.sum(np.abs(unique.eigval_J_xstar) > 1.0, axis=1)
    below = unique.qstar < 1e-10
    print(f"  time: {clock} ({unique.n} 'unique' points; q below our tol_q 1e-10: {int(below.sum())}, "
          f"best q {float(np.min(unique.qstar)):.3g})")
    print(f"  its points with q < 1e-10: {census(n_unstable[below])}")
    step = step_function(model)
    with Clock() as polish:
        h, q = refine_newton(step, unique.xstar, u, 30)
        keep = deduplicate(h, q, 1e-2)
        h, q = h[keep], q[keep]
        h = h[q < 1e-10]
        _, n_unstable, _ = classify(stability_jacobians(step, h, u))
    print(f"  its candidates after our float64 Newton polish ({polish}): {census(n_unstable)}")
    print(f"  {same_census(ref, h, n_unstable)}")
    return clock


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--run", type=Path, default=ROOT / "data" / "simplernn-400-seed0")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--previous", metavar="COMMIT", help="also run the package at COMMIT (e.g. e115f9d)")
    parser.add_argument("--fpf", type=Path, default=None, help="a FixedPointFinder checkout (its PyTorch version)")
    parser.add_argument("--fpf-iters", type=int, default=None, help="FixedPointFinder's max_iters (default: its own)")
    parser.add_argument("--fpf-starts", type=int, default=None, help="give it only the first N of our starts")
    args = parser.parse_args(argv)
    if args.fpf is not None and not (args.fpf / "FixedPointFinderTorch.py").is_file():
        parser.error(f"--fpf {args.fpf}: no FixedPointFinderTorch.py there")

    import tensorflow as tf

    from flipflop.dynamics import search
    from flipflop.dynamics.result import FixedPoints
    from flipflop.dynamics.step import step_function
    from flipflop.runs import load_run

    run = load_run(args.run)
    model, task = run.model(), run.task()
    ref = FixedPoints.load(run.fixed_points_path)
    print(f"{args.run}: {task.name}, {model.layers[0].__class__.__name__} "
          f"({step_function(model).n_state} state units); TF {tf.__version__}, {os.cpu_count()} CPU cores; "
          f"load average {os.getloadavg()[0]:.1f}")
    print(f"committed fixed_points.npz: {census(ref.n_unstable[ref.is_fixed])}")

    starts = []
    with Clock() as ours:
        fps = search.compute_fixed_points(model, task, None, seed=args.seed, record_starts=starts)
    print(f"\nours (compute_fixed_points, as `flipflop fixed-points` runs it): {ours}; "
          f"{sum(len(s) for s in starts)} starts, {fps.iterations} Adam iterations at most")
    print(f"  {census(fps.n_unstable[fps.is_fixed])}")
    print(f"  {same_census(ref, fps.points[fps.is_fixed], fps.n_unstable[fps.is_fixed])}")

    if args.previous:
        times, points, n_unstable = run_previous(args.previous, args.run, args.seed)
        print(f"\nthe package at {args.previous} (fresh process, same run and seed): {times['wall']:.1f} s wall, "
              f"{times['cpu']:.1f} s CPU")
        print(f"  {census(n_unstable)}")
        print(f"  {same_census(ref, points, n_unstable)}")
        print(f"  speed-up, measured side by side: {times['wall'] / ours.wall:.1f}x wall, "
              f"{times['cpu'] / ours.cpu:.1f}x CPU (load average now {os.getloadavg()[0]:.1f})")

    if args.fpf is None:
        print("\nFixedPointFinder: skipped (no --fpf PATH given)")
        return
    h0 = np.concatenate(starts)[:args.fpf_starts]
    theirs = run_fpf(args.fpf, model, h0, fps.input, args.fpf_iters, ref, task.analysis_series())
    print(f"\nFixedPointFinder / ours, side by side: {theirs.wall / ours.wall:.1f}x wall, "
          f"{theirs.cpu / ours.cpu:.1f}x CPU (load average now {os.getloadavg()[0]:.1f})")


if __name__ == "__main__":
    main()
