"""Generalisation (``flipflop evaluate --generalise``): a run scored on conditions it never
trained on, beside the ideal observer of the same noisy inputs, under two decision rules.

The conditions come from the task's analysis spec (``generalisation``: conditions between
and beyond the trained ones, delays several times the trained maximum, NeuroGym's timing).
Every case reports

- ``ours``: our rule (:meth:`DecisionTask.choices`: the argmax of the mean choice outputs
  after the grace period; a choice output above the threshold before the go cue is a
  fixation break, an error);
- ``neurogym``: NeuroGym's rule (:meth:`DecisionTask.first_actions`: the argmax of the
  outputs at each step, the first non-fixation action from the go cue on; no response is an
  error, an early non-fixation argmax is counted in ``early`` but not scored, as NeuroGym's
  tasks do by default);
- ``ideal``: the task's ideal observer (:meth:`DecisionTask.ideal_choices`) on the same trials.

Accuracies are over trials with a correct answer.
"""
from __future__ import annotations

from pathlib import Path


from flipflop import runs
from flipflop.analysis.activity import outputs
from flipflop.analysis.rules import rules
from flipflop.errors import POSITIVE_INT, SEED, FlipFlopError, validate_params
from flipflop.reports.specs import analysis_of
from flipflop.tasks import Task
from flipflop.tasks.spec import EVALUATION_SEED, TaskAnalysis

GENERALISATION_TRIALS = 2000  # per case, as the measurements


@validate_params(n_trials=POSITIVE_INT, seed=SEED)
def generalise_model(model, task: Task, n_trials: int = GENERALISATION_TRIALS, seed: int = EVALUATION_SEED,
                     spec: TaskAnalysis | None = None) -> list[dict]:
    """One row per case of the spec's ``generalisation`` (fresh trials ``[seed, 31, case]``)."""
    spec = spec or analysis_of(task)
    if spec.generalisation is None:
        raise FlipFlopError(f"the {task.name} task declares no generalisation conditions")
    task.check_model(model)
    rows = []
    for i, case in enumerate(spec.generalisation(task)):
        trials = case.task.generate(n_trials, [seed, 31, i])
        rows.append({"group": case.group, "case": case.name, **rules(case.task, outputs(model, trials.inputs), trials)})
    return rows


@validate_params(n_trials=POSITIVE_INT, seed=SEED)
def generalise_run(path: str | Path, n_trials: int = GENERALISATION_TRIALS, seed: int = EVALUATION_SEED) -> dict:
    """:func:`generalise_model` of a run, with the trained task's score by both rules."""
    run = runs.load_run(path)
    task, model = run.task(), run.model()
    trained = task.generate(n_trials, [seed, 30])
    rows = [{"group": "trained", "case": "as trained", **rules(task, outputs(model, trained.inputs), trained)}]
    return {"run": str(path), "task": task.name, "seed": seed, "rows": rows + generalise_model(model, task, n_trials, seed)}


def format_generalisation(result: dict) -> str:
    """The table ``flipflop evaluate --generalise`` prints."""
    lines = [f"{result['run']}: {result['task']}, fresh trials per case (seed "
             f"{result['seed']}); accuracy by our rule (fixation breaks are errors), by NeuroGym's "
             "(argmax, first action after the go cue), and of the ideal observer of the same inputs",
             f"  {'group':<10} {'case':<50} {'scored':>6} {'ours':>6} {'neurogym':>8} {'ideal':>6} {'breaks':>7} "
             f"{'early':>6}"]
    for r in result["rows"]:
        lines.append(f"  {r['group']:<10} {r['case']:<50} {r['n']:6d} {r['ours']:6.3f} {r['neurogym']:8.3f} {r['ideal']:6.3f} "
                     f"{r['fixation_breaks']:7.3f} {r['early']:6.3f}")
    return "\n".join(lines)
