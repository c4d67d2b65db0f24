"""Benchmark: a faithful SimpleRNN-400 batch with Keras' recurrence unrolled, against its loop.

``keras.layers.SimpleRNN(unroll=True)`` builds one graph node per step (340 here) instead of
a ``tf.while_loop``. Each configuration runs in its own process (TensorFlow's thread counts
are fixed at start-up): the loop and the unrolled recurrence, on 1 and on 2 threads,
alternating, ``--repeat`` rounds. Each process builds the seed-0 faithful network, times
its first batch (tracing included) and the mean of ``--batches`` further batches of
the epoch-0 trials, and saves its weights, so that the two recurrences' weights after the
same batches are compared too.

    PYTHONPATH=. python benchmarks/bench_unroll.py [--repeat 2] [--batches 23]
"""
from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
from pathlib import Path

import numpy as np

WORKER = r"""
import json, os, sys, time
import numpy as np
import tensorflow as tf
mode, threads, batches, out = sys.argv[1], int(sys.argv[2]), int(sys.argv[3]), sys.argv[4]
tf.config.threading.set_intra_op_parallelism_threads(threads)
tf.config.threading.set_inter_op_parallelism_threads(threads)
import keras
from flipflop.training.loop import initial_model
from flipflop.training import TrainConfig
from flipflop.training.data import epoch_arrays
cfg = TrainConfig.from_recipe("faithful", seed=0)
task = cfg.make_task()
x, y = epoch_arrays(cfg, task, 0)[:2]
model = initial_model(cfg, task)
for layer in model.layers:
    if isinstance(layer, keras.layers.RNN):
        layer.unroll = mode == "unrolled"
b = cfg.batch_size
t = time.perf_counter(); model.train_on_batch(x[:b], y[:b]); first = time.perf_counter() - t
t = time.perf_counter()
for k in range(1, batches + 1):
    model.train_on_batch(x[k * b:(k + 1) * b], y[k * b:(k + 1) * b])
mean = (time.perf_counter() - t) / batches
np.save(out, np.concatenate([w.numpy().ravel() for w in model.weights]))
print(json.dumps({"first": first, "batch": mean}))
"""


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=2, help="rounds (default 2)")
    parser.add_argument("--batches", type=int, default=23, help="timed batches after the first (default 23, at most 63)")
    args = parser.parse_args(argv)
    if args.repeat < 1 or not 1 <= args.batches <= 63:
        parser.error("--repeat must be at least 1 and --batches in 1..63")
    root = Path(__file__).resolve().parents[1]
    env = {**os.environ, "TF_CPP_MIN_LOG_LEVEL": "3", "PYTHONPATH": str(root)}
    configs = [(mode, threads) for threads in (1, 2) for mode in ("loop", "unrolled")]
    times: dict[tuple, list[dict]] = {c: [] for c in configs}
    with tempfile.TemporaryDirectory() as tmp:
        for r in range(args.repeat):
            for mode, threads in configs:
                out = os.path.join(tmp, f"{mode}-{threads}.npy")
                done = subprocess.run([sys.executable, "-c", WORKER, mode, str(threads), str(args.batches), out],
                                      env=env, check=True, capture_output=True, text=True)
                times[mode, threads].append(json.loads(done.stdout.strip().splitlines()[-1]))
                print(f"round {r + 1}: {mode}, {threads} thread(s): first batch {times[mode, threads][-1]['first']:.2f} s, "
                      f"then {times[mode, threads][-1]['batch']:.4f} s a batch", flush=True)
        weights = {c: np.load(os.path.join(tmp, f"{c[0]}-{c[1]}.npy")) for c in configs}
    print(f"\nSimpleRNN-400, faithful recipe, batches of 32 x 340 steps; {os.cpu_count()} CPU cores; "
          f"load average {os.getloadavg()[0]:.1f}; {args.repeat} rounds, median")
    med = {c: (np.median([t["first"] for t in v]), np.median([t["batch"] for t in v])) for c, v in times.items()}
    for threads in (1, 2):
        loop, unrolled = med["loop", threads], med["unrolled", threads]
        print(f"{threads} thread(s): loop {loop[1]:.4f} s a batch (first {loop[0]:.2f} s), unrolled {unrolled[1]:.4f} s "
              f"(first {unrolled[0]:.2f} s): unrolled/loop {unrolled[1] / loop[1]:.2f}x a batch")
    for mode in ("loop", "unrolled"):
        print(f"{mode}: 2 threads against 1: {med[mode, 1][1] / med[mode, 2][1]:.2f}x faster a batch")
    for threads in (1, 2):
        diff = np.abs(weights["loop", threads] - weights["unrolled", threads]).max()
        print(f"weights after {args.batches + 1} batches, {threads} thread(s): loop and unrolled differ by up to {diff:.2g}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
