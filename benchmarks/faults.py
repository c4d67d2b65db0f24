"""Fault injection: does a run folder survive kills, a full disk, damaged files, rival
trainers, odd parameters and untrusted models? Prints one table.

    PYTHONPATH=$PWD python benchmarks/faults.py [--kills 20] [--fuzz 100] [--workers 2] [--cli-fuzz 2000]

Kills and rival trainers drive the CLI as subprocesses (``python -m flipflop.cli``); the
full disk and the damaged files call ``flipflop.cli.main`` in this process (a full disk is
``os.replace`` failing with ENOSPC at its k-th call, for every k of a run). "Lost" counts
runs whose final model differs from the uninterrupted run's, or successes with a wrong
result, or tracebacks: it must be 0. ``--cli-fuzz N`` adds the command-line fuzzer's long
profile (``benchmarks/fuzz_cli.py``): N cases over every subcommand's flags.
"""
from __future__ import annotations

import argparse
import contextlib
import errno
import io
import json
import os
import random
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
TRAIN = ["train", "--units", "16", "--bits", "2", "--duration-ms", "60", "--pulse-ms", "5",
         "--samples-per-epoch", "256", "--epochs", "6", "--patience", "99", "--target-accuracy", "1",
         "--target-mse", "1e-9", "--quiet"]
ENV = {**os.environ, "PYTHONPATH": str(ROOT), "TF_CPP_MIN_LOG_LEVEL": "3"}


def cli_process(argv: list, **kwargs) -> subprocess.Popen:
    return subprocess.Popen([sys.executable, "-m", "flipflop.cli", *map(str, argv)], env=ENV, text=True,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, **kwargs)


def cli(argv: list) -> tuple[int | str, str, str]:
    """``flipflop.cli.main`` in this process: (exit status or "traceback", stdout, stderr)."""
    from flipflop.cli import main

    out, err = io.StringIO(), io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        try:
            code = main([str(a) for a in argv])
        except BaseException as e:  # noqa: BLE001 - what the fault suite looks for
            code = "traceback"
            err.write(f"{type(e).__name__}: {e}\n")
    return code, out.getvalue(), err.getvalue()


def one_line(code, err: str) -> bool:
    return code == 2 and err.startswith("flipflop: error:") and err.count("\n") == 1


def weights(path: Path) -> list[bytes]:
    from flipflop import runs

    return [w.tobytes() for w in runs.load_model(path).get_weights()]


def same_run(path: Path, ref: Path) -> bool:
    """A finished, sealed run whose model and history equal the reference's."""
    from flipflop import runs

    def rows(run: Path) -> list[dict]:  # seconds per epoch differ between runs
        return [{k: v for k, v in r.items() if k != "seconds"} for r in runs.read_history(run / runs.HISTORY)]

    return (runs.finished_problem(path) is None and weights(path / runs.MODEL) == weights(ref / runs.MODEL)
            and rows(path) == rows(ref) and (path / runs.HISTORY).read_text().splitlines()[1].startswith("1,"))


# --- SIGKILL at random moments ---------------------------------------------------------------

def kill_trial(i: int, work: Path, ref: Path, lifetime: float, seed: int) -> dict:
    from flipflop import runs

    out = work / f"kill{i}"
    at = random.Random(seed + i).uniform(0, lifetime)
    proc = cli_process([*TRAIN, "--out", out])
    wait_for(out / runs.LOCK, proc)
    time.sleep(at)
    alive = proc.poll() is None
    proc.send_signal(signal.SIGKILL)
    proc.communicate()
    state = out / runs.STATE
    phase = ("after finishing" if (out / runs.METRICS).is_file() else
             f"after epoch {json.loads(state.read_text())['epoch']}" if state.is_file() else "before epoch 1")
    proc = cli_process([*TRAIN, "--out", out])
    _, err = proc.communicate()
    ok = proc.returncode == 0 and same_run(out, ref)
    return {"at": at, "killed": alive, "phase": phase, "identical": ok, "err": err.strip()[-300:]}


