"""The ``flipflop`` subcommands: each turns its arguments, checked by :mod:`flipflop.cli.checks`,
into one call of the public API. TensorFlow, Ray and matplotlib load here, not before."""
from __future__ import annotations

import argparse
import contextlib
import json
import sys


EXIT_FAILED = 1


def cmd_train(args: argparse.Namespace) -> int:
    from flipflop.training import TrainingDiverged, train

    config = args.config  # built and checked by flipflop.cli.checks
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

    from flipflop.tasks.neurogym import catalog

    described = [cls.describe() for cls in TASKS.values()]
    gym = catalog.describe_all() if args.neurogym and catalog.installed() else []
    if args.json:
        print(json.dumps(described + gym, indent=2, default=str))
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
    if gym:
        print("\n".join(line for d in gym for line in catalog.lines(d)))
    elif catalog.installed():  # listing them imports NeuroGym and torch and builds every environment (seconds)
        print("neurogym:<EnvId>: NeuroGym's environments; `flipflop tasks --neurogym` lists them")
    else:
        print(f"neurogym:<EnvId>: NeuroGym's environments, once installed ({catalog.envs.EXTRA_HINT})")
    return 0


def cmd_inspect(args: argparse.Namespace) -> int:
    from flipflop.runs.inspect import describe, describe_config, format_table

    info = describe_config(args.path) if args.path.suffix == ".json" and args.path.is_file() else describe(args.path)
    print(json.dumps(info, indent=2) if args.json else format_table(info))
    return 0


def cmd_import_legacy(args: argparse.Namespace) -> int:
    from flipflop.runs.legacy import import_legacy

    run = import_legacy(args.file, args.out, initial=args.initial, force=args.force,
                        evaluate_metrics=not args.no_eval, task=args.task_dict)
    print(f"imported {args.file} into {run}")
    return 0


def cmd_reproduce(args: argparse.Namespace) -> int:
    from flipflop.experiments.reproduce import reproduce

    reproduce(args.task, args.seed_list, args.runs, args.out, args.formats, cell=args.cell, quick=args.quick, recipe=args.recipe,
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
    from flipflop.reports.driver import draw_figures

    draw_figures(args.runs, args.out, args.formats, reference=args.reference,
                 fixed_points="missing" if args.fixed_points else "cached")
    return 0


def cmd_fixed_points(args: argparse.Namespace) -> int:
    from flipflop.dynamics.search import search_fixed_points
    from flipflop.runs import load_run

    fps = search_fixed_points(args.run, args.constant_input, args.period, args.trial, args.n_init, args.seed, progress=True)
    run = load_run(args.run)
    zero_input = args.input is None and args.period is None
    print(fps.summary(run.task().ideal_census() if zero_input else None))
    print(f"saved {run.fixed_points_path}")
    return 0


def cmd_sweep(args: argparse.Namespace) -> int:
    from flipflop import runs
    from flipflop import sweep as sw

    with runs.locked(args.root / args.name):  # one driver per sweep: a second is refused, naming this one
        with contextlib.nullcontext() if args.local else sw.ray_session(args.address) as ray:  # one Ray for both steps
            if not args.local:
                sw.check_resources(ray, args.cpus_per_trial, args.gpus_per_trial)
            sweep = sw.open_sweep(args.name, args.grid, args.root, force=args.force)  # sweep.json, results.json
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
                from flipflop.sweep.population import sweep_report

                sweep_report(args.name, args.root, not args.no_fixed_points, args.local, args.address)
    return EXIT_FAILED if result.failed else 0


def cmd_sweep_report(args: argparse.Namespace) -> int:
    from flipflop import runs

    with runs.locked(args.root / args.name):  # not while a driver works in the sweep
        from flipflop.sweep.population import sweep_report

        sweep_report(args.name, args.root, not args.no_fixed_points, args.local, args.address, args.cpus_per_task,
                     compare=args.compare)
    return 0


def cmd_compare(args: argparse.Namespace) -> int:
    from flipflop.reports.compare import compare_runs, write_comparison

    mapper = None
    if not args.local:
        try:
            import ray  # noqa: F401  (the [sweep] extra: the pairs on Ray, else in turn)
        except ImportError:
            pass
        else:
            import functools

            from flipflop.sweep.parallel import ray_pairs

            mapper = functools.partial(ray_pairs, address=args.address)
    c = compare_runs(args.runs, args.metric, fixed_points=args.fixed_points, mapper=mapper)
    written = write_comparison(c, args.out, command="flipflop " + " ".join(sys.argv[1:]) if sys.argv[1:] else "")
    print(f"compared {len(c.names)} runs under {', '.join(c.metrics)} in {c.seconds['total']:.0f} s; "
          f"wrote {len(written)} files into {args.out}")
    return 0


COMMANDS = {"train": cmd_train, "tasks": cmd_tasks, "inspect": cmd_inspect, "import-legacy": cmd_import_legacy,
            "reproduce": cmd_reproduce, "figures": cmd_figures, "fixed-points": cmd_fixed_points,
            "sweep": cmd_sweep, "sweep-report": cmd_sweep_report, "evaluate": cmd_evaluate,
            "compare": cmd_compare}
