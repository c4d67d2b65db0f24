"""The ``flipflop`` command line: a thin layer over the library.

Bad input prints one line ``flipflop: error: ...`` and exits with status 2.
"""
from __future__ import annotations

import argparse
import contextlib
import errno
import json
import os
import sys
from pathlib import Path

from flipflop.errors import FlipFlopError

EXIT_USAGE = 2
EXIT_FAILED = 1
_IO_ERRORS = {errno.ENOSPC, errno.EDQUOT, errno.EROFS, errno.EACCES, errno.EPERM, errno.EIO}


class _Parser(argparse.ArgumentParser):
    def error(self, message: str) -> None:  # one line, status 2, no usage dump
        raise FlipFlopError(message)


# The flip-flop's own shorthand flags (``--task-param NAME=VALUE`` sets any task parameter).
FLIPFLOP_FLAGS = {"bits": "n_bits", "duration_ms": "duration_ms", "pulse_ms": "pulse_ms",
                  "delay_ms": "delay_ms", "noise": "noise_std"}


def _add_task_args(p: argparse.ArgumentParser) -> None:
    from flipflop.tasks import DEFAULT_TASK, TASKS

    g = p.add_argument_group("task (times in ms; `flipflop tasks` lists every task's parameters)")
    g.add_argument("--task", default=DEFAULT_TASK, metavar="NAME",
                   help=f"task to train: {', '.join(TASKS)} (default {DEFAULT_TASK})")
    g.add_argument("--task-param", action="append", default=[], metavar="NAME=VALUE",
                   help="set a task parameter, e.g. n_bits=2 or first_onset_ms=[10,99] (repeatable)")
    g.add_argument("--dt-ms", "--dt", type=float, dest="dt_ms",
                   help="time step of any task (default: the task's; 1 ms for the flip-flop, "
                        "10 ms for the flip-flop with --cell ctrnn)")
    g.add_argument("--bits", type=int, help="flip-flop: number of channels (default 3)")
    g.add_argument("--duration-ms", type=float, help="flip-flop: trial length (default 340 ms)")
    g.add_argument("--pulse-ms", type=float, help="flip-flop: pulse width (default 20 ms)")
    g.add_argument("--delay-ms", type=float, help="flip-flop: response delay after the falling edge (default 20 ms)")
    g.add_argument("--noise", type=float, help="flip-flop: input noise std (default 0.1)")


def _int_flag(low: int):
    """An argparse ``type``: an integer >= ``low`` (0 or 1), else a one-line error."""
    def parse(text: str) -> int:
        try:
            value = int(text)
        except ValueError:
            raise argparse.ArgumentTypeError(f"must be an integer, got {text!r}") from None
        if value < low:
            raise argparse.ArgumentTypeError(
                f"must be a {'positive' if low == 1 else 'non-negative'} integer, got {value}")
        return value
    parse.__name__ = "integer"
    return parse


def _parse_value(text: str):
    """A task parameter's value: JSON (numbers, lists, true/false/null), else the string."""
    try:
        return json.loads(text)
    except ValueError:
        return text


def _task_from_args(args: argparse.Namespace) -> dict:
    from flipflop.tasks import task_class

    cls = task_class(args.task)
    given = {}
    for item in args.task_param:
        name, sep, value = item.partition("=")
        if not sep or not name.strip():
            raise FlipFlopError(f"--task-param takes NAME=VALUE, got {item!r}")
        given[name.strip()] = _parse_value(value.strip())
    shorthand = {param: getattr(args, flag) for flag, param in FLIPFLOP_FLAGS.items()
                 if getattr(args, flag) is not None}
    if shorthand and args.task != "flipflop":
        flags = ", ".join("--" + f.replace("_", "-") for f, p in FLIPFLOP_FLAGS.items() if p in shorthand)
        raise FlipFlopError(f"{flags} only apply to --task flipflop; use --task-param NAME=VALUE")
    given.update(shorthand)
    if args.dt_ms is not None:
        given["dt_ms"] = args.dt_ms
    return cls.from_dict(given).to_dict()


