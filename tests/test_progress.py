"""Progress bars: drawn on a terminal and erased when done, absent from logs and pipes; the
fixed-point search and training report their progress through them."""
from __future__ import annotations

import contextlib
import io

import numpy as np

from flipflop.progress import Bar, each


class Terminal(io.StringIO):
    def isatty(self) -> bool:
        return True


@contextlib.contextmanager
def terminal():
    """Standard output replaced by a terminal (set in the test body: pytest's capture resets
    sys.stdout after fixtures are set up)."""
    screen = Terminal()
    with contextlib.redirect_stdout(screen):
        yield screen


def test_no_bar_off_a_terminal(capsys):
    with Bar(10, "steps", "work") as bar:
        assert not bar.enabled
        for i in range(1, 11):
            bar.update(i, left=10 - i)
    lines = []
    assert list(each([1, 2, 3], "runs", lambda x, k, n: f"item {x} ({k}/{n})", lines.append)) == [1, 2, 3]
    assert capsys.readouterr().out == ""
    assert lines == ["item 1 (1/3)", "item 2 (2/3)", "item 3 (3/3)"]


def test_nested_bars_draw_together_and_lines_go_above_them():
    with terminal() as screen:
        for item in each(["a", "b"], "runs", lambda x, k, n: f"doing {x}", print, "outer"):
            with Bar(3, "iterations", "inner") as inner:
                inner.update(2, points_left=7)
                inner._display.refresh()  # what the display's timer does every 0.1 s
    out = screen.getvalue()
    assert "outer" in out and "inner" in out and "2/3" in out and "7 points left" in out
    assert "doing a" in out and "doing b" in out
    last = out.rsplit("doing b", 1)[1]
    assert "\x1b[2K" in last  # the bars are erased at the end (transient)


def test_fixed_point_search_reports_iterations_and_points_left():
    from flipflop.dynamics.finder import find_fixed_points
    from conftest import simple_rnn

    model = simple_rnn(1, 1, [[1.0]], [[2.0]])
    calls = []
    find_fixed_points(model, initial_states=np.linspace(-1, 1, 41)[:, None], n_init=48, noise_std=0.05, seed=1,
                      progress=lambda i, n: calls.append((i, n)))
    assert calls, "progress was never called"
    iterations, left = zip(*calls)
    assert list(iterations) == sorted(iterations) and iterations[0] > 0
    assert list(left) == sorted(left, reverse=True) and left[-1] == 0 and max(left) <= 48


def test_training_draws_a_batch_bar_on_a_terminal_only(tmp_path):
    from tests.conftest import tiny_config
    from flipflop.training import train

    lines = []
    with terminal() as screen:
        train(tiny_config(epochs=1, samples_per_epoch=128), tmp_path / "tty", verbose=1, log=lines.append)
    assert "epoch 1" in screen.getvalue() and "batches" in screen.getvalue()
    assert len(lines) == 1 and lines[0].startswith("epoch 1/1")
    with terminal() as screen:
        train(tiny_config(epochs=1, samples_per_epoch=128), tmp_path / "quiet", verbose=0, log=lines.append)
    assert screen.getvalue() == ""
