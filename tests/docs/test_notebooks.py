"""The notebooks: at least one per chapter, output-free in git, a size switch first, only
the public API and no helpers of their own; each runs top to bottom at the small size, and
the figures they draw at the default size are those `flipflop figures` draws."""
import ast
import json
from pathlib import Path

import jupytext
import nbformat
import pytest
from nbclient.exceptions import CellExecutionError

ROOT = Path(__file__).resolve().parents[2]
SOURCES = sorted((ROOT / "notebooks").glob("[0-9][0-9]_*.py"))

STDLIB_AND_DISPLAY = {"os", "pathlib", "csv", "contextlib", "importlib", "numpy", "IPython"}


def test_there_is_a_notebook_per_chapter_and_none_is_stored_with_outputs():
    assert len(SOURCES) >= 8
    assert [s.name[:2] for s in SOURCES] == [f"{i:02d}" for i in range(1, len(SOURCES) + 1)]
    for ipynb in (ROOT / "notebooks").glob("*.ipynb"):  # jupytext files only; a stored .ipynb must be stripped
        assert not any(c.get("outputs") for c in json.loads(ipynb.read_text())["cells"]), ipynb


@pytest.mark.parametrize("source", SOURCES, ids=[s.stem for s in SOURCES])
def test_the_first_cell_sets_the_size_and_only_the_public_api_is_used(source):
    nb = jupytext.read(source)
    first = next(c for c in nb.cells if c.cell_type == "code")
    assert "parameters" in first.metadata.get("tags", []) and "FLIPFLOP_NOTEBOOK_SIZE" in first.source
    tree = ast.parse(source.read_text())
    defined = [n.name for n in ast.walk(tree) if isinstance(n, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef))]
    assert not defined, f"{source.name} defines {defined}: a helper belongs in the package, with a test"
    for node in ast.walk(tree):
        names = ([a.name for a in node.names] if isinstance(node, ast.Import)
                 else [node.module] if isinstance(node, ast.ImportFrom) else [])
        for name in names:
            top = name.split(".")[0]
            assert top == "flipflop" or top in STDLIB_AND_DISPLAY, f"{source.name} imports {name}"
            assert not any(part.startswith("_") for part in name.split(".")), f"{source.name} imports private {name}"
        if isinstance(node, ast.ImportFrom):
            assert not any(a.name.startswith("_") for a in node.names), f"{source.name}: private name from {node.module}"


@pytest.mark.parametrize("source", SOURCES, ids=[s.stem for s in SOURCES])
def test_each_notebook_runs_top_to_bottom_at_the_small_size(source, executed):
    path, seconds, cpu = executed(source, "small")
    nb = nbformat.read(path, as_version=4)
    code = [c for c in nb.cells if c.cell_type == "code"]
    assert all(c.get("execution_count") for c in code), "every cell ran"
    outputs = [o for c in code for o in c.outputs]
    assert not [o for o in outputs if o.output_type == "error"]
    images = [o for o in outputs if "image/png" in o.get("data", {})]
    skipped = any("checkpoint is not here" in o.get("text", "") for o in outputs)
    assert images or skipped, "a notebook draws its figures (only the paper's skips without its checkpoint)"
    print(f"{source.stem}: {seconds:.1f} s wall, {cpu:.1f} s CPU at the small size")


def test_a_notebook_that_raises_fails(tmp_path, executed):
    nb = nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell("x = 1"),
                                         nbformat.v4.new_code_cell("raise ValueError('broken chapter')")])
    source = tmp_path / "99_broken.py"
    jupytext.write(nb, source, fmt="py:percent")
    with pytest.raises(CellExecutionError, match="broken chapter"):
        executed.tool.execute(source, tmp_path / "out", "small")


COMPARED = {  # chapter -> the figures it draws that `flipflop figures` also draws
    "03_connectivity": ("fig3_connectivity_simplernn-400-seed0", "fig4_spectra"),
    "04_activity": ("fig5_eight_states_simplernn-400-seed0", "fig6_cubes"),
    "05_fixed_points": ("fig7_fixed_points_simplernn-400-seed0", "fig8_linearised_simplernn-400-seed0")}


@pytest.mark.parametrize("chapter", sorted(COMPARED))
def test_the_size_changes_nothing_before_the_compared_figures_are_drawn(chapter):
    """So the small run draws them as the default run does: SIZE is read only after the
    last cell that draws one of them (in chapter 5, by the live search that follows)."""
    cells = [c.source for c in jupytext.read(ROOT / "notebooks" / f"{chapter}.py").cells if c.cell_type == "code"]
    last = max(i for i, c in enumerate(cells) if any(f.rsplit("_simplernn", 1)[0] in c for f in COMPARED[chapter]))
    assert all("SIZE" not in c for c in cells[1:last + 1]), chapter


@pytest.mark.parametrize("chapter", sorted(COMPARED))
def test_the_figures_a_notebook_draws_are_those_flipflop_figures_draws(chapter, executed, tmp_path_factory):
    import matplotlib.image

    from flipflop.cli import main

    cli = tmp_path_factory.getbasetemp() / "flipflop-figures"
    if not cli.is_dir():  # `flipflop figures`: the shipped networks, their cached fixed points
        assert main(["figures", "--out", str(cli)]) == 0
    executed(next(s for s in SOURCES if s.stem == chapter), "small")
    ours = executed.figures("small") / chapter
    for stem in COMPARED[chapter]:
        a, b = ours / f"{stem}.png", cli / f"{stem}.png"
        assert a.read_bytes() == b.read_bytes(), stem  # the same file
        assert (matplotlib.image.imread(a) == matplotlib.image.imread(b)).all()
