"""`flipflop figures` on flip-flop runs: one consistent figure set, the REPORT naming it, errors,
the one-figure scripts, and the REPORT's provenance."""
import runpy
import sys
from pathlib import Path

import pytest

import flipflop
from flipflop.cli import main
from flipflop.reports import markdown
from flipflop.reports.analyse import analyse_run
from flipflop.reports.driver import draw_figures
from flipflop.tasks.flipflop import analysis as flipflop_analysis


def test_figure_folder_holds_one_set_and_report_names_it(quick, tmp_path, monkeypatch):
    root, _ = quick
    first, second = sorted((root / "runs").iterdir())[:2]
    stale = ["fig3_connectivity_old-run.png", "fig7_fixed_points_old-run.pdf", "training_curves.svg", "REPORT.md"]
    foreign = ["notes.txt", "fig3.png", "figure_data.csv", "my_fig.png"]
    for name in stale + foreign:
        (tmp_path / name).write_text("x")
    grids = []
    spectra_grid = flipflop_analysis.spectra_grid
    monkeypatch.setattr(flipflop_analysis, "spectra_grid",
                        lambda s: grids.append([label for label, _ in s]) or spectra_grid(s))
    written = draw_figures([first], tmp_path, ("png",), reference=second, fixed_points="never", log=lambda s: None)
    names = {p.name for p in tmp_path.iterdir()}
    assert not names & set(stale[:-1]) and "REPORT.md" in names
    assert set(foreign) <= names
    assert names == {p.name for p in written} | set(foreign)
    assert grids == [[first.name, f"{second.name} (reference)"]]  # the reference joins Fig. 4
    for label in (first.name, second.name):  # Figs. 3 and 5 for the reference too
        assert {f"fig3_connectivity_{label}.png", f"fig5_eight_states_{label}.png"} <= names
    assert not any(n.startswith(("fig7_", "fig8_")) for n in names)  # no fixed points asked for
    text = (tmp_path / "REPORT.md").read_text()
    for p in written:
        if p.name != "REPORT.md":
            assert f"`{p.name}`" in text
    assert f"flipflop {flipflop.__version__}, commit " in text and " UTC" in text


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
    a = analyse_run(tiny_run.path)
    assert a.task.n_bits == 2 and a.extras["cube"].centroids.shape == (4, 3) and a.gate == "recurrent"
    assert a.hidden.shape == (1, a.series.inputs.shape[1], 32) and a.evaluation is None  # the paper's: no fresh trials


@pytest.mark.parametrize("script", sorted(p.name for p in
                                         (Path(__file__).resolve().parents[2] / "scripts").glob("fig*.py"))
                         + ["training_curves.py"])
def test_figure_scripts_write_their_figure(quick, tmp_path, script, monkeypatch, capsys):
    root, _ = quick
    runs_ = sorted(str(p) for p in (root / "runs").iterdir())[:2]
    path = Path(__file__).resolve().parents[2] / "scripts" / script
    monkeypatch.setattr(sys, "argv", [script, "--runs", *runs_, "--out", str(tmp_path)])
    runpy.run_path(str(path), run_name="__main__")
    stem = script.removesuffix(".py")
    written = sorted(p.name for p in tmp_path.iterdir())
    printed = capsys.readouterr().out.split()
    assert written and sorted(Path(p).name for p in printed) == written  # it says what it wrote
    if stem == "fig7_fixed_points":  # Figs. 7 and 8 of each run with cached fixed points (the quick runs have)
        assert {n.split("_")[0] for n in written} == {"fig7", "fig8"}
    elif stem in ("fig3_connectivity", "fig5_eight_states"):  # one per run
        assert written == sorted(f"{stem}_{Path(r).name}.png" for r in runs_)
    else:
        assert written == [f"{stem}.png"]


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
    assert f"commit {head} of the flipflop checkout it ran in," in markdown.provenance(installed, checkout)
    assert "commit unknown," in markdown.provenance(installed, other)  # another repository says nothing
    assert "commit unknown," in markdown.provenance(installed, tmp_path)  # no repository at all
    mine = markdown._git(Path(flipflop.__file__).parent, "rev-parse", "--short", "HEAD")
    if mine is not None:  # an editable install in a checkout: its own commit
        assert f"commit {mine}," in markdown.provenance()
