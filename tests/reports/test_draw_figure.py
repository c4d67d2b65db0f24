"""`flipflop.draw_figure`: one figure of `flipflop figures`, the same file once saved."""
import pytest

import flipflop
from flipflop.errors import FlipFlopError
from flipflop.plotting.io import save_figure
from flipflop.reports.analyse import analyse_run
from flipflop.reports.driver import draw_figures


def test_each_figure_equals_the_one_figures_saves(quick, tmp_path):
    root, _ = quick
    paths = sorted((root / "runs").iterdir())[:2]
    written = draw_figures(paths, tmp_path / "cli", ("png",), log=lambda s: None)
    analyses = [analyse_run(p) for p in paths]
    pngs = sorted(p for p in written if p.suffix == ".png")
    assert {p.stem for p in pngs} >= {"fig4_spectra", f"fig7_fixed_points_{paths[0].name}",
                                      f"fig3_connectivity_{paths[0].name}"}
    for png in pngs:
        ours = save_figure(flipflop.draw_figure(analyses, png.stem), tmp_path / "ours" / png.stem)[0]
        assert ours.read_bytes() == png.read_bytes(), png.name


def test_a_per_run_figure_by_its_stem_alone_is_the_main_runs(quick, tmp_path):
    root, _ = quick
    first, second = sorted((root / "runs").iterdir())[:2]
    analyses = [analyse_run(first), analyse_run(second)]
    short = save_figure(flipflop.draw_figure(analyses, "fig3_connectivity"), tmp_path / "a")[0]
    full = save_figure(flipflop.draw_figure(analyses, f"fig3_connectivity_{first.name}"), tmp_path / "b")[0]
    other = save_figure(flipflop.draw_figure(analyses[:1], f"fig3_connectivity_{second.name}", reference=analyses[1]),
                        tmp_path / "c")[0]  # a "main" figure: another run's only as the reference
    assert short.read_bytes() == full.read_bytes() != other.read_bytes()
    assert flipflop.draw_figure(analyses[0], "fig4_spectra") is not None  # one analysis, not a list


def test_an_unknown_figure_names_the_known_ones(quick):
    root, _ = quick
    a = analyse_run(sorted((root / "runs").iterdir())[0], fixed_points="never")
    with pytest.raises(FlipFlopError, match="no figure 'fig9'.*fig4_spectra"):
        flipflop.draw_figure(a, "fig9")
    assert flipflop.draw_figure(a, "fig7_fixed_points") is None  # no fixed points: nothing drawn


def test_a_dot_in_a_figure_name_is_part_of_it(tmp_path):
    """yang19.dm1-v0's figures: the name keeps its dot (it once became trajectories_yang19.png)."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    written = save_figure(plt.figure(), tmp_path / "trajectories_gru-8-neurogym_yang19.dm1-v0-seed0", ("png", "svg"))
    assert [p.name for p in written] == ["trajectories_gru-8-neurogym_yang19.dm1-v0-seed0.png",
                                         "trajectories_gru-8-neurogym_yang19.dm1-v0-seed0.svg"]
    assert all(p.is_file() for p in written)