def wait_for(path: Path, proc: subprocess.Popen) -> None:
    """Until ``path`` exists (the process has started working in the folder) or ``proc`` ended."""
    while not path.exists() and proc.poll() is None:
        time.sleep(0.01)


# --- a full disk --------------------------------------------------------------------------------

def disk_full(work: Path, argv: list, ref: Path) -> dict:
    """ENOSPC at the k-th atomic replace, for every k; then the same command must finish."""
    real, calls = os.replace, []

    def count(src, dst):
        calls.append(dst)
        return real(src, dst)

    os.replace = count
    try:
        assert cli([*argv, "--out", work / "count"])[0] == 0
    finally:
        os.replace = real
    n, results = len(calls), {"writes": len(calls), "one_line": 0, "resumed_identical": 0, "lost": 0}
    for k in range(1, n + 1):
        seen = []

        def full(src, dst):
            seen.append(dst)
            if len(seen) == k:
                raise OSError(errno.ENOSPC, "No space left on device", str(dst))
            return real(src, dst)

        out = work / f"full{k}"
        os.replace = full
        try:
            code, _, err = cli([*argv, "--out", out])
        finally:
            os.replace = real
        results["one_line"] += one_line(code, err) and "No space left" in err
        code, _, err = cli([*argv, "--out", out])
        good = code == 0 and same_run(out, ref)
        results["resumed_identical"] += good
        results["lost"] += not good
    return results


# --- damaged files ----------------------------------------------------------------------------

