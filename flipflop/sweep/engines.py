"""The engines that run a sweep's points: in this process one after another, or as Ray Tune trials.

Under Ray, a trial that Tune retries (``FailureConfig``) calls :func:`flipflop.training.train`
again, which resumes after the last finished epoch. Each epoch the trial also reports the
run directory to Tune as its checkpoint (``tune.report`` from a Keras callback), so with an
object store as ``storage_path`` a trial restarted on another node gets it back from
``tune.get_checkpoint()``.
"""
from __future__ import annotations

import logging
import os
import re
import socket
import time
from contextlib import contextmanager
from pathlib import Path
from typing import Callable, Iterator, Sequence

from flipflop import runs
from flipflop.errors import FlipFlopError
from flipflop.runs.sweeps import TUNE_DIR
from flipflop.sweep.folder import Progress, Sweep, SweepResult, points_to_run, record_result
from flipflop.training.config import TrainConfig

INSTALL_HINT = "Ray is not installed: pip install 'flipflop[sweep]' (or run with --local)"


def run_local(sweep: Sweep, retry_failed: bool = False, force: bool = False,
              log: Callable[[str], None] = print) -> SweepResult:
    """Every unfinished point in this process, one after another."""
    from flipflop.training import TrainingDiverged, train

    todo, skipped, failed = points_to_run(sweep, retry_failed)
    prog = Progress(len(sweep.points), done=len(skipped), failed=len(failed))
    log(prog.line())
    done = []
    for p in todo:
        prog.running = {p.name}
        try:
            result = train(p.config, sweep.run_dir(p), force=force, verbose=0, log=lambda s: None)
        except TrainingDiverged as e:
            failed[p.name] = str(e)
            prog.failed += 1
            record_result(sweep, p.name, {"status": "failed", "diverged": True, "reason": str(e)})
        else:
            done.append(p.name)
            prog.done += 1
            record_result(sweep, p.name, {"status": "done", "epochs_run": result.epochs_run,
                                    "reached_target": result.reached_target})
        prog.finished_here += 1
        prog.running = set()
        log(prog.line())
    return SweepResult(sweep.path, done, failed, skipped, time.perf_counter() - prog.started)


def import_ray():
    """``ray`` and ``ray.tune``; a one-line error naming the extra if absent."""
    try:
        import ray
        from ray import tune
    except ImportError:
        raise FlipFlopError(INSTALL_HINT) from None
    return ray, tune


# An HTTP/2 client's first bytes: its preface and an empty SETTINGS frame. A gRPC server (a
# Ray cluster's GCS, or its client server) answers with a SETTINGS frame of its own.
_HTTP2_PREFACE = b"PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n" + bytes([0, 0, 0, 4, 0, 0, 0, 0, 0])


def check_address(address: str, timeout_s: float = 2.0) -> None:
    """A one-line error unless ``HOST:PORT`` (or ``ray://HOST:PORT``) accepts connections
    within ``timeout_s`` and answers as a gRPC server does (Ray's GCS and client server
    are gRPC): checked with a socket, before Ray is imported."""
    if address in ("auto", "local"):
        return
    m = re.fullmatch(r"(?:ray://)?\[?([^\]\s]+?)\]?:(\d{1,5})", address)
    if not m or int(m[2]) > 65535:
        raise FlipFlopError(f"--address {address[:80]!r}: expected HOST:PORT, ray://HOST:PORT or auto")
    try:
        with socket.create_connection((m[1], int(m[2])), timeout=timeout_s) as conn:
            conn.sendall(_HTTP2_PREFACE)
            head = b""
            while len(head) < 9:
                part = conn.recv(9 - len(head))
                if not part:
                    break
                head += part
    except socket.timeout:
        raise FlipFlopError(f"cannot reach a Ray cluster at {address}: no answer in {timeout_s:g} s") from None
    except (OSError, UnicodeError) as e:
        raise FlipFlopError(f"cannot reach a Ray cluster at {address}: {getattr(e, 'strerror', None) or e}") from None
    if len(head) < 9 or head[3] != 4:  # frame type 4: SETTINGS
        raise FlipFlopError(f"{address} answers, but not as a Ray cluster does (no gRPC server there)")


