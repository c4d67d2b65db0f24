"""`flipflop fixed-points` on a network whose fixed points are known: three uncoupled bistable units."""
import numpy as np
import pytest

from flipflop import runs
from flipflop.cli import main


@pytest.fixture(scope="module")
def product_system(quick, tmp_path_factory):
    """A run of the 3-bit task whose network is h' = tanh(2 h) per unit (W_rec = 2 I, no input
    coupling between units): its fixed points are the ideal 3-bit product system, 27 points,
    each unit at 0 or at +-h* with h* = tanh(2 h*)."""
    import shutil

    from flipflop.models.build import build_model

    root, _ = quick
    path = tmp_path_factory.mktemp("product") / "run"
    shutil.copytree(sorted((root / "runs").iterdir())[0], path)
    model = build_model("simplernn", 3, 3, 3, seed=0)
    layer = model.get_layer("recurrent")
    layer.set_weights([np.eye(3, dtype=np.float32), 2 * np.eye(3, dtype=np.float32)])
    runs.save_model(model, path / runs.MODEL)
    runs.clear_fixed_points(path)
    runs.write_metrics(path, {k: v for k, v in runs.read_json(path / runs.METRICS).items() if k != "files"})
    return path


def test_the_census_of_a_product_system_is_the_ideal_one(product_system, capsys):
    assert main(["fixed-points", str(product_system), "--n-init", "256"]) == 0
    out = capsys.readouterr().out
    rows = [line.split() for line in out.splitlines()]
    assert ["stable", "8", "8"] in rows and ["total", "27", "27"] in rows
    assert ["saddle,", "1", "unstable", "mode", "12", "12"] in rows
    assert ["saddle,", "2", "unstable", "modes", "6", "6"] in rows
    assert ["saddle,", "3", "unstable", "modes", "1", "1"] in rows
    assert f"saved {product_system / runs.FIXED_POINTS}" in out
    with np.load(product_system / runs.FIXED_POINTS) as f:
        h_star = np.abs(f["points"][f["n_unstable"] == 0])
        np.testing.assert_allclose(h_star, np.tanh(2 * h_star), atol=1e-5)  # every coordinate at +-h*


def test_an_input_of_the_wrong_size_is_one_line(product_system, capsys):
    assert main(["fixed-points", str(product_system), "--input", "0,0"]) == 2
    err = capsys.readouterr().err
    assert err == "flipflop: error: --input needs 3 values for the flipflop task, got 2\n"
    assert main(["fixed-points", str(product_system), "--input", "0,0", "--period", "trial"]) == 2
    assert capsys.readouterr().err == "flipflop: error: give --input or --period, not both\n"


def test_the_midpoint_search_starts_once_from_each_pair_of_stable_points(product_system):
    """The second search starts from every midpoint of two stable points, each exactly once
    (a draw with replacement, as before, left some pairs out)."""
    from itertools import combinations

    from flipflop.dynamics.search import compute_fixed_points

    run = runs.load_run(product_system)
    starts = []
    fps = compute_fixed_points(run.model(), run.task(), n_init=256, record_starts=starts)
    stable = fps.points[fps.is_fixed & (fps.n_unstable == 0)]
    assert len(stable) == 8 and len(starts) == 2
    mids = np.array([(a + b) / 2 for a, b in combinations(stable, 2)])
    assert starts[1].shape == mids.shape == (28, 3)
    # A midpoint's coordinates are 0 or +-h*; several pairs share one (the origin four times),
    # so starts (less the finder's noise, 0.01) and midpoints are compared as multisets.
    h_star = np.abs(stable).max()
    codes = [sorted(map(tuple, np.rint(x / h_star).astype(int))) for x in (starts[1], mids)]
    assert codes[0] == codes[1]
    assert np.max(np.abs(starts[1] - np.rint(starts[1] / h_star) * h_star)) < 0.06


def test_the_program_exits_with_the_status_of_main_and_a_frozen_collector(product_system, monkeypatch, capsys):
    """``flipflop`` (``cli.run``) exits with main's status; the objects left are frozen out of the
    cyclic collector, so that finalisation does not walk them. ``main`` itself leaves it alone."""
    import gc

    from flipflop.cli import run

    before = gc.get_freeze_count()
    assert main(["fixed-points", str(product_system), "--input", "0,0"]) == 2
    assert gc.get_freeze_count() == before
    monkeypatch.setattr("sys.argv", ["flipflop", "fixed-points", str(product_system), "--input", "0,0"])
    try:
        with pytest.raises(SystemExit) as stop:
            run()
        assert stop.value.code == 2
        assert gc.get_freeze_count() > before
    finally:
        gc.unfreeze()
    assert "--input needs 3 values" in capsys.readouterr().err
