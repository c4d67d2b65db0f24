"""Sweeps: the grid, bad input, a two-point sweep through embedded Ray and --local, the report."""
import csv
import json
import sys

import pytest

from flipflop import runs
from flipflop import sweep as sw
from flipflop.runs import sweeps
from flipflop.cli import main
from flipflop.errors import FlipFlopError, parse_ints

from conftest import TINY_TASK

TINY = ["--cells", "simplernn", "--units", "8,16", "--seeds", "0", "--set", "epochs=2",
        "--set", "samples_per_epoch=256", "--set", "val_samples=64", "--set", "batch_size=64",
        *[a for k, v in TINY_TASK.items() for a in ("--set", f"task.{k}={v!r}")]]


def tiny_grid(**kw):
    args = sw.Grid(units=(8, 16), settings=tuple(sw.parse_setting(s) for s in TINY[7::2]))
    return sw.Grid(**{**args.__dict__, **kw})


@pytest.fixture(scope="module")
def ray_session():
    """One embedded Ray for the module (2 CPUs, no dashboard): its start-up is paid once."""
    ray = pytest.importorskip("ray")
    ray.init(address="local", num_cpus=2, include_dashboard=False, log_to_driver=False, logging_level="ERROR")
    yield ray
    ray.shutdown()


def test_grid_parsing_and_names():
    assert parse_ints("0-3,8,2", "--seeds") == (0, 1, 2, 3, 8)
    assert sw.parse_setting("learning_rate=1e-3,3e-3") == ("learning_rate", (1e-3, 3e-3))
    assert sw.parse_setting("optimizer=adam,muon") == ("optimizer", ("adam", "muon"))
    assert sw.parse_setting("task.first_onset_ms=(5, 30)") == ("task.first_onset_ms", ((5, 30),))
    grid = sw.Grid(cells=("simplernn", "gru"), units=(64,), seeds=(0, 1),
                   settings=(("learning_rate", (1e-3, 3e-3)), ("epochs", (5,))))
    pts = sw.points(grid)
    assert len(pts) == 8 and len({p.name for p in pts}) == 8
    assert "gru-64-learning_rate=0.003-seed1" in {p.name for p in pts}
    p = next(p for p in pts if p.name == "gru-64-learning_rate=0.003-seed1")
    assert (p.config.cell, p.config.seed, p.config.learning_rate, p.config.epochs) == ("gru", 1, 3e-3, 5)
    assert sw.Grid.from_dict(grid.to_dict()) == grid
    # the scheduled population sweep is a valid grid of 32 SimpleRNN-400 runs
    pop = sw.points(sw.Grid(units=(400,), seeds=parse_ints("0-31", "--seeds")))
    assert [p.name for p in pop[:2]] == ["simplernn-400-seed0", "simplernn-400-seed1"] and len(pop) == 32


@pytest.mark.parametrize("args, message", [
    (["--seeds", "5-2"], "empty range"),
    (["--seeds", "1,x"], "malformed"),
    (["--cells", ","], "--cells is empty"),
    (["--set", "nonsense=1"], "unknown training parameter"),
    (["--set", "task.nonsense=1"], "unknown flipflop task parameter"),
    (["--set", "seed=1"], "use --seeds"),
    (["--address", "127.0.0.1:1"], "cannot reach a Ray cluster at 127.0.0.1:1"),
])
def test_bad_input_is_one_line_and_status_2(tmp_path, capsys, args, message):
    assert main(["sweep", "--name", "bad", "--root", str(tmp_path), *args]) == 2
    err = capsys.readouterr().err
    assert message in err and err.count("\n") == 1
    assert not (tmp_path / "bad").exists()  # nothing written


def test_without_ray_the_error_names_the_extra(tmp_path, capsys, monkeypatch):
    monkeypatch.setitem(sys.modules, "ray", None)
    assert main(["sweep", "--name", "x", "--root", str(tmp_path)]) == 2
    assert "pip install 'flipflop[sweep]'" in capsys.readouterr().err
    assert main(["sweep-report", "x", "--root", str(tmp_path)]) == 2


def test_a_different_grid_is_refused_unless_forced(tmp_path, capsys):
    sw.open_sweep("s", tiny_grid(), tmp_path)
    sw.open_sweep("s", tiny_grid(), tmp_path)  # the same grid: fine
    assert main(["sweep", "--name", "s", "--root", str(tmp_path), "--local", "--units", "12"]) == 2
    assert "holds a different grid" in capsys.readouterr().err
    sw.open_sweep("s", tiny_grid(units=(12,)), tmp_path, force=True)
    assert runs.read_json(tmp_path / "s" / sweeps.GRID_FILE)["grid"]["units"] == [12]


def test_diverged_run_is_recorded_and_the_others_finish(tmp_path, monkeypatch):
    import flipflop.training as training

    real = training.train

    def train(config, out, **kw):
        if config.units == 8:
            raise training.TrainingDiverged("loss became nan in epoch 1")
        return real(config, out, **kw)

    monkeypatch.setattr(training, "train", train)
    sweep = sw.open_sweep("d", tiny_grid(), tmp_path)
    result = sw.run_local(sweep, log=lambda s: None)
    assert list(result.failed) == ["simplernn-8-seed0"] and result.done == ["simplernn-16-seed0"]
    assert sweep.results()["simplernn-8-seed0"]["reason"] == "loss became nan in epoch 1"
    again = sw.run_local(sweep, log=lambda s: None)  # not retried without --retry-failed
    assert again.done == [] and list(again.failed) == ["simplernn-8-seed0"]


def _mtimes(root):
    return {p: p.stat().st_mtime_ns for p in root.rglob("*") if p.is_file()}


