"""NeuroGym's environments as tasks (``neurogym:<EnvId>``): seeded trials for every environment
of the registry, the refusals, both performance rules, and train -> evaluate -> fixed-points
-> figures through the command line for four environments of different kinds."""
import json
import subprocess
import sys

import numpy as np
import pytest

pytest.importorskip("neurogym", reason="the [neurogym] extra is not installed")

from flipflop import runs  # noqa: E402
from flipflop.cli import main  # noqa: E402
from flipflop.errors import FlipFlopError  # noqa: E402
from flipflop.tasks import expand_task_names, make_task, task_class  # noqa: E402
from flipflop.tasks.neurogym import envs  # noqa: E402

def ng(env_id):
    return task_class(envs.PREFIX + env_id)


REFUSED = {"AnnubesEnv-v0": "needs session, catch_prob, which have no defaults",
           "Bandit-v0": "not a supervised", "DawTwoStep-v0": "not a supervised",
           "EconomicDecisionMaking-v0": "not a supervised", "Null-v0": "not a supervised",
           "ReachingDelayResponse-v0": "continuous action space", "SpatialSuppressMotion-v0": "continuous action space",
           "Reaching1D-v0": "not an action", "Reaching1DWithSelfDistraction-v0": "not an action"}


def test_the_registry_has_the_52_environments():
    ids = envs.env_ids()
    assert len(ids) == 52 and len(set(ids)) == 52
    assert sum(i.startswith("yang19.") for i in ids) == 20 and "PerceptualDecisionMaking-v0" in ids
    trainable = expand_task_names(["neurogym:all"])
    assert len(trainable) == 52 - len(REFUSED) and not {envs.PREFIX + r for r in REFUSED} & set(trainable)
    assert expand_task_names(["neurogym:yang19.dm*", "context_dm"]) == [
        "neurogym:yang19.dm1-v0", "neurogym:yang19.dm2-v0", "neurogym:yang19.dmc-v0", "neurogym:yang19.dms-v0",
        "context_dm"]


@pytest.mark.parametrize("env_id", sorted(set(envs.env_ids()) - set(REFUSED)))
def test_trials_are_a_function_of_the_seed(env_id):
    task = ng(env_id)()
    a, b, c = task.generate(6, [3, 1]), task.generate(6, [3, 1]), task.generate(6, [4, 1])
    for x, y in zip((a.inputs, a.targets, a.mask), (b.inputs, b.targets, b.mask)):
        np.testing.assert_array_equal(x, y)
    assert a.conditions.keys() == b.conditions.keys()
    assert all(np.array_equal(a.conditions[k], b.conditions[k]) for k in a.conditions)
    assert all(np.array_equal(a.periods[k], b.periods[k]) for k in a.periods)
    same_shape = a.inputs.shape == c.inputs.shape
    assert not (same_shape and np.array_equal(a.inputs, c.inputs) and np.array_equal(a.targets, c.targets))
    # targets one-hot on the ground truth; the perfect answer scores 1 by our rule
    assert np.all(a.targets.sum(-1) == 1) and task.n_outputs == a.targets.shape[-1]
    assert task.score(a.targets * 20.0, a)["accuracy"] == 1.0


def test_an_environment_that_needs_arguments_trains_with_them():
    """AnnubesEnv's constructor has no defaults for session and catch_prob: refused without
    them (above), a task with them, its periods from its trials, its trials seeded."""
    task = make_task({"name": "neurogym:AnnubesEnv-v0", "session": {"v": 0.5, "a": 0.5}, "catch_prob": 0.5})
    a, b = task.generate(40, 3), task.generate(40, 3)
    np.testing.assert_array_equal(a.inputs, b.inputs)
    assert set(a.periods) == {"fixation", "stimulus", "iti"} and a.inputs.shape[-1] == 4
    assert 0.3 < float(np.mean(a.conditions["catch"])) < 0.7
    assert make_task(task.to_dict()) == task  # the run's config makes the same task again
    with pytest.raises(FlipFlopError, match="no parameter 'sesion'"):
        make_task({"name": "neurogym:AnnubesEnv-v0", "sesion": {"v": 1}, "catch_prob": 0.5})


