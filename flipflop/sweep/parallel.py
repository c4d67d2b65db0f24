"""Pairwise work on Ray: the per-run items go into Ray's object store once, and each Ray
task scores a share of the pairs (the mapper that ``flipflop compare`` and
``sweep-report`` hand to :func:`flipflop.reports.compare.compare_runs`)."""
from __future__ import annotations

from typing import Callable, Sequence

from flipflop.errors import FlipFlopError
from flipflop.sweep.engines import ray_session


def _share(fn: Callable, items: list, pairs: Sequence[tuple[int, int]]) -> list:
    return [fn(items, i, j) for i, j in pairs]


def ray_pairs(fn: Callable, items: list, pairs: Sequence[tuple[int, int]], address: str | None = None,
              cpus_per_task: float = 1, shares_per_cpu: int = 2) -> list:
    """``[fn(items, i, j) for i, j in pairs]``, as Ray tasks of ``cpus_per_task`` CPUs,
    ``shares_per_cpu`` tasks per CPU of the cluster; results in the order of ``pairs``."""
    pairs = list(pairs)
    if not pairs:
        return []
    with ray_session(address) as ray:
        stored = ray.put(items)  # once; every task reads the same copy
        n = max(1, min(len(pairs), int(ray.cluster_resources().get("CPU", 1) / cpus_per_task) * shares_per_cpu))
        remote = ray.remote(num_cpus=cpus_per_task)(_share)
        shares = [pairs[k::n] for k in range(n)]
        try:
            done = ray.get([remote.remote(fn, stored, share) for share in shares])
        except ray.exceptions.RayTaskError as e:
            cause = getattr(e, "cause", None)
            if isinstance(cause, FlipFlopError):
                raise cause from None
            raise
    out: list = [None] * len(pairs)
    for k, results in enumerate(done):
        out[k::n] = results
    return out
