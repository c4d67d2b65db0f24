"""A griffe extension for the API pages: the Sphinx roles of our docstrings
(``:func:`~flipflop.x.f```) shown as code (`f`), as a reader of the source reads them."""
from __future__ import annotations

import re

import griffe

ROLE = re.compile(r":(?:func|class|meth|mod|attr|data|obj|exc):`(~?)([^`]+)`")


def plain(text: str) -> str:
    """``text`` with each role replaced by its target in backticks (the last part after ``~``)."""
    return ROLE.sub(lambda m: f"`{m.group(2).rsplit('.', 1)[-1] if m.group(1) else m.group(2)}`", text)


class Roles(griffe.Extension):
    def on_instance(self, *, obj: griffe.Object, **kwargs) -> None:
        if obj.docstring is not None:
            obj.docstring.value = plain(obj.docstring.value)
