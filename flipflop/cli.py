"""The ``flipflop`` command line: a thin layer over the library.

Bad input prints one line ``flipflop: error: ...`` and exits with status 2.
"""
from __future__ import annotations

import argparse
import json
import logging
import os
import sys
from pathlib import Path

from flipflop.errors import FlipFlopError

EXIT_USAGE = 2
EXIT_FAILED = 1


class _Parser(argparse.ArgumentParser):
    def error(self, message: str) -> None:  # one line, status 2, no usage dump
        raise FlipFlopError(message)


def _add_task_args(p: argparse.ArgumentParser) -> None:
    g = p.add_argument_group("task (times in ms)")
    g.add_argument("--bits", type=int, default=3, help="number of flip-flop channels (default 3)")
    g.add_argument("--duration-ms", type=float, help="trial length (default 340 ms)")
    g.add_argument("--dt-ms", "--dt", type=float, dest="dt_ms",
                   help="time step (default 1 ms; 10 ms for --cell ctrnn)")
    g.add_argument("--pulse-ms", type=float, help="pulse width (default 20 ms)")
    g.add_argument("--delay-ms", type=float, help="response delay after the falling edge (default 20 ms)")
    g.add_argument("--noise", type=float, help="input noise std (default 0.1)")


def _task_from_args(args: argparse.Namespace) -> dict:
    from flipflop.tasks.flipflop import FlipFlopTask

    given = {"n_bits": args.bits, "duration_ms": args.duration_ms, "dt_ms": args.dt_ms,
             "pulse_ms": args.pulse_ms, "delay_ms": args.delay_ms, "noise_std": args.noise}
    return FlipFlopTask(**{k: v for k, v in given.items() if v is not None}).to_dict()


