"""The ``flipflop`` command line: a thin layer over the library.

Bad input prints one line ``flipflop: error: ...`` and exits with status 2.
"""
from __future__ import annotations

import errno
import os
import sys

from flipflop.cli.parser import EXIT_USAGE, build_parser
from flipflop.errors import FlipFlopError

_IO_ERRORS = {errno.ENOSPC, errno.EDQUOT, errno.EROFS, errno.EACCES, errno.EPERM, errno.EIO}


def main(argv: list[str] | None = None) -> int:
    """Run the ``flipflop`` command with ``argv`` (default: the process's); returns its exit status."""
    try:
        parser = build_parser()
        args = parser.parse_args(argv)
        if args.command is None:  # `flipflop` alone: the command list
            parser.print_help()
            return 0
        if args.verbose:
            os.environ["FLIPFLOP_VERBOSE"] = "1"
        import matplotlib

        matplotlib.use("Agg")  # files only, no window
        import flipflop.backend  # noqa: F401  (TensorFlow, quietly unless --verbose)
        from flipflop.cli.commands import COMMANDS

        return COMMANDS[args.command](args)
    except FlipFlopError as e:
        print(f"flipflop: error: {e}", file=sys.stderr)
        return EXIT_USAGE
    except OSError as e:  # a full disk or lost permission outside our atomic writers
        if e.errno not in _IO_ERRORS:
            raise
        where = f" ({e.filename})" if e.filename else ""
        print(f"flipflop: error: {e.strerror or e}{where}; completed epochs and files are kept, "
              "rerun the same command once fixed", file=sys.stderr)
        return EXIT_USAGE
    except KeyboardInterrupt:
        print("flipflop: interrupted; run the same command again to resume", file=sys.stderr)
        return 130


__all__ = ["main", "build_parser"]