def _cell_flags() -> list[tuple[str, str, object, object, list[str]]]:
    """(flag, parameter, constraint, default, cells) of every numeric cell parameter: the
    CLI's cell flags come from the cell registry's parameter tables."""
    import dataclasses

    from flipflop.cells import CELLS

    out: dict[str, tuple] = {}
    for spec in CELLS.values():
        for f in dataclasses.fields(spec.params):
            c = f.metadata["constraint"]
            if f.name != "dt_ms" and c.kind in ("float", "int"):
                flag = c.flag or "--" + f.name.replace("_", "-")
                out.setdefault(f.name, (flag, f.name, c, f.default, []))[4].append(spec.name)
    return list(out.values())


def _add_cell_args(p: argparse.ArgumentParser) -> None:
    from flipflop.cells import CELLS

    p.add_argument("--cell", default="simplernn", metavar="CELL",
                   help=f"recurrent cell: {', '.join(CELLS)} (default simplernn)")
    g = p.add_argument_group("cell parameters (only for the cell they belong to)")
    for flag, name, c, default, cells in _cell_flags():
        g.add_argument(flag, type=float if c.kind == "float" else int, dest=f"cell_{name}", metavar="X",
                       help=f"{' / '.join(cells)}: {c.help} (default {'none' if default is None else default}"
                            f"{' ' + c.unit if c.unit else ''})")


def _cell_kwargs(args: argparse.Namespace) -> dict:
    """The cell flags given, refused when they belong to another cell."""
    given = {}
    for flag, name, _, _, cells in _cell_flags():
        value = getattr(args, f"cell_{name}")
        if value is not None:
            if args.cell not in cells:
                raise FlipFlopError(f"{flag} only apply to --cell {' / '.join(cells)}")
            given[name] = value
    return given


def _rates_text() -> str:
    from flipflop.cells import CELLS

    return "; ".join(f"{name}: " + ", ".join(f"{r} {v:g}" for r, v in spec.rates.items())
                     for name, spec in CELLS.items())