def test_a_factorys_parameters_are_those_of_the_class_it_makes():
    """yang19's environments are factories taking **kwargs: their class's parameters are theirs."""
    quiet = make_task({"name": "neurogym:yang19.multidm-v0", "sigma": 0.0})
    assert quiet.env().sigma == 0.0 and "sigma" in envs.constructor_parameters("yang19.multidm-v0")
    with pytest.raises(FlipFlopError, match="no parameter 'sigmaa'"):
        make_task({"name": "neurogym:yang19.multidm-v0", "sigmaa": 0.0})


def test_what_a_constructor_draws_is_seeded_too():
    """HierarchicalReasoning draws its first block's length (10-20 trials) in its constructor,
    from an rng made unseeded there: 60 trials cross blocks, and must still be the seed's."""
    task = ng("HierarchicalReasoning-v0")()
    a, b = task.generate(60, 5), task.generate(60, 5)
    np.testing.assert_array_equal(a.inputs, b.inputs)
    np.testing.assert_array_equal(a.conditions["rule"], b.conditions["rule"])
    assert len(np.unique(a.conditions["rule"])) == 2  # more than one block
    assert task.levels() == ng("HierarchicalReasoning-v0")().levels()


@pytest.mark.parametrize("env_id,words", sorted(REFUSED.items()))
def test_an_untrainable_environment_is_refused_with_its_reason(env_id, words):
    with pytest.raises(FlipFlopError, match=words):
        make_task(envs.PREFIX + env_id)


def test_neurogyms_rule_and_ours_on_known_actions():
    task = ng("PerceptualDecisionMaking-v0")()
    trials = task.generate(40, 5)
    perfect = trials.targets * 20.0
    scores = task.score(perfect, trials)
    assert scores["neurogym_performance"] == 1.0 and scores["accuracy"] == 1.0
    fixate = np.zeros_like(perfect)
    fixate[..., 0] = 20.0  # never answers: neurogym scores 0; ours reads the choice probabilities, at chance
    assert task.score(fixate, trials)["neurogym_performance"] == 0.0
    wrong = perfect[..., [0, 2, 1]]  # the other choice at the decision step
    assert task.score(wrong, trials)["neurogym_performance"] == 0.0 and task.score(wrong, trials)["accuracy"] == 0.0
    early = perfect.copy()
    early[:, 0, 1] = 40.0  # a choice during fixation: a break by our rule, free by neurogym's (no abort)
    s = task.score(early, trials)
    assert s["fixation_breaks"] == 1.0 and s["accuracy"] == 0.0 and s["neurogym_performance"] == 1.0
    subset = trials.subset(np.arange(3, 40, 4))  # replay finds each trial again by its batch seed and index
    assert task.score(perfect[3::4], subset)["neurogym_performance"] == 1.0


def test_chance_and_the_ideal_observer():
    chance, ideal, ceiling = ng("PerceptualDecisionMaking-v0")().levels()
    assert 0.45 < chance < 0.55 and 0.85 < ideal < 0.95 and ceiling == 1.0  # 1/5 of trials at zero coherence
    assert ng("GoNogo-v0")().levels()[2] < 0.6  # neurogym's rule credits no withheld response
    assert ng("DelayMatchSample-v0")().levels()[1] is None
    ring = ng("yang19.go-v0")().levels()[0]
    assert ring < 0.15  # 16 directions


