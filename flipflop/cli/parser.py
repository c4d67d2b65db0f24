"""The ``flipflop`` command's parser, generated from the parameter tables.

The flags of ``train`` come from ``TrainConfig``'s table, the cell flags from each cell's
parameter table, and the task flags from the fields of each registered task that declare a
``flag`` (e.g. the flip-flop's ``--bits``); a flag given for a cell or task it does not
belong to is refused. No task or cell is named here: the registries fill in every list.
"""
from __future__ import annotations

import argparse
import dataclasses
import json
import os
from pathlib import Path
from typing import Any

from flipflop.errors import Constraint, FlipFlopError, check_value

EXIT_USAGE = 2


class Parser(argparse.ArgumentParser):
    def error(self, message: str) -> None:  # one line, status 2, no usage dump
        raise FlipFlopError(message)


@dataclasses.dataclass(frozen=True)
class Flag:
    """A generated flag: its option strings, the parameter it sets, its constraint and
    default, and the cells or tasks it belongs to."""

    options: tuple[str, ...]
    name: str
    constraint: Constraint
    default: Any
    owners: tuple[str, ...]

    @property
    def dest(self) -> str:
        return self.options[0].lstrip("-").replace("-", "_")


def numbers(text: str):
    """An argparse ``type`` for a number or a list of numbers: ``170,255`` or the JSON list
    ``[170, 255]`` (a list flag given one number gets a list of one, from the config)."""
    try:
        return json.loads(text)
    except ValueError:
        pass
    try:
        return [float(part) for part in text.split(",")]
    except ValueError:
        raise argparse.ArgumentTypeError(f"must be a number or numbers separated by commas (e.g. 170,255), "
                                         f"got {text!r}") from None


def checked(c: Constraint, kind: str | None = None):
    """An argparse ``type`` parsing one value of constraint ``c`` (numbers; lists as 1,2 or JSON) and
    checking it; a bad value is argparse's one-line error."""
    kind = kind or c.kind

    def parse(text: str):
        try:
            value = {"int": int, "float": float}.get(kind, numbers)(text) if kind != "str" else text
        except ValueError:
            raise argparse.ArgumentTypeError(f"must be {'an integer' if kind == 'int' else 'a number'}, "
                                             f"got {text!r}") from None
        try:
            check_value("value", value, c)
        except FlipFlopError as e:
            raise argparse.ArgumentTypeError(str(e).removeprefix("value ")) from None
        return value

    parse.__name__ = {"int": "integer", "float": "number"}.get(kind, "value")
    return parse


def path_arg(text: str) -> Path:
    """An argparse ``type`` for a file or folder name: refused when empty, with a NUL, not
    encodable, or longer than the system allows (a name over NAME_MAX, the whole over PATH_MAX)."""
    if not text.strip():
        raise argparse.ArgumentTypeError("is empty; give a file or folder name")
    if "\0" in text:
        raise argparse.ArgumentTypeError("holds a NUL character")
    try:
        encoded = os.fsencode(text)
    except UnicodeError:
        raise argparse.ArgumentTypeError(f"{text[:40]!r}... is not a valid file name here") from None
    name_max, path_max = _limits()
    longest = max(encoded.split(b"/"), key=len)
    if len(longest) > name_max:
        raise argparse.ArgumentTypeError(f"has a name of {len(longest)} bytes ({os.fsdecode(longest)[:24]}...), "
                                         f"longer than the {name_max} this system allows")
    if len(os.fsencode(os.path.abspath(text))) >= path_max:
        raise argparse.ArgumentTypeError(f"is {len(encoded)} bytes long, longer than the {path_max} this system allows")
    return Path(text)


def _limits() -> tuple[int, int]:
    try:
        return os.pathconf(".", "PC_NAME_MAX"), os.pathconf(".", "PC_PATH_MAX")
    except (OSError, ValueError, AttributeError):  # pragma: no cover - not POSIX
        return 255, 4096


def loose(kind: str):
    """An argparse ``type`` that only parses (the config validates the value itself)."""
    return {"int": int, "float": float, "str": str}.get(kind, numbers)


SHARED_DEFAULT = "the task's"  # the default of a flag whose owners' defaults differ


def _default_text(default: Any, unit: str = "") -> str:
    if default is SHARED_DEFAULT:
        return f"(default: {default})"
    return f"(default {'none' if default is None else default}{' ' + unit if unit and default is not None else ''})"