def damage(path: Path, how: str) -> None:
    if how == "delete":
        path.unlink()
    elif how == "truncate":
        path.write_bytes(path.read_bytes()[:len(path.read_bytes()) // 2])
    else:  # garble: one character in the middle, another in the first quarter
        data = bytearray(path.read_bytes())
        for i in (len(data) // 2, len(data) // 4):
            data[i] = ord("7") if data[i] != ord("7") else ord("3")
        path.write_bytes(bytes(data))


def corruption(work: Path, ref: Path) -> dict:
    """Damage each file of a finished run (with fixed points) and of an interrupted one; run
    inspect, figures, fixed-points and train; each must succeed correctly or refuse in one line."""
    from flipflop import runs

    base = work / "sealed"
    shutil.copytree(ref, base)
    fp = ["fixed-points", base, "--n-init", "64"]
    code, fp_out, err = cli(fp)
    assert code == 0, err
    baseline = {"inspect": cli(["inspect", base, "--json"])[1].replace(str(base), "RUN")}
    cli(["figures", "--runs", base, "--out", work / "figs-base"])
    baseline["figures"] = tables(work / "figs-base", base.name)
    cli(["figures", "--runs", ref, "--out", work / "figs-ref"])  # no fixed_points.npz: no such table
    baseline["figures-no-fp"] = tables(work / "figs-ref", ref.name)
    # an interrupted run: the disk fills at the metrics write (its last replace)
    unfinished = work / "unsealed"
    real = os.replace

    def full_at_metrics(src, dst):
        if str(dst).endswith(runs.METRICS):
            raise OSError(errno.ENOSPC, "No space left on device", str(dst))
        return real(src, dst)

    os.replace = full_at_metrics
    try:
        cli([*TRAIN, "--out", unfinished])
    finally:
        os.replace = real
    assert not (unfinished / runs.METRICS).exists() and (unfinished / runs.STATE).exists()

    counts = {"cases": 0, "repaired": 0, "refused": 0, "unaffected": 0, "wrong": 0, "traceback": 0}
    for source in (base, unfinished):
        for name in sorted(p.name for p in source.iterdir() if p.is_file() and p.name != runs.LOCK):
            for how in ("truncate", "garble", "delete"):
                case = work / f"case-{source.name}-{name}-{how}"
                shutil.copytree(source, case)
                damage(case / name, how)
                for command in ("inspect", "figures", "fixed-points", "train"):
                    argv = {"inspect": ["inspect", case, "--json"],
                            "figures": ["figures", "--runs", case, "--out", case.with_suffix(".figs")],
                            "fixed-points": ["fixed-points", case, "--n-init", "64"],
                            "train": [*TRAIN, "--out", case]}[command]
                    code, out, err = cli(argv)
                    counts["cases"] += 1
                    if code == "traceback" or (code != 0 and not one_line(code, err)):
                        counts["traceback"] += 1
                        print(f"  TRACEBACK {case.name} {command}: {err.strip()[-300:]}")
                        continue
                    if code != 0:
                        counts["refused"] += 1
                        continue
                    right = {"inspect": lambda: out.replace(str(case), "RUN") == baseline["inspect"]
                             or '"status": "unfinished' in out,  # says so honestly
                             "figures": lambda: tables(case.with_suffix(".figs"), case.name) == baseline[
                                 "figures" if (case / runs.FIXED_POINTS).is_file() else "figures-no-fp"],
                             "fixed-points": lambda: out == fp_out.replace(str(base), str(case)),
                             "train": lambda: same_run(case, ref)}[command]()
                    if not right:
                        counts["wrong"] += 1
                        print(f"  WRONG {case.name} {command}")
                    elif "restored" in out or "checking the training state" in out or name == runs.FIXED_POINTS:
                        counts["repaired"] += 1
                    else:
                        counts["unaffected"] += 1
    return counts


def tables(folder: Path, label: str) -> list[str]:
    """The number tables of a REPORT.md, the run's label (its folder name) replaced."""
    text = (folder / "REPORT.md").read_text() if (folder / "REPORT.md").is_file() else ""
    return [line.replace(label, "RUN") for line in text.splitlines() if line.startswith("|")]


# --- rival trainers -----------------------------------------------------------------------------

def rivals(work: Path, n: int, ref: Path) -> dict:
    out = work / f"rivals{n}"
    procs = [cli_process([*TRAIN, "--out", out]) for _ in range(n)]
    results = [(p.wait(), *p.communicate()) for p in procs]
    trained = sum(code == 0 and "already finished" not in text and "epochs" in text for code, text, _ in results)
    refused = sum(code == 2 and "in use by another flipflop process (pid" in err for code, _, err in results)
    return {"trainers": n, "trained": trained, "refused": refused, "identical": same_run(out, ref)}


# --- fuzzing, untrusted models ----------------------------------------------------------------

def fuzz(n: int) -> dict:
    from hypothesis import HealthCheck, given, settings

    sys.path.insert(0, str(ROOT / "tests" / "runs"))
    from test_faults import fuzz_params, train_one_batch

    seen = {"trained": 0, "refused": 0}

    @settings(max_examples=n, deadline=None, suppress_health_check=list(HealthCheck), database=None)
    @given(fuzz_params())
    def run(params):
        seen[train_one_batch(params)] += 1

    try:
        run()
        seen["crashed"] = 0
    except Exception as e:  # noqa: BLE001
        seen["crashed"] = 1
        print(f"  FUZZ CRASH: {type(e).__name__}: {e}")
    return seen


def untrusted(work: Path) -> bool:
    import keras

    model = keras.Sequential([keras.Input((3,)), keras.layers.Lambda(lambda x: x * 2)])
    model.save(work / "lambda.keras")
    code, _, err = cli(["inspect", work / "lambda.keras"])
    return one_line(code, err) and "Lambda" in err


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--kills", type=int, default=20)
    parser.add_argument("--fuzz", type=int, default=100)
    parser.add_argument("--workers", type=int, default=2, help="kill trials at once")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--skip", default="", help="comma-separated sections to skip")
    parser.add_argument("--cli-fuzz", type=int, default=0, help="cases of the CLI fuzzer's long profile (0: none)")
    args = parser.parse_args()
    os.environ["TF_CPP_MIN_LOG_LEVEL"] = "3"
    skip = set(args.skip.split(","))
    work = Path(tempfile.mkdtemp(prefix="flipflop-faults-"))
    rows = []
    ref = work / "reference"
    proc = cli_process([*TRAIN, "--out", ref])
    wait_for(ref / ".lock", proc)
    t = time.perf_counter()
    _, err = proc.communicate()
    assert proc.returncode == 0, err
    lifetime = time.perf_counter() - t  # kills fall uniformly in the time a trainer holds its folder
    print(f"reference run: {lifetime:.1f} s in its folder (after start-up)")

    lost = 0
    if "disk" not in skip:
        d = disk_full(work, [*TRAIN[:TRAIN.index("--epochs")], "--epochs", "3", *TRAIN[TRAIN.index("--epochs") + 2:]],
                      _reference_of(work, 3))
        lost += d["lost"]
        rows.append(("disk full (ENOSPC at the k-th write, every k)",
                     f"{d['writes']} failures, {d['one_line']} one-line errors, "
                     f"{d['resumed_identical']} resumed bit for bit"))
    if "kills" not in skip:
        with ThreadPoolExecutor(args.workers) as pool:
            trials = list(pool.map(lambda i: kill_trial(i, work, ref, lifetime, args.seed), range(args.kills)))
        same = sum(r["identical"] for r in trials)
        phases = {}
        for r in trials:
            key = r["phase"] if r["phase"] in ("before epoch 1", "after finishing") else "between epochs 1-6"
            phases[key] = phases.get(key, 0) + 1
        for r in trials:
            if not r["identical"]:
                print(f"  kill at {r['at']:.1f} s ({r['phase']}) not identical: {r['err']}")
        lost += len(trials) - same
        rows.append(("SIGKILL at a uniform random time while training, then rerun",
                     f"{len(trials)} kills, {same} identical bit for bit "
                     f"({', '.join(f'{v} {k}' for k, v in phases.items())})"))
    if "corruption" not in skip:
        c = corruption(work, ref)
        lost += c["wrong"] + c["traceback"]
        rows.append(("damaged files x commands (inspect, figures, fixed-points, train)",
                     f"{c['cases']} cases: {c['refused']} refused in one line, {c['repaired']} repaired, "
                     f"{c['unaffected']} unaffected, {c['wrong']} wrong, {c['traceback']} tracebacks"))
    if "rivals" not in skip:
        for n in (2, 4):
            r = rivals(work, n, ref)
            lost += (r["trained"] != 1) + (r["refused"] != n - 1) + (not r["identical"])
            rows.append((f"{n} trainers on one folder", f"{r['trained']} trained, {r['refused']} refused "
                         f"naming the pid, result identical: {r['identical']}"))
    if "fuzz" not in skip:
        f = fuzz(args.fuzz)
        lost += f["crashed"]
        rows.append(("hypothesis fuzz of task/cell/training parameters",
                     f"{f['trained'] + f['refused']} cases: {f['trained']} trained a batch, "
                     f"{f['refused']} refused in one line, {f['crashed']} other exceptions"))
    if "untrusted" not in skip:
        ok = untrusted(work)
        lost += not ok
        rows.append(("a .keras with a Lambda layer", "refused as unsafe" if ok else "NOT refused"))
    if args.cli_fuzz:
        from fuzz_cli import long_profile

        fuzz_rows, problems = long_profile(args.cli_fuzz, seed=args.seed)
        rows += fuzz_rows
        lost += problems
    rows.append(("anything lost", str(lost)))
    print_table(rows)
    shutil.rmtree(work, ignore_errors=True)


def print_table(rows: list[tuple[str, str]]) -> None:
    """The fault table, as Markdown with its first column aligned."""
    width = max(len(a) for a, _ in rows)
    print("\n| fault | result |\n|---|---|")
    for a, b in rows:
        print(f"| {a:<{width}} | {b} |")


def _reference_of(work: Path, epochs: int) -> Path:
    argv = [*TRAIN[:TRAIN.index("--epochs")], "--epochs", str(epochs), *TRAIN[TRAIN.index("--epochs") + 2:]]
    out = work / f"reference-{epochs}"
    assert cli([*argv, "--out", out])[0] == 0
    return out


if __name__ == "__main__":
    main()
