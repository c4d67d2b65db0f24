"""The figures of the decision tasks on synthetic arrays: the lines and points each must draw."""
import numpy as np

from flipflop.plotting import behaviour, trajectories, weights
from flipflop.tasks.context_dm import figures as context_figures
from flipflop.tasks.match_category import figures as category_figures
from flipflop.tasks.parametric_wm import figures as parametric_figures


def test_trajectories_draw_one_line_per_condition_and_the_fixed_points():
    proj = np.random.default_rng(1).standard_normal((7, 20, 3))
    fig = trajectories.trajectories(proj, np.linspace(-50, 50, 7), "coherence", {"stimulus": 5},
                           points=np.zeros((3, 3)), stable=np.array([True, False, True]))
    ax = fig.axes[0]
    assert len(ax.lines) == 7
    assert sum(len(c.get_offsets()) for c in ax.collections) == 7 + 3


def test_signature_figures_draw_their_content():
    rng = np.random.default_rng(2)
    fig = weights.sorted_weights(rng.standard_normal((10, 10)), np.arange(10)[::-1], 8)
    assert fig.axes[0].images[0].get_array().shape == (10, 10) and len(fig.axes[0].lines) == 2
    panels = [{"xy": rng.standard_normal((6, 15, 2)), "values": np.arange(6) - 2.5, "labels": ("choice", "motion"),
               "title": f"p{i}", "points": rng.standard_normal((4, 2)), "vectors": rng.standard_normal((4, 2))}
              for i in range(4)]
    fig = context_figures.mante_state_space(panels)
    assert [len(ax.lines) for ax in fig.axes[:4]] == [6 + 4] * 4
    fig = parametric_figures.delay_line_attractor(rng.standard_normal((5, 30, 2)), np.array([10, 18, 22, 26, 34.0]),
                                   rng.standard_normal((3, 2)), rng.standard_normal((3, 2)))
    assert len(fig.axes[0].lines) == 5 + 3 + 1
    fig = category_figures.category_trajectories(rng.standard_normal((4, 40, 3)), [(0, 0), (0, 1), (1, 0), (1, 1)], 20.0,
                                    {"fixation": (0, 10), "sample": (10, 20), "delay": (20, 30), "test": (30, 40)})
    assert len(fig.axes[0].lines) == 4 and len(fig.axes[1].lines) == 4
    assert len(fig.axes[1].patches) == 4  # the shaded epochs
    fig = category_figures.onset_histogram(np.array([100.0, 200.0, np.nan]), {"delay": 650.0})
    assert "2 of 3 units" in fig.axes[0].get_title()
    fig = behaviour.psychometric([-50, 0, 50], [0.0, 0.5, 1.0], 0.1, 0.0)
    assert len(fig.axes[0].lines) >= 2