def table_flags(tables: dict[str, type], kinds: tuple[str, ...] = ("int", "float", "bool", "floats", "range"),
                named_only: bool = False) -> list[Flag]:
    """The flags of the constrained fields of each dataclass in ``tables`` (owner -> class);
    ``named_only``: only fields that declare a ``flag``. A flag shared by several owners is
    one flag."""
    out: dict[str, Flag] = {}
    for owner, cls in tables.items():
        for f in dataclasses.fields(cls):
            c = f.metadata.get("constraint")
            if c is None or c.kind not in kinds or (named_only and not c.flag):
                continue
            options = tuple(c.flag.split()) if c.flag else ("--" + f.name.replace("_", "-"),)
            default = f.default if f.default is not dataclasses.MISSING else None
            known = out.get(options[0])
            if known is None:
                out[options[0]] = Flag(options, f.name, c, default, (owner,))
            else:  # one flag for several owners: the first one's words, and its default if they agree
                shared = known.default if known.default == default else SHARED_DEFAULT
                out[options[0]] = dataclasses.replace(known, default=shared, owners=known.owners + (owner,))
    return list(out.values())


def task_flags() -> list[Flag]:
    """The flags that registered tasks declare (``--bits``, ``--dt-ms``...)."""
    from flipflop.tasks import TASKS

    return table_flags(dict(TASKS), named_only=True)


def cell_flags() -> list[Flag]:
    """Every cell parameter as a flag (``--tau``, ``--dale``...); the step comes from the task."""
    from flipflop.models.cells import CELLS

    return [f for f in table_flags({name: spec.params for name, spec in CELLS.items()}) if f.name != "dt_ms"]


def train_flags() -> list[Flag]:
    """``TrainConfig``'s settings as flags (``cell`` and the task are added on their own)."""
    from flipflop.training.config import TrainConfig

    return [f for f in table_flags({"train": TrainConfig}, kinds=("int", "float", "str", "bool", "floats"))
            if f.name != "cell"]


def _add(group, flag: Flag, help_text: str, strict: bool = False) -> None:
    c = flag.constraint
    if c.kind == "bool":
        group.add_argument(*flag.options, action="store_const", const=True, default=None, dest=flag.dest,
                           help=help_text)
    else:
        group.add_argument(*flag.options, dest=flag.dest, default=None, metavar="X" if c.kind != "str" else "NAME",
                           type=checked(c) if strict else loose(c.kind), help=help_text)


def _add_task_args(p: argparse.ArgumentParser) -> None:
    from flipflop.tasks import DEFAULT_TASK, TASKS

    g = p.add_argument_group("task (times in ms; `flipflop tasks` lists every task's parameters)")
    g.add_argument("--task", default=DEFAULT_TASK, metavar="NAME",
                   help=f"task to train: {', '.join(TASKS)} (default {DEFAULT_TASK})")
    g.add_argument("--task-param", action="append", default=[], metavar="NAME=VALUE",
                   help="set a task parameter, e.g. n_bits=2 or first_onset_ms=[10,99] (repeatable)")
    for flag in task_flags():
        owners = "every task" if set(flag.owners) == set(TASKS) else " / ".join(flag.owners)
        _add(g, flag, f"{owners}: {flag.constraint.help} {_default_text(flag.default, flag.constraint.unit)}")


def _add_cell_args(p: argparse.ArgumentParser) -> None:
    from flipflop.models.cells import CELLS
    from flipflop.training.config import TrainConfig

    default = next(f.default for f in dataclasses.fields(TrainConfig) if f.name == "cell")
    p.add_argument("--cell", default=default, metavar="CELL",
                   help=f"recurrent cell: {', '.join(CELLS)} (default {default})")
    g = p.add_argument_group("cell parameters (only for the cell they belong to)")
    for flag in cell_flags():
        _add(g, flag, f"{' / '.join(flag.owners)}: {flag.constraint.help} "
                      f"{_default_text(flag.default, flag.constraint.unit)}")


