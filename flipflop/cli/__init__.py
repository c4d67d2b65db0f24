"""The ``flipflop`` command line: a thin layer over the library.

Bad input prints one line ``flipflop: error: ...`` and exits with status 2. Every command's
arguments, files and resources are checked first (:mod:`flipflop.cli.checks`), without
TensorFlow, Keras, Ray or matplotlib, which only the command itself loads. Ctrl-C ends
with status 130 and SIGTERM with 143, in one line, the folder's lock released and the
run resumable; a closed pipe (``flipflop tasks | head``) ends quietly, with status 141.
"""
from __future__ import annotations

import errno
import gc
import os
import signal
import sys
import threading

from flipflop.cli.parser import EXIT_USAGE, build_parser
from flipflop.errors import FlipFlopError

_IO_ERRORS = {errno.ENOSPC, errno.EDQUOT, errno.EROFS, errno.EACCES, errno.EPERM, errno.EIO, errno.ENAMETOOLONG,
              errno.ENOTDIR, errno.EISDIR, errno.EEXIST, errno.ENOENT, errno.ELOOP}
EXIT_INTERRUPTED = 130  # 128 + SIGINT
EXIT_TERMINATED = 143  # 128 + SIGTERM
EXIT_PIPE = 141  # 128 + SIGPIPE: what a shell reports for a reader that stopped early


class Terminated(KeyboardInterrupt):
    """SIGTERM, raised in the main thread: unwinds like Ctrl-C (locks released, runs resumable)."""


def _terminate(signum, frame) -> None:
    raise Terminated()


def main(argv: list[str] | None = None) -> int:
    """Run the ``flipflop`` command with ``argv`` (default: the process's); returns its exit status."""
    in_main = threading.current_thread() is threading.main_thread()
    previous = signal.signal(signal.SIGTERM, _terminate) if in_main else None
    try:
        return _main(argv)
    except BrokenPipeError:  # the reader went away: say nothing more, to anyone
        _silence_stdout()
        return EXIT_PIPE
    finally:
        if in_main:
            signal.signal(signal.SIGTERM, previous if previous is not None else signal.SIG_DFL)


def run() -> None:
    """The ``flipflop`` program: :func:`main` on the process's arguments, then exit with its status.

    Before exiting, the objects left are frozen out of the cyclic garbage collector
    (``gc.freeze``): Python's finalisation otherwise walks every object TensorFlow and Keras
    made, 1.2-2.1 s measured after ``flipflop fixed-points``, against 0.2-0.4 s frozen. They are
    freed at exit as before. Only the program does this; :func:`main` leaves the collector as
    it is, for callers that go on.
    """
    status = main()
    gc.freeze()
    sys.exit(status)


def _main(argv: list[str] | None) -> int:
    try:
        parser = build_parser()
        args = parser.parse_args(argv)
        if args.command is None:  # `flipflop` alone: the command list
            parser.print_help()
            sys.stdout.flush()
            return 0
        if args.verbose:
            os.environ["FLIPFLOP_VERBOSE"] = "1"
        from flipflop.cli.checks import check

        check(args)  # everything, before any heavy import or any write
        os.environ["MPLBACKEND"] = "Agg"  # files only, no window (matplotlib reads it when first imported)
        if "matplotlib" in sys.modules:
            sys.modules["matplotlib"].use("Agg")
        from flipflop.cli.commands import COMMANDS

        status = COMMANDS[args.command](args)
        sys.stdout.flush()  # a closed pipe shows here, not at exit
        return status
    except FlipFlopError as e:  # one line, whatever a library put in the message
        print(f"flipflop: error: {' '.join(str(e).splitlines())}", file=sys.stderr)
        return EXIT_USAGE
    except BrokenPipeError:
        raise
    except OSError as e:  # a full disk or lost permission outside our atomic writers
        if e.errno not in _IO_ERRORS:
            raise
        where = f" ({e.filename})" if e.filename else ""
        print(f"flipflop: error: {e.strerror or e}{where}; completed epochs and files are kept, "
              "rerun the same command once fixed", file=sys.stderr)
        return EXIT_USAGE
    except MemoryError:
        print("flipflop: error: out of memory; completed epochs and files are kept; rerun with less "
              "(fewer units, trials or starts)", file=sys.stderr)
        return EXIT_USAGE
    except Terminated:
        print("flipflop: terminated; run the same command again to resume", file=sys.stderr)
        return EXIT_TERMINATED
    except KeyboardInterrupt:
        print("flipflop: interrupted; run the same command again to resume", file=sys.stderr)
        return EXIT_INTERRUPTED


def _silence_stdout() -> None:
    """Point stdout at /dev/null, so that the interpreter's last flush finds no closed pipe."""
    try:
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
        os.close(devnull)
    except (OSError, ValueError, AttributeError):  # no real stdout (captured in tests)
        pass


__all__ = ["main", "run", "build_parser"]