def test_chance_of_a_trial_with_two_answers_is_that_of_the_pair():
    """HierarchicalReasoning asks for the rule, then the choice; our rule scores both, so the
    best fixed guess is a pair, right in about a quarter of the trials (the first answer
    alone: about half). With one answer per trial, chance is the most frequent answer's share."""
    from flipflop.tasks.neurogym.observer import answers, chance_level

    trials = ng("HierarchicalReasoning-v0")().generate(2000, 3)
    pairs = answers(trials)
    assert {len(a) for a in pairs} == {2} and len(set(pairs)) == 4
    first = np.unique([a[0] for a in pairs], return_counts=True)[1].max() / len(pairs)
    assert 0.2 < chance_level(trials) < 0.3 < 0.45 < first
    one = ng("PerceptualDecisionMaking-v0")().generate(2000, 3)
    share = np.unique(one.conditions["choice"], return_counts=True)[1].max() / 2000
    assert chance_level(one) == share


def test_one_answer_environments_train_past_our_trivial_target():
    """MotorTiming's trials all have the same answer (when to act is the task): our accuracy
    is at chance = reference from the start, so its target must not stop the training."""
    timing = ng("MotorTiming-v0")()
    chance, ideal, _ = timing.levels()
    assert ideal is None and chance > 0.98 and timing.default_target == (0.999, 1e-9)
    acc, mse = ng("PerceptualDecisionMaking-v0")().default_target
    assert 0.85 < acc < 0.9 and mse == 1.0  # 95 % of the way from chance (0.53) to the observer (0.90)


@pytest.mark.parametrize("env_id", ["PerceptualDecisionMaking-v0", "PerceptualDecisionMakingDelayResponse-v0",
                                    "PostDecisionWager-v0"])
def test_the_closed_form_observer_matches_summed_evidence_on_the_trials(env_id):
    """The closed form against an observer run on the environment's own noisy inputs: the
    sign of the summed difference of the two stimulus channels over the stimulus period."""
    from flipflop.tasks.neurogym.observer import ideal_observer

    task = ng(env_id)()
    trials = task.generate(4000, seed=5)
    (lo, hi), x = trials.periods["stimulus"].T, trials.inputs
    steps = np.arange(x.shape[1])[None, :]
    inside = (steps >= lo[:, None]) & (steps < hi[:, None])
    evidence = np.sum((x[:, :, 2] - x[:, :, 1]) * inside, axis=1)  # > 0 favours the second choice
    coh = np.asarray(trials.conditions["coh"])
    rng = np.random.default_rng(0)
    guess = np.where(evidence > 0, 2, 1)
    correct = np.where(coh > 0, guess == np.asarray(trials.conditions["choice"]), rng.random(len(coh)) < 0.5)
    closed = ideal_observer(task, trials)
    assert closed is not None and abs(float(np.mean(correct)) - closed) < 0.02


def test_the_two_modality_observer_matches_weighted_evidence_on_the_trials():
    """MultiSensoryIntegration: each modality's summed difference weighed by its coherence
    (the observer that knows the split), run on the environment's own noisy inputs."""
    from flipflop.tasks.neurogym.observer import ideal_observer

    task = ng("MultiSensoryIntegration-v0")()
    trials = task.generate(4000, seed=6)
    (lo, hi), x, c = trials.periods["stimulus"].T, trials.inputs, trials.conditions
    inside = (np.arange(x.shape[1])[None, :] >= lo[:, None]) & (np.arange(x.shape[1])[None, :] < hi[:, None])
    coh, prop = np.asarray(c["coh"], float), np.asarray(c["coh_prop"], float)
    evidence = np.sum(((x[:, :, 2] - x[:, :, 1]) * (coh * prop)[:, None]
                       + (x[:, :, 4] - x[:, :, 3]) * (coh * (1 - prop))[:, None]) * inside, axis=1)
    correct = np.where(evidence > 0, 2, 1) == np.asarray(c["choice"])
    closed = ideal_observer(task, trials)
    assert closed is not None and abs(float(np.mean(correct)) - closed) < 0.02


