"""The primer's mechanism front: epochs and training time against the measures, per setting tried.

For each run folder given (trained with the settings of ``flipflop.experiments.primer`` or the
trials before them), the validation accuracy and MSE after each epoch (validation trials have
the run's own delays, up to its trained maximum) with the cumulative training seconds, and,
where the run holds them (``mechanisms.json``, written by ``flipflop figures --fixed-points``),
its mechanism bars. Writes ``benchmarks/results/primer_front.md`` and prints it.

    python benchmarks/primer_front.py runs/pwm_v3 runs/pwm_v4 data/parametric_wm-ctrnn-dale-seed0 ...
"""
import argparse
import json
from pathlib import Path

from flipflop import runs


def describe(path: Path) -> list[str]:
    config = runs.read_config(path)["train"]
    task, cell = config["task"], config["cell_kwargs"]
    setting = (f"delay {task.get('delay_ms')} ms, sigma_rec {cell.get('sigma_rec', 0)}, lr {config['learning_rate']:g}, "
               f"curriculum {config.get('delay_curriculum_ms') or 'none'}")
    extra = {k: cell[k] for k in ("l2_h", "l2_weight") if cell.get(k)}
    extra.update({k: task[k] for k in ("stimulus_ms", "sigma", "coherences") if k in task})
    if extra:
        setting += ", " + ", ".join(f"{k} {v}" for k, v in extra.items())
    history = runs.read_history(path / runs.HISTORY)
    key = next(k for k in history[0] if k.startswith("val_") and k != "val_mse")
    lines = [f"### {path.name} ({task['name']}): {setting}", "",
             "| epoch | validation accuracy | validation MSE | training s (cumulative) |", "|---|---|---|---|"]
    seconds = 0.0
    for row in history:
        seconds += row["seconds"]
        lines.append(f"| {row['epoch']} | {row[key]:.3f} | {row['val_mse']:.4f} | {seconds:.0f} |")
    mech = path / runs.MECHANISMS
    if mech.is_file():
        lines += ["", "Mechanism bars of the best model (lowest validation MSE):"]
        lines += [f"- [{'met' if b['met'] else 'NOT met'}] {b['name']}: {b['value']} ({b['rule']})"
                  for b in json.loads(mech.read_text())["bars"]]
    return lines + [""]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("runs", nargs="+", type=Path)
    parser.add_argument("--out", type=Path, default=Path(__file__).parent / "results" / "primer_front.md")
    parser.add_argument("--conditions", default="Training seconds were measured on the shared 2-core CPU under a load "
                        "average of 20-25 (six sessions at once): compare epochs, not seconds.",
                        help="the sentence under the title: where and how the seconds were measured")
    args = parser.parse_args()
    lines = ["# The primer's mechanism front", "", args.conditions, ""]
    for path in args.runs:
        if (path / runs.HISTORY).is_file():
            lines += describe(path)
    text = "\n".join(lines)
    runs.write_text(args.out, text + "\n")
    print(text)


if __name__ == "__main__":
    main()
