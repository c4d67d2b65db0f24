"""The command-line fuzzer's fast profile (the long one is ``benchmarks/faults.py --cli-fuzz``):
every subcommand's flags at and beyond their bounds; see :mod:`fuzzing` for what is asserted."""
import os
import sys
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings

sys.path.insert(0, str(Path(__file__).parent))
from fuzzing import cases, make_world, problems, run_case, run_subprocess  # noqa: E402

FAST_CASES = 100  # in this process
REPLAYED = 4  # of the refusals, as subprocesses


@pytest.fixture(scope="module")
def world(tmp_path_factory, tiny_run, tiny_task_runs, keras2_checkpoint):
    w = make_world(tmp_path_factory.mktemp("fuzz"), tiny_run.path, tiny_task_runs["perceptual_dm"],
                   keras2_checkpoint[0])
    yield w
    os.chmod(w.paths["ro"], 0o755)


def test_every_subcommand_refuses_in_one_line_and_creates_nothing(world):
    seen = {"cases": 0, "refused": 0, "accepted": 0, "commands": set()}
    refusals = []

    @settings(max_examples=FAST_CASES, deadline=None, database=None, derandomize=True,
              suppress_health_check=list(HealthCheck))
    @given(cases(world))
    def one(argv):
        o = run_case(argv, world)
        assert not problems(o), (argv, problems(o), o.err[-300:])
        seen["cases"] += 1
        seen["commands"].add(argv[0])
        seen["refused" if o.status == 2 else "accepted"] += 1
        if o.status == 2:
            refusals.append(o)

    one()
    assert seen["cases"] >= FAST_CASES and seen["refused"] > FAST_CASES // 2
    assert len(seen["commands"]) == 10  # every subcommand was fuzzed
    for o in refusals[:: max(1, len(refusals) // REPLAYED)][:REPLAYED]:
        p = run_subprocess(o.argv, world)
        assert not problems(p), (o.argv, problems(p), p.err[-300:])
        assert (p.status, p.err) == (o.status, o.err), o.argv