def build_parser() -> argparse.ArgumentParser:
    from flipflop.recipes import OPTIMIZERS, RECIPES

    parser = _Parser(prog="flipflop", description="Train and analyse flip-flop RNNs (Jarne's tutorial).")
    parser.add_argument("--verbose", action="store_true",
                        help="show TensorFlow's and Keras' own messages too (before the command)")
    sub = parser.add_subparsers(dest="command", parser_class=_Parser, metavar="COMMAND")

    p = sub.add_parser("train", help="train a network into a run directory (resumable)")
    _add_cell_args(p)
    p.add_argument("--units", type=int, default=400, help="recurrent units (default 400)")
    p.add_argument("--seed", type=int, default=0, help="seed of weights and data (default 0)")
    p.add_argument("--out", required=True, type=Path, help="run directory")
    p.add_argument("--recipe", default="fast",
                   help="fast (default: Muon, batches of 32 fresh trials, 2048 per epoch, up to 60 epochs) "
                        "or paper (Adam 1e-4, batch 128, one set of 30050 trials, 20 epochs) "
                        "or faithful (fast, with Muon's steps pulled towards the orthogonal start; SimpleRNN)")
    p.add_argument("--epochs", type=int, help="maximum epochs (recipe default)")
    p.add_argument("--batch-size", type=int, help="batch size (recipe default)")
    p.add_argument("--samples-per-epoch", type=int, help="training samples per epoch (recipe default)")
    p.add_argument("--optimizer", metavar="OPT",
                   help="muon or adam (recipe default: fast muon, paper adam)")
    p.add_argument("--lr", type=float, dest="learning_rate",
                   help="learning rate of the recurrent weights (default: per cell and recipe; "
                        f"{_rates_text()})")
    p.add_argument("--target-accuracy", type=float,
                   help="stop at this validation performance (task default; flip-flop 0.999)")
    p.add_argument("--target-mse", type=float, help="... together with this validation MSE (task default; 0.02)")
    p.add_argument("--patience", type=int, help="stop after this many epochs without improvement (10)")
    p.add_argument("--force", action="store_true", help="overwrite a run with a different config in --out")
    p.add_argument("--quiet", action="store_true", help="no per-batch progress bar")
    _add_task_args(p)

    p = sub.add_parser("tasks", help="list the tasks: parameters (units, defaults) and channels")
    p.add_argument("--json", action="store_true", help="print JSON")

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
    p.add_argument("--task", default="flipflop", metavar="NAME",
                   help="flipflop (default: the paper) or a primer task (perceptual_dm, context_dm, parametric_wm, "
                        "match_category: the primer's CTRNN with Dale's law and the fast recipe, its figures and REPORT)")
    p.add_argument("--cell", default=None, help="simplernn (flip-flop default), gru, lstm or ctrnn (primer tasks' "
                                                "default, with --dale 0.8 --tau 100)")
    p.add_argument("--seeds", default=None, help="comma-separated seeds (default 0,1,2,3; primer tasks 0)")
    p.add_argument("--runs", type=Path, default=Path("flipflop-out/runs"),
                   help="where runs go (default flipflop-out/runs in the working directory)")
    p.add_argument("--out", type=Path, default=Path("flipflop-out/figures"),
                   help="figure folder (default flipflop-out/figures in the working directory)")
    p.add_argument("--format", default="png", help="png (default), pdf, svg, or a list such as png,pdf")
    p.add_argument("--paper", type=Path, help="the paper's ff_3b_weights-20.hdf5 or its folder (default: "
                   "$FLIPFLOP_PAPER_CHECKPOINT, ./paper-checkpoint/; drawn alongside when found)")
    p.add_argument("--reference", type=Path, help="an imported run drawn alongside instead of the paper's")
    p.add_argument("--recipe", help="default: faithful for simplernn (the paper's spectrum), fast for other cells")
    p.add_argument("--no-fixed-points", action="store_true", help="skip the fixed-point analysis")
    p.add_argument("--quick", action="store_true", help="tiny networks and short trials: a smoke test")

    p = sub.add_parser("evaluate", help="a run's performance and behaviour on fresh trials, with the primer's bars")
    p.add_argument("run", type=Path, help="run directory")
    p.add_argument("--trials", type=int, default=4000, help="fresh trials (default 4000)")
    p.add_argument("--seed", type=int, default=777, help="seed of the fresh trials (default 777)")
    p.add_argument("--json", action="store_true", help="print JSON")

    p = sub.add_parser("figures", help="draw every figure and REPORT.md from existing runs")
    p.add_argument("--runs", type=Path, nargs="+", help="run directories (default: the shipped networks of --task); "
                   "the figures follow the runs' task")
    p.add_argument("--task", default="flipflop", metavar="NAME",
                   help="without --runs: the shipped network(s) of this task (default flipflop)")
    p.add_argument("--out", type=Path, default=Path("flipflop-out/figures"),
                   help="figure folder (default flipflop-out/figures in the working directory)")
    p.add_argument("--format", default="png", help="png (default), pdf, svg, or a list such as png,pdf")
    p.add_argument("--reference", type=Path, help="a run (e.g. the imported paper network) drawn alongside")
    p.add_argument("--fixed-points", action="store_true",
                   help="compute fixed points for runs that have no cached fixed_points.npz")

    p = sub.add_parser("fixed-points", help="find fixed points of a run and save them in it")
    p.add_argument("run", type=Path, help="run directory")
    p.add_argument("--input", default=None, help="constant input, comma-separated (default zeros)")
    p.add_argument("--period", help="use the mean input of this trial period of the task's analysis series "
                                    "(e.g. stimulus, delay) instead of --input")
    p.add_argument("--trial", type=_int_flag(0), default=0, help="which analysis-series trial --period reads (default 0)")
    p.add_argument("--n-init", type=_int_flag(1), default=1024, help="initial states (default 1024)")
    p.add_argument("--seed", type=_int_flag(0), default=0, help="seed of the initial states (default 0)")
    _add_sweep_parsers(sub)
    return parser


