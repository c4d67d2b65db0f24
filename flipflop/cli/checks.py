"""Everything a command is given, checked before any work: one function per command.

Each check reads the arguments, the files they name and the machine (memory, CPUs, GPUs,
a cluster's address) and refuses in one line (``FlipFlopError``) what cannot work. None
imports TensorFlow, Keras, Ray or matplotlib, and none writes anything: the command runs
only once its check has passed. Checks leave what they have built on ``args`` (the
training config, the constant input...) for the command to use.
"""
from __future__ import annotations

import argparse
import json
import math
import os
import sys
from importlib.util import find_spec
from pathlib import Path

from flipflop import runs
from flipflop.cli.parser import cell_flags, task_flags, train_flags
from flipflop.errors import MAX_SEED, FlipFlopError, check_value, parse_ints
from flipflop.training import budget

MAX_POINTS = 10_000  # the most runs one sweep may hold (checking each config takes about 1 ms)
MAX_REPRODUCED = 1_000  # the most seeds one reproduce may train
ADDRESS_TIMEOUT_S = 2.0  # how long an --address may take to answer


# ---------------------------------------------------------------- shared pieces

def _parse_value(text: str):
    """A task parameter's value: JSON (numbers, lists, true/false/null), else the string."""
    try:
        return json.loads(text)
    except ValueError:
        return text


def task_params(args: argparse.Namespace) -> dict:
    """The task's parameters from ``--task-param NAME=VALUE`` and the task flags; a flag of
    another task, or a parameter set twice, is a one-line error (the second value is
    checked first, so a bad one is named as such)."""
    from flipflop.tasks import task_class

    cls = task_class(args.task)
    given: dict = {}
    for item in args.task_param:
        name, sep, value = item.partition("=")
        if not sep or not name.strip():
            raise FlipFlopError(f"--task-param takes NAME=VALUE, got {item[:60]!r}")
        given[name.strip()] = _parse_value(value.strip())
    for flag in task_flags():
        value = getattr(args, flag.dest, None)
        if value is None:
            continue
        if cls.name not in flag.owners:
            raise FlipFlopError(f"{flag.options[0]} only apply to --task {' / '.join(flag.owners)}; "
                                "use --task-param NAME=VALUE")
        if flag.name in given:
            both = f"{flag.options[0]} {value} and --task-param {flag.name}={given[flag.name]!r} both set {flag.name}"
            try:
                check_value(f"--task-param {flag.name}", given[flag.name], flag.constraint)
            except FlipFlopError as e:
                raise FlipFlopError(f"{e}; and {both}: give one") from None
            raise FlipFlopError(f"{both}; give one")
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


def train_config(args: argparse.Namespace):
    """The ``TrainConfig`` of ``flipflop train``'s flags (validated)."""
    from flipflop.training.config import TrainConfig

    settings = {f.name: getattr(args, f.dest) for f in train_flags() if getattr(args, f.dest) is not None}
    return TrainConfig.from_recipe(cell=args.cell, task=task_params(args), cell_kwargs=cell_params(args), **settings)


def writable_folder(path: Path, flag: str) -> None:
    """Refuse a folder that could not be made or written: a file in its place, or its
    nearest existing parent not a writable folder. Creates nothing."""
    if path.exists() and not path.is_dir():
        raise FlipFlopError(f"{flag} {path} exists and is not a folder")
    parent = path
    while not parent.exists() and parent != parent.parent:
        parent = parent.parent
    parent = parent if parent.exists() else Path(".")
    if not parent.is_dir():
        raise FlipFlopError(f"cannot write to {flag} {path}: {parent} is not a folder")
    if not os.access(parent, os.W_OK | os.X_OK):
        raise FlipFlopError(f"cannot write to {parent}: permission denied")


def _run(path: Path, flag: str = "run directory"):
    """A finished run, read without TensorFlow: its files checked by checksum, its model an
    intact archive."""
    run = runs.load_run(path)
    runs.check_model_file(path / runs.MODEL)
    return run


def _units(run) -> int:
    units = run.config.get("units")
    if isinstance(units, bool) or not isinstance(units, int) or units < 1:
        raise FlipFlopError(f"corrupt file {run.path / runs.CONFIG}: no units")
    return units


def _check_fixed_point_files(run) -> None:
    """Every cached fixed-point file of the run: readable, and shaped for its network and task."""
    from flipflop.dynamics.result import FixedPoints

    units, n_inputs = _units(run), run.task().n_inputs
    for path in sorted(run.path.glob("fixed_points*.npz")):
        fps = FixedPoints.load(path)
        n = fps.points.shape[1]
        if n not in (units, 2 * units):
            raise FlipFlopError(f"{path} is not a valid fixed-point file (points of {n} states, but the network "
                                f"has {units} units)")
        if fps.input.shape != (n_inputs,):
            raise FlipFlopError(f"{path} is not a valid fixed-point file (an input of {fps.input.shape[0]} values, "
                                f"but the {run.task().name} task has {n_inputs} inputs)")