def build_parser() -> argparse.ArgumentParser:
    parser = _Parser(prog="flipflop", description="Train and analyse flip-flop RNNs (Jarne's tutorial).")
    sub = parser.add_subparsers(dest="command", required=True, parser_class=_Parser)

    p = sub.add_parser("train", help="train a network into a run directory (resumable)")
    p.add_argument("--cell", default="simplernn", help="simplernn, gru, lstm or ctrnn (default simplernn)")
    p.add_argument("--units", type=int, default=400, help="recurrent units (default 400)")
    p.add_argument("--seed", type=int, default=0, help="seed of weights and data (default 0)")
    p.add_argument("--out", required=True, type=Path, help="run directory")
    p.add_argument("--recipe", default="fast", help="fast (default) or paper")
    p.add_argument("--epochs", type=int, help="maximum epochs (recipe default)")
    p.add_argument("--batch-size", type=int, help="batch size (recipe default)")
    p.add_argument("--samples-per-epoch", type=int, help="training samples per epoch (recipe default)")
    p.add_argument("--optimizer", help="muon or adam (recipe default: fast muon, paper adam)")
    p.add_argument("--lr", type=float, dest="learning_rate",
                   help="learning rate of the recurrent weights (recipe default: fast 1e-3, "
                        "1e-2 for gru and ctrnn; paper 1e-4)")
    p.add_argument("--target-accuracy", type=float, help="stop at this validation bit accuracy (0.999)")
    p.add_argument("--target-mse", type=float, help="... together with this validation MSE (0.02)")
    p.add_argument("--patience", type=int, help="stop after this many epochs without improvement (10)")
    p.add_argument("--force", action="store_true", help="overwrite a run with a different config in --out")
    p.add_argument("--quiet", action="store_true", help="no per-batch progress bar")
    g = p.add_argument_group("ctrnn cell")
    g.add_argument("--tau", type=float, dest="tau_ms", help="time constant (default 100 ms)")
    g.add_argument("--dale", type=float, dest="dale_ratio", help="fraction of excitatory units, e.g. 0.8")
    g.add_argument("--sigma-rec", type=float, help="recurrent noise std during training")
    _add_task_args(p)

    p = sub.add_parser("inspect", help="describe a run directory or .keras model")
    p.add_argument("path", type=Path, help="run directory or .keras file")
    p.add_argument("--json", action="store_true", help="print JSON instead of a table")

    p = sub.add_parser("import-legacy", help="convert a Keras 2.x HDF5 checkpoint into a run directory")
    p.add_argument("file", type=Path, help="the .hdf5/.h5 file (e.g. the paper's ff_3b_weights-20.hdf5)")
    p.add_argument("--out", required=True, type=Path, help="run directory to write")
    p.add_argument("--initial", type=Path, help="the untrained network's HDF5 file, saved as initial.keras")
    p.add_argument("--force", action="store_true", help="overwrite an existing run directory")
    p.add_argument("--no-eval", action="store_true", help="skip measuring the metrics")
    p = sub.add_parser("reproduce", help="train the four realisations and draw every figure (the main job)")
    p.add_argument("--cell", default="simplernn", help="simplernn (default), gru, lstm or ctrnn")
    p.add_argument("--seeds", default="0,1,2,3", help="comma-separated seeds (default 0,1,2,3)")
    p.add_argument("--runs", type=Path, default=Path("runs"), help="where runs go (default runs/)")
    p.add_argument("--out", type=Path, default=Path("figures"), help="figure folder (default figures/)")
    p.add_argument("--format", default="png", help="png (default), pdf, or png,pdf")
    p.add_argument("--reference", type=Path, help="a run (e.g. the imported paper network) drawn alongside")
    p.add_argument("--recipe", default="fast", help="fast (default) or paper")
    p.add_argument("--no-fixed-points", action="store_true", help="skip the fixed-point analysis")
    p.add_argument("--quick", action="store_true", help="tiny networks and short trials: a smoke test")

    p = sub.add_parser("figures", help="draw every figure and REPORT.md from existing runs")
    p.add_argument("--runs", type=Path, nargs="+", help="run directories (default: the shipped networks)")
    p.add_argument("--out", type=Path, default=Path("figures"), help="figure folder (default figures/)")
    p.add_argument("--format", default="png", help="png (default), pdf, or png,pdf")
    p.add_argument("--reference", type=Path, help="a run (e.g. the imported paper network) drawn alongside")
    p.add_argument("--fixed-points", action="store_true",
                   help="compute fixed points for runs that have no cached fixed_points.npz")

    p = sub.add_parser("fixed-points", help="find fixed points of a run and save them in it")
    p.add_argument("run", type=Path, help="run directory")
    p.add_argument("--input", default=None, help="constant input, comma-separated (default zeros)")
    p.add_argument("--n-init", type=int, default=1024, help="initial states (default 1024)")
    p.add_argument("--seed", type=int, default=0, help="seed of the initial states (default 0)")
    return parser


def _int_list(text: str, name: str) -> list[int]:
    try:
        return [int(v) for v in text.split(",") if v.strip()]
    except ValueError:
        raise FlipFlopError(f"{name} must be comma-separated integers, got {text!r}") from None


def cmd_reproduce(args: argparse.Namespace) -> int:
    from flipflop.figures import parse_formats
    from flipflop.reproduce import reproduce

    reproduce(args.cell, _int_list(args.seeds, "--seeds"), args.runs, args.out, parse_formats(args.format),
              quick=args.quick, recipe=args.recipe, reference=args.reference,
              fixed_points=not args.no_fixed_points)
    return 0


def cmd_figures(args: argparse.Namespace) -> int:
    from flipflop.figures import parse_formats
    from flipflop.report import figures_from_runs, shipped_runs

    paths = args.runs or shipped_runs()
    figures_from_runs(paths, args.out, parse_formats(args.format), reference=args.reference,
                      fixed_points=True if args.fixed_points else "cached")
    return 0


