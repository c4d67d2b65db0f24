"""Trial generation of a NeuroGym environment: ours (``neurogym:<EnvId>``) beside neurogym's own
``Dataset`` and the bare ``env.new_trial()`` loop both stand on, in one run.

Each: 10,000 trials of the environment (``--env``, default PerceptualDecisionMaking-v0, 22
steps of 100 ms), median of ``--repeats`` runs, wall and CPU seconds (this process). Ours
returns padded (trials, steps, channels) inputs, one-hot targets, the loss mask, per-trial
conditions and periods, seeded; ``Dataset`` returns (batch, seq_len) inputs and integer
targets of concatenated trials, unseeded (neurogym #282); the bare loop only calls
``new_trial()``. The primer's own perceptual DM (``perceptual_dm``, numpy end to end) is
timed too.

    PYTHONPATH=. python benchmarks/bench_neurogym.py [--env ID] [--repeats 3]
"""
from __future__ import annotations

import argparse
import os
import statistics
import time
import warnings


def timed(fn, repeats: int) -> tuple[float, float]:
    wall, cpu = [], []
    for _ in range(repeats):
        w, c = time.perf_counter(), time.process_time()
        fn()
        wall.append(time.perf_counter() - w)
        cpu.append(time.process_time() - c)
    return statistics.median(wall), statistics.median(cpu)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--env", default="PerceptualDecisionMaking-v0")
    ap.add_argument("--trials", type=int, default=10_000)
    ap.add_argument("--repeats", type=int, default=3)
    args = ap.parse_args()
    warnings.simplefilter("ignore")
    import neurogym as ngym

    from flipflop.tasks import make_task
    from flipflop.tasks.neurogym import envs

    task = make_task(f"neurogym:{args.env}")
    steps = task.generate(1, 0).inputs.shape[1]
    env = envs.build(args.env, seed=0)
    batch = 100

    def ours():
        task.generate(args.trials, 0)

    def dataset():  # one cache fill of batch x seq_len steps = args.trials trials of fixed length
        ngym.Dataset(args.env, batch_size=batch, seq_len=steps * (args.trials // batch), batch_first=True)()

    def bare():
        for _ in range(args.trials):
            env.new_trial()

    def primer():
        make_task("perceptual_dm").generate(args.trials, 0)

    rows = [("ours: neurogym:" + args.env, ours), ("neurogym Dataset (same trials' steps)", dataset),
            ("bare env.new_trial() loop", bare), ("primer's perceptual_dm (numpy)", primer)]
    load = os.getloadavg()[0]
    print(f"{args.trials} trials of {args.env} ({steps} steps each); median of {args.repeats}; load average {load:.1f}")
    results = {name: timed(fn, args.repeats) for name, fn in rows}
    base = results[rows[1][0]][0]
    for name, (w, c) in results.items():
        print(f"  {name:<52} wall {w:6.2f} s  CPU {c:6.2f} s  ({w / base:.2f}x Dataset's wall)")


if __name__ == "__main__":
    main()