def _formats(text: str) -> tuple[str, ...]:
    from flipflop.plotting.io import parse_formats

    return parse_formats(text)


# ---------------------------------------------------------------- one check per command

def check_train(args: argparse.Namespace) -> None:
    from flipflop.training.resume import compare_run_dir

    writable_folder(args.out, "--out")
    args.config = train_config(args)
    if args.out.is_dir():
        runs.check_unlocked(args.out)
        compare_run_dir(args.config, args.out, args.force)
    budget.check_training(args.config)


def check_inspect(args: argparse.Namespace) -> None:
    path = args.path
    if not path.exists():
        raise FlipFlopError(f"{path} does not exist")
    if path.is_dir():
        runs.load_run(path, require_finished=False)
        runs.check_model_file(path)
    elif path.suffix != ".json":
        runs.check_model_file(path)


def check_import_legacy(args: argparse.Namespace) -> None:
    from flipflop.runs.legacy import read_legacy
    from flipflop.tasks import make_task

    for path in (args.file, args.initial):
        if path is not None:
            read_legacy(path)
    args.task_dict = make_task(task_params(args)).to_dict()
    writable_folder(args.out, "--out")
    if args.out.is_dir() and any(args.out.iterdir()) and not args.force:
        raise FlipFlopError(f"{args.out} is not empty; use --force to overwrite it")


def check_reproduce(args: argparse.Namespace) -> None:
    from flipflop.experiments import EXPERIMENTS, experiment_for
    from flipflop.experiments.paper import find_paper_checkpoint
    from flipflop.experiments.reproduce import check_seeds
    from flipflop.tasks import task_class

    task = task_class(args.task).name
    experiment = experiment_for(task)
    if (args.paper is not None or args.reference is not None) and not experiment.reference:
        with_reference = ", ".join(name for name, e in EXPERIMENTS.items() if e.reference)
        raise FlipFlopError(f"--paper and --reference only apply to the experiments with a reference network "
                            f"(--task {with_reference})")
    seeds = experiment.seeds if args.seeds is None else parse_ints(args.seeds, "--seeds", MAX_REPRODUCED, MAX_SEED)
    args.seed_list = check_seeds(seeds)
    configs = experiment.configs(task, args.seed_list, args.cell or experiment.cell, args.quick, args.recipe)
    for config in configs:
        budget.check_training(config)
    if args.paper is not None:
        find_paper_checkpoint(args.paper)  # a missing file is refused, --quick or not
    if args.reference is not None:
        ref = _run(args.reference, "--reference")
        if ref.task().name != task:
            raise FlipFlopError(f"--reference {args.reference} is a {ref.task().name} run, not a {task} run")
    args.formats = _formats(args.format)
    writable_folder(args.runs, "--runs")
    writable_folder(args.out, "--out")


def check_evaluate(args: argparse.Namespace) -> None:
    run = _run(args.run)
    budget.check_evaluation(run.task(), _units(run), args.trials)


def check_figures(args: argparse.Namespace) -> None:
    from flipflop.tasks import task_class

    args.formats = _formats(args.format)
    if args.runs is None:
        args.runs = runs.shipped_runs(task_class(args.task).name)
    tasks = set()
    for path in args.runs:
        run = _run(path)
        tasks.add(run.task().name)
        _check_fixed_point_files(run)
    if args.reference is not None:
        ref = _run(args.reference)
        if {ref.task().name} != tasks:
            raise FlipFlopError(f"--reference {args.reference} is a {ref.task().name} run, but the runs are of "
                                f"{', '.join(sorted(tasks))}; a reference must be of the runs' task")
        _check_fixed_point_files(ref)
    writable_folder(args.out, "--out")


def check_fixed_points(args: argparse.Namespace) -> None:
    if args.input is not None and args.period is not None:
        raise FlipFlopError("give --input or --period, not both")
    run = _run(args.run)
    task = run.task()
    args.constant_input = None
    if args.input is not None:
        try:
            values = [float(v) for v in args.input.split(",")]
        except ValueError:
            raise FlipFlopError(f"--input must be comma-separated numbers, got {args.input[:60]!r}") from None
        if not all(math.isfinite(v) for v in values):
            raise FlipFlopError(f"--input must be finite numbers, got {args.input[:60]!r}")
        if len(values) != task.n_inputs:
            raise FlipFlopError(f"--input needs {task.n_inputs} values for the {task.name} task, got {len(values)}")
        args.constant_input = values
    if args.period is not None:
        from flipflop.dynamics.search import period_input

        period_input(task, args.period, args.trial)  # an unknown period or trial is refused here
    if not os.access(args.run, os.W_OK | os.X_OK):  # it saves fixed_points.npz into the run
        raise FlipFlopError(f"cannot write to {args.run}: permission denied")
    runs.check_unlocked(args.run)
    budget.check_fixed_points(task, _units(run), args.n_init)