@contextmanager
def ray_session(address: str | None = None, num_cpus: int | None = None) -> Iterator[object]:
    """Connect to the cluster at ``address`` (or RAY_ADDRESS), else start an embedded Ray
    (``num_cpus``: its CPUs, default all; never a cluster found in /tmp/ray, as plain
    ``ray.init()`` would); an already initialised Ray is used as it is.
    Ray's own logging is kept off the terminal."""
    ray, _ = import_ray()
    if ray.is_initialized():
        yield ray
        return
    address = address or os.environ.get("RAY_ADDRESS") or None
    if address:
        check_address(address)
    try:
        ray.init(address=address or "local", num_cpus=None if address else num_cpus, include_dashboard=False,
                 log_to_driver=False, logging_level=logging.ERROR, configure_logging=True)
    except (ConnectionError, RuntimeError, TimeoutError) as e:
        where = f"the Ray cluster at {address}" if address else "an embedded Ray"
        raise FlipFlopError(f"cannot start or reach {where}: {str(e).splitlines()[0] if str(e) else e}") from None
    try:
        yield ray
    finally:
        ray.shutdown()


def check_resources(ray, cpus_per_trial: float, gpus_per_trial: float) -> None:
    """Refuse trials that the connected cluster could never place (Tune would wait forever)."""
    have = ray.cluster_resources()
    for name, want in (("CPU", cpus_per_trial), ("GPU", gpus_per_trial)):
        if want > have.get(name, 0):
            raise FlipFlopError(f"--{name.lower()}s-per-trial {want:g}: the Ray cluster has {have.get(name, 0):g} "
                                f"{name}s in all")


def limit_threads(cpus: float, gpus: float = 0.0) -> int:
    """Size TensorFlow's thread pools to this trial's CPUs (before TF's runtime starts)
    and let trials share a GPU; returns the intra-op pool size now in force."""
    import tensorflow as tf

    n = max(1, int(cpus))
    try:
        tf.config.threading.set_intra_op_parallelism_threads(n)
        tf.config.threading.set_inter_op_parallelism_threads(n)
        if gpus:
            for gpu in tf.config.list_physical_devices("GPU"):
                tf.config.experimental.set_memory_growth(gpu, True)
    except RuntimeError:
        pass  # the runtime was already initialised in this process: keep its pools
    return tf.config.threading.get_intra_op_parallelism_threads()


def _report_callback(run_dir: Path, threads: int):
    """A Keras callback that reports each epoch to Tune with the run directory as checkpoint."""
    import keras
    from ray import tune

    class ReportToTune(keras.callbacks.Callback):
        def on_epoch_end(self, epoch, logs=None):
            metrics = {"epoch": epoch + 1, "pid": os.getpid(), "tf_threads": threads, "status": "running",
                       **{k: float(v) for k, v in (logs or {}).items()}}
            tune.report(metrics, checkpoint=tune.Checkpoint.from_directory(str(run_dir)))

    return ReportToTune()


def trial(trial_config: dict) -> None:
    """One Tune trial: train one point into its run directory (resuming it), report per epoch."""
    from ray import tune

    threads = limit_threads(trial_config["cpus"], trial_config["gpus"])
    from flipflop.training import TrainingDiverged, train

    point = trial_config["point"]
    run_dir = Path(point["run_dir"])
    checkpoint = tune.get_checkpoint()
    if checkpoint is not None and not (run_dir / runs.CONFIG).is_file():
        checkpoint.to_directory(str(run_dir))  # a new node without the shared run directory
    config = TrainConfig.from_dict(point["config"])
    final = {"pid": os.getpid(), "tf_threads": threads}
    try:
        result = train(config, run_dir, force=point["force"], verbose=0,
                       callbacks=[_report_callback(run_dir, threads)], log=lambda s: None)
    except TrainingDiverged as e:
        tune.report({**final, "status": "failed", "reason": str(e)})
        return
    tune.report({**final, "status": "done", "epoch": result.epochs_run, "epochs_run": result.epochs_run,
                 "reached_target": result.reached_target},
                checkpoint=tune.Checkpoint.from_directory(str(run_dir)))