@pytest.mark.parametrize("explicit", [False, True])
def test_the_context_observer_reads_the_relevant_modality(explicit):
    """ContextDecisionMaking: the summed difference of the relevant modality's two channels
    (mod1 in context 0, mod2 in context 1), on the environment's own noisy inputs."""
    from flipflop.tasks.neurogym.observer import ideal_observer

    task = make_task({"name": "neurogym:ContextDecisionMaking-v0", "use_expl_context": explicit})
    trials = task.generate(4000, seed=11)
    (lo, hi), x, c = trials.periods["stimulus"].T, trials.inputs, trials.conditions
    inside = (np.arange(x.shape[1])[None, :] >= lo[:, None]) & (np.arange(x.shape[1])[None, :] < hi[:, None])
    names = task.env().observation_space.name
    ctx = np.asarray(c["context"])
    diff = {m: x[:, :, names[f"stim2_mod{m}"]] - x[:, :, names[f"stim1_mod{m}"]] for m in (1, 2)}
    evidence = np.sum(np.where(ctx[:, None] == 0, diff[1], diff[2]) * inside, axis=1)
    correct = np.where(evidence > 0, 2, 1) == np.asarray(c["choice"])
    closed = ideal_observer(task, trials)
    assert len(np.unique(ctx)) == (2 if explicit else 1)
    assert closed is not None and 0.9 < closed < 0.97 and abs(float(np.mean(correct)) - closed) < 0.02


def _bump_evidence(task, trials) -> np.ndarray:
    """yang19's decision family: each modality's input summed over its stimulus period(s) and
    projected on the bumps at theta1 and theta2, weighed by the modality's weight (> 0 favours
    theta1): the matched filter for Gaussian noise, an observer below the ideal one."""
    env = task.env()
    x, c, names, th = trials.inputs, trials.conditions, env.observation_space.name, env.theta
    steps = np.arange(x.shape[1])[None, :]

    def bumps(locs):
        dist = np.abs((np.asarray(locs)[:, None] - th[None, :] + np.pi) % (2 * np.pi) - np.pi) / (np.pi / 8)
        return 0.8 * np.exp(-dist ** 2 / 2)

    def summed(period, idx):
        lo, hi = trials.periods[period].T
        inside = ((steps >= lo[:, None]) & (steps < hi[:, None])).astype(float)
        return np.einsum("nt,ntk->nk", inside, x[:, :, idx])

    b1, b2, evidence = bumps(c["theta1"]), bumps(c["theta2"]), np.zeros(len(x))
    for m in (1, 2):
        if getattr(env, f"stim_mod{m}"):
            idx, w = list(names[f"stimulus_mod{m}"]), float(getattr(env, f"w_mod{m}"))
            if env.delaycomparison:  # theta1 at coh1 in stim1, theta2 at coh2 in stim2
                evidence += w * (np.sum(summed("stim1", idx) * b1, 1) - np.sum(summed("stim2", idx) * b2, 1))
            else:
                evidence += w * np.sum(summed("stimulus", idx) * (b1 - b2), 1)
    return evidence


@pytest.mark.parametrize("env_id", ["yang19.multidm-v0", "yang19.multidlydm-v0", "yang19.dm1-v0"])
def test_the_summed_strength_observer_bounds_the_matched_filter(env_id):
    """yang19's decision family: without input noise the matched filter scores the closed form
    (every trial but the coin-decided ties); with the environment's noise it scores below it."""
    from flipflop.tasks.neurogym.observer import ideal_observer

    for sigma, seed in ((0.0, 9), (None, 10)):
        task = make_task({"name": envs.PREFIX + env_id, **({} if sigma is None else {"sigma": sigma})})
        trials = task.generate(3000, seed=seed)
        env, c = task.env(), trials.conditions
        first = np.round(np.asarray(c["theta1"]) / (2 * np.pi / len(env.theta))).astype(int) % len(env.theta) + 1
        second = np.round(np.asarray(c["theta2"]) / (2 * np.pi / len(env.theta))).astype(int) % len(env.theta) + 1
        evidence = _bump_evidence(task, trials)
        correct = np.where(evidence > 1e-5, first, second) == np.asarray(c["choice"])
        closed = ideal_observer(task, trials)
        if sigma == 0.0:
            tie = np.abs(evidence) <= 1e-5  # float32 inputs: a tie sums to ~1e-7
            assert abs(float(np.mean(correct[~tie])) - 1.0) < 1e-12
            assert abs(float(np.mean(correct)) - closed) < 0.02
        else:
            assert float(np.mean(correct)) < closed
    if env_id == "yang19.multidm-v0":
        assert 0.92 < closed < 0.95  # ties in 1 trial of 8, half of them lost


