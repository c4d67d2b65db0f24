"""Fast *and* faithful: time to the accuracy bars, and the recurrent spectrum at that point.

Each recipe trains the default SimpleRNN-400 on batches of 32 fresh trials (2,048 per
epoch, the fast recipe's data) in this process, one recipe after the other. Every
``--check-every`` batches a quick check on 512 held-out trials runs; when it passes,
``flipflop.metrics.evaluate`` (1,000 fresh trials, seed 10,000 + seed, and the 8-state
series) decides. Training stops at the first point meeting the bars:

    held-out bit accuracy >= 0.9995, held-out MSE <= 0.012, 8-state bit accuracy >= 0.999.

Seconds count data generation and fitting only (checks excluded). The spectral
signature of W_rec at that point is "faithful" when std |lambda| <= 0.025, median in
[0.99, 1.01], radius <= 1.15 and at most 80 eigenvalues above 1.01.

    python benchmarks/bench_recipes.py                       # every recipe, seed 0
    python benchmarks/bench_recipes.py --recipes anchored --seeds 0 1 2 3
"""
from __future__ import annotations

import argparse
import json
import time
from pathlib import Path

PAPER = Path("/work/shared/reference/paper-checkpoint/ff_3b_weights-20.hdf5")
PAPER_EPOCH1 = Path("/work/shared/reference/paper-checkpoint/ff_3b_weights-01.hdf5")
RESULTS = Path(__file__).parent / "results"
BARS = {"heldout_accuracy": 0.9995, "heldout_mse": 0.012, "eight_state_accuracy": 0.999}

# name -> settings: optimizer ("muon" | "adam" | "anchored"), learning_rate (recurrent),
# io (the input/readout rate multiplier), decay, clipnorm, and AnchoredMuon's anchor_decay/rank.
BASE = dict(optimizer="muon", learning_rate=1e-3, io=2.0, decay=2e-3, clipnorm=1.0)
RECIPES: dict[str, dict] = {
    "fast": {},
    # the package's recipe (flipflop.recipes "faithful": compile_model's "anchored-muon")
    "faithful": dict(optimizer="anchored-muon", io=5.0),
    "muon-3e-4": dict(learning_rate=3e-4),
    "muon-3e-4-io10": dict(learning_rate=3e-4, io=10.0),
    "adam-1e-4-io10": dict(optimizer="adam", learning_rate=1e-4, io=10.0),
    "adam-1e-4-io20": dict(optimizer="adam", learning_rate=1e-4, io=20.0),
    "anchored-10": dict(optimizer="anchored", anchor_decay=10.0),
    "anchored-30": dict(optimizer="anchored", anchor_decay=30.0),
    "anchored-20-io5": dict(optimizer="anchored", anchor_decay=20.0, io=5.0),
    "anchored-30-io5": dict(optimizer="anchored", anchor_decay=30.0, io=5.0),
    "muon-3e-4-io10-anchored-30": dict(optimizer="anchored", learning_rate=3e-4, io=10.0, anchor_decay=30.0),
    "lowrank-8": dict(optimizer="anchored", rank=8),
    "lowrank-16-3e-3": dict(optimizer="anchored", rank=16, learning_rate=3e-3),
    "lowrank-32-2e-3": dict(optimizer="anchored", rank=32, learning_rate=2e-3),
    "lowrank-16-3e-3-io5": dict(optimizer="anchored", rank=16, learning_rate=3e-3, io=5.0),
}


def faithful(sig: dict) -> bool:
    from flipflop.tasks.flipflop.analysis import has_paper_signature

    return has_paper_signature(sig)


def meets_bars(m: dict) -> bool:
    return (m["heldout"]["bit_accuracy"] >= BARS["heldout_accuracy"] and m["heldout"]["mse"] <= BARS["heldout_mse"]
            and m["eight_state"]["bit_accuracy"] >= BARS["eight_state_accuracy"])


def make_model(settings: dict, seed: int):
    from flipflop.models.build import build_model
    from flipflop.models.optimizers import AnchoredMuon
    from flipflop.models.build import IO_WEIGHT_PATTERNS

    s = {**BASE, **settings}
    kind = s["optimizer"]
    model = build_model("simplernn", 400, 3, learning_rate=s["learning_rate"], decay=s["decay"],
                        clipnorm=s["clipnorm"], io_lr_multiplier=s["io"],
                        optimizer="muon" if kind == "anchored" else kind, seed=seed)
    if kind == "anchored":
        import keras

        schedule = keras.optimizers.schedules.InverseTimeDecay(s["learning_rate"], 1, s["decay"])
        opt = AnchoredMuon(schedule, exclude_layers=list(IO_WEIGHT_PATTERNS), adam_lr_ratio=s["io"],
                           weight_decay=None, adam_weight_decay=None, epsilon=1e-8, clipnorm=s["clipnorm"],
                           anchor_decay=s.get("anchor_decay", 0.0), rank=s.get("rank"))
        model.compile(optimizer=opt, loss="mse", jit_compile=False)
    return model