def _add_train_args(p: argparse.ArgumentParser) -> None:
    from flipflop.models.cells import CELLS
    from flipflop.models.recipes import RECIPE_NOTES, RECIPES

    in_recipes = {k for r in RECIPES.values() for k in r}
    rates = "; ".join(f"{name}: " + ", ".join(f"{r} {v:g}" for r, v in spec.rates.items())
                      for name, spec in CELLS.items())
    for flag in train_flags():
        c = flag.constraint
        if flag.name == "recipe":
            text = "training recipe: " + " or ".join(
                f"{r} ({'default: ' if r == flag.default else ''}{RECIPE_NOTES.get(r, '')})" for r in RECIPES)
        elif flag.name == "learning_rate":
            text = f"{c.help} (default: per cell and recipe; {rates})"
        elif flag.name in in_recipes:
            text = f"{c.help}{' in ' + c.unit if c.unit else ''} (default: the recipe's)"
        elif flag.name in ("target_accuracy", "target_mse"):
            text = c.help
        else:
            text = f"{c.help} {_default_text(flag.default, c.unit)}"
        if c.choices and flag.name != "recipe":
            text += f"; one of {', '.join(c.choices)}"
        _add(p, flag, text)


def _add_evaluate_args(p: argparse.ArgumentParser) -> None:
    from flipflop.errors import POSITIVE_INT, SEED
    from flipflop.tasks.spec import EVALUATION_SEED, EVALUATION_TRIALS

    p.add_argument("--trials", type=checked(POSITIVE_INT), default=EVALUATION_TRIALS,
                   help=f"fresh trials (default {EVALUATION_TRIALS})")
    p.add_argument("--seed", type=checked(SEED), default=EVALUATION_SEED,
                   help=f"seed of the fresh trials (default {EVALUATION_SEED})")
    p.add_argument("--generalise", action="store_true",
                   help="score conditions it never trained on (the task's), by our and NeuroGym's decision "
                        "rule, beside the ideal observer (--trials per case)")