def _add_engine_args(p: argparse.ArgumentParser) -> None:
    p.add_argument("--root", type=Path, default=Path("sweeps"), help="where sweeps live (default sweeps/)")
    p.add_argument("--local", action="store_true", help="no Ray: one run after another in this process")
    p.add_argument("--address", help="an existing Ray cluster (default: RAY_ADDRESS, else an embedded Ray)")
    p.add_argument("--no-fixed-points", action="store_true", help="report without the fixed-point search")


def _add_sweep_parsers(sub) -> None:
    p = sub.add_parser("sweep", help="train a grid of runs into sweeps/NAME (Ray Tune; rerun to resume)")
    p.add_argument("--name", required=True, help="the sweep's folder under --root")
    p.add_argument("--cells", default="simplernn", help="comma-separated cells (default simplernn)")
    p.add_argument("--units", default="400", help="comma-separated sizes, e.g. 64,400 (default 400)")
    p.add_argument("--seeds", default="0", help="seeds: 0-31, 0,3,5 or 0-3,8 (default 0)")
    p.add_argument("--recipes", default="fast", help="comma-separated recipes (default fast)")
    p.add_argument("--tasks", default="flipflop", help="comma-separated tasks (default flipflop)")
    p.add_argument("--set", action="append", default=[], metavar="NAME=V1,V2",
                   help="any training parameter, one or more values (task.X: a task parameter, "
                        "cell.X: a cell argument); repeatable")
    _add_engine_args(p)
    p.add_argument("--storage", help="Tune's storage_path: a folder or URI all nodes see (default the sweep)")
    p.add_argument("--cpus-per-trial", type=float, default=1.0, help="CPUs per run (default 1)")
    p.add_argument("--gpus-per-trial", type=float, default=0.0, help="GPUs per run, may be fractional (0)")
    p.add_argument("--max-concurrent", type=int, help="runs at once (default: as resources allow)")
    p.add_argument("--max-failures", type=int, default=3, help="retries of a run whose worker dies (3)")
    p.add_argument("--retry-failed", action="store_true", help="run diverged runs again")
    p.add_argument("--force", action="store_true", help="replace a sweep of a different grid in --name")
    p.add_argument("--no-report", action="store_true", help="skip sweep-report at the end")
    p = sub.add_parser("sweep-report", help="population analysis of a sweep: CSV, POPULATION.md, figures")
    p.add_argument("name", help="the sweep's folder under --root")
    _add_engine_args(p)
    p.add_argument("--cpus-per-task", type=float, default=1.0, help="CPUs per analysed run (default 1)")


def _int_list(text: str, name: str) -> list[int]:
    try:
        return [int(v) for v in text.split(",") if v.strip()]
    except ValueError:
        raise FlipFlopError(f"{name} must be comma-separated integers, got {text!r}") from None


def cmd_reproduce(args: argparse.Namespace) -> int:
    from flipflop.figures import parse_formats
    from flipflop.reproduce import reproduce
    from flipflop.tasks import task_class

    task_class(args.task)  # an unknown task is a one-line error
    if args.task != "flipflop":
        from flipflop.reproduce_task import reproduce_task

        if args.paper is not None or args.reference is not None:
            raise FlipFlopError("--paper and --reference only apply to --task flipflop")
        reproduce_task(args.task, _int_list(args.seeds or "0", "--seeds"), args.runs, args.out,
                       parse_formats(args.format), cell=args.cell or "ctrnn", quick=args.quick,
                       recipe=args.recipe or "fast", fixed_points=not args.no_fixed_points)
        return 0
    reproduce(args.cell or "simplernn", _int_list(args.seeds or "0,1,2,3", "--seeds"), args.runs, args.out,
              parse_formats(args.format),
              quick=args.quick, recipe=args.recipe, reference=args.reference,
              fixed_points=not args.no_fixed_points, paper=args.paper)
    return 0


