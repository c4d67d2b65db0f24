"""A fuzzer of the command line: Hypothesis strategies over every subcommand's flags.

The flags come from the parser itself (``flipflop.cli.build_parser``), so a new flag is
fuzzed without a change here. Each value is drawn from what the flag's kind can hold at
and beyond its bounds (NaN, inf, huge, negative, empty, unicode, long strings) or from
the files of a prepared folder (:func:`make_world`: a run, a run of another task, a run
whose ``fixed_points.npz`` has the right keys and wrong shapes, an unfinished run, a
corrupt model, a legacy checkpoint, a plain file, a read-only folder, paths too long).

A case runs in this process through ``flipflop.cli.main`` (:func:`run_case`), in a
scratch working folder, with stdout and stderr captured. The checks run for real; of the
commands, ``tasks`` and ``inspect`` run for real too, and the others, once their checks
have passed, are replaced by a stub that returns 0: a case never starts a training, a
search or Ray (their accepted values are the fault suite's, which trains them). Asserted
for every case (:func:`problems`): exit status 0 or 2; no traceback; on status 2 one
line ``flipflop: error: ...``; nothing in the folder created or changed, whatever the
status (checks write nothing); a refusal in at most 1 s of CPU. A sample of the refusals
is replayed as real subprocesses (:func:`run_subprocess`): the same status and line, no
traceback, at most 1 s of CPU for the whole process (interpreter start included).
"""
from __future__ import annotations

import contextlib
import io
import os
import resource
import shutil
import socket
import subprocess
import sys
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path

from hypothesis import strategies as st

NUMBERS = ["0", "-1", "1", "2", "3", "8", "nan", "NaN", "inf", "-inf", "1e308", "1e400", "-0", "0.5", "1e-300",
           str(2 ** 32), str(2 ** 32 - 1), str(2 ** 70), "9" * 30, "\uff11\uff12", "1_0", "0x10", "", " ", "1e12",
           "1000000000", "100000", "-5", "2.5", "1e30", "-1e30"]
TEXT = ["", " ", "x", "\u00e9", "\u540d\u524d", "\u202e", "a" * 300, "a" * 5000, "-", "=", "a=b", "..", "/",
        "null", "[]", "{}", "true", "\t", "%s", "{0}", "\\", "'", '"']
SPECIAL = {  # values that reach deeper into particular flags
    "task": ["flipflop", "perceptual_dm", "context_dm", "parametric_wm", "match_category", "delay_match_sample",
             "nope", "FLIPFLOP", "neurogym:Nope-v0"],
    "cell": ["simplernn", "gru", "lstm", "ctrnn", "transformer"],
    "recipe": ["fast", "faithful", "paper", "magic"],
    "format": ["png", "png,pdf", "svg", "bmp", ",", "PNG"],
    "seeds": ["0", "0-3", "5-2", "0-100000000", "0,0", "x", str(2 ** 40), "0-" + str(2 ** 32)],
    "units": ["8", "8,16", "0", "1000000000", "1-20000", "-3"],
    "cells": ["simplernn", "gru,lstm", "transformer", ","],
    "recipes": ["fast", "fast,paper", "magic"],
    "tasks": ["flipflop", "flipflop,perceptual_dm", "nope"],
    "set": ["epochs=1", "learning_rate=nan", "task.n_bits=1000000", "seed=1", "nonsense=1", "x", "cell.tau_ms=0",
            "samples_per_epoch=1000000000", "units=8", "task.duration_ms=1e12", "epochs=1,2"],
    "task_param": ["n_bits=2", "n_bits=abc", "n_bits=2.5", "n_bits=1000000", "duration_ms=1e12",
                   "duration_ms=Infinity", "wobble=1", "dt_ms=0", "=", "n_bits", "n_ring=1000000000",
                   "stimulus_ms=-1", "pulse_ms=1e400"],
    "input": ["0,0", "0,0,0", "nan,0", "x", "1e400,0", "0", ","],
    "period": ["stimulus", "delay", "decision", "nope", "fixation"],
    "name": ["s", "../x", "a" * 300, "ok.name", "-x", "s/t"],
    "lr": ["1e-3", "1e30", "nan", "0", "-1"],
}


@dataclass
class World:
    """The prepared folder: every file a flag may be pointed at, and the working folder."""

    root: Path
    paths: dict
    cwd: Path
    address: str  # HOST:PORT of a listener that is not a Ray cluster


