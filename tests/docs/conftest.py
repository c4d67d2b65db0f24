"""The notebooks, executed once per session at a size (``docs/notebooks.py``), shared by the
notebook and site tests."""
import importlib.util
import os
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]


def load_tool(name: str):
    """``docs/<name>.py`` as a module (docs/ is not a package)."""
    spec = importlib.util.spec_from_file_location(f"flipflop_docs_{name}", ROOT / "docs" / f"{name}.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


class Executed:
    """Each notebook run at most once per size: (executed .ipynb, seconds), figures under ``figures``."""

    def __init__(self, root: Path):
        self.root, self.done, self.tool, self.load_tool = root, {}, load_tool("notebooks"), load_tool

    def figures(self, size: str) -> Path:
        return self.root / size / "figures"

    def folder(self, size: str) -> Path:
        return self.root / size / "notebooks"

    def __call__(self, source: Path, size: str = "small"):
        key = (source.stem, size)
        if key not in self.done:
            self.done[key] = self.tool.execute(source, self.folder(size), size, self.figures(size))
        return self.done[key]


@pytest.fixture(scope="session")
def executed(tmp_path_factory):
    os.environ.setdefault("NO_MKDOCS_2_WARNING", "1")
    return Executed(tmp_path_factory.mktemp("notebooks"))