def run(name: str, settings: dict, seed: int, max_epochs: int, check_every: int, give_up_epoch: int = 2) -> dict:
    import keras
    import numpy as np

    from flipflop.analysis.weights import recurrent_matrix, spectral_signature
    from flipflop.training.metrics import evaluate, score
    from flipflop.tasks.flipflop.task import FlipFlopTask

    keras.backend.clear_session()
    keras.utils.set_random_seed(seed)
    task = FlipFlopTask()
    quick = task.generate(512, [seed, 2])
    model = make_model(settings, seed)
    state = {"batches": 0, "train_s": 0.0, "result": None, "t": 0.0}

    class Check(keras.callbacks.Callback):
        def on_train_batch_begin(self, batch, logs=None):
            state["t"] = time.perf_counter()

        def on_train_batch_end(self, batch, logs=None):
            state["train_s"] += time.perf_counter() - state["t"]
            state["batches"] += 1
            if state["batches"] % check_every:
                return
            q = score(model, task, quick)
            if q["bit_accuracy"] < BARS["heldout_accuracy"] or q["mse"] > BARS["heldout_mse"]:
                return
            m = evaluate(model, task, seed=10_000 + seed)
            if meets_bars(m):
                state["result"] = m
                self.model.stop_training = True

    for epoch in range(max_epochs):
        t = time.perf_counter()
        trials = task.generate(2048, [seed, 1, epoch])
        state["train_s"] += time.perf_counter() - t
        model.fit(trials.inputs, trials.targets, batch_size=32, epochs=1, shuffle=False, verbose=0,
                  callbacks=[Check()])
        if state["result"] is not None:
            break
        q = score(model, task, quick)
        print(f"  {name} seed {seed}: epoch {epoch + 1}, {state['batches']} batches, {state['train_s']:.0f} s, "
              f"quick acc {q['bit_accuracy']:.5f} mse {q['mse']:.4f}, "
              f"sig {fmt_sig(spectral_signature(recurrent_matrix(model)))}", flush=True)
        if not np.isfinite(q["mse"]) or (epoch + 1 >= give_up_epoch and q["bit_accuracy"] < 0.995):
            break  # diverged, or too far behind to make the bars in time
    final = state["result"] or evaluate(model, task, seed=10_000 + seed)
    sig = spectral_signature(recurrent_matrix(model))
    row = {"recipe": name, "seed": seed, "settings": {**BASE, **settings}, "reached": state["result"] is not None,
           "batches": state["batches"], "epochs": round(state["batches"] / 64, 2),
           "seconds": round(state["train_s"], 1), "heldout_accuracy": final["heldout"]["bit_accuracy"],
           "heldout_mse": final["heldout"]["mse"], "eight_state_accuracy": final["eight_state"]["bit_accuracy"],
           **sig, "faithful": faithful(sig)}
    print(json.dumps(row), flush=True)
    return row


def fmt_sig(s: dict) -> str:
    return (f"radius {s['radius']:.3f} n>1.01 {s['n_above']} median {s['median']:.4f} std {s['std']:.4f} "
            f"p10 {s['p10']:.4f}")


def paper_rows() -> list[dict]:
    from flipflop.analysis.weights import recurrent_matrix, spectral_signature
    from flipflop.runs.legacy import legacy_model
    from flipflop.training.metrics import evaluate
    from flipflop.tasks.flipflop.task import FlipFlopTask

    rows = []
    for name, path in (("paper, epoch 20", PAPER), ("paper, epoch 1", PAPER_EPOCH1)):
        if not path.is_file():
            continue
        model = legacy_model(path)[0]
        m = evaluate(model, FlipFlopTask(), seed=10_000)
        sig = spectral_signature(recurrent_matrix(model))
        rows.append({"recipe": name, "seed": "-", "reached": meets_bars(m), "batches": None, "epochs": None,
                     "seconds": None, "heldout_accuracy": m["heldout"]["bit_accuracy"],
                     "heldout_mse": m["heldout"]["mse"], "eight_state_accuracy": m["eight_state"]["bit_accuracy"],
                     **sig, "faithful": faithful(sig)})
    return rows


def table(rows: list[dict]) -> str:
    lines = ["| recipe | seed | bars met | epochs (batches) | s to bars | held-out acc / MSE | 8-state acc | radius "
             "| n>1.01 | median | std | p10 | faithful |", "|" + "---|" * 13]
    for r in rows:
        ep = "—" if r["batches"] is None else f"{r['epochs']} ({r['batches']})"
        sec = "—" if r["seconds"] is None else f"{r['seconds']:.0f}"
        lines.append(f"| {r['recipe']} | {r['seed']} | {'yes' if r['reached'] else 'no'} | {ep} | {sec} | "
                     f"{r['heldout_accuracy']:.5f} / {r['heldout_mse']:.4f} | {r['eight_state_accuracy']:.4f} | "
                     f"{r['radius']:.3f} | {r['n_above']} | {r['median']:.4f} | {r['std']:.4f} | {r['p10']:.4f} | "
                     f"{'yes' if r['faithful'] else 'no'} |")
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--recipes", nargs="+", default=list(RECIPES), choices=list(RECIPES))
    parser.add_argument("--seeds", nargs="+", type=int, default=[0])
    parser.add_argument("--max-epochs", type=int, default=7, help="7 epochs of 64 batches: ~56 s on 2 idle cores")
    parser.add_argument("--check-every", type=int, default=16, help="batches between checks")
    parser.add_argument("--no-paper", action="store_true", help="skip the paper network's row")
    parser.add_argument("--jsonl", type=Path, default=RESULTS / "recipes.jsonl", help="append each row here")
    parser.add_argument("--render", action="store_true",
                        help="only print the table of every row in --jsonl (for results/recipes.md)")
    args = parser.parse_args()
    if args.render:
        rows = [json.loads(line) for line in args.jsonl.read_text().splitlines() if line.strip()]
        print(table(rows))
        return
    rows = [] if args.no_paper else paper_rows()
    args.jsonl.parent.mkdir(parents=True, exist_ok=True)
    with args.jsonl.open("a") as f:
        f.writelines(json.dumps(row) + "\n" for row in rows)
    for name in args.recipes:
        for seed in args.seeds:
            row = run(name, RECIPES[name], seed, args.max_epochs, args.check_every)
            rows.append(row)
            with args.jsonl.open("a") as f:
                f.write(json.dumps(row) + "\n")
    print(table(rows))


if __name__ == "__main__":
    main()