def _listener() -> str:
    """A TCP server that answers like SSH, not gRPC: an --address that connects but is no cluster."""
    server = socket.socket()
    server.bind(("127.0.0.1", 0))
    server.listen(64)

    def serve():
        while True:
            try:
                conn, _ = server.accept()
            except OSError:
                return
            with contextlib.suppress(OSError):
                conn.sendall(b"SSH-2.0-OpenSSH_9.0\r\n")
                conn.close()

    threading.Thread(target=serve, daemon=True).start()
    return f"127.0.0.1:{server.getsockname()[1]}"


def make_world(root: Path, run: Path, other: Path, legacy: Path) -> World:
    """Copy ``run`` (a finished flip-flop run), ``other`` (a finished run of another task)
    and ``legacy`` (a Keras 2 checkpoint) into ``root``, with the damaged variants."""
    import numpy as np

    root.mkdir(parents=True, exist_ok=True)
    p = {"run": root / "run", "other": root / "other", "legacy": root / "legacy.hdf5"}
    shutil.copytree(run, p["run"])
    shutil.copytree(other, p["other"])
    shutil.copyfile(legacy, p["legacy"])
    p["badfp"] = root / "badfp"
    shutil.copytree(run, p["badfp"])
    k, n = 3, 5  # right keys, wrong shapes: 5 states for a network of more units
    np.savez(p["badfp"] / "fixed_points.npz", points=np.zeros((k, n)), q=np.zeros(k), is_fixed=np.ones(k, bool),
             jacobians=np.zeros((k, 0, 0)), eigenvalues=np.zeros((k, n)), n_unstable=np.zeros(k, int),
             unstable_vectors=np.zeros((k, n)), input=np.zeros(2), n_init=8, iterations=1, best_q=0.0,
             tol_q=1e-6, slow_tol=1e-3, n_converged=1, format_version=1)
    p["unfinished"] = root / "unfinished"
    p["unfinished"].mkdir()
    shutil.copyfile(run / "config.json", p["unfinished"] / "config.json")
    p["config"] = p["run"] / "config.json"
    p["corrupt"] = root / "corrupt.keras"
    p["corrupt"].write_bytes(b"PK\x03\x04 not really a zip")
    p["file"] = root / "file.txt"
    p["file"].write_text("a plain file\n")
    p["empty_dir"] = root / "empty"
    p["empty_dir"].mkdir()
    p["ro"] = root / "ro"
    p["ro"].mkdir()
    p["sweeps"] = root / "sweeps"
    p["sweeps"].mkdir()
    cwd = root / "cwd"
    cwd.mkdir()
    os.chmod(p["ro"], 0o555)
    return World(root, p, cwd, _listener())


def path_values(w: World) -> st.SearchStrategy[str]:
    p = w.paths
    generated = [str(w.root / "missing"), str(w.root / "new" / "out"), str(p["file"] / "sub"), str(p["ro"] / "new"),
                 str(w.root / ("n" * 300)), "x" * 500, str(w.root / "\u540d\u524d"), "", " ", ".", "..", "/",
                 str(p["run"] / "model.keras"), str(p["run"] / "fixed_points.npz"), "/proc/self/mem", "/dev/null"]
    return st.sampled_from([str(v) for v in p.values()] + generated)


def value_for(action, w: World) -> st.SearchStrategy[str]:
    """Values for one parser action: its own special pool, files for a path, then the hostile pools."""
    from flipflop.cli.parser import path_arg

    dest = action.dest
    pools = [st.sampled_from(NUMBERS), st.sampled_from(TEXT)]
    if action.type is path_arg:
        return st.one_of(path_values(w), path_values(w), st.sampled_from(TEXT))
    if dest in SPECIAL:
        pools = [st.sampled_from(SPECIAL[dest])] * 3 + pools
    if dest == "address":
        pools = [st.sampled_from(["127.0.0.1:1", w.address, "x", "ray://127.0.0.1:1", "[::1]:1", "127.0.0.1:99999",
                                  "auto"])] * 3 + pools
    return st.one_of(*pools, st.text(max_size=12).filter(lambda s: "\x00" not in s))


def _subparsers():
    from flipflop.cli import build_parser

    parser = build_parser()
    sub = next(a for a in parser._actions if a.__class__.__name__ == "_SubParsersAction")
    return sub.choices


COMMANDS = tuple(sorted(_subparsers()))  # every subcommand, from the parser: a new one is fuzzed too