def test_the_cue_observer_answers_the_likelier_side():
    """ProbabilisticReasoning draws the answer from the cues' log odds: the observer that
    answers the likelier side scores max(P, 1 - P) per trial, on the environment's own draws."""
    from flipflop.tasks.neurogym.observer import ideal_observer

    task = ng("ProbabilisticReasoning-v0")()
    trials = task.generate(4000, seed=7)
    log_odd, choice = np.asarray(trials.conditions["log_odd"], float), np.asarray(trials.conditions["choice"])
    decided = log_odd != 0
    correct = np.where(log_odd[decided] > 0, 2, 1) == choice[decided]
    closed = ideal_observer(task, trials)
    empirical = (np.sum(correct) + 0.5 * np.sum(~decided)) / len(log_odd)
    assert closed is not None and 0.85 < closed < 0.95 and abs(empirical - closed) < 0.02


def test_parameters_are_validated_in_one_line():
    cls = ng("PerceptualDecisionMaking-v0")
    task = cls.from_dict({"sigma": 0.5, "timing.stimulus": 500, "response_weight": 5})
    assert task.kwargs == {"sigma": 0.5} and task.timing == {"stimulus": 500} and task.response_weight == 5
    assert make_task(task.to_dict()) == task and task.generate(2, 0).inputs.shape[1] == 7  # 100 + 500 + 100 ms
    variable = ng("ContextDecisionMaking-v0")()  # a TruncExp delay: every batch padded to one length
    assert variable.generate(3, 1).inputs.shape[1] == variable.generate(40, 2).inputs.shape[1] == variable.max_steps
    for bad, words in (({"sigmaa": 1}, "no parameter 'sigmaa'"), ({"timing.stim": 5}, "no period 'stim'"),
                       ({"timing.stimulus": -5}, "duration in ms"), ({"cohs": ["x"]}, "failed to make a trial")):
        with pytest.raises(FlipFlopError, match=words):
            cls.from_dict(bad)
    with pytest.raises(FlipFlopError, match="did you mean neurogym:PerceptualDecisionMaking-v0"):
        task_class("neurogym:PerceptualDecisionMaking-v1")


def test_refusals_through_the_command_line(tmp_path, capsys):
    for task, words in (("neurogym:PerceptualDecisonMaking-v0", "did you mean"),
                        ("neurogym:Bandit-v0", "not a supervised environment"),
                        ("neurogym:ReachingDelayResponse-v0", "continuous action space"),
                        ("neurogym:AnnubesEnv-v0", "needs session, catch_prob"),
                        ("neurogym:yang19.multidm-v0 --task-param dim_ring=1",
                         "yang19.multidm-v0 failed to build: ValueError: dim_ring=1 cannot be smaller than 2")):
        name, *more = task.split()
        assert main(["train", "--task", name, *more, "--out", str(tmp_path / "r")]) == 2
        err = capsys.readouterr().err.strip()
        assert err.startswith("flipflop: error:") and words in err and "\n" not in err
    assert not (tmp_path / "r").exists()


def test_a_missing_extra_is_named(tmp_path):
    code = ("import sys; sys.modules['neurogym'] = None\n"
            "from flipflop.cli import main\n"
            f"sys.exit(main(['train', '--task', 'neurogym:PerceptualDecisionMaking-v0', '--out', {str(tmp_path / 'r')!r}]))")
    p = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert p.returncode == 2 and p.stderr.count("\n") == 1 and "flipflop[neurogym]" in p.stderr
    assert not (tmp_path / "r").exists()


