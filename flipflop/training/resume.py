"""Resuming, repairing and continuing a run directory before training (the run's state machine).

:func:`prepare_run_dir` decides, under the folder's lock, whether a run starts afresh, is
already finished, resumes after its last committed epoch, or is trained further (only
``CONTINUABLE`` settings changed); a damaged run is repaired where that is exact, else
refused in one line.
"""
from __future__ import annotations

from pathlib import Path
from typing import Callable

from flipflop import runs
from flipflop.errors import FlipFlopError
from flipflop.training.config import TrainConfig

# What may change on an existing run: it is then trained further from its last checkpoint.
CONTINUABLE = ("epochs", "patience", "target_accuracy", "target_mse", "min_epochs")

FORCE_HINT = "; use --force to start it over"


def prepare_run_dir(config: TrainConfig, out: Path, force: bool = False,
                    log: Callable[[str], None] = print) -> dict | None:
    """Check run folder ``out`` (hold its lock): the verified state to resume from, or None
    to start afresh. A finished run has ``state["finished"]``.

    A different config in ``out`` is refused unless ``force`` (which clears our files), or
    unless only ``CONTINUABLE`` entries changed: the run is then continued, and the change
    recorded in ``config.json``'s ``continued`` list. A damaged run is repaired when that
    is exact, else refused (``force`` starts it over).
    """
    changed = compare_run_dir(config, out, force)
    if changed is None:
        runs.clear_run(out)
        return None
    problem = runs.finished_problem(out)
    if problem is None and not changed:
        try:
            runs.load_model(out / runs.MODEL)  # the seal matches: the model must load too
        except FlipFlopError as e:
            if not force:
                raise FlipFlopError(f"{e}{FORCE_HINT}") from None
            runs.clear_run(out)
            return None
        return {"finished": True}
    if (out / runs.METRICS).is_file() and problem:
        log(f"{out}: {problem}; checking the training state")
    try:
        state = verified_state(out, log)
    except FlipFlopError as e:
        if not force:
            raise FlipFlopError(f"{e}{FORCE_HINT}") from None
        log(f"{out}: {e}; starting over (--force)")
        runs.clear_run(out)
        return None
    if changed:
        if state is None:
            raise FlipFlopError(f"{out} has no training state (made by an older flipflop?), so it cannot "
                                f"be trained further exactly{FORCE_HINT}")
        if config.epochs < state["epoch"]:
            raise FlipFlopError(f"{out} has already run {state['epoch']} epochs; --epochs {config.epochs} "
                                "cannot undo them")
        continue_run(out, config, changed, state["epoch"])
        log(f"{out}: continuing after epoch {state['epoch']} with "
            + ", ".join(f"{k} {a} -> {b}" for k, (a, b) in changed.items()))
    return state


def compare_run_dir(config: TrainConfig, out: Path, force: bool = False) -> dict | None:
    """What run folder ``out`` holds against ``config``, read only (no TensorFlow, no lock):
    None to start afresh (no run there, or ``force`` over a different or unreadable one),
    else the settings that changed (``{}``: the same run). A folder that holds other files,
    an unreadable config or a different one (beyond ``CONTINUABLE``) is refused unless ``force``."""
    if not (out / runs.CONFIG).is_file():
        if out.is_dir() and any(p.name != runs.LOCK for p in out.iterdir()) and not force:
            raise FlipFlopError(f"{out} is not empty and holds no run; use --force or another --out")
        return None
    try:
        saved = TrainConfig.from_dict(runs.read_config(out)["train"]).to_dict()
    except (FlipFlopError, KeyError, TypeError) as e:
        if not force:
            raise FlipFlopError(f"{out / runs.CONFIG} is unreadable ({e}){FORCE_HINT}") from None
        return None
    new = config.to_dict()
    changed = {k: [saved.get(k), v] for k, v in new.items() if saved.get(k) != v}
    if changed and not set(changed) <= set(CONTINUABLE):
        if not force:
            raise FlipFlopError(f"{out} holds a run with a different config ({', '.join(sorted(changed))}; only "
                                f"{', '.join(CONTINUABLE)} may change to train it further); use --force to overwrite it")
        return None
    return changed


def continue_run(out: Path, config: TrainConfig, changed: dict, epoch: int) -> None:
    """Unseal the finished run (``metrics.json`` goes) and record the change in ``config.json``."""
    from datetime import datetime, timezone

    (out / runs.METRICS).unlink(missing_ok=True)
    runs.clear_fixed_points(out)
    saved = runs.read_config(out)
    saved.pop("format", None)
    entry = {"after_epoch": epoch, "changed": changed,
             "date": datetime.now(timezone.utc).isoformat(timespec="seconds")}
    runs.write_config(out, {**saved, "train": config.to_dict(), "continued": saved.get("continued", []) + [entry]})


def verified_state(out: Path, log: Callable[[str], None] = print) -> dict | None:
    """``state.json``, checked against the history and the best model (None if there is none:
    start afresh). ``model.keras`` is restored from the checkpoint when it is
    the same epoch's; anything else that does not match is a FlipFlopError."""
    if not (out / runs.STATE).is_file():  # no epoch was committed (or the commit record is gone):
        if (out / runs.HISTORY).is_file():  # the same seed replays the run exactly from the start
            log(f"{out}: no {runs.STATE}; training again from epoch 1 (same seed, same result)")
        return None
    state = runs.read_json(out / runs.STATE)
    keys = ("epoch", "checkpoint", "best_val_loss", "wait", "seconds")
    if (not isinstance(state, dict) or any(k not in state for k in keys) or not isinstance(state["epoch"], int)
            or not isinstance(state["checkpoint"], str) or Path(state["checkpoint"]).name != state["checkpoint"]):
        raise FlipFlopError(f"corrupt file {out / runs.STATE}: not a training state")
    try:
        rows = [r for r in runs.read_history(out / runs.HISTORY) if r["epoch"] <= state["epoch"]]
    except (FlipFlopError, KeyError) as e:
        raise FlipFlopError(f"{out / runs.HISTORY} is corrupt ({e})") from None
    if ([r["epoch"] for r in rows] != list(range(1, state["epoch"] + 1))
            or state.get("history_sha256", runs.rows_digest(rows)) != runs.rows_digest(rows)):
        raise FlipFlopError(f"{out / runs.HISTORY} is corrupt or was modified (it does not match {runs.STATE})")
    for name, key in ((runs.INITIAL, "initial_sha256"), (runs.MODEL, "model_sha256")):
        path = out / name
        if key in state and (not path.is_file() or runs.file_digest(path) != state[key]):
            how = "corrupt" if path.is_file() else "missing"
            if name == runs.MODEL and state.get("best_epoch") == state["epoch"]:
                runs.load_model(out / state["checkpoint"])  # the same epoch's weights: check, then copy
                runs.copy_file(out / state["checkpoint"], path)
                state[key] = runs.file_digest(path)
                runs.write_json(out / runs.STATE, state)
                log(f"{out}: {name} was {how}; restored from {state['checkpoint']} (the same epoch)")
                continue
            raise FlipFlopError(f"{path} is {how} and cannot be recovered exactly")
    state["history"] = rows
    return state