def _gpus() -> int:
    """GPUs this machine shows, without loading a GPU library: CUDA_VISIBLE_DEVICES, else the
    NVIDIA driver's list."""
    visible = os.environ.get("CUDA_VISIBLE_DEVICES")
    if visible is not None:
        return len([d for d in visible.split(",") if d.strip() and d.strip() != "-1"])
    folder = Path("/proc/driver/nvidia/gpus")
    return len(list(folder.iterdir())) if folder.is_dir() else 0


def _check_engine(args: argparse.Namespace) -> None:
    """Ray installed (unless ``--local``) and the cluster's address answering, before Ray starts."""
    from flipflop.sweep.engines import INSTALL_HINT, check_address

    if args.local:
        return
    if sys.modules.get("ray", False) is None or ("ray" not in sys.modules and find_spec("ray") is None):
        raise FlipFlopError(INSTALL_HINT)
    address = args.address or os.environ.get("RAY_ADDRESS")
    if address:
        check_address(address, ADDRESS_TIMEOUT_S)


def check_sweep(args: argparse.Namespace) -> None:
    from flipflop import sweep as sw
    from flipflop.sweep.folder import check_sweep as check_folder

    axes = [sw.parse_list(args.cells, "--cells"), parse_ints(args.units, "--units"),
            parse_ints(args.seeds, "--seeds", high=MAX_SEED), sw.parse_list(args.recipes, "--recipes"),
            sw.parse_list(args.tasks, "--tasks"), tuple(sw.parse_setting(s) for s in args.set)]
    size = math.prod(len(a) for a in axes[:5]) * math.prod(len(vs) for _, vs in axes[5])
    if size > MAX_POINTS:
        raise FlipFlopError(f"the grid has {size:,} runs, more than the {MAX_POINTS:,} a sweep may hold")
    args.grid = sw.Grid(*axes)
    points = sw.points(args.grid)  # validates every run's config
    concurrent = 1 if args.local else min(len(points), args.max_concurrent or len(points))
    if not args.local and not (args.address or os.environ.get("RAY_ADDRESS")):
        cpus = os.cpu_count() or 1
        if args.cpus_per_trial > cpus:
            raise FlipFlopError(f"--cpus-per-trial {args.cpus_per_trial:g}: this machine has {cpus} CPUs")
        if args.gpus_per_trial > _gpus():
            raise FlipFlopError(f"--gpus-per-trial {args.gpus_per_trial:g}: this machine has {_gpus()} GPUs")
        concurrent = min(concurrent, int(cpus // args.cpus_per_trial))
    worst = max(budget.training_bytes(p.config) for p in points)
    budget.require(f"{concurrent} training(s) at once", concurrent * worst,
                   "use fewer units or trials, or a smaller --max-concurrent")
    writable_folder(args.root, "--root")
    check_folder(args.name, args.grid, args.root, args.force)
    runs.check_unlocked(args.root / args.name)
    if args.storage and "://" not in args.storage:
        writable_folder(Path(args.storage), "--storage")
    _check_engine(args)


def check_sweep_report(args: argparse.Namespace) -> None:
    from flipflop.sweep.folder import open_sweep

    open_sweep(args.name, root=args.root)  # reads the stored grid, writes nothing
    runs.check_unlocked(args.root / args.name)
    _check_engine(args)


def check_compare(args: argparse.Namespace) -> None:
    from flipflop.analysis.compare_dynamics import INSTALL_HINT as DSA_HINT
    from flipflop.reports.compare_features import check_compatible

    check_compatible(args.runs)  # reads each run: two or more of one task and output width, on one time grid
    for path in args.runs:
        runs.check_model_file(path / runs.MODEL)
    if "dsa" in args.metric and (find_spec("DSA") is None or find_spec("torch") is None):
        raise FlipFlopError(DSA_HINT)
    writable_folder(args.out, "--out")
    if not args.local and find_spec("ray") is not None:
        address = args.address or os.environ.get("RAY_ADDRESS")
        if address:
            from flipflop.sweep.engines import check_address

            check_address(address, ADDRESS_TIMEOUT_S)


def check_tasks(args: argparse.Namespace) -> None:
    from flipflop.tasks.neurogym import catalog

    if args.neurogym and not catalog.installed():
        raise FlipFlopError(f"--neurogym: NeuroGym is not installed ({catalog.envs.EXTRA_HINT})")


CHECKS = {"train": check_train, "tasks": check_tasks, "inspect": check_inspect, "import-legacy": check_import_legacy,
          "reproduce": check_reproduce, "evaluate": check_evaluate, "figures": check_figures,
          "fixed-points": check_fixed_points, "sweep": check_sweep, "sweep-report": check_sweep_report,
          "compare": check_compare}


def check(args: argparse.Namespace) -> None:
    """Run the check of ``args.command`` (commands without one, such as ``tasks``, need none)."""
    if args.command in CHECKS:
        CHECKS[args.command](args)
