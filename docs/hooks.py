"""MkDocs hooks: the site's generated pages, so that nothing in docs/ is a copy that can rot.

- The notebooks of ``notebooks/`` (jupytext percent files) become pages, in chapter order,
  under "Notebooks" in the nav: executed ones from ``$FLIPFLOP_DOCS_NOTEBOOKS`` (a folder
  of ``.ipynb`` written by ``docs/notebooks.py``), else the sources without outputs.
- ``reference/cli.md`` is generated from the parser (``flipflop.cli.parser.build_parser``),
  ``reference/tasks.md`` from ``flipflop tasks --json``, ``reference/api.md`` from the public
  API's table (``flipflop._API``) and the modules the notebooks import.
- ``<!-- readme: Heading -->`` in a page is replaced by that section of README.md (the text
  before the first section for ``intro``), its links rewritten for the site; README
  sections no page includes go to ``more.md``. ``figures/*.png`` are copied for them.
"""
from __future__ import annotations

import argparse
import ast
import contextlib
import io
import json
import os
import re
import shutil
import tempfile
from pathlib import Path

from mkdocs.plugins import event_priority
from mkdocs.structure.files import File, Files

ROOT = Path(__file__).resolve().parents[1]
README = ROOT / "README.md"
NOTEBOOKS = ROOT / "notebooks"
DIRECTIVE = re.compile(r"^<!-- readme: (.+?) -->$", re.M)
FENCE = re.compile(r"^\s*(```|~~~)")
MORE = "more.md"


# ------------------------------------------------------------------ README sections

def readme_sections(text: str | None = None) -> dict[str, list[str]]:
    """Top-level (``##``) sections of the README by heading, each its lines with the heading;
    ``intro``: the lines between the title and the first section."""
    lines = (text if text is not None else README.read_text()).splitlines()
    sections: dict[str, list[str]] = {"intro": []}
    current, fenced = "intro", False
    for line in lines:
        if FENCE.match(line):
            fenced = not fenced
        if not fenced and line.startswith("# "):
            continue  # the title
        if not fenced and line.startswith("## "):
            current = line[3:].strip()
            sections[current] = []
        sections[current].append(line)
    return sections


def find_section(sections: dict[str, list[str]], name: str) -> str:
    """The heading of the section called ``name``, or the one heading that starts with it."""
    if name in sections:
        return name
    found = [h for h in sections if h.startswith(name)]
    if len(found) != 1:
        raise KeyError(f"README.md has {'no' if not found else 'several'} sections called {name!r} "
                       f"(sections: {', '.join(sections)})")
    return found[0]


def slugify(heading: str) -> str:
    """GitHub's anchor of a heading (as pymdownx.slugs.slugify with case=lower makes it)."""
    from pymdownx.slugs import slugify as make

    return make(case="lower")(heading, "-")


def headings(lines: list[str]) -> list[tuple[int, str]]:
    """(level, text) of the Markdown headings outside code blocks."""
    out, fenced = [], False
    for line in lines:
        if FENCE.match(line):
            fenced = not fenced
        elif not fenced and (m := re.match(r"^(#{1,6}) (.+)$", line)):
            out.append((len(m.group(1)), m.group(2).strip()))
    return out


def shifted(lines: list[str], base: int) -> list[str]:
    """The section's lines with its headings moved so that its top one is at level ``base``."""
    out, fenced, top = [], False, None
    for line in lines:
        if FENCE.match(line):
            fenced = not fenced
        m = None if fenced else re.match(r"^(#{1,6}) ", line)
        if m:
            top = top or len(m.group(1))
            line = "#" * max(1, len(m.group(1)) - top + base) + line[len(m.group(1)):]
        out.append(line)
    return out


def placements(docs_dir: Path) -> dict[str, str]:
    """README section -> the page (path under docs/) that includes it."""
    sections, placed = readme_sections(), {}
    for page in sorted(docs_dir.rglob("*.md")):
        for name in DIRECTIVE.findall(page.read_text()):
            placed[find_section(sections, name)] = page.relative_to(docs_dir).as_posix()
    for name in sections:
        placed.setdefault(name, MORE)
    return placed


def rewrite_links(text: str, page: str, anchors: dict[str, str]) -> str:
    """README links made right for ``page``: ``#anchor`` to the page holding it, repository
    files (``figures/x.png``) relative to the page."""
    up = "../" * page.count("/")

    def fix(m: re.Match) -> str:
        target = m.group(2)
        if target.startswith("#"):
            where = anchors.get(target[1:])
            target = target if where in (None, page) else up + where + target
        elif not re.match(r"^[a-z]+:", target):  # a repository file; a notebook's page is its .ipynb
            target = up + re.sub(r"^(notebooks/\d\d_\w+)\.py$", r"\1.ipynb", target)
        return f"{m.group(1)}({target})"

    return re.sub(r"(\]\s?)\(([^)\s]+)\)", fix, text)


