"""The documentation site: `mkdocs build --strict` over the executed notebooks, its generated
pages (CLI from the parser, tasks from the registry, API from the docstrings), the README's
sections each on a page, and strictness that a broken link does fail."""
import html
import re
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
SOURCES = sorted((ROOT / "notebooks").glob("[0-9][0-9]_*.py"))


def mkdocs(*args: str, cwd: Path = ROOT, env: dict | None = None) -> subprocess.CompletedProcess:
    import os

    return subprocess.run([sys.executable, "-m", "mkdocs", "build", "--strict", *args], cwd=cwd, text=True,
                          capture_output=True, env={**os.environ, "NO_MKDOCS_2_WARNING": "1", **(env or {})})


@pytest.fixture(scope="module")
def site(executed, tmp_path_factory):
    for source in SOURCES:  # the small size: what CI executes anyway (each notebook runs once)
        executed(source, "small")
    out = tmp_path_factory.mktemp("site")
    done = mkdocs("--site-dir", str(out), env={"FLIPFLOP_DOCS_NOTEBOOKS": str(executed.folder("small"))})
    assert done.returncode == 0, done.stderr[-3000:]
    assert "WARNING" not in done.stderr, done.stderr[-3000:]
    return out


def test_the_site_builds_strict_with_the_notebooks_rendered_with_their_figures(site):
    home = (site / "index.html").read_text()
    text = html.unescape(re.sub(r"<[^>]+>", "", home))
    ci = (ROOT / ".ci" / "run").read_text().strip().splitlines()[-1]
    assert ci.startswith("python3 -m pip install -e") and ci in text  # the README's two commands, CI's verbatim
    assert "python3 -m pip install . && flipflop reproduce" in text and 'class="highlight"' in home
    for source in SOURCES:
        page = (site / "notebooks" / source.stem / "index.html").read_text()
        assert page.count("data:image/png;base64") >= (0 if source.stem.startswith("06") else 1), source.stem
        assert f'href="{source.stem}.ipynb"' in page and (site / "notebooks" / source.stem / f"{source.stem}.ipynb").is_file()
        assert f"notebooks/{source.stem}/" in home  # in the navigation


def test_the_cli_page_has_every_command_and_flag_of_the_parser(site):
    import argparse

    from flipflop.cli.parser import build_parser

    page = (site / "reference" / "cli" / "index.html").read_text()
    sub = next(a for a in build_parser()._actions if isinstance(a, argparse._SubParsersAction))
    for name, parser in sub.choices.items():
        assert f'id="flipflop-{name}"' in page, name
        for action in parser._actions:
            for option in [] if isinstance(action, argparse._HelpAction) else action.option_strings:
                assert f"<code>{option}</code>" in page, (name, option)


def test_the_tasks_page_has_every_registered_task_and_parameter(site):
    import flipflop

    page = (site / "reference" / "tasks" / "index.html").read_text()
    for name, cls in flipflop.TASKS.items():
        assert f'id="{name.replace("_", "_")}"' in page or f'id="{name}"' in page, name
        for p in cls.describe()["parameters"]:
            assert f"<code>{p['name']}</code>" in page, (name, p["name"])


def test_the_api_page_renders_each_public_names_docstring(site):
    import importlib

    import flipflop

    page = (site / "reference" / "api" / "index.html").read_text()
    for name, (module, attribute) in flipflop._API.items():
        assert f"flipflop.{name}" in page, name
        obj = getattr(importlib.import_module(module), attribute)
        doc = obj.__doc__ if callable(obj) else None  # TASKS, a dict, has only dict's
        if doc:
            words = re.sub(r"[`*:]", "", doc.strip().split(".")[0]).split()[:3]
            assert " ".join(words) in re.sub(r"<[^>]+>", "", page).replace("\n", " "), (name, words)


def test_every_readme_section_is_on_a_page_and_its_links_are_rewritten(executed):
    hooks = executed.load_tool("hooks")
    sections = hooks.readme_sections()
    headings = [line[3:] for line in (ROOT / "README.md").read_text().splitlines() if line.startswith("## ")]
    assert set(headings) <= set(sections) and len(headings) >= 8
    placed = hooks.placements(ROOT / "docs")
    assert all(page != hooks.MORE for name, page in placed.items()), "a README section is on no page (more.md)"
    anchors = {"reliability": "reliability.md"}
    text = hooks.rewrite_links("see [R](#reliability), ![f](figures/a.png), [n](notebooks/01_task.py) and "
                               "[x](https://x.org)", "reference/cli.md", anchors)
    assert text == ("see [R](../reliability.md#reliability), ![f](../figures/a.png), [n](../notebooks/01_task.ipynb) "
                    "and [x](https://x.org)")


def test_strict_is_meaningful_a_broken_link_or_anchor_fails(tmp_path):
    import yaml

    ours = yaml.safe_load(re.sub(r"!!python\S*", "", (ROOT / "mkdocs.yml").read_text()))
    (tmp_path / "docs").mkdir()
    (tmp_path / "mkdocs.yml").write_text(yaml.safe_dump({"site_name": "t", "validation": ours["validation"]}))
    for page, ok in (("[a](other.md)", False), ("[a](#nowhere)", False), ("# T\n\n[a](#t)", True)):
        (tmp_path / "docs" / "index.md").write_text(page + "\n")
        assert (mkdocs(cwd=tmp_path).returncode == 0) == ok, page


def test_sphinx_roles_in_docstrings_are_shown_as_code(executed):
    roles = executed.load_tool("griffe_roles")
    assert roles.plain("a :class:`Task` or :func:`~flipflop.x.f` in :mod:`flipflop.runs`, ``x``") == \
        "a `Task` or `f` in `flipflop.runs`, ``x``"


def test_every_navigation_link_of_every_page_leads_to_a_page(site):
    for page in site.rglob("index.html"):
        for href in re.findall(r'href="([^"#]+)"\s+class="md-nav__link', page.read_text()):
            target = (page.parent / href).resolve()
            assert (target / "index.html").is_file() or target.is_file(), (page.relative_to(site), href)
