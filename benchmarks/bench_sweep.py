"""Benchmark of ``flipflop sweep``: throughput, a simulated cluster, and fault injection.

Small networks (SimpleRNN-64 on the paper's 340 ms task, short epochs) so it runs in minutes:

1. throughput: the same seeds with 1 trial at a time (2 CPUs each, TF pools of 2) and 2 at a
   time (1 CPU each), in runs per hour, Ray start-up excluded, worker start-up included;
2. reference: each seed of the fault grid trained uninterrupted (1 CPU, as in 3-5);
3. worker kill: SIGKILL a trial's worker mid-epoch (its pid comes with its epoch reports);
   Tune retries it, the run resumes from its run directory; its final weights are compared
   with the reference's (numpy, exact);
4. driver kill: SIGKILL the `flipflop sweep` process (and its embedded Ray) once a run has
   finished an epoch; the same command again finishes the sweep; weights compared again;
5. cluster: ``ray.cluster_utils.Cluster`` with 2 nodes of 1 CPU, `flipflop sweep --address`
   from another process, Tune state in a separate ``--storage`` folder; weights compared.

Run: ``PYTHONPATH=. python benchmarks/bench_sweep.py [--seeds 4] [--out /tmp/bench-sweep]``.
"""
from __future__ import annotations

import argparse
import os
import shutil
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

import numpy as np  # noqa: E402

from flipflop import runs  # noqa: E402
from flipflop import sweep as sw  # noqa: E402
from flipflop.runs import sweeps  # noqa: E402

SMALL = (("epochs", (3,)), ("samples_per_epoch", (512,)), ("val_samples", (128,)), ("patience", (100,)),
         ("target_accuracy", (1.0,)), ("target_mse", (1e-9,)))  # every run trains all its epochs
FAULT_SEEDS = (0, 1)


def grid(seeds) -> sw.Grid:
    return sw.Grid(units=(64,), seeds=tuple(seeds), settings=SMALL)


def cli(root: Path, name: str, seeds, *extra: str) -> list[str]:
    sets = [a for k, (v,) in SMALL for a in ("--set", f"{k}={v}")]
    return [sys.executable, "-m", "flipflop.cli", "sweep", "--name", name, "--root", str(root), "--units", "64",
            "--seeds", ",".join(map(str, seeds)), "--no-report", *sets, *extra]


def weights(run_dir: Path) -> list[np.ndarray]:
    return runs.load_model(run_dir / runs.MODEL, compile=False).get_weights()


def same_weights(a: Path, b: Path) -> bool:
    wa, wb = weights(a), weights(b)
    return len(wa) == len(wb) and all(np.array_equal(x, y) for x, y in zip(wa, wb))


def epochs_in_history(run_dir: Path) -> list[int]:
    return [int(r["epoch"]) for r in runs.read_history(run_dir / runs.HISTORY)]


def throughput(root: Path, seeds: int) -> list[tuple]:
    rows = []
    for label, cpus in (("1 at a time (2 CPUs, 2 TF threads each)", 2), ("2 at a time (1 CPU, 1 TF thread each)", 1)):
        sweep = sw.open_sweep(f"throughput-{cpus}cpu", grid(range(seeds)), root)
        t0 = time.perf_counter()
        result = sw.run_ray(sweep, cpus_per_trial=cpus, log=lambda s: None)
        dt = time.perf_counter() - t0
        assert len(result.done) == seeds, result
        rows.append((label, seeds, dt, seeds / dt * 3600))
    return rows


def kill_a_worker(root: Path) -> dict:
    """Kill seed 0's worker about half an epoch after its first epoch report."""
    from ray import tune

    victim = sw.points(grid(FAULT_SEEDS))[0].name
    reports: list[tuple] = []
    killed: dict = {}

    class Killer(tune.Callback):
        def on_trial_result(self, iteration, trials, trial, result, **info):
            name = trial.config["point"]["name"]
            reports.append((name, result.get("pid"), result.get("epoch"), result.get("status")))
            if name == victim and result.get("status") == "running" and not killed:
                epoch_s = result.get("time_this_iter_s", 1.0)
                killed.update(pid=result["pid"], after_epoch=result["epoch"])
                threading.Timer(epoch_s / 2, os.kill, (result["pid"], signal.SIGKILL)).start()

    sweep = sw.open_sweep("worker-kill", grid(FAULT_SEEDS), root)
    t0 = time.perf_counter()
    result = sw.run_ray(sweep, cpus_per_trial=1, max_failures=2, callbacks=[Killer()], log=lambda s: None)
    mine = [r for r in reports if r[0] == victim and r[3] == "running"]
    return {"finished": sorted(result.done) == sorted(p.name for p in sweep.points) and all(
                sweep.finished(p) for p in sweep.points),
            "seconds": time.perf_counter() - t0, "killed_pid": killed.get("pid"),
            "killed_after": killed.get("after_epoch"),
            "pids": len({r[1] for r in mine}), "epochs_trained": len(mine),
            "history": epochs_in_history(sweep.run_dir(sweep.points[0])),
            "run_dirs": {p.params["seed"]: sweep.run_dir(p) for p in sweep.points}}