def cmd_fixed_points(args: argparse.Namespace) -> int:
    import numpy as np

    from flipflop.report import FIXED_POINTS, compute_fixed_points, run_task
    from flipflop.runs import load_run

    run = load_run(args.run)
    model, task = run.model(), run_task(run)
    u = None
    if args.input is not None:
        try:
            u = np.array([float(v) for v in args.input.split(",")], np.float32)
        except ValueError:
            raise FlipFlopError(f"--input must be comma-separated numbers, got {args.input!r}") from None
    fps = compute_fixed_points(model, task, args.run / FIXED_POINTS, n_init=args.n_init, seed=args.seed,
                               constant_input=u)
    print(fps.summary(task.n_bits))
    print(f"saved {args.run / FIXED_POINTS}")
    return 0


def cmd_train(args: argparse.Namespace) -> int:
    from flipflop.training import TrainConfig, TrainingDiverged, train

    cell_kwargs = {k: v for k, v in (("tau_ms", args.tau_ms), ("dale_ratio", args.dale_ratio),
                                     ("sigma_rec", args.sigma_rec)) if v is not None}
    if args.cell != "ctrnn" and cell_kwargs:
        raise FlipFlopError(f"{', '.join(sorted(cell_kwargs))} only apply to --cell ctrnn")
    if args.cell == "ctrnn" and args.dt_ms is None:
        args.dt_ms = 10.0  # the CTRNN's default step; the task uses the same one
    config = TrainConfig.from_recipe(
        args.recipe, cell=args.cell, units=args.units, seed=args.seed, epochs=args.epochs,
        batch_size=args.batch_size, samples_per_epoch=args.samples_per_epoch, optimizer=args.optimizer,
        learning_rate=args.learning_rate, target_accuracy=args.target_accuracy,
        target_mse=args.target_mse, patience=args.patience, task=_task_from_args(args),
        cell_kwargs=cell_kwargs)
    try:
        result = train(config, args.out, force=args.force, verbose=0 if args.quiet else 1)
    except TrainingDiverged as e:
        print(f"flipflop: training diverged: {e}", file=sys.stderr)
        return EXIT_FAILED
    m = result.metrics
    print(f"{result.path}: {result.epochs_run} epochs, target {'reached' if result.reached_target else 'NOT reached'}; "
          f"held-out bit accuracy {m['heldout']['bit_accuracy']:.5f}, MSE {m['heldout']['mse']:.4f}; "
          f"8-state bit accuracy {m['eight_state']['bit_accuracy']:.5f}, MSE {m['eight_state']['mse']:.4f}")
    return 0


def cmd_inspect(args: argparse.Namespace) -> int:
    from flipflop.inspection import describe, format_table

    info = describe(args.path)
    print(json.dumps(info, indent=2) if args.json else format_table(info))
    return 0


def cmd_import_legacy(args: argparse.Namespace) -> int:
    from flipflop.legacy import import_legacy

    run = import_legacy(args.file, args.out, initial=args.initial, force=args.force,
                        evaluate_metrics=not args.no_eval)
    print(f"imported {args.file} into {run}")
    return 0


COMMANDS = {"train": cmd_train, "inspect": cmd_inspect, "import-legacy": cmd_import_legacy,
            "reproduce": cmd_reproduce, "figures": cmd_figures, "fixed-points": cmd_fixed_points}


def _import_keras_quietly() -> None:
    """Import TensorFlow/Keras with C++ start-up chatter (absl, oneDNN notices) kept off
    stderr, and TensorFlow's Python warnings (e.g. on retracing) below ERROR."""
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
    sys.stderr.flush()
    saved = os.dup(2)
    try:
        with open(os.devnull, "w") as devnull:
            os.dup2(devnull.fileno(), 2)
            import keras  # noqa: F401
    finally:
        os.dup2(saved, 2)
        os.close(saved)
    logging.getLogger("tensorflow").setLevel(logging.ERROR)


def main(argv: list[str] | None = None) -> int:
    try:
        args = build_parser().parse_args(argv)
        _import_keras_quietly()
        return COMMANDS[args.command](args)
    except FlipFlopError as e:
        print(f"flipflop: error: {e}", file=sys.stderr)
        return EXIT_USAGE
    except KeyboardInterrupt:
        print("flipflop: interrupted; run the same command again to resume", file=sys.stderr)
        return 130


if __name__ == "__main__":
    sys.exit(main())
