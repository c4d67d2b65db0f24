"""Progress bars for the slow phases (training epochs, analyses, fixed-point searches).

On a terminal the bars are Rich's (a Keras dependency): bars opened inside another's phase
stack under it (runs, then the search inside a run), lines printed meanwhile go above them,
and every bar is erased when its phase ends, so only our one-line summaries stay. Off a
terminal (a log file, CI, a pipe) there is no bar at all: the summaries alone, with no
carriage returns or colour codes in the log.
"""
from __future__ import annotations

import contextvars
import sys
from typing import Callable, Iterator, Sequence, TypeVar

T = TypeVar("T")

# The display the open bars draw into: set by the outermost open bar, per thread/context.
_DISPLAY: contextvars.ContextVar = contextvars.ContextVar("flipflop_progress_display", default=None)


def on_terminal() -> bool:
    """Whether standard output is an interactive terminal."""
    isatty = getattr(sys.stdout, "isatty", None)
    try:
        return bool(isatty and isatty())
    except ValueError:  # a closed stream
        return False


def _display():
    from rich.console import Console
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeRemainingColumn

    return Progress(TextColumn("    {task.description}"), BarColumn(bar_width=20), MofNCompleteColumn(),
                    TextColumn("{task.fields[unit]}"), TimeRemainingColumn(), TextColumn("{task.fields[values]}"),
                    console=Console(file=sys.stdout, force_terminal=True), transient=True)


class Bar:
    """A transient progress bar over ``target`` steps of ``unit``, titled ``description``.
    Off a terminal (or with ``enabled=False``) every call does nothing. Use as a context
    manager, or call :meth:`close`."""

    def __init__(self, target: int, unit: str = "steps", description: str = "",
                 enabled: bool | None = None) -> None:
        self.enabled = on_terminal() if enabled is None else enabled
        self._display = self._task = self._token = None
        if not self.enabled:
            return
        self._display = _DISPLAY.get()
        if self._display is None:  # the outermost bar owns the display
            self._display = _display()
            self._display.start()
            self._token = _DISPLAY.set(self._display)
        self._task = self._display.add_task(description, total=max(int(target), 1), unit=unit, values="")

    def update(self, current: int, **values: float) -> None:
        """Move the bar to step ``current``; ``values`` are shown beside it (``name value``)."""
        if self._task is not None:
            shown = "  ".join(f"{v:.4g} {k.replace('_', ' ')}" for k, v in values.items())
            self._display.update(self._task, completed=current, values=shown)

    def close(self) -> None:
        """Erase the bar (and the display, if this bar opened it)."""
        if self._task is not None:
            self._display.remove_task(self._task)
            self._task = None
        if self._token is not None:
            self._display.stop()
            _DISPLAY.reset(self._token)
            self._token = None

    def __enter__(self) -> "Bar":
        return self

    def __exit__(self, *exc) -> None:
        self.close()


def each(items: Sequence[T], unit: str, say: Callable[[T, int, int], str] | None = None,
         log: Callable[[str], None] = print, description: str = "") -> Iterator[T]:
    """Yield ``items`` one by one under a bar of those done; before each, log
    ``say(item, k, n)`` (k from 1) if given. Bars opened while an item is worked on stack
    under this one."""
    with Bar(len(items), unit, description) as bar:
        for k, item in enumerate(items):
            if say is not None:
                log(say(item, k + 1, len(items)))
            bar.update(k)
            yield item
