"""``python -m flipflop.cli``: the ``flipflop`` command."""
import sys

from flipflop.cli import main

sys.exit(main())