def cmd_figures(args: argparse.Namespace) -> int:
    from flipflop.figures import parse_formats
    from flipflop.report import figures_from_runs
    from flipflop.runs import shipped_runs
    from flipflop.tasks import task_class

    task_class(args.task)
    paths = args.runs or shipped_runs("simplernn-400-seed*" if args.task == "flipflop" else f"{args.task}-*-seed*")
    figures_from_runs(paths, args.out, parse_formats(args.format), reference=args.reference,
                      fixed_points="missing" if args.fixed_points else "cached")
    return 0


def cmd_evaluate(args: argparse.Namespace) -> int:
    from flipflop.evaluation import evaluate_run, format_evaluation

    result = evaluate_run(args.run, args.trials, args.seed)
    print(json.dumps(result, indent=2) if args.json else format_evaluation(result))
    return 0


def cmd_fixed_points(args: argparse.Namespace) -> int:
    import numpy as np

    from flipflop.fixed_point_search import compute_fixed_points, period_input
    from flipflop.fixed_points import NoFixedPoint
    from flipflop.runs import load_run, locked

    if args.input is not None and args.period is not None:
        raise FlipFlopError("give --input or --period, not both")
    if not args.run.is_dir():
        raise FlipFlopError(f"run directory {args.run} does not exist")
    with locked(args.run):  # it writes fixed_points.npz into the run
        run = load_run(args.run)
        model, task = run.model(), run.task()
        u = None
        if args.input is not None:
            try:
                u = np.array([float(v) for v in args.input.split(",")], np.float32)
            except ValueError:
                raise FlipFlopError(f"--input must be comma-separated numbers, got {args.input!r}") from None
            if u.shape != (task.n_inputs,):
                raise FlipFlopError(f"--input needs {task.n_inputs} values for the {task.name} task, got {len(u)}")
        elif args.period is not None:
            u = period_input(task, args.period, args.trial)
        try:
            fps = compute_fixed_points(model, task, run.fixed_points_path, n_init=args.n_init, seed=args.seed,
                                       constant_input=u, progress=True)
        except NoFixedPoint:
            raise FlipFlopError(f"no fixed point found in {args.run} from {args.n_init} initial states; "
                                "try a larger --n-init or another --seed") from None
    print(fps.summary(task.n_outputs if task.name == "flipflop" else 0))  # the ideal census is the flip-flop's
    print(f"saved {run.fixed_points_path}")
    return 0


def cmd_tasks(args: argparse.Namespace) -> int:
    from flipflop.tasks import TASKS

    described = [cls.describe() for cls in TASKS.values()]
    if args.json:
        print(json.dumps(described, indent=2))
        return 0
    for d in described:
        print(f"{d['name']}: {d['summary']}  (performance: {d['metric']})")
        for p in d["parameters"]:
            unit = f" {p['unit']}" if p["unit"] else ""
            print(f"    {p['name']:<18} default {p['default']!s:<14}{unit:<4} {p['allowed']:<16} {p['help']}")
        for kind in ("inputs", "outputs"):
            print(f"  {kind}: " + "; ".join(f"{c['name']} ({c['meaning']})" for c in d[kind]))
        if d["periods"]:
            print(f"  periods: {', '.join(d['periods'])}")
        print()
    return 0


def cmd_train(args: argparse.Namespace) -> int:
    from flipflop.training import TrainConfig, TrainingDiverged, train

    cell_kwargs = _cell_kwargs(args)
    if args.cell == "ctrnn" and args.dt_ms is None and args.task == "flipflop":
        args.dt_ms = 10.0  # the CTRNN's step on the flip-flop; the task uses the same one
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
    m, task = result.metrics, config.make_task()
    scores = "; ".join(f"{_split_name(split)} {task.metric.replace('_', ' ')} {m[split][task.metric]:.5f}, "
                       f"MSE {m[split]['mse']:.4f}" for split in ("heldout", task.series_name))
    print(f"{result.path}: {result.epochs_run} epochs, target "
          f"{'reached' if result.reached_target else 'NOT reached'}; {scores}")
    return 0


