"""Figure functions on a tiny run and on synthetic arrays: the panels each figure must have."""
import numpy as np
import pytest
from matplotlib.figure import Figure

from flipflop.plotting import spectra, training, weights
from flipflop.reports.analyse import analyse_run
from flipflop.tasks.flipflop import figures
from flipflop.tasks.flipflop.task import FlipFlopTask


@pytest.fixture(scope="module")
def analysed(quick):
    root, _ = quick
    return analyse_run(sorted((root / "runs").iterdir())[0])


def test_flip_flop_figures_have_their_panels(analysed):
    a = analysed
    p, cube, states = a.extras["projection"], a.extras["cube"], a.series.conditions["state"][0]
    assert isinstance(figures.schematic(), Figure)
    fig = figures.training_samples(FlipFlopTask().generate(3, 0))
    assert len(fig.axes) == 9 and fig.axes[-1].get_xlabel() == "time (ms)"
    fig = weights.connectivity(a.w_rec, a.spectrum.eigenvalues)
    assert len(fig.axes) == 3  # heat map, colour bar, spectrum
    lo, hi = fig.axes[0].images[0].get_clim()
    assert lo == -hi  # a symmetric colour scale
    assert len(spectra.spectra_grid([("a", a.spectrum.eigenvalues)] * 4).axes) == 4
    fig = figures.eight_state(a.series, a.outputs, p.projected, cube.centroids)
    assert len(fig.axes) == 5 and fig.axes[4].name == "3d"  # state strip, 3 channels, trajectory
    strip_codes = {t.get_text() for t in fig.axes[0].texts}
    assert len(strip_codes) == 8  # every memory state's code in the strip above the traces
    fig = figures.cubes_grid([("a", p.projected, states, cube.centroids)] * 4, 3, [p.variance_ratio] * 4)
    assert len(fig.axes) == 4
    for ax in fig.axes:  # the cube's 12 edges, and the variance along each axis
        assert sum(line.get_gid() == "cube-edge" for line in ax.lines) == 12
        assert "% var.)" in ax.get_xlabel() and "% var.)" in ax.get_zlabel()
    assert len(training.training_curves([("a", a.run.history)]).axes) == 2


def test_training_curves_draw_each_runs_target():
    rows = [{"epoch": e, "loss": 0.1 / e, "val_mse": 0.05 / e, "val_bit_accuracy": 1 - 1e-3 / e} for e in (1, 2, 3)]
    fig = training.training_curves([("a", rows), ("b", rows)], [(0.9999, 0.005)] * 2)
    mse, err = fig.axes
    assert any(np.allclose(line.get_ydata(), 0.005) for line in mse.lines)
    assert any(np.allclose(line.get_ydata(), 1e-4) for line in err.lines)
    assert len(fig.legends) == 1 and not mse.get_legend() and not err.get_legend()
    assert "0.9999" in " ".join(t.get_text() for t in fig.legends[0].get_texts())
    fig = training.training_curves([("a", rows), ("b", rows)], [(0.999, 0.02), (0.9999, 0.005)])
    assert sum(np.allclose(line.get_ydata(), y) for line in fig.axes[0].lines for y in (0.02, 0.005)) == 2


def test_training_curves_follow_the_tasks_measure():
    rows = [{"epoch": e, "loss": 0.1, "val_mse": 0.05, "val_accuracy": 0.5 + 0.1 * e} for e in (1, 2)]
    fig = training.training_curves([("a", rows)], metric="accuracy")
    assert fig.axes[1].get_title() == "validation error"
    np.testing.assert_allclose(fig.axes[1].lines[0].get_ydata(), [0.4, 0.3])


def test_linearised_spectra_panels():
    rng = np.random.default_rng(1)
    w = rng.normal(size=50) * 1.1 + 1j * rng.normal(size=50)
    jac = np.concatenate([0.9 * np.exp(2j * np.pi * rng.random((3, 20))),  # stable points
                          np.c_[np.full((2, 1), 1.06), 0.5 * np.ones((2, 19))]])  # saddles, 1 mode
    fig = spectra.linearised_spectra(w, jac, np.array([0, 0, 0, 1, 1]))
    assert len(fig.axes) == 3 and all(ax.get_legend() for ax in fig.axes)
    labels = [t.get_text() for t in fig.axes[1].get_legend().get_texts()]
    assert any("2 saddles, 1 unstable mode" in t for t in labels)
    lo, hi = fig.axes[2].get_xlim()
    assert lo < 1 < hi and hi - lo < 1  # the zoom on lambda = 1


def test_fig3_names_the_gate_block():
    assert "candidate" in weights.matrix_name("gru") and "cell" in weights.matrix_name("lstm")
    assert weights.matrix_name("simplernn") == weights.matrix_name("ctrnn") == "$W^{rec}$"
    fig = weights.connectivity(np.eye(4), np.ones(4), "t", name=weights.matrix_name("gru"))
    assert "candidate" in fig.axes[0].get_title()


def test_state_and_bit_colours_are_distinct():
    assert len({figures.state_color(s) for s in range(8)}) == 8
    assert len({figures.bit_color(b) for b in range(3)}) == 3