def include_readme(markdown: str, page: str, docs_dir: Path) -> str:
    """``markdown`` with each ``<!-- readme: ... -->`` replaced by its README section."""
    if not DIRECTIVE.search(markdown):
        return markdown
    sections, placed = readme_sections(), placements(docs_dir)
    anchors = {slugify(text): placed[name] for name, lines in sections.items() for _, text in headings(lines)}
    base = 2 if re.search(r"^# ", DIRECTIVE.split(markdown)[0], re.M) else 1

    def replace(m: re.Match) -> str:
        name = find_section(sections, m.group(1))
        return rewrite_links("\n".join(shifted(sections[name], base)), page, anchors)

    return DIRECTIVE.sub(replace, markdown)


def more_page(docs_dir: Path) -> str | None:
    """The README sections no page includes, as one page (None if every one is placed)."""
    sections = readme_sections()
    left = [name for name, page in placements(docs_dir).items() if page == MORE and name != "intro"]
    if not left:
        return None
    return "# More from the README\n\n" + "\n\n".join(f"<!-- readme: {name} -->" for name in left) + "\n"


# ------------------------------------------------------------------ generated references

def _escape(text: str) -> str:
    return (text or "").replace("|", "\\|").replace("\n", " ").replace("<", "&lt;")


def _option(action: argparse.Action) -> str:
    names = ", ".join(f"`{o}`" for o in action.option_strings) or f"`{action.metavar or action.dest}`"
    takes = action.nargs != 0 and action.option_strings
    return names + (f" `{action.metavar or action.dest.upper()}`" if takes else "")


def cli_page() -> str:
    """The command-line reference: every subcommand of the parser, its groups and arguments."""
    from flipflop.cli.parser import build_parser

    os.environ.setdefault("COLUMNS", "100")
    parser = build_parser()
    sub = next(a for a in parser._actions if isinstance(a, argparse._SubParsersAction))
    helps = {c.dest: c.help for c in sub._choices_actions}
    lines = ["# Command line", "", "Generated from the parser (`flipflop COMMAND --help` prints the same).",
             "", "```text", parser.format_usage().strip(), "```", "", "| command | what it does |", "|---|---|"]
    lines += [f"| [`{name}`](#flipflop-{name}) | {_escape(helps.get(name, ''))} |" for name in sub.choices]
    for name, p in sub.choices.items():
        lines += ["", f"## flipflop {name}", "", _escape(helps.get(name, "")), "", "```text",
                  p.format_usage().strip(), "```"]
        for group in p._action_groups:
            actions = [a for a in group._group_actions if not isinstance(a, argparse._HelpAction)]
            if not actions:
                continue
            title = {"positional arguments": "Arguments", "options": "Options"}.get(group.title, group.title)
            lines += ["", f"**{_escape(title)}**", "", "| argument | meaning |", "|---|---|"]
            lines += [f"| {_option(a)} | {_escape(a.help)} |" for a in actions]
    return "\n".join(lines) + "\n"


def tasks_json() -> list[dict]:
    """What ``flipflop tasks --json`` prints."""
    from flipflop.cli import main

    out = io.StringIO()
    with contextlib.redirect_stdout(out):
        if main(["tasks", "--json"]) != 0:
            raise RuntimeError("flipflop tasks --json failed")
    return json.loads(out.getvalue())


def tasks_page() -> str:
    """The tasks' reference: every registered task, its parameters, channels and periods."""
    tasks = tasks_json()
    lines = ["# Tasks", "", "Generated from the registry (`flipflop tasks --json`). Times are in ms. "
             "Set a parameter with `flipflop train --task NAME --task-param NAME=VALUE` or "
             "`flipflop.make_task({\"name\": ..., ...})`. NeuroGym's environments are tasks too "
             "(`neurogym:<EnvId>`, with the `[neurogym]` extra): `flipflop tasks --neurogym` lists them.", ""]
    lines += [f"- [`{t['name']}`](#{slugify(t['name'])}): {_escape(t['summary'])}" for t in tasks]
    for t in tasks:
        lines += ["", f"## {t['name']}", "", _escape(t["summary"]), "", f"Performance measure: `{t['metric']}`."]
        if t["periods"]:
            lines += ["", "Periods: " + ", ".join(f"`{p}`" for p in t["periods"]) + "."]
        lines += ["", "| parameter | default | unit | allowed | meaning |", "|---|---|---|---|---|"]
        lines += [f"| `{p['name']}` | `{p['default']}` | {p['unit']} | {_escape(p['allowed'])} | {_escape(p['help'])} |"
                  for p in t["parameters"]]
        for kind in ("inputs", "outputs"):
            lines += ["", f"**{kind.capitalize()}**: " + "; ".join(f"`{c['name']}` ({_escape(c['meaning'])})"
                                                               for c in t[kind]) + "."]
    return "\n".join(lines) + "\n"