def kill_the_driver(root: Path) -> dict:
    """SIGKILL the sweep's driver (its own session: embedded Ray too) after a first epoch."""
    cmd = cli(root, "driver-kill", FAULT_SEEDS, "--cpus-per-trial", "1")
    run_dirs = [root / "driver-kill" / sweeps.RUNS_DIR / p.name for p in sw.points(grid(FAULT_SEEDS))]
    proc = subprocess.Popen(cmd, start_new_session=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    t0 = time.perf_counter()
    while not any(epochs_in_history(d) for d in run_dirs if (d / runs.HISTORY).is_file()):
        if proc.poll() is not None or time.perf_counter() - t0 > 600:
            raise RuntimeError("the sweep ended before its first epoch")
        time.sleep(0.2)
    at_kill = {d.name: epochs_in_history(d)[-1:] for d in run_dirs if (d / runs.HISTORY).is_file()}
    os.kill(proc.pid, signal.SIGKILL)
    proc.wait()
    time.sleep(2)
    left = subprocess.run(["pgrep", "-g", str(proc.pid)], capture_output=True, text=True).stdout.split()
    try:  # Ray's processes started by that driver share its session; end whatever is left of them
        os.killpg(proc.pid, signal.SIGKILL)
    except ProcessLookupError:
        pass
    t1 = time.perf_counter()
    again = subprocess.run(cmd, capture_output=True, text=True)
    return {"at_kill": at_kill, "left": len(left), "rc": again.returncode, "resume_seconds": time.perf_counter() - t1,
            "last_line": again.stdout.strip().splitlines()[-1] if again.stdout.strip() else again.stderr[-300:],
            "histories": {d.name: epochs_in_history(d) for d in run_dirs},
            "run_dirs": dict(zip(FAULT_SEEDS, run_dirs))}


def cluster(root: Path) -> dict:
    """Two 1-CPU nodes on this machine; `flipflop sweep --address` from another process."""
    from ray.cluster_utils import Cluster

    c = Cluster(initialize_head=True, connect=False, head_node_args={"num_cpus": 1, "include_dashboard": False})
    c.add_node(num_cpus=1)
    address = c.address
    try:
        c.wait_for_nodes()
        storage = root / "shared-storage"
        t0 = time.perf_counter()
        done = subprocess.run(cli(root, "cluster", FAULT_SEEDS, "--address", address, "--storage", str(storage)),
                              capture_output=True, text=True)
        seconds = time.perf_counter() - t0
    finally:
        c.shutdown()
    run_dirs = [root / "cluster" / sweeps.RUNS_DIR / p.name for p in sw.points(grid(FAULT_SEEDS))]
    return {"rc": done.returncode, "seconds": seconds, "address": address,
            "last_line": done.stdout.strip().splitlines()[-1] if done.stdout.strip() else done.stderr[-300:],
            "tune_state": sorted(p.name for p in (storage / sweeps.TUNE_DIR).glob("experiment_state-*.json")),
            "run_dirs": dict(zip(FAULT_SEEDS, run_dirs))}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seeds", type=int, default=4, help="seeds in the throughput test (default 4)")
    parser.add_argument("--out", type=Path, default=Path("/tmp/bench-sweep"))
    parser.add_argument("--skip", default="", help="comma-separated parts to skip: throughput,cluster")
    args = parser.parse_args()
    shutil.rmtree(args.out, ignore_errors=True)
    skip = set(args.skip.split(","))
    load0 = os.getloadavg()[0]
    lines = []
    with sw.ray_session(num_cpus=2):
        tp = [] if "throughput" in skip else throughput(args.out, args.seeds)
        ref_sweep = sw.open_sweep("reference", grid(FAULT_SEEDS), args.out)
        sw.run_ray(ref_sweep, cpus_per_trial=1, log=lambda s: None)
        ref = {p.params["seed"]: ref_sweep.run_dir(p) for p in ref_sweep.points}
        wk = kill_a_worker(args.out)
    dk = kill_the_driver(args.out)
    cl = None if "cluster" in skip else cluster(args.out)

    lines += [f"load average (1 min) at start/end: {load0:.1f}/{os.getloadavg()[0]:.1f} on {os.cpu_count()} CPUs",
              "", "| test | result |", "|---|---|"]
    for label, n, dt, rate in tp:
        lines.append(f"| throughput, {label} | {n} runs in {dt:.0f} s = {rate:.0f} runs/h |")
    lines.append(f"| worker SIGKILL mid-epoch {wk['killed_after'] + 1} (pid {wk['killed_pid']}) | sweep finished: "
                 f"{wk['finished']} in {wk['seconds']:.0f} s; the run finished in {wk['pids']} worker processes, "
                 f"{wk['epochs_trained'] - len(wk['history'])} finished epochs repeated (history {wk['history']}); "
                 f"weights equal uninterrupted: {all(same_weights(wk['run_dirs'][s], ref[s]) for s in FAULT_SEEDS)} |")
    lines.append(f"| driver SIGKILL (last finished epochs then: {dk['at_kill']}) | {dk['left']} of its Ray processes outlived it (killed); same command again: rc {dk['rc']} in {dk['resume_seconds']:.0f} s: "
                 f"{dk['last_line']}; epochs in history {dk['histories']}; weights equal uninterrupted: "
                 f"{all(same_weights(dk['run_dirs'][s], ref[s]) for s in FAULT_SEEDS)} |")
    if cl:
        lines.append(f"| 2-node cluster via --address {cl['address']} | rc {cl['rc']} in {cl['seconds']:.0f} s: "
                     f"{cl['last_line']}; Tune state in --storage: {cl['tune_state']}; weights equal "
                     f"uninterrupted: {all(same_weights(cl['run_dirs'][s], ref[s]) for s in FAULT_SEEDS)} |")
    print("\n".join(lines))


if __name__ == "__main__":
    main()
