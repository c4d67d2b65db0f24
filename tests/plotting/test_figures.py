"""Figure functions on a tiny run, the figures command, and `reproduce --quick` end to end."""
import runpy
import sys
from pathlib import Path

import numpy as np
import pytest
from matplotlib.figure import Figure

import flipflop
from flipflop import figures, report
from flipflop.cli import main
from flipflop.errors import FlipFlopError
from flipflop.tasks.flipflop.task import FlipFlopTask


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
    assert "- reusing the finished quick-simplernn-24-seed0 (3 epochs):" in (root / "figs2" / "REPORT.md").read_text()


def test_reproduce_trains_simplernns_to_the_shipped_target_and_other_cells_to_the_criterion():
    from flipflop.reproduce import REALISATION, realisation_configs

    rnn, gru = realisation_configs(seeds=[0])[0], realisation_configs("gru", seeds=[0])[0]
    table = REALISATION["simplernn"]
    assert (rnn.recipe, rnn.target_accuracy, rnn.target_mse, rnn.learning_rate) == (
        table["recipe"], table["target_accuracy"], table["target_mse"], 1e-3)
    assert rnn.recipe == "faithful" and gru.recipe == "fast"
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
    assert len(fig.axes) == 5 and fig.axes[4].name == "3d"  # state strip, 3 channels, trajectory
    strip_codes = {t.get_text() for t in fig.axes[0].texts}
    assert len(strip_codes) == 8  # every memory state's code in the strip above the traces
    fig = figures.cubes_grid([("a", a.projection.projected, a.series.states[0], a.cube.centroids)] * 4, 3,
                             [a.projection.variance_ratio] * 4)
    assert len(fig.axes) == 4
    for ax in fig.axes:  # the cube's 12 edges, and the variance along each axis
        assert sum(line.get_gid() == "cube-edge" for line in ax.lines) == 12
        assert "% var.)" in ax.get_xlabel() and "% var.)" in ax.get_zlabel()
    assert len(figures.training_curves([("a", a.run.history)]).axes) == 2


def test_cube_edges_join_states_one_bit_flip_apart():
    edges = figures.cube_edges(3)
    assert len(edges) == len(set(edges)) == 12
    assert all(bin(s ^ t).count("1") == 1 and s < t for s, t in edges)
    assert len(figures.cube_edges(2)) == 4 and len(figures.cube_edges(4)) == 32


@pytest.mark.parametrize("reflect", [False, True])
def test_align_to_cube_maps_a_rotated_cube_back(reflect):
    from scipy.spatial.transform import Rotation

    from flipflop.analysis import cube_corners

    corners = cube_corners(3)
    q = Rotation.random(random_state=3).as_matrix() @ np.diag([1, 1, -1 if reflect else 1])
    centroids = 2.5 * corners @ q + np.array([4.0, -1.0, 7.0])
    centre, rotation = figures.align_to_cube(centroids, 3)
    np.testing.assert_allclose((centroids - centre) @ rotation, 2.5 * corners, atol=1e-9)
    assert not np.allclose(rotation, np.eye(3))
    centroids[5] = np.nan  # an unvisited state: the other seven still fix the frame
    centre, rotation = figures.align_to_cube(centroids, 3)
    np.testing.assert_allclose(((centroids - centre) @ rotation)[np.arange(8) != 5],
                               2.5 * corners[np.arange(8) != 5], atol=1e-9)


def test_axis_variance_follows_the_rotation():
    rng = np.random.default_rng(0)
    x = rng.normal(size=(500, 3)) * [3.0, 1.0, 0.5]
    ratio = x.var(axis=0) / (x.var(axis=0).sum() / 0.8)  # a 3-D subspace holding 80% of the variance
    np.testing.assert_allclose(figures.axis_variance(x, np.eye(3), ratio), ratio)
    swap = np.eye(3)[:, [2, 0, 1]]
    np.testing.assert_allclose(figures.axis_variance(x, swap, ratio), ratio[[2, 0, 1]])


def test_training_curves_draw_each_runs_target():
    rows = [{"epoch": e, "loss": 0.1 / e, "val_mse": 0.05 / e, "val_bit_accuracy": 1 - 1e-3 / e} for e in (1, 2, 3)]
    fig = figures.training_curves([("a", rows), ("b", rows)], [(0.9999, 0.005)] * 2)
    mse, err = fig.axes
    assert any(np.allclose(line.get_ydata(), 0.005) for line in mse.lines)
    assert any(np.allclose(line.get_ydata(), 1e-4) for line in err.lines)
    assert len(fig.legends) == 1 and not mse.get_legend() and not err.get_legend()
    assert "0.9999" in " ".join(t.get_text() for t in fig.legends[0].get_texts())
    fig = figures.training_curves([("a", rows), ("b", rows)], [(0.999, 0.02), (0.9999, 0.005)])
    assert sum(np.allclose(line.get_ydata(), y) for line in fig.axes[0].lines for y in (0.02, 0.005)) == 2


