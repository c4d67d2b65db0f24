"""The command-line fuzzer's fast profile (the long one is ``benchmarks/faults.py --cli-fuzz``):
every subcommand's flags at and beyond their bounds; see :mod:`fuzzing` for what is asserted."""
import os
import sys
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings

sys.path.insert(0, str(Path(__file__).parent))
from fuzzing import COMMANDS, cases, make_world, problems, run_case, run_subprocess  # noqa: E402

CASES = 10  # per subcommand, in this process
REPLAYED = ("train", "figures", "fixed-points", "sweep")  # their first refusal again, as a subprocess


@pytest.fixture(scope="module")
def world(tmp_path_factory, tiny_run, tiny_task_runs, keras2_checkpoint):
    w = make_world(tmp_path_factory.mktemp("fuzz"), tiny_run.path, tiny_task_runs["perceptual_dm"],
                   keras2_checkpoint[0])
    yield w
    os.chmod(w.paths["ro"], 0o755)


@pytest.mark.parametrize("command", COMMANDS)
def test_every_subcommand_refuses_in_one_line_and_creates_nothing(world, command):
    refusals = []

    @settings(max_examples=CASES, deadline=None, database=None, derandomize=True,
              suppress_health_check=list(HealthCheck))
    @given(cases(world, command))
    def one(argv):
        o = run_case(argv, world)
        assert not problems(o), (argv, problems(o), o.err[-300:])
        if o.status == 2:
            refusals.append(o)

    one()
    assert command == "tasks" or refusals  # hostile values were refused
    if command in REPLAYED:
        o = refusals[0]
        p = run_subprocess(o.argv, world)
        assert not problems(p), (o.argv, problems(p), p.err[-300:])
        assert (p.status, p.err) == (o.status, o.err), o.argv
