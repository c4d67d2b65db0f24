"""Our shipped primer networks (``data/<task>-ctrnn-dale-seed0``) on their NeuroGym counterparts'
own trials: the numbers of the README's conventions table.

Each network meets, unchanged, the environment's trials at its own step (``dt=20``; the
environment's other defaults: its timing, noise, go cue or none), where the channels line
up one to one (perceptual DM: 3 inputs, 3 outputs; context DM with ``use_expl_context``:
7 inputs; parametric WM and DelayComparison: 2 inputs); the argmax of its outputs is its
action, scored by neurogym's rule and ours. Match-to-category's 17-unit ring has no
counterpart in DelayMatchCategory's 2-unit one, so it is not run.

    PYTHONPATH=. python scripts/neurogym_primer_compare.py [--trials 1000]
"""
from __future__ import annotations

import argparse
import os
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
PAIRS = (("perceptual_dm", "PerceptualDecisionMaking-v0", {"dt": 20}),
         ("context_dm", "ContextDecisionMaking-v0", {"dt": 20, "use_expl_context": True}),
         ("parametric_wm", "DelayComparison-v0", {"dt": 20}))


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--trials", type=int, default=1000)
    args = ap.parse_args()
    from flipflop import runs
    from flipflop.analysis.activity import outputs
    from flipflop.tasks import make_task

    print(f"load average {os.getloadavg()[0]:.1f}; {args.trials} trials each (seed 777)")
    for ours, env_id, kwargs in PAIRS:
        run = runs.load_run(ROOT / "data" / f"{ours}-ctrnn-dale-seed0")
        model, own = run.model(), run.task()
        task = make_task({"name": f"neurogym:{env_id}", "kwargs": kwargs})
        trials = task.generate(args.trials, 777)
        s = task.score(outputs(model, trials.inputs), trials)
        mine = own.score(outputs(model, own.generate(args.trials, 777).inputs), own.generate(args.trials, 777))
        print(f"{ours} network on neurogym:{env_id} {kwargs}: neurogym's rule {s['neurogym_performance']:.3f}, "
              f"ours {s['accuracy']:.3f} (fixation breaks {s['fixation_breaks']:.3f}); chance "
              f"{task.levels()[0]:.3f}; on its own task: accuracy {mine['accuracy']:.3f}")


if __name__ == "__main__":
    main()
