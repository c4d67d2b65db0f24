"""``python -m flipflop.cli``: the ``flipflop`` command."""
from flipflop.cli import run

run()
