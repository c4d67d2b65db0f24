"""The command-line fuzzer's long profile (``benchmarks/faults.py --cli-fuzz N``): the
strategies and checks of ``tests/cli/fuzzing.py``, for N cases, with a count of each outcome.

    PYTHONPATH=$PWD python benchmarks/fuzz_cli.py --cases 2000 [--replay-every 20]

Every case runs in this process (the commands stubbed after their checks, but ``tasks``
and ``inspect``); every ``--replay-every``-th refusal runs again as a real subprocess.
"""
from __future__ import annotations

import argparse
import os
import statistics
import sys
import tempfile
from collections import Counter
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path[:0] = [str(ROOT / "tests"), str(ROOT / "tests" / "cli")]


def _runs(work: Path) -> tuple[Path, Path, Path]:
    """A finished tiny flip-flop run, a finished tiny run of another task, a Keras 2 checkpoint."""
    from conftest import tiny_config, write_keras2_checkpoint
    from flipflop.tasks import make_task
    from flipflop.training import TrainConfig, train

    run = train(tiny_config(units=16, epochs=2), work / "tiny", verbose=0, log=lambda s: None).path
    other = TrainConfig.from_recipe("fast", cell="ctrnn", units=8, epochs=1, samples_per_epoch=64, val_samples=32,
                                    task={**make_task("perceptual_dm").to_dict(), "stimulus_ms": 200.0, "dt_ms": 50.0})
    other = train(other, work / "dm", verbose=0, log=lambda s: None).path
    legacy = work / "legacy.hdf5"
    write_keras2_checkpoint(legacy)
    return run, other, legacy


def long_profile(n: int, replay_every: int = 20, seed: int = 0) -> tuple[list, int]:
    """(table rows, problems found) of ``n`` fuzzed cases."""
    from hypothesis import HealthCheck, given, seed as hseed, settings

    from fuzzing import cases, make_world, problems, run_case, run_subprocess

    work = Path(tempfile.mkdtemp(prefix="flipflop-cli-fuzz-"))
    world = make_world(work / "world", *_runs(work))
    outcomes, bad, replays = [], [], []

    @hseed(seed)
    @settings(max_examples=n, deadline=None, database=None, suppress_health_check=list(HealthCheck))
    @given(cases(world))
    def one(argv):
        o = run_case(argv, world)
        outcomes.append(o)
        if problems(o):
            bad.append((o, problems(o)))
        if o.status == 2 and sum(x.status == 2 for x in outcomes) % replay_every == 0:
            p = run_subprocess(argv, world)
            replays.append(p)
            if problems(p) or (p.status, p.err) != (o.status, o.err):
                bad.append((p, problems(p) or [f"subprocess differs: {p.status} {p.err[-200:]!r}"]))

    one()
    os.chmod(world.paths["ro"], 0o755)
    for o, why in bad[:20]:
        print(f"  PROBLEM {why}: {o.argv!r}: {o.err[-300:]!r}")
    refused = [o for o in outcomes if o.status == 2]
    status = Counter(o.status for o in outcomes)
    tracebacks = sum("Traceback" in o.err or o.status == "traceback" for o in outcomes)
    changed = sum(bool(o.changed) for o in outcomes)
    commands = Counter(o.argv[0] for o in outcomes)
    slowest = max((o.cpu_s for o in refused), default=0.0)
    rows = [("CLI fuzz, in this process (hypothesis over every subcommand's flags)",
             f"{len(outcomes)} cases ({', '.join(f'{c} {k}' for k, c in sorted(commands.items()))}): "
             f"{status.get(2, 0)} refused in one line, {status.get(0, 0)} accepted; {tracebacks} tracebacks, "
             f"{len(outcomes) - status.get(0, 0) - status.get(2, 0)} other statuses, {changed} with files created "
             f"or changed; slowest refusal {slowest:.2f} s CPU"),
            ("the same, every %dth refusal as a subprocess" % replay_every,
             f"{len(replays)} runs: {sum(p.status == 2 for p in replays)} refused alike, "
             f"{sum('Traceback' in p.err for p in replays)} tracebacks; CPU median "
             f"{statistics.median(p.cpu_s for p in replays) if replays else 0:.2f} s, max "
             f"{max((p.cpu_s for p in replays), default=0):.2f} s; wall median "
             f"{statistics.median(p.wall_s for p in replays) if replays else 0:.2f} s, max "
             f"{max((p.wall_s for p in replays), default=0):.2f} s (load {os.getloadavg()[0]:.1f})")]
    return rows, len(bad)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--cases", type=int, default=2000)
    parser.add_argument("--replay-every", type=int, default=20)
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args()
    os.environ["TF_CPP_MIN_LOG_LEVEL"] = "3"
    rows, bad = long_profile(args.cases, args.replay_every, args.seed)
    rows.append(("problems found", str(bad)))
    print("\n| fault | result |\n|---|---|")
    for a, b in rows:
        print(f"| {a} | {b} |")


if __name__ == "__main__":
    main()