def test_local_sweep_finishes_reruns_as_noop_and_reports(tmp_path, capsys):
    args = ["sweep", "--name", "tiny", "--root", str(tmp_path), "--local", *TINY]
    assert main(args) == 0
    root = tmp_path / "tiny"
    for name in ("simplernn-8-seed0", "simplernn-16-seed0"):
        assert runs.load_run(root / sweeps.RUNS_DIR / name).metrics["epochs_run"] == 2
    with open(root / "population.csv") as f:
        rows = list(csv.DictReader(f))
    assert [r["name"] for r in rows] == ["simplernn-8-seed0", "simplernn-16-seed0"]
    for column in ("units", "seed", "epochs", "train_seconds", "epochs_run",
                   "heldout_bit_accuracy", "spectral_radius", "n_above_1.01", "ring_median", "ring_std",
                   "fp_stable_memories", "fp_stable_other", "fp_saddles_1", "cube_r2", "procrustes_mean",
                   "procrustes:simplernn-16-seed0"):
        assert column in rows[0], column
    assert float(rows[0]["procrustes:simplernn-16-seed0"]) == float(rows[1]["procrustes:simplernn-8-seed0"])
    md = (root / "POPULATION.md").read_text()
    assert "spectral radius" in md and "over 1 seeds" in md and "Procrustes" in md
    assert (root / "population.png").stat().st_size > 0 and (root / "procrustes.png").stat().st_size > 0
    # the comparison metrics, within and across the size that the grid varies
    assert "## Comparisons (flipflop: 2 runs" in md and "### Within and across size" in md
    assert "Fewer than two sizes with two runs or more" in md  # one run per size: no test, said so
    svcca = (root / "compare" / "svcca.csv").read_text().splitlines()
    assert svcca[0] == "run,simplernn-8-seed0,simplernn-16-seed0" and 0 < float(svcca[1].split(",")[2]) <= 1
    before = {p: t for p, t in _mtimes(root / sweeps.RUNS_DIR).items() if p.name != "fixed_points.npz"}
    capsys.readouterr()
    assert main(args + ["--no-report"]) == 0  # the same command again: nothing trains
    assert "0 trained, 2 already finished" in capsys.readouterr().out
    assert {p: t for p, t in _mtimes(root / sweeps.RUNS_DIR).items() if p in before} == before
    # a run whose config no longer matches its grid point (e.g. a task default changed since):
    # the report says so, and reports the others
    config = root / sweeps.RUNS_DIR / "simplernn-16-seed0" / runs.CONFIG
    data = json.loads(config.read_text())
    data["train"]["epochs"] += 1
    config.write_text(json.dumps(data))
    assert main(["sweep-report", "tiny", "--root", str(tmp_path), "--local", "--compare", "none"]) == 0
    md = (root / "POPULATION.md").read_text()
    assert "| simplernn-16-seed0 | stale |" in md and "runs: 1 of 1 finished" in md


def test_ray_sweep_finishes_and_rerun_is_noop(ray_session, tmp_path, capsys):
    from ray import tune

    seen = []

    class Capture(tune.Callback):
        def on_trial_result(self, iteration, trials, trial, result, **info):
            seen.append(result)

    sweep = sw.open_sweep("ray", tiny_grid(), tmp_path)
    result = sw.run_ray(sweep, cpus_per_trial=1, callbacks=[Capture()], log=lambda s: None)
    assert sorted(result.done) == ["simplernn-16-seed0", "simplernn-8-seed0"] and not result.failed
    for p in sweep.points:
        assert sweep.finished(p)
    # each trial reported every epoch, from a worker process whose TF pools match its 1 CPU
    assert sorted(r["epoch"] for r in seen if r["status"] == "running") == [1, 1, 2, 2]
    assert {r["tf_threads"] for r in seen} == {1}
    assert sweep.results()["simplernn-8-seed0"]["status"] == "done"
    before = _mtimes(tmp_path / "ray" / sweeps.RUNS_DIR)
    assert main(["sweep", "--name", "ray", "--root", str(tmp_path), *TINY, "--no-report"]) == 0
    assert "0 trained, 2 already finished" in capsys.readouterr().out
    assert _mtimes(tmp_path / "ray" / sweeps.RUNS_DIR) == before
    # the population report's analyses as Ray tasks
    assert main(["sweep-report", "ray", "--root", str(tmp_path), "--no-fixed-points"]) == 0
    with open(tmp_path / "ray" / "population.csv") as f:
        rows = list(csv.DictReader(f))
    assert {r["status"] for r in rows} == {"done"} and all(float(r["spectral_radius"]) > 0 for r in rows)
    assert "fp_stable_memories" not in rows[0]


def test_ray_diverged_trial_is_recorded_as_failed(ray_session, tmp_path):
    grid = sw.Grid(units=(8,), settings=(("epochs", (2,)), ("samples_per_epoch", (128,)), ("val_samples", (32,)),
                                         ("optimizer", ("adam",)), ("learning_rate", (1e30,)),
                                         ("task.duration_ms", (100.0,))))
    sweep = sw.open_sweep("diverge", grid, tmp_path)
    result = sw.run_ray(sweep, max_failures=2, log=lambda s: None)
    assert result.done == [] and "loss became" in result.failed["simplernn-8-seed0"]
    entry = sweep.results()["simplernn-8-seed0"]
    assert entry["status"] == "failed" and entry["diverged"] is True and "loss became" in entry["reason"]


def test_report_of_a_missing_sweep_is_one_line(tmp_path, capsys):
    assert main(["sweep-report", "nope", "--root", str(tmp_path), "--local"]) == 2
    assert "no sweep 'nope'" in capsys.readouterr().err
    with pytest.raises(FlipFlopError, match="sweep name"):
        sw.open_sweep("../x", tiny_grid(), tmp_path)
