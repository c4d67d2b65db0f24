"""Each task's behavioural analysis (its spec's ``behaviour`` and ``bars``) recovers what
synthetic choices were built with."""
import json

import numpy as np
import pytest

from flipflop.reports.evaluate import evaluate_outputs
from flipflop.tasks import ContextDMTask, FlipFlopTask, MatchCategoryTask, ParametricWMTask, PerceptualDMTask


def outputs_choosing(trials, choice):
    """Outputs equal to the targets, except that the response period picks ``choice``."""
    out = trials.targets.copy()
    responding = out[..., 1] + out[..., 2] > 0
    out[..., 1] = responding * (choice == 0)[:, None]
    out[..., 2] = responding * (choice == 1)[:, None]
    return out


def logistic_choices(rng, x, slope, bias):
    """Choice 0 ("choice 1") with probability 1 / (1 + exp(-(slope x + bias)))."""
    return (rng.random(len(x)) >= 1 / (1 + np.exp(-(slope * x + bias)))).astype(np.int64)


def behaviour(task, outputs, trials):
    return evaluate_outputs(task, outputs, trials)


def test_perceptual_dm_psychometric_from_outputs():
    task = PerceptualDMTask()
    trials = task.generate(6000, seed=1)
    rng = np.random.default_rng(2)
    choice = logistic_choices(rng, trials.conditions["coherence"], 0.1, 0.3)
    out = outputs_choosing(trials, choice)
    out[:100, 1, 1] = 0.9  # 100 trials break fixation: left out of the curve
    result = json.loads(json.dumps(behaviour(task, out, trials), allow_nan=False))
    curve = result["psychometric"]
    assert result["task"] == "perceptual_dm" and result["fixation_breaks"] == pytest.approx(100 / 6000)
    assert sum(curve["n"]) == 5900 and curve["x"] == [-51.2, -25.6, -12.8, -6.4, 0.0, 6.4, 12.8, 25.6, 51.2]
    assert curve["slope"] == pytest.approx(0.1, rel=0.12) and curve["bias"] == pytest.approx(0.3, abs=0.12)


def test_context_dm_relevant_steep_irrelevant_flat():
    task = ContextDMTask()
    trials = task.generate(8000, seed=3)
    c = trials.conditions
    rng = np.random.default_rng(4)
    choice = logistic_choices(rng, c["coherence"], 0.15, 0.0)  # follows the cued feature only
    result = json.loads(json.dumps(behaviour(task, outputs_choosing(trials, choice), trials), allow_nan=False))
    for name, other in (("motion", "colour"), ("colour", "motion")):
        ctx = result["contexts"][name]
        assert ctx["relevant"] == name
        assert ctx["slopes"][name] == pytest.approx(0.15, rel=0.15) and abs(ctx["slopes"][other]) < 0.02
        assert ctx["curves"][name]["slope"] > 5 * abs(ctx["curves"][other]["slope"])
        in_context = np.sum(c["context"] == ("motion", "colour").index(name))
        assert len(ctx["curves"][name]["x"]) == 6 and sum(ctx["curves"][other]["n"]) == in_context


def test_parametric_wm_accuracy_per_pair():
    task = ParametricWMTask()
    trials = task.generate(3000, seed=5)
    c = trials.conditions
    choice = c["choice"].copy()
    hard = (c["f1"] == 18) & (c["f2"] == 10)
    choice[hard] = 1 - choice[hard]  # this one pair always answered wrong
    result = behaviour(task, outputs_choosing(trials, choice), trials)
    pairs = {(p["f1"], p["f2"]): p for p in result["pairs"]}
    assert len(pairs) == 10 and sum(p["n"] for p in pairs.values()) == 3000
    assert pairs[(18.0, 10.0)]["accuracy"] == 0.0 and pairs[(10.0, 18.0)]["accuracy"] == 1.0
    assert all(p["accuracy"] == 1.0 for k, p in pairs.items() if k != (18.0, 10.0))
    assert result["accuracy"] == pytest.approx(1 - hard.mean())


def test_match_category_near_boundary_and_category_pairs():
    task = MatchCategoryTask()
    trials = task.generate(4000, seed=6)
    c = trials.conditions
    near = np.minimum(task.boundary_distance(c["sample_dir"]), task.boundary_distance(c["test_dir"])) <= 15
    choice = np.where(near, 1 - c["choice"], c["choice"])  # wrong exactly near the boundary
    result = json.loads(json.dumps(behaviour(task, outputs_choosing(trials, choice), trials), allow_nan=False))
    b = result["boundary"]
    assert b["near"]["accuracy"] == 0.0 and b["away"]["accuracy"] == 1.0
    assert b["near"]["n"] == near.sum() > 0 and b["away"]["n"] == (~near).sum() > 0
    cats = result["categories"]
    assert [(r["sample_cat"], r["test_cat"]) for r in cats] == [(0, 0), (0, 1), (1, 0), (1, 1)]
    assert sum(r["n"] for r in cats) == 4000 and all(0 < r["accuracy"] < 1 for r in cats)


def test_the_flip_flops_evaluation_is_its_score():
    task = FlipFlopTask(n_bits=1, duration_ms=50.0, first_onset_ms=(1.0, 5.0))
    trials = task.generate(2, seed=0)
    result = behaviour(task, trials.targets, trials)
    assert result == {"task": "flipflop", "bit_accuracy": 1.0, "mse": 0.0}  # no behaviour, no bars beyond it


def test_perfect_choices_meet_every_accuracy_bar_and_wrong_ones_none():
    for cls in (PerceptualDMTask, ContextDMTask, ParametricWMTask, MatchCategoryTask):
        task = cls()
        trials = task.generate(2000, seed=7)
        right = behaviour(task, outputs_choosing(trials, trials.conditions["choice"]), trials)["bars"]
        wrong = behaviour(task, outputs_choosing(trials, 1 - trials.conditions["choice"]), trials)["bars"]
        accuracy = [i for i, b in enumerate(right) if "accuracy" in b["name"]]
        assert accuracy and all(right[i]["met"] and right[i]["value"] == 1.0 for i in accuracy), cls.name
        assert not any(wrong[i]["met"] for i in accuracy) and all(wrong[i]["value"] == 0.0 for i in accuracy)