def test_tasks_lists_the_environments(capsys):
    assert main(["tasks", "--json"]) == 0  # ours only, fast: NeuroGym is not imported
    assert not any(d["name"].startswith("neurogym:") for d in json.loads(capsys.readouterr().out))
    assert main(["tasks", "--json", "--neurogym"]) == 0
    listed = {d["name"]: d for d in json.loads(capsys.readouterr().out)}
    pdm = listed["neurogym:PerceptualDecisionMaking-v0"]
    assert pdm["dt_ms"] == 100 and pdm["timing_ms"]["stimulus"] == 2000
    assert [c["name"] for c in pdm["inputs"]] == ["fixation", "stimulus 1", "stimulus 2"]
    assert [c["name"] for c in pdm["outputs"]] == ["fixation", "choice 1", "choice 2"]
    assert not listed["neurogym:Bandit-v0"]["supported"] and "perceptual_dm" in listed
    assert sum(n.startswith("neurogym:") for n in listed) == 52


# Short trials so that a 1-epoch tiny network runs in seconds: one of each kind.
KINDS = {"PerceptualDecisionMaking-v0": ["--task-param", "timing.stimulus=500"],  # perceptual, no go cue
         "DelayComparison-v0": ["--task-param", "timing.delay=300"],  # memory
         "ContextDecisionMaking-v0": ["--task-param", "timing.delay=200"],  # context
         "DelayMatchSample-v0": ["--task-param", "timing.delay=300", "--task-param", "timing.decision=300"]}  # match


@pytest.mark.parametrize("env_id", list(KINDS))
def test_train_evaluate_fixed_points_and_figures(env_id, tmp_path, capsys, small_specs):
    out = tmp_path / "run"
    assert main(["train", "--task", f"neurogym:{env_id}", "--cell", "gru", "--units", "8", "--epochs", "1",
                 "--samples-per-epoch", "64", "--val-samples", "32", "--out", str(out), "--quiet", *KINDS[env_id]]) == 0
    config = runs.read_config(out)
    assert config["task"] == f"neurogym:{env_id}" and config["train"]["task"]["name"] == config["task"]
    capsys.readouterr()
    assert main(["evaluate", str(out), "--trials", "64", "--json"]) == 0
    result = json.loads(capsys.readouterr().out)
    assert 0 <= result["neurogym_performance"] <= 1 and 0 <= result["accuracy"] <= 1
    assert result["chance"] > 0 and "choice" in result["by_condition"]
    spans = make_task(config["train"]["task"]).analysis_series().periods
    period = max(spans, key=lambda p: np.mean(spans[p][:, 1] - spans[p][:, 0]))  # the longest
    assert main(["fixed-points", str(out), "--period", period, "--n-init", "16"]) == 0
    assert (out / runs.FIXED_POINTS).is_file()
    figs = tmp_path / "figs"
    searched = env_id == "PerceptualDecisionMaking-v0"  # every period's search once; the others use the cache
    assert main(["figures", "--runs", str(out), "--out", str(figs), *(["--fixed-points"] if searched else [])]) == 0
    drawn = {p.name for p in figs.glob("*.png")}
    assert {f"{s}_run.png" for s in ("spectrum", "trajectories", "accuracy_by_condition")} <= drawn
    assert ("psychometric_run.png" in drawn) == (result["psychometric"] is not None)
    if env_id == "PerceptualDecisionMaking-v0":
        assert result["psychometric"]["condition"] == "signed coh" and 0.0 in result["psychometric"]["x"]
    report = (figs / "REPORT.md").read_text()
    assert f"# Report: neurogym:{env_id}" in report and "## Fixed points" in report
    assert ("at the stimulus input (stimulus period)" in report) == searched
    if searched:  # a decoded value is one the states carry: none from a decoder of noise (was -3e10)
        import re

        values = [abs(float(v)) for v in re.findall(r"decoder reads [^=]+= (-?[\d.e+-]+)", report)]
        assert all(v < 1e3 for v in values)
        assert "where no linear decoder reads" in report or values
