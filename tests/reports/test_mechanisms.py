"""The mechanism measures, generalisation and their figures on tiny primer-task networks, and
the generic analyses on systems whose answer is known."""
import json

import numpy as np
import pytest

from conftest import PRIMER_TASKS


@pytest.mark.parametrize("task", PRIMER_TASKS)
def test_mechanisms_cached_reported_and_drawn(task, tiny_task_runs, small_specs, tmp_path):
    import shutil

    from flipflop.reports.analyse import analyse_run
    from flipflop.reports.specs import analysis_of
    from flipflop.tasks import make_task

    run = tmp_path / task
    shutil.copytree(tiny_task_runs[task], run)
    assert analyse_run(run, fixed_points="cached").mechanisms is None  # nothing cached, nothing computed
    a = analyse_run(run, fixed_points="missing")
    cached = json.loads((run / "mechanisms.json").read_text())
    assert a.mechanisms == cached and cached["bars"]
    for b in cached["bars"]:
        assert set(b) == {"name", "value", "rule", "met"} and isinstance(b["met"], bool)
    spec = analysis_of(make_task(task))
    lines = spec.sections([a], None, [])
    assert any(line.startswith("## Mechanism") for line in lines)
    drawn = [f.draw(a) for f in spec.figures if f.stem in ("line_attractor", "decoded_memory", "category_attractors",
                                                            "integration", "mante_state_space")]
    assert drawn and all(fig is not None for fig in drawn)
    assert analyse_run(run, fixed_points="cached").mechanisms == cached  # read back, not recomputed


def test_generalise_rows_from_the_tasks_table(tiny_task_runs, capsys):
    from flipflop.cli import main

    assert main(["evaluate", str(tiny_task_runs["parametric_wm"]), "--generalise", "--trials", "40", "--json"]) == 0
    result = json.loads(capsys.readouterr().out)
    groups = {r["group"] for r in result["rows"]}
    assert groups == {"trained", "conditions", "delays", "timing"}
    delays = [r for r in result["rows"] if r["group"] == "delays"]
    assert any("3000 ms" in r["case"] for r in delays)
    for r in result["rows"]:
        assert 0 <= r["ours"] <= 1 and 0 <= r["neurogym"] <= 1 and r["ideal"] >= 0.6  # the ideal sees every case


def test_neurogym_rule_reads_the_argmax_not_the_threshold():
    """A choice output above 0.5 before the go cue, while fixation stays the largest: a
    fixation break by our rule, not by NeuroGym's (the issue's perceptual-DM case)."""
    from flipflop.tasks import make_task

    task = make_task("perceptual_dm")
    trials = task.analysis_series()
    out = np.zeros(trials.targets.shape, np.float32)
    go = trials.periods["decision"][:, 0]
    for i, g in enumerate(go):
        out[i, :g, 0] = 1.0
        out[i, :g, 1 + trials.conditions["choice"][i]] = 0.6  # above the threshold, below fixation
        out[i, g:, 1 + trials.conditions["choice"][i]] = 1.0
    choice, broke = task.choices(out, trials)
    first, responded, early = task.first_actions(out, trials)
    assert broke.all() and responded.all() and not early.any()
    assert np.array_equal(first, trials.conditions["choice"])


def test_selection_vectors_of_a_linear_integrator():
    """A linear line attractor h <- h + B u with B = [b_rel, b_irr]: the slow mode's left
    eigenvector is the line's own axis e1; only the input along it is integrated."""
    from flipflop.analysis.manifold import axis_angle, slow_eigenvectors

    a = np.diag([1.0, 0.5, 0.3])
    values, right, left = slow_eigenvectors(a[None])
    assert values[0] == pytest.approx(1.0)
    assert axis_angle(right[0], np.array([1.0, 0, 0])) == pytest.approx(0.0, abs=1e-6)
    assert left[0] @ right[0] == pytest.approx(1.0)
    # a non-normal Jacobian: the left eigenvector is not the right one
    j = np.array([[1.0, 0.4], [0.0, 0.5]])
    _, r, left = slow_eigenvectors(j[None])
    assert axis_angle(r[0], np.array([1.0, 0.0])) == pytest.approx(0.0, abs=1e-6)
    assert axis_angle(left[0], np.array([1.0, 0.8])) == pytest.approx(0.0, abs=1e-4)  # l J = l


def test_manifold_of_a_known_line():
    from flipflop.analysis.manifold import SlowPoints, manifold

    rng = np.random.default_rng(0)
    t = np.linspace(0, 1, 40)
    axis = rng.normal(size=6)
    pts = np.outer(t, axis)
    states = np.outer(rng.uniform(0, 1, 400), axis) + 0.01 * rng.normal(size=(400, 6))
    labels = 10 + 24 * (states @ axis) / (axis @ axis)
    sp = SlowPoints(pts, np.zeros(40), np.ones(40, bool), np.ones(40, complex), np.ones(40, bool), np.zeros(2))
    m = manifold(sp, states, labels)
    assert m["pc1"] > 0.999 and m["dimension"] == 1 and m["points_r2"] > 0.99 and m["coverage"] > 0.9


def test_kernel_of_a_perfect_integrator_is_flat():
    from flipflop.analysis.integration import psychophysical_kernel

    rng = np.random.default_rng(1)
    bins = rng.normal(size=(4000, 8))
    flat = psychophysical_kernel(bins, bins.sum(axis=1) + 0.5 * rng.normal(size=4000) > 0)
    early = psychophysical_kernel(bins, bins[:, :2].sum(axis=1) > 0)
    assert flat["min_ratio"] > 0.8 and early["min_ratio"] < 0.1