def _split_name(split: str) -> str:
    return {"heldout": "held-out", "eight_state": "8-state", "conditions": "condition-averaged"}.get(split, split)


def cmd_sweep(args: argparse.Namespace) -> int:
    from flipflop import sweep as sw
    from flipflop.population import sweep_report

    grid = sw.Grid(sw.parse_list(args.cells, "--cells"), sw.parse_ints(args.units, "--units"),
                   sw.parse_ints(args.seeds, "--seeds"), sw.parse_list(args.recipes, "--recipes"),
                   sw.parse_list(args.tasks, "--tasks"), tuple(sw.parse_setting(s) for s in args.set))
    if not args.local:
        sw.import_ray()
        if args.address or os.environ.get("RAY_ADDRESS"):
            sw.check_address(args.address or os.environ["RAY_ADDRESS"])
    sweep = sw.open_sweep(args.name, grid, args.root, force=args.force)
    with contextlib.nullcontext() if args.local else sw.ray_session(args.address):  # one Ray for both steps
        if args.local:
            result = sw.run_local(sweep, retry_failed=args.retry_failed, force=args.force)
        else:
            result = sw.run_ray(sweep, args.address, args.cpus_per_trial, args.gpus_per_trial, args.max_failures,
                                args.max_concurrent, args.storage, retry_failed=args.retry_failed, force=args.force)
        for name, reason in result.failed.items():
            print(f"failed: {name}: {reason}", file=sys.stderr)
        print(f"{sweep.path}: {len(result.done)} trained, {len(result.skipped)} already finished, "
              f"{len(result.failed)} failed ({result.seconds:.0f} s)")
        if not args.no_report and (result.done or result.skipped):
            sweep_report(args.name, args.root, not args.no_fixed_points, args.local, args.address)
    return EXIT_FAILED if result.failed else 0


def cmd_sweep_report(args: argparse.Namespace) -> int:
    from flipflop.population import sweep_report

    if not args.local:
        from flipflop.sweep import check_address, import_ray

        import_ray()
        if args.address:
            check_address(args.address)
    sweep_report(args.name, args.root, not args.no_fixed_points, args.local, args.address, args.cpus_per_task)
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


COMMANDS = {"train": cmd_train, "tasks": cmd_tasks, "inspect": cmd_inspect, "import-legacy": cmd_import_legacy,
            "reproduce": cmd_reproduce, "figures": cmd_figures, "fixed-points": cmd_fixed_points,
            "sweep": cmd_sweep, "sweep-report": cmd_sweep_report, "evaluate": cmd_evaluate}


def main(argv: list[str] | None = None) -> int:
    try:
        parser = build_parser()
        args = parser.parse_args(argv)
        if args.command is None:  # `flipflop` alone: the command list
            parser.print_help()
            return 0
        if args.verbose:
            os.environ["FLIPFLOP_VERBOSE"] = "1"
        import matplotlib

        matplotlib.use("Agg")  # files only, no window
        import flipflop.backend  # noqa: F401  (TensorFlow, quietly unless --verbose)

        return COMMANDS[args.command](args)
    except FlipFlopError as e:
        print(f"flipflop: error: {e}", file=sys.stderr)
        return EXIT_USAGE
    except OSError as e:  # a full disk or lost permission outside our atomic writers
        if e.errno not in _IO_ERRORS:
            raise
        where = f" ({e.filename})" if e.filename else ""
        print(f"flipflop: error: {e.strerror or e}{where}; completed epochs and files are kept, "
              "rerun the same command once fixed", file=sys.stderr)
        return EXIT_USAGE
    except KeyboardInterrupt:
        print("flipflop: interrupted; run the same command again to resume", file=sys.stderr)
        return 130


if __name__ == "__main__":
    sys.exit(main())
