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
