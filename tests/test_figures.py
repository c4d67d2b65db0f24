"""Figure functions on a tiny run, the figures command, and `reproduce --quick` end to end."""
import runpy
import sys
from pathlib import Path

import pytest
from matplotlib.figure import Figure

from flipflop import figures, report
from flipflop.cli import main
from flipflop.errors import FlipFlopError
from flipflop.tasks.flipflop import FlipFlopTask


@pytest.fixture(scope="module")
def quick(tmp_path_factory):
    """`flipflop reproduce --quick`: 4 tiny realisations, fixed points, every figure, REPORT.md."""
    root = tmp_path_factory.mktemp("quick")
    code = main(["reproduce", "--quick", "--runs", str(root / "runs"), "--out", str(root / "figs"),
                 "--format", "png,pdf"])
    return root, code


def test_reproduce_quick_end_to_end(quick):
    root, code = quick
    assert code == 0
    names = {p.name for p in (root / "figs").iterdir()}
    for stem in ("fig1_model", "fig2_training_samples", "fig4_spectra", "fig6_cubes", "training_curves"):
        assert f"{stem}.png" in names and f"{stem}.pdf" in names
    assert any(n.startswith("fig3_connectivity_") for n in names)
    assert any(n.startswith("fig5_eight_states_") for n in names)
    assert any(n.startswith("fig7_fixed_points_") for n in names) or "no fixed point" in ""
    text = (root / "figs" / "REPORT.md").read_text()
    assert "Procrustes" in text and text.count("| quick-simplernn-24-seed") >= 4
    assert len(list((root / "runs").iterdir())) == 4


def test_reproduce_reuses_finished_runs(quick, capsys):
    root, _ = quick
    before = {p: p.stat().st_mtime_ns for p in (root / "runs").rglob("model.keras")}
    assert main(["reproduce", "--quick", "--no-fixed-points", "--runs", str(root / "runs"),
                 "--out", str(root / "figs2")]) == 0
    assert "already finished" in capsys.readouterr().out
    assert {p: p.stat().st_mtime_ns for p in (root / "runs").rglob("model.keras")} == before


def test_reproduce_trains_simplernns_to_the_shipped_target_and_other_cells_to_the_criterion():
    from flipflop.reproduce import TARGET, realisation_configs

    rnn, gru = realisation_configs(seeds=[0])[0], realisation_configs("gru", seeds=[0])[0]
    assert (rnn.target_accuracy, rnn.target_mse, rnn.learning_rate) == (TARGET["target_accuracy"],
                                                                        TARGET["target_mse"], 1e-3)
    assert (gru.target_accuracy, gru.target_mse, gru.learning_rate) == (0.999, 0.02, 1e-2)
    assert [c.seed for c in realisation_configs(seeds=(0, 1, 2, 3))] == [0, 1, 2, 3]


def test_figure_functions_return_expected_panels(quick):
    root, _ = quick
    a = report.analyse_run(sorted((root / "runs").iterdir())[0])
    assert isinstance(figures.schematic(), Figure)
    fig = figures.training_samples(FlipFlopTask().generate(3, 0))
    assert len(fig.axes) == 9 and fig.axes[-1].get_xlabel() == "time (ms)"
    fig = figures.connectivity(a.w_rec, a.spectrum.eigenvalues)
    assert len(fig.axes) == 3  # heat map, colour bar, spectrum
    lo, hi = fig.axes[0].images[0].get_clim()
    assert lo == -hi  # a symmetric colour scale
    assert len(figures.spectra_grid([("a", a.spectrum.eigenvalues)] * 4).axes) == 4
    fig = figures.eight_state(a.series, a.outputs, a.projection.projected, a.cube.centroids)
    assert len(fig.axes) == 4 and fig.axes[3].name == "3d"
    assert len(figures.cubes_grid([("a", a.projection.projected, a.series.states[0], a.cube.centroids)] * 4).axes) == 4
    assert len(figures.training_curves([("a", a.run.history)]).axes) == 2


def test_state_and_bit_colours_are_distinct():
    assert len({figures.state_color(s) for s in range(8)}) == 8
    assert len({figures.bit_color(b) for b in range(3)}) == 3


def test_figures_command_errors(quick, tmp_path, capsys):
    root, _ = quick
    assert main(["figures", "--runs", str(tmp_path / "missing")]) == 2
    assert "does not exist" in capsys.readouterr().err
    incomplete = tmp_path / "incomplete"
    incomplete.mkdir()
    (incomplete / "config.json").write_text("{}")
    assert main(["figures", "--runs", str(incomplete)]) == 2
    assert "incomplete" in capsys.readouterr().err
    blocker = tmp_path / "file"
    blocker.write_text("x")
    run = str(sorted((root / "runs").iterdir())[0])
    assert main(["figures", "--runs", run, "--out", str(blocker / "sub")]) == 2
    assert "cannot write" in capsys.readouterr().err


def test_a_two_bit_run_is_analysed_as_a_square(tiny_run):
    a = report.analyse_run(tiny_run.path)
    assert a.task.n_bits == 2 and a.cube.centroids.shape == (4, 3) and a.gate == "recurrent"


def test_model_without_recurrent_layer_is_refused(tmp_path):
    import keras

    from flipflop import analysis

    model = keras.Sequential([keras.Input((None, 3)), keras.layers.Dense(3)])
    with pytest.raises(FlipFlopError, match="no recurrent layer"):
        analysis.recurrent_matrix(model)


def test_fixed_points_command(quick, capsys):
    root, _ = quick
    run = sorted((root / "runs").iterdir())[1]
    assert main(["fixed-points", str(run), "--input", "0,0"]) == 2
    err = capsys.readouterr().err
    assert err.startswith("flipflop: error:") and "3" in err and "2" in err
    code = main(["fixed-points", str(run), "--n-init", "64"])
    out = capsys.readouterr()
    if code == 0:  # a tiny, briefly trained network may have no converged point: then a one-line error
        assert "ideal 3-bit" in out.out and (run / "fixed_points.npz").is_file()
    else:
        assert code == 2 and "best q" in out.err


@pytest.mark.parametrize("script", sorted(p.name for p in
                                         (Path(__file__).resolve().parents[1] / "scripts").glob("fig*.py"))
                         + ["training_curves.py"])
def test_figure_scripts_write_their_figure(quick, tmp_path, script, monkeypatch):
    root, _ = quick
    runs_ = sorted(str(p) for p in (root / "runs").iterdir())[:2]
    path = Path(__file__).resolve().parents[1] / "scripts" / script
    monkeypatch.setattr(sys, "argv", [script, "--runs", *runs_, "--out", str(tmp_path)])
    runpy.run_path(str(path), run_name="__main__")
    stem = script.removesuffix(".py")
    written = [p.name for p in tmp_path.iterdir()]
    if stem == "fig7_fixed_points":  # only runs with a fixed_points.npz get this figure
        assert all(n.startswith(("fig7_", "fig8_")) for n in written)
    else:
        assert any(n.startswith(stem) and n.endswith(".png") for n in written)
