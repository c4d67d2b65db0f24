"""The package's layers: nothing imports upward or in a circle, and no task is named outside tasks/.

Every ``import`` in every module counts, those inside functions too (a lazy import is
still a dependency). Ranks go up from the errors to the command line; a module may import
modules of its own rank or below.
"""
import ast
import re
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
PACKAGE = ROOT / "flipflop"

# (pattern on the dotted module name, rank), the first match wins.
LAYERS = [
    (r"flipflop(\.(errors|backend|progress))?", 0),
    (r"flipflop\.tasks\.(default_analysis|\w+\.(analysis|figures|cube))", 10),
    (r"flipflop\.tasks(\..*)?", 1),
    (r"flipflop\.models(\..*)?", 2),
    (r"flipflop\.runs\.legacy", 5),
    (r"flipflop\.runs\.inspect", 9),
    (r"flipflop\.runs(\..*)?", 3),
    (r"flipflop\.training(\..*)?", 4),
    (r"flipflop\.dynamics(\..*)?", 6),
    (r"flipflop\.analysis(\..*)?", 7),
    (r"flipflop\.plotting(\..*)?", 8),
    (r"flipflop\.reports(\..*)?", 11),
    (r"flipflop\.experiments(\..*)?", 12),
    (r"flipflop\.sweep(\..*)?", 13),
    (r"flipflop\.cli(\..*)?", 14),
]


def module_name(path: Path) -> str:
    parts = path.relative_to(ROOT).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


MODULES = {module_name(p): p for p in PACKAGE.rglob("*.py")}


def rank(module: str) -> int:
    for pattern, r in LAYERS:
        if re.fullmatch(pattern, module):
            return r
    raise AssertionError(f"{module} is in no layer of the table")


def imports(path: Path) -> set[str]:
    """The flipflop modules that ``path`` imports, anywhere in it (``from a import b`` names
    module ``a.b`` when that is a module, else ``a``)."""
    out = set()
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.Import):
            out |= {a.name for a in node.names if a.name.split(".")[0] == "flipflop"}
        elif isinstance(node, ast.ImportFrom) and node.module and node.module.split(".")[0] == "flipflop":
            for a in node.names:
                full = f"{node.module}.{a.name}"
                out.add(full if full in MODULES else node.module)
    return out - {module_name(path)}


GRAPH = {name: imports(path) for name, path in MODULES.items()}


def test_every_folder_is_a_package_that_setuptools_installs():
    from setuptools import find_packages

    folders = {module_name(p.parent / "__init__.py") for p in PACKAGE.rglob("*.py") if "__pycache__" not in p.parts}
    assert folders <= set(find_packages(str(ROOT), include=["flipflop*"]))  # a folder without __init__.py is left out


def test_every_module_is_in_a_layer():
    assert len(MODULES) > 60 and all(rank(m) >= 0 for m in MODULES)


@pytest.mark.parametrize("module", sorted(MODULES))
def test_nothing_imports_upward(module):
    upward = {m: rank(m) for m in GRAPH[module] if rank(m) > rank(module)}
    assert not upward, f"{module} (rank {rank(module)}) imports {upward}"


def test_no_import_cycles():
    state: dict[str, int] = {}

    def visit(m: str, path: list[str]) -> None:
        state[m] = 1
        for n in sorted(GRAPH.get(m, ())):
            if state.get(n) == 1:
                raise AssertionError("import cycle: " + " -> ".join(path[path.index(n):] + [n]))
            if n not in state:
                visit(n, path + [n])
        state[m] = 2

    for m in sorted(GRAPH):
        if m not in state:
            visit(m, [m])


def test_the_layer_table_is_not_vacuous():
    # an upward import planted in a copy of the graph is caught
    planted = {**GRAPH, "flipflop.models.build": GRAPH["flipflop.models.build"] | {"flipflop.reports.driver"}}
    assert any(rank(n) > rank(m) for m, ns in planted.items() for n in ns)


TASK_NAMES = ("flipflop", "perceptual_dm", "context_dm", "parametric_wm", "match_category", "delay_match_sample")
TASK_CLASSES = ("FlipFlopTask", "PerceptualDMTask", "ContextDMTask", "ParametricWMTask", "MatchCategoryTask",
                "DelayMatchSampleTask")
# Outside tasks/, a task may be named only by the registry and by the experiments' data.
ALLOWED = {"flipflop/tasks/__init__.py", "flipflop/experiments/paper.py", "flipflop/experiments/primer.py"}


# Where "flipflop" names the package, not the task.
PACKAGE_NAME = re.compile(r"""(package|prog)="flipflop"|/ "flipflop" /|module 'flipflop'|\{"flipflop": __version__""")


def task_mentions(text: str) -> list[str]:
    """Quoted task names ("flipflop" as a task, not as the package) and task class names."""
    text = PACKAGE_NAME.sub("", text)
    quoted = re.findall(r"""["'](%s)["']""" % "|".join(TASK_NAMES), text)
    classes = re.findall(r"\b(%s)\b" % "|".join(TASK_CLASSES), text)
    return quoted + classes


def test_no_task_is_named_outside_its_folder():
    found = {}
    for path in PACKAGE.rglob("*.py"):
        rel = path.relative_to(ROOT).as_posix()
        if rel.startswith("flipflop/tasks/") and rel != "flipflop/tasks/__init__.py" or rel in ALLOWED:
            continue
        hits = task_mentions(path.read_text())
        if hits:
            found[rel] = hits
    assert not found, found


def test_the_name_check_would_see_a_name():
    assert task_mentions('if task.name == "context_dm": FlipFlopTask()') == ["context_dm", "FlipFlopTask"]
    assert task_mentions("import flipflop.tasks") == [] and task_mentions('prog="flipflop"') == []
    assert task_mentions('tasks = ("flipflop",)') == ["flipflop"]


def test_no_module_is_long():
    long = {m: n for m, p in MODULES.items() if (n := len(p.read_text().splitlines())) > 400}
    assert not long, long