@st.composite
def cases(draw, w: World, command: str | None = None) -> list[str]:
    """An argv for one subcommand (``command``, else any): its required arguments (mostly
    sensible, sometimes hostile) and up to four other flags with values at or beyond their bounds."""
    choices = _subparsers()
    command = command or draw(st.sampled_from(sorted(choices)))
    actions = [a for a in choices[command]._actions if a.dest != "help"]
    argv = [command]
    for a in actions:
        if not a.option_strings:  # positional
            argv.append(draw(value_for(a, w)))
        elif a.required:
            argv += [a.option_strings[0], draw(value_for(a, w))]
    for a in draw(st.lists(st.sampled_from([a for a in actions if a.option_strings]), max_size=4)):
        argv.append(draw(st.sampled_from(a.option_strings)))
        if a.nargs != 0:
            argv.append(draw(value_for(a, w)))
            if a.nargs == "+":
                argv += draw(st.lists(value_for(a, w), max_size=2))
    return argv


def snapshot(root: Path) -> dict:
    out = {}
    for dirpath, dirnames, filenames in os.walk(root):
        for name in dirnames + filenames:
            path = Path(dirpath) / name
            with contextlib.suppress(OSError):
                s = path.lstat()
                out[str(path)] = (s.st_size if not path.is_dir() else 0, s.st_mtime_ns, s.st_mode)
    return out


@dataclass
class Outcome:
    argv: list
    status: object  # int, or "traceback"
    out: str
    err: str
    cpu_s: float
    wall_s: float
    changed: list = field(default_factory=list)


REAL = ("tasks", "inspect")  # commands the in-process fuzzer runs for real; the others stop after their checks


@contextlib.contextmanager
def stubbed_commands():
    """The commands other than ``REAL`` replaced by a stub returning 0: checks run, work does not."""
    from flipflop.cli import commands

    saved = dict(commands.COMMANDS)
    for name in saved:
        if name not in REAL:
            commands.COMMANDS[name] = lambda args: 0
    try:
        yield
    finally:
        commands.COMMANDS.update(saved)


def run_case(argv: list, w: World) -> Outcome:
    """``flipflop.cli.main(argv)`` in this process, in the world's working folder, commands stubbed."""
    from flipflop.cli import main

    before = snapshot(w.root)
    out, err = io.StringIO(), io.StringIO()
    here = os.getcwd()
    os.chdir(w.cwd)
    t, c = time.perf_counter(), time.process_time()
    try:
        with stubbed_commands(), contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
            try:
                status = main(list(argv))
            except SystemExit as e:  # --help
                status = e.code if isinstance(e.code, int) else 2
            except BaseException as e:  # noqa: BLE001 - what the fuzzer looks for
                status = "traceback"
                err.write(f"Traceback: {type(e).__name__}: {e}\n")
    finally:
        os.chdir(here)
    cpu, wall = time.process_time() - c, time.perf_counter() - t
    after = snapshot(w.root)
    changed = sorted(k for k in set(before) | set(after) if before.get(k) != after.get(k))
    return Outcome(list(argv), status, out.getvalue(), err.getvalue(), cpu, wall, changed)


def run_subprocess(argv: list, w: World, timeout: float = 120) -> Outcome:
    """The same case as ``python -m flipflop.cli``: its status, its lines, its CPU and wall time."""
    before = snapshot(w.root)
    env = {**os.environ, "PYTHONPATH": str(Path(__file__).resolve().parents[2])}
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    t = time.perf_counter()
    proc = subprocess.run([sys.executable, "-m", "flipflop.cli", *argv], cwd=w.cwd, env=env, capture_output=True,
                          timeout=timeout, errors="replace")
    wall = time.perf_counter() - t
    now = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu = (now.ru_utime - usage.ru_utime) + (now.ru_stime - usage.ru_stime)
    after = snapshot(w.root)
    changed = sorted(k for k in set(before) | set(after) if before.get(k) != after.get(k))
    return Outcome(list(argv), proc.returncode, proc.stdout, proc.stderr, cpu, wall, changed)


def problems(o: Outcome, refusal_cpu_s: float = 1.0) -> list[str]:
    """What is wrong with an outcome (empty: nothing)."""
    bad = []
    if o.status not in (0, 2):
        bad.append(f"status {o.status}")
    if "Traceback" in o.err or "Traceback" in o.out:
        bad.append("traceback")
    if o.status == 2 and not (o.err.startswith("flipflop: error:") and o.err.count("\n") == 1):
        bad.append("not one line")
    if o.changed:
        bad.append(f"changed {o.changed[:3]}")
    if o.status == 2 and o.cpu_s > refusal_cpu_s:
        bad.append(f"refused after {o.cpu_s:.2f} s of CPU")
    return bad