def build_parser() -> argparse.ArgumentParser:
    """The parser of every subcommand (see ``flipflop COMMAND --help``)."""
    from flipflop.dynamics.search import N_INIT
    from flipflop.errors import NON_NEGATIVE_INT, POSITIVE_INT, SEED
    from flipflop.experiments import EXPERIMENTS, PRIMER
    from flipflop.tasks import DEFAULT_TASK, TASKS

    parser = Parser(prog="flipflop", description="Train and analyse recurrent networks on the tasks of "
                                                 "systems neuroscience (Jarne's flip-flop tutorial, and beyond).")
    parser.add_argument("--verbose", action="store_true",
                        help="show TensorFlow's and Keras' own messages too (before the command)")
    sub = parser.add_subparsers(dest="command", parser_class=Parser, metavar="COMMAND")

    p = sub.add_parser("train", help="train a network into a run directory (resumable)")
    _add_cell_args(p)
    p.add_argument("--out", required=True, type=path_arg, help="run directory")
    _add_train_args(p)
    p.add_argument("--force", action="store_true", help="overwrite a run with a different config in --out")
    p.add_argument("--quiet", action="store_true", help="no per-batch progress bar")
    _add_task_args(p)

    p = sub.add_parser("tasks", help="list the tasks: parameters (units, defaults) and channels")
    p.add_argument("--json", action="store_true", help="print JSON")
    p.add_argument("--neurogym", action="store_true",
                   help="list NeuroGym's environments too (the [neurogym] extra; takes seconds: it builds each one)")

    p = sub.add_parser("inspect", help="describe a run directory or .keras model")
    p.add_argument("path", type=path_arg, help="run directory or .keras file")
    p.add_argument("--json", action="store_true", help="print JSON instead of a table")

    p = sub.add_parser("import-legacy", help="convert a Keras 2.x HDF5 checkpoint into a run directory")
    p.add_argument("file", type=path_arg, help="the .hdf5/.h5 file (e.g. the paper's ff_3b_weights-20.hdf5)")
    p.add_argument("--out", required=True, type=path_arg, help="run directory to write")
    p.add_argument("--initial", type=path_arg, help="the untrained network's HDF5 file, saved as initial.keras")
    p.add_argument("--force", action="store_true", help="overwrite an existing run directory")
    p.add_argument("--no-eval", action="store_true", help="skip measuring the metrics")
    p.add_argument("--task", default=DEFAULT_TASK, metavar="NAME", help=f"the network's task (default {DEFAULT_TASK})")
    p.add_argument("--task-param", action="append", default=[], metavar="NAME=VALUE", help="set a task parameter")

    own = ", ".join(f"{task} ({e.name}: {e.cell}, seeds {','.join(map(str, e.seeds))})"
                    for task, e in EXPERIMENTS.items())
    p = sub.add_parser("reproduce", help="train a task's realisations and draw every figure (the main job)")
    p.add_argument("--task", default=DEFAULT_TASK, metavar="NAME",
                   help=f"the task whose experiment to reproduce: {own}, or any other of {', '.join(TASKS)} "
                        f"({PRIMER.name}: a {PRIMER.cell} with Dale's law 0.8, tau 100 ms, seed "
                        f"{','.join(map(str, PRIMER.seeds))}); default {DEFAULT_TASK}")
    p.add_argument("--cell", default=None, help="recurrent cell (default: the experiment's)")
    p.add_argument("--seeds", default=None, help="seeds: 0-3, 0,3,5 or 0-3,8 (default: the experiment's)")
    p.add_argument("--runs", type=path_arg, default=Path("flipflop-out/runs"),
                   help="where runs go (default flipflop-out/runs in the working directory)")
    p.add_argument("--out", type=path_arg, default=Path("flipflop-out/figures"),
                   help="figure folder (default flipflop-out/figures in the working directory)")
    p.add_argument("--format", default="png", help="png (default), pdf, svg, or a list such as png,pdf")
    p.add_argument("--paper", type=path_arg, help="the paper's ff_3b_weights-20.hdf5 or its folder (default: "
                   "$FLIPFLOP_PAPER_CHECKPOINT, ./paper-checkpoint/; drawn alongside when found)")
    p.add_argument("--reference", type=path_arg, help="an imported run drawn alongside instead of the paper's")
    p.add_argument("--recipe", help="default: the experiment's (faithful for the paper's SimpleRNN, else fast)")
    p.add_argument("--no-fixed-points", action="store_true", help="skip the fixed-point analysis")
    p.add_argument("--quick", action="store_true", help="tiny networks and short trials: a smoke test")

    p = sub.add_parser("evaluate", help="a run's performance and behaviour on fresh trials, with its task's bars")
    p.add_argument("run", type=path_arg, help="run directory")
    _add_evaluate_args(p)
    p.add_argument("--json", action="store_true", help="print JSON")

    p = sub.add_parser("figures", help="draw every figure and REPORT.md from existing runs")
    p.add_argument("--runs", type=path_arg, nargs="+", help="run directories (default: the shipped networks of --task); "
                   "the figures follow the runs' task")
    p.add_argument("--task", default=DEFAULT_TASK, metavar="NAME",
                   help=f"without --runs: the shipped network(s) of this task (default {DEFAULT_TASK})")
    p.add_argument("--out", type=path_arg, default=Path("flipflop-out/figures"),
                   help="figure folder (default flipflop-out/figures in the working directory)")
    p.add_argument("--format", default="png", help="png (default), pdf, svg, or a list such as png,pdf")
    p.add_argument("--reference", type=path_arg, help="a run of the same task (e.g. the imported paper network) "
                                                  "drawn alongside")
    p.add_argument("--fixed-points", action="store_true",
                   help="compute the fixed points that the runs have not cached")

    p = sub.add_parser("fixed-points", help="find fixed points of a run and save them in it")
    p.add_argument("run", type=path_arg, help="run directory")
    p.add_argument("--input", default=None, help="constant input, comma-separated (default zeros)")
    p.add_argument("--period", help="use the mean input of this trial period of the task's analysis series "
                                    "(e.g. stimulus, delay) instead of --input")
    p.add_argument("--trial", type=checked(NON_NEGATIVE_INT), default=0,
                   help="which analysis-series trial --period reads (default 0)")
    p.add_argument("--n-init", type=checked(POSITIVE_INT), default=N_INIT, help=f"initial states (default {N_INIT})")
    p.add_argument("--seed", type=checked(SEED), default=0, help="seed of the initial states (default 0)")
    _add_sweep_parsers(sub)
    _add_compare_parser(sub)
    return parser


def _add_engine_args(p: argparse.ArgumentParser) -> None:
    p.add_argument("--root", type=path_arg, default=Path("sweeps"), help="where sweeps live (default sweeps/)")
    p.add_argument("--local", action="store_true", help="no Ray: one run after another in this process")
    p.add_argument("--address", help="an existing Ray cluster, HOST:PORT (default: RAY_ADDRESS, else an embedded Ray)")
    p.add_argument("--no-fixed-points", action="store_true", help="report without the fixed-point search")