def _progress_callback(tune, sweep: Sweep, prog: Progress, log: Callable[[str], None]):
    class ProgressLine(tune.Callback):
        def on_trial_start(self, iteration, trials, trial, **info):
            prog.running.add(trial.config["point"]["name"])
            log(prog.line())

        def on_trial_result(self, iteration, trials, trial, result, **info):
            name = trial.config["point"]["name"]
            if result.get("status") == "failed":
                prog.running.discard(name)
                prog.failed += 1
                prog.finished_here += 1
                record_result(sweep, name, {"status": "failed", "diverged": True, "reason": result["reason"]})
                log(prog.line())
            elif result.get("status") == "done":
                prog.running.discard(name)
                prog.done += 1
                prog.finished_here += 1
                record_result(sweep, name, {"status": "done", "epochs_run": result["epochs_run"],
                                      "reached_target": result["reached_target"]})
                log(prog.line())

        def on_trial_error(self, iteration, trials, trial, **info):
            name = trial.config["point"]["name"]
            prog.running.discard(name)
            prog.failed += 1
            prog.finished_here += 1
            err = trial.get_error()
            reason = str(err).strip().splitlines()[-1] if err and str(err).strip() else "trial failed"
            record_result(sweep, name, {"status": "failed", "diverged": False, "reason": reason})
            log(prog.line())

        def on_trial_recover(self, iteration, trials, trial, **info):
            log(f"{trial.config['point']['name']}: worker lost; retrying from its last epoch")

    return ProgressLine()


def run_ray(sweep: Sweep, address: str | None = None, cpus_per_trial: float = 1, gpus_per_trial: float = 0,
            max_failures: int = 3, max_concurrent: int | None = None, storage: str | None = None,
            num_cpus: int | None = None, retry_failed: bool = False, force: bool = False,
            log: Callable[[str], None] = print, callbacks: Sequence = ()) -> SweepResult:
    """Every unfinished point as a Ray Tune trial (``cpus_per_trial`` CPUs and
    ``gpus_per_trial`` GPUs each; a trial whose worker dies is retried up to
    ``max_failures`` times). ``storage``: Tune's ``storage_path`` (default: the sweep
    directory; a folder or URI that every node sees). ``callbacks``: extra Tune callbacks."""
    if cpus_per_trial <= 0 or gpus_per_trial < 0 or max_failures < 0:
        raise FlipFlopError("--cpus-per-trial must be > 0, --gpus-per-trial and --max-failures >= 0")
    _, tune = import_ray()
    todo, skipped, failed = points_to_run(sweep, retry_failed)
    prog = Progress(len(sweep.points), done=len(skipped), failed=len(failed))
    log(prog.line())
    if not todo:
        return SweepResult(sweep.path, [], failed, skipped, 0.0)
    os.environ.setdefault("RAY_AIR_NEW_OUTPUT", "0")
    os.environ.setdefault("TUNE_DISABLE_AUTO_CALLBACK_LOGGERS", "1")
    grid = [{"name": p.name, "config": p.config.to_dict(), "run_dir": str(sweep.run_dir(p).resolve()),
             "force": force} for p in todo]
    with ray_session(address, num_cpus) as ray:
        check_resources(ray, cpus_per_trial, gpus_per_trial)
        resources = {"cpu": cpus_per_trial, "gpu": gpus_per_trial}
        tuner = tune.Tuner(
            tune.with_resources(trial, resources),
            param_space={"point": tune.grid_search(grid), "cpus": cpus_per_trial, "gpus": gpus_per_trial},
            tune_config=tune.TuneConfig(max_concurrent_trials=max_concurrent,
                                        trial_name_creator=lambda t: t.config["point"]["name"],
                                        trial_dirname_creator=lambda t: t.config["point"]["name"]),
            run_config=tune.RunConfig(
                name=TUNE_DIR, storage_path=storage or str(sweep.path.resolve()), verbose=0,
                failure_config=tune.FailureConfig(max_failures=max_failures),
                checkpoint_config=tune.CheckpointConfig(num_to_keep=1),
                callbacks=[_progress_callback(tune, sweep, prog, log), *callbacks]))
        tune_log = logging.getLogger("ray.tune")
        level, tune_log.level = tune_log.level, logging.CRITICAL  # our progress line says what failed
        try:
            results = tuner.fit()
        finally:
            tune_log.setLevel(level)
    done = []
    for r in results:
        name = r.config["point"]["name"]
        status = (r.metrics or {}).get("status")
        if r.error is not None or status == "failed":
            failed[name] = (r.metrics or {}).get("reason") or str(r.error).strip().splitlines()[-1]
            continue
        run_dir = Path(r.config["point"]["run_dir"])
        if not (run_dir / runs.METRICS).is_file() and r.checkpoint is not None:
            r.checkpoint.to_directory(str(run_dir))  # run directories kept only in an object store
        done.append(name)
    return SweepResult(sweep.path, done, failed, skipped, time.perf_counter() - prog.started)