def notebook_modules() -> list[str]:
    """The flipflop modules the notebooks import (``from flipflop.x import y``), sorted."""
    found = set()
    for source in sorted(NOTEBOOKS.glob("[0-9][0-9]_*.py")):
        for node in ast.walk(ast.parse(source.read_text())):
            if isinstance(node, ast.ImportFrom) and node.module and node.module.startswith("flipflop."):
                found.add(node.module)
    return sorted(found)


def api_page() -> str:
    """The API reference: each public name of ``import flipflop``, then the notebooks' modules."""
    import flipflop

    lines = ["# Python API", "", "Generated from the docstrings. `import flipflop` loads no TensorFlow until "
             "one of these names is used.", "", "## The public API", ""]
    for name, (module, attribute) in flipflop._API.items():
        lines += [f"::: {module}.{attribute}", "    options:", "      show_root_heading: true",
                  f'      heading: "flipflop.{name}"', f'      toc_label: "flipflop.{name}"', "      heading_level: 3", "",
                  f"(defined in `{module}`)", ""]
    lines += ["## Modules the notebooks use", ""]
    for module in notebook_modules():
        lines += [f"::: {module}", "    options:", "      show_root_heading: true", "      show_root_full_path: true",
                  "      heading_level: 3", ""]
    return "\n".join(lines)


# ------------------------------------------------------------------ notebooks

def notebook_files(scratch: Path) -> list[Path]:
    """The notebooks as ``scratch/notebooks/*.ipynb``: the executed ones from
    ``$FLIPFLOP_DOCS_NOTEBOOKS`` where present, else each source without outputs."""
    import jupytext

    executed = Path(os.environ["FLIPFLOP_DOCS_NOTEBOOKS"]) if os.environ.get("FLIPFLOP_DOCS_NOTEBOOKS") else None
    (scratch / "notebooks").mkdir(parents=True, exist_ok=True)
    out = []
    for source in sorted(NOTEBOOKS.glob("[0-9][0-9]_*.py")):
        done = executed / f"{source.stem}.ipynb" if executed else None
        target = scratch / "notebooks" / f"{source.stem}.ipynb"
        if done is not None and done.is_file():
            shutil.copyfile(done, target)
        else:
            jupytext.write(jupytext.read(source), target)
        out.append(target)
    return out


def notebook_title(source: Path) -> str:
    """A notebook's first H1, without its chapter number."""
    m = re.search(r"^# # (?:\d+\.\s*)?(.+)$", source.read_text(), re.M)
    return m.group(1).strip() if m else source.stem


# ------------------------------------------------------------------ the hooks

_SCRATCH: dict[str, Path] = {}


def on_config(config, **kwargs):
    sources = sorted(NOTEBOOKS.glob("[0-9][0-9]_*.py"))
    entries = [{f"{int(s.stem[:2])}. {notebook_title(s)}": f"notebooks/{s.stem}.ipynb"} for s in sources]
    for item in config["nav"]:
        if isinstance(item, dict) and "Notebooks" in item:
            item["Notebooks"] = entries
    if more_page(Path(config["docs_dir"])) is not None:
        config["nav"].append({"More": MORE})
    return config


@event_priority(100)  # before mkdocs-jupyter's on_files, which turns the notebooks into pages
def on_files(files: Files, config, **kwargs) -> Files:
    scratch = Path(tempfile.mkdtemp(prefix="flipflop-docs-"))
    _SCRATCH["dir"] = scratch
    for nb in notebook_files(scratch):
        files.append(File(f"notebooks/{nb.name}", str(scratch), config["site_dir"], config["use_directory_urls"]))
    for png in sorted((ROOT / "figures").rglob("*.png")):
        files.append(File(png.relative_to(ROOT).as_posix(), str(ROOT), config["site_dir"], config["use_directory_urls"]))
    generated = {"reference/cli.md": cli_page(), "reference/tasks.md": tasks_page(), "reference/api.md": api_page()}
    more = more_page(Path(config["docs_dir"]))
    if more is not None:
        generated[MORE] = more
    for uri, content in generated.items():
        files.append(File.generated(config, uri, content=content))
    return files


def on_page_markdown(markdown: str, page, config, files, **kwargs) -> str:
    return include_readme(markdown, page.file.src_uri, Path(config["docs_dir"]))


def on_post_page(output: str, page, config, **kwargs) -> str:
    """A notebook's page links its ``.ipynb`` (copied beside it by mkdocs-jupyter's include_source)."""
    uri = page.file.src_uri
    if not (uri.startswith("notebooks/") and uri.endswith(".ipynb")):
        return output
    name = uri.rsplit("/", 1)[-1]
    link = (f'<p><a href="{name}" download>Download this notebook</a> (<code>notebooks/{name[:-6]}.py</code> '
            "in the repository, a jupytext file)</p>")
    return output.replace("</h1>", "</h1>\n" + link, 1)