def _add_sweep_parsers(sub) -> None:
    from flipflop.errors import NON_NEGATIVE, NON_NEGATIVE_INT, POSITIVE, POSITIVE_INT
    from flipflop.tasks import DEFAULT_TASK
    from flipflop.training.config import TrainConfig

    cell = next(f.default for f in dataclasses.fields(TrainConfig) if f.name == "cell")
    p = sub.add_parser("sweep", help="train a grid of runs into sweeps/NAME (Ray Tune; rerun to resume)")
    p.add_argument("--name", required=True, help="the sweep's folder under --root")
    p.add_argument("--cells", default=cell, help=f"comma-separated cells (default {cell})")
    p.add_argument("--units", default="400", help="comma-separated sizes, e.g. 64,400 (default 400)")
    p.add_argument("--seeds", default="0", help="seeds: 0-31, 0,3,5 or 0-3,8 (default 0)")
    p.add_argument("--recipes", default="fast", help="comma-separated recipes (default fast)")
    p.add_argument("--tasks", default=DEFAULT_TASK, help=f"comma-separated tasks (default {DEFAULT_TASK})")
    p.add_argument("--set", action="append", default=[], metavar="NAME=V1,V2",
                   help="any training parameter, one or more values (task.X: a task parameter, "
                        "cell.X: a cell argument); repeatable")
    _add_engine_args(p)
    p.add_argument("--storage", help="Tune's storage_path: a folder or URI all nodes see (default the sweep)")
    p.add_argument("--cpus-per-trial", type=checked(POSITIVE), default=1.0, help="CPUs per run (default 1)")
    p.add_argument("--gpus-per-trial", type=checked(NON_NEGATIVE), default=0.0, help="GPUs per run, may be fractional (0)")
    p.add_argument("--max-concurrent", type=checked(POSITIVE_INT), help="runs at once (default: as resources allow)")
    p.add_argument("--max-failures", type=checked(NON_NEGATIVE_INT), default=3, help="retries of a run whose worker dies (3)")
    p.add_argument("--retry-failed", action="store_true", help="run diverged runs again")
    p.add_argument("--force", action="store_true", help="replace a sweep of a different grid in --name")
    p.add_argument("--no-report", action="store_true", help="skip sweep-report at the end")
    p = sub.add_parser("sweep-report", help="population analysis of a sweep: CSV, POPULATION.md, figures")
    p.add_argument("name", help="the sweep's folder under --root")
    _add_engine_args(p)
    p.add_argument("--cpus-per-task", type=checked(POSITIVE), default=1.0, help="CPUs per analysed run (default 1)")
    p.add_argument("--compare", type=lambda t: _metric_list(t, allow_none=True), default="nodsa", metavar="M[,M]",
                   help="comparison metrics between the runs, as `flipflop compare --metric` (default nodsa: all "
                        "but DSA; none to skip)")


def _metric_list(text: str, allow_none: bool = False) -> tuple[str, ...]:
    from flipflop.analysis.compare_metrics import parse_metrics

    try:
        return parse_metrics(text, allow_none)
    except FlipFlopError as e:
        raise argparse.ArgumentTypeError(str(e)) from None


def _add_compare_parser(sub) -> None:
    from flipflop.analysis.compare_metrics import METRICS

    p = sub.add_parser("compare", help="distance matrices between runs of one task: geometry and dynamics")
    p.add_argument("runs", type=Path, nargs="+", help="two or more run directories of one task")
    p.add_argument("--metric", type=_metric_list, default=METRICS, metavar="M[,M]",
                   help=f"comma-separated, of {', '.join(METRICS)}; all (default) or nodsa (dsa needs the "
                        "[compare] extra)")
    p.add_argument("--out", type=Path, default=Path("flipflop-out/compare"),
                   help="output folder (default flipflop-out/compare in the working directory)")
    p.add_argument("--fixed-points", action="store_true",
                   help="search the fixed points that runs have not cached (for the jacobian metric)")
    p.add_argument("--local", action="store_true", help="no Ray: score the pairs in this process")
    p.add_argument("--address", help="an existing Ray cluster (default: RAY_ADDRESS, else an embedded Ray)")
