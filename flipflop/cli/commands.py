"""The ``flipflop`` subcommands: each turns its arguments into one call of the public API."""
from __future__ import annotations

import argparse
import contextlib
import json
import os
import sys

from flipflop.cli.parser import cell_flags, task_flags, train_flags
from flipflop.errors import FlipFlopError, parse_ints

EXIT_FAILED = 1


def _parse_value(text: str):
    """A task parameter's value: JSON (numbers, lists, true/false/null), else the string."""
    try:
        return json.loads(text)
    except ValueError:
        return text


def task_params(args: argparse.Namespace) -> dict:
    """The task's parameters from ``--task-param NAME=VALUE`` and the task flags; a flag of
    another task, or a parameter set twice, is a one-line error."""
    from flipflop.tasks import task_class

    cls = task_class(args.task)
    given: dict = {}
    for item in args.task_param:
        name, sep, value = item.partition("=")
        if not sep or not name.strip():
            raise FlipFlopError(f"--task-param takes NAME=VALUE, got {item!r}")
        given[name.strip()] = _parse_value(value.strip())
    for flag in task_flags():
        value = getattr(args, flag.dest, None)
        if value is None:
            continue
        if cls.name not in flag.owners:
            raise FlipFlopError(f"{flag.options[0]} only apply to --task {' / '.join(flag.owners)}; "
                                "use --task-param NAME=VALUE")
        if flag.name in given:
            raise FlipFlopError(f"{flag.options[0]} and --task-param {flag.name}=... both set {flag.name}; give one")
        given[flag.name] = value
    return cls.from_dict(cls.for_cell(getattr(args, "cell", ""), given)).to_dict()


def cell_params(args: argparse.Namespace) -> dict:
    """The cell flags given, refused when they belong to another cell."""
    given = {}
    for flag in cell_flags():
        value = getattr(args, flag.dest)
        if value is not None:
            if args.cell not in flag.owners:
                raise FlipFlopError(f"{flag.options[0]} only apply to --cell {' / '.join(flag.owners)}")
            given[flag.name] = value
    return given


def cmd_train(args: argparse.Namespace) -> int:
    from flipflop.training import TrainConfig, TrainingDiverged, train

    settings = {f.name: getattr(args, f.dest) for f in train_flags() if getattr(args, f.dest) is not None}
    config = TrainConfig.from_recipe(cell=args.cell, task=task_params(args), cell_kwargs=cell_params(args), **settings)
    try:
        result = train(config, args.out, force=args.force, verbose=0 if args.quiet else 1)
    except TrainingDiverged as e:
        print(f"flipflop: training diverged: {e}", file=sys.stderr)
        return EXIT_FAILED
    m, task = result.metrics, config.make_task()
    scores = "; ".join(f"{label} {task.metric.replace('_', ' ')} {m[split][task.metric]:.5f}, MSE {m[split]['mse']:.4f}"
                       for split, label in (("heldout", "held-out"), (task.series_name, task.series_label)))
    print(f"{result.path}: {result.epochs_run} epochs, target "
          f"{'reached' if result.reached_target else 'NOT reached'}; {scores}")
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


def cmd_inspect(args: argparse.Namespace) -> int:
    from flipflop.runs.inspect import describe, format_table

    info = describe(args.path)
    print(json.dumps(info, indent=2) if args.json else format_table(info))
    return 0


def cmd_import_legacy(args: argparse.Namespace) -> int:
    from flipflop.runs.legacy import import_legacy

    run = import_legacy(args.file, args.out, initial=args.initial, force=args.force,
                        evaluate_metrics=not args.no_eval, task=task_params(args))
    print(f"imported {args.file} into {run}")
    return 0


def cmd_reproduce(args: argparse.Namespace) -> int:
    from flipflop.experiments.reproduce import reproduce
    from flipflop.plotting.io import parse_formats

    reproduce(args.task, None if args.seeds is None else parse_ints(args.seeds, "--seeds"), args.runs, args.out,
              parse_formats(args.format), cell=args.cell, quick=args.quick, recipe=args.recipe,
              reference=args.reference, fixed_points=not args.no_fixed_points, paper=args.paper)
    return 0


def cmd_evaluate(args: argparse.Namespace) -> int:
    from flipflop.reports.evaluate import evaluate_run, format_evaluation

    if args.generalise:
        from flipflop.reports.generalise import format_generalisation, generalise_run

        result = generalise_run(args.run, args.trials, args.seed)
        print(json.dumps(result, indent=2) if args.json else format_generalisation(result))
        return 0
    result = evaluate_run(args.run, args.trials, args.seed)
    print(json.dumps(result, indent=2) if args.json else format_evaluation(result))
    return 0


def cmd_figures(args: argparse.Namespace) -> int:
    from flipflop.plotting.io import parse_formats
    from flipflop.reports.driver import draw_figures
    from flipflop.runs import shipped_runs
    from flipflop.tasks import task_class

    paths = args.runs or shipped_runs(task_class(args.task).name)
    draw_figures(paths, args.out, parse_formats(args.format), reference=args.reference,
                 fixed_points="missing" if args.fixed_points else "cached")
    return 0


def cmd_fixed_points(args: argparse.Namespace) -> int:
    from flipflop.dynamics.search import search_fixed_points
    from flipflop.reports.specs import analysis_of
    from flipflop.runs import load_run

    constant_input = None
    if args.input is not None:
        try:
            constant_input = [float(v) for v in args.input.split(",")]
        except ValueError:
            raise FlipFlopError(f"--input must be comma-separated numbers, got {args.input!r}") from None
    fps = search_fixed_points(args.run, constant_input, args.period, args.trial, args.n_init, args.seed, progress=True)
    run = load_run(args.run)
    task, spec = run.task(), analysis_of(run.task())
    zero_input = args.input is None and args.period is None
    print(fps.summary(spec.ideal_census(task) if spec.ideal_census is not None and zero_input else None))
    print(f"saved {run.fixed_points_path}")
    return 0


def cmd_sweep(args: argparse.Namespace) -> int:
    from flipflop import sweep as sw
    from flipflop.sweep.population import sweep_report

    grid = sw.Grid(sw.parse_list(args.cells, "--cells"), parse_ints(args.units, "--units"),
                   parse_ints(args.seeds, "--seeds"), sw.parse_list(args.recipes, "--recipes"),
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
    from flipflop.sweep.population import sweep_report

    if not args.local:
        from flipflop.sweep import check_address, import_ray

        import_ray()
        if args.address:
            check_address(args.address)
    sweep_report(args.name, args.root, not args.no_fixed_points, args.local, args.address, args.cpus_per_task)
    return 0


COMMANDS = {"train": cmd_train, "tasks": cmd_tasks, "inspect": cmd_inspect, "import-legacy": cmd_import_legacy,
            "reproduce": cmd_reproduce, "figures": cmd_figures, "fixed-points": cmd_fixed_points,
            "sweep": cmd_sweep, "sweep-report": cmd_sweep_report, "evaluate": cmd_evaluate}