def test_linearised_spectra_panels():
    rng = np.random.default_rng(1)
    w = rng.normal(size=50) * 1.1 + 1j * rng.normal(size=50)
    jac = np.concatenate([0.9 * np.exp(2j * np.pi * rng.random((3, 20))),  # stable points
                          np.c_[np.full((2, 1), 1.06), 0.5 * np.ones((2, 19))]])  # saddles, 1 mode
    fig = figures.linearised_spectra(w, jac, np.array([0, 0, 0, 1, 1]))
    assert len(fig.axes) == 3 and all(ax.get_legend() for ax in fig.axes)
    labels = [t.get_text() for t in fig.axes[1].get_legend().get_texts()]
    assert any("2 saddles, 1 unstable mode" in t for t in labels)
    lo, hi = fig.axes[2].get_xlim()
    assert lo < 1 < hi and hi - lo < 1  # the zoom on lambda = 1


def test_fig3_names_the_gate_block():
    assert "candidate" in figures.matrix_name("gru") and "cell" in figures.matrix_name("lstm")
    assert figures.matrix_name("simplernn") == figures.matrix_name("ctrnn") == "$W^{rec}$"
    fig = figures.connectivity(np.eye(4), np.ones(4), "t", name=figures.matrix_name("gru"))
    assert "candidate" in fig.axes[0].get_title()


def test_figure_folder_holds_one_set_and_report_names_it(quick, tmp_path, monkeypatch):
    root, _ = quick
    first, second = sorted((root / "runs").iterdir())[:2]
    stale = ["fig3_connectivity_old-run.png", "fig7_fixed_points_old-run.pdf", "training_curves.svg", "REPORT.md"]
    foreign = ["notes.txt", "fig3.png", "figure_data.csv", "my_fig.png"]
    for name in stale + foreign:
        (tmp_path / name).write_text("x")
    grids = []
    spectra_grid = figures.spectra_grid
    monkeypatch.setattr(figures, "spectra_grid", lambda s: grids.append([label for label, _ in s]) or spectra_grid(s))
    written = report.figures_from_runs([first], tmp_path, ("png",), reference=second, fixed_points=False,
                                       log=lambda s: None)
    names = {p.name for p in tmp_path.iterdir()}
    assert not names & set(stale[:-1]) and "REPORT.md" in names
    assert set(foreign) <= names
    assert names == {p.name for p in written} | set(foreign)
    assert grids == [[first.name, f"{second.name} (reference)"]]  # the reference joins Fig. 4
    for label in (first.name, second.name):  # Figs. 3 and 5 for the reference too
        assert {f"fig3_connectivity_{label}.png", f"fig5_eight_states_{label}.png"} <= names
    text = (tmp_path / "REPORT.md").read_text()
    for p in written:
        if p.name != "REPORT.md":
            assert f"`{p.name}`" in text
    assert f"flipflop {flipflop.__version__}, commit " in text and " UTC" in text


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


def test_provenance_names_the_commit_of_an_installed_package_run_in_its_checkout(tmp_path):
    import subprocess

    def git(folder, *args):
        return subprocess.run(["git", *args], cwd=folder, check=True, capture_output=True, text=True).stdout.strip()

    installed = tmp_path / "site-packages" / "flipflop"  # no git metadata, as after `pip install .`
    installed.mkdir(parents=True)
    checkout, other = tmp_path / "clone", tmp_path / "elsewhere"
    for repo, files in ((checkout, ("flipflop/__init__.py",)), (other, ("README",))):
        for name in files:
            (repo / name).parent.mkdir(parents=True, exist_ok=True)
            (repo / name).write_text("")
        git(repo, "init", "-q")
        git(repo, "add", ".")
        git(repo, "-c", "user.name=t", "-c", "user.email=t@t", "commit", "-qm", "x")
    head = git(checkout, "rev-parse", "--short", "HEAD")
    assert f"commit {head} of the flipflop checkout it ran in," in report.provenance(installed, checkout)
    assert "commit unknown," in report.provenance(installed, other)  # another repository says nothing
    assert "commit unknown," in report.provenance(installed, tmp_path)  # no repository at all
    mine = report._git(Path(flipflop.__file__).parent, "rev-parse", "--short", "HEAD")
    if mine is not None:  # an editable install in a checkout: its own commit
        assert f"commit {mine}," in report.provenance()
