"""``FixedPoints``: the finder's result, its summary, and its ``.npz`` file format."""
from __future__ import annotations

import os
import zipfile
import zlib
from dataclasses import dataclass, replace

import numpy as np

from flipflop.errors import FlipFlopError
from flipflop.runs.fileio import atomic_path

FORMAT_VERSION = 1


_ARRAYS = ("points", "q", "is_fixed", "jacobians", "eigenvalues", "n_unstable", "unstable_vectors", "input")


_SCALARS = ("n_init", "iterations", "best_q", "tol_q", "slow_tol", "n_converged")


def _shape_problem(arrays: dict) -> str | None:
    """What is wrong with the shapes of a file's arrays (K points of n states), or None."""
    points = arrays["points"]
    if points.ndim != 2:
        return f"points has shape {points.shape}, not (K, n)"
    k, n = points.shape
    expected = {"q": (k,), "is_fixed": (k,), "n_unstable": (k,), "unstable_vectors": (k, n)}
    for name, shape in expected.items():
        if arrays[name].shape != shape:
            return f"{name} has shape {arrays[name].shape}, not {shape} as points {points.shape} asks"
    if arrays["eigenvalues"].shape not in ((k, n), (k, 0)):
        return f"eigenvalues has shape {arrays['eigenvalues'].shape}, not {(k, n)}"
    if arrays["jacobians"].shape not in ((k, n, n), (k, 0, 0)):
        return f"jacobians has shape {arrays['jacobians'].shape}, not {(k, n, n)} or {(k, 0, 0)}"
    if arrays["input"].ndim != 1:
        return f"input has shape {arrays['input'].shape}, not (n_inputs,)"
    return None


@dataclass
class FixedPoints:
    """Unique fixed (and slow) points of a recurrent map at one constant input.

    Rows are sorted: fixed points first, each group by increasing q. Arrays:
    ``points`` (K, n_state); ``q`` (K,); ``is_fixed`` (K,) bool, True where
    ``q < tol_q``, False for slow points (``tol_q <= q < slow_tol``); ``jacobians``
    (K, n, n) dF/dh; ``eigenvalues`` (K, n) complex, by decreasing modulus;
    ``n_unstable`` (K,) eigenvalues with modulus > 1; ``unstable_vectors`` (K, n) leading
    unstable eigenvector (zeros for stable points); ``input`` (n_input,) the constant
    input. Scalars: ``n_init`` initial states, ``iterations`` of Adam run, ``best_q`` lowest
    q reached (after Newton refinement, if any), ``tol_q``, ``slow_tol``, ``n_converged``
    initial states that reached ``q < tol_q`` under Adam (before deduplication, refinement
    and outlier removal).
    """

    points: np.ndarray
    q: np.ndarray
    is_fixed: np.ndarray
    jacobians: np.ndarray
    eigenvalues: np.ndarray
    n_unstable: np.ndarray
    unstable_vectors: np.ndarray
    input: np.ndarray
    n_init: int
    iterations: int
    best_q: float
    tol_q: float
    slow_tol: float
    n_converged: int

    @property
    def is_stable(self) -> np.ndarray:
        """(K,) bool: no eigenvalue of modulus > 1."""
        return self.n_unstable == 0

    @property
    def n_fixed(self) -> int:
        """Number of fixed (not slow) points."""
        return int(np.sum(self.is_fixed))

    def fixed_only(self) -> "FixedPoints":
        """The same result restricted to the fixed points (slow points dropped); its arrays
        are this one's, not copies, when every point is fixed."""
        keep = np.asarray(self.is_fixed, bool)
        if keep.all():
            return replace(self)
        arrays = {name: getattr(self, name)[keep] for name in _ARRAYS if name != "input"}
        return FixedPoints(**arrays, input=self.input,
                           **{name: getattr(self, name) for name in _SCALARS})

    def save(self, path: str | os.PathLike, include_jacobians: bool = True) -> None:
        """Write a compressed ``.npz`` file atomically, at ``path`` exactly. Without the
        Jacobians (K x n x n, 17 MB for 27 points of a 400-unit network) the file keeps their
        eigenvalues (as complex64) and unstable vectors, and loads with ``jacobians`` of
        shape (K, 0, 0)."""
        payload = {name: np.asarray(getattr(self, name)) for name in _ARRAYS}
        payload.update({name: np.asarray(getattr(self, name)) for name in _SCALARS})
        payload["format_version"] = np.asarray(FORMAT_VERSION)
        if not include_jacobians:
            payload["jacobians"] = np.zeros((len(self.points), 0, 0), np.float32)
            payload["eigenvalues"] = payload["eigenvalues"].astype(np.complex64)
        if not os.path.isdir(os.path.dirname(os.path.abspath(path))):
            raise FlipFlopError(f"cannot save fixed points: folder {os.path.dirname(os.path.abspath(path))} "
                                "does not exist")
        with atomic_path(path) as tmp:
            with open(tmp, "wb") as f:
                np.savez_compressed(f, **payload)

    @classmethod
    def load(cls, path: str | os.PathLike) -> "FixedPoints":
        """Read a file written by :meth:`save`; a missing or corrupt file raises FlipFlopError."""
        path = os.fspath(path)
        if not os.path.isfile(path):
            raise FlipFlopError(f"no fixed-point file at {path}")
        try:
            with np.load(path, allow_pickle=False) as data:
                if int(data["format_version"]) != FORMAT_VERSION:
                    raise FlipFlopError(f"{path}: unsupported fixed-point file version "
                                        f"{int(data['format_version'])}")
                arrays = {name: data[name] for name in _ARRAYS}
                scalars = {name: data[name].item() for name in _SCALARS}
        except FlipFlopError:
            raise
        except (OSError, ValueError, KeyError, EOFError, zipfile.BadZipFile, zlib.error) as exc:
            raise FlipFlopError(f"{path} is not a valid fixed-point file ({type(exc).__name__}: "
                                f"{str(exc).splitlines()[0] if str(exc) else 'unreadable'})") from None
        problem = _shape_problem(arrays)
        if problem:
            raise FlipFlopError(f"{path} is not a valid fixed-point file ({problem})")
        arrays["is_fixed"] = arrays["is_fixed"].astype(bool)
        for name in ("n_init", "iterations", "n_converged"):
            scalars[name] = int(scalars[name])
        for name in ("best_q", "tol_q", "slow_tol"):
            scalars[name] = float(scalars[name])
        return cls(**arrays, **scalars)

    def summary(self, ideal: tuple[str, dict[int, int]] | None = None) -> str:
        """A printable table: stable points and saddles by number of unstable modes, plus q
        statistics; with ``ideal`` = (column name, {unstable modes: count}), the counts of an
        ideal network beside them (the task's ``ideal_census()``, e.g. the 3-bit product system)."""
        name, counts = ideal if ideal is not None else ("", {})
        fixed = np.asarray(self.is_fixed, bool)
        found = np.bincount(self.n_unstable[fixed].astype(int), minlength=1) if fixed.any() else np.zeros(1, int)
        rows = max(len(found), max(counts, default=-1) + 1)
        u = ", ".join(f"{x:g}" for x in np.asarray(self.input).ravel())
        column = (lambda v: f"{v:>14}") if ideal is not None else (lambda v: "")
        lines = [f"Fixed points at constant input [{u}]: {self.n_fixed} unique "
                 f"({self.n_converged} of {self.n_init} initial states reached q < tol_q in "
                 f"{self.iterations} Adam iterations)",
                 f"{'kind':<24}{'found':>7}{column(name)}"]
        for k in range(rows):
            if (found[k] if k < len(found) else 0) == 0 and counts.get(k, 0) == 0:
                continue  # only rows that something falls in
            kind = "stable" if k == 0 else f"saddle, {k} unstable mode" + ("s" if k > 1 else "")
            got = int(found[k]) if k < len(found) else 0
            lines.append(f"{kind:<24}{got:>7}{column(counts.get(k, 0))}")
        lines.append(f"{'total':<24}{self.n_fixed:>7}{column(sum(counts.values()))}")
        n_slow = len(fixed) - self.n_fixed
        if n_slow:
            lines.append(f"slow points (tol_q <= q < {self.slow_tol:g}): {n_slow}, "
                         f"{int(np.sum(self.n_unstable[~fixed] == 0))} of them stable")
        med = f"{float(np.median(self.q[fixed])):.3g}" if fixed.any() else "n/a"
        lines.append(f"q: best {self.best_q:.3g}, median over fixed points {med} (tol_q {self.tol_q:g})")
        return "\n".join(lines)


def merge(results: "list[FixedPoints]", dedup_tol: float = 1e-2) -> FixedPoints:
    """One result from several searches at the same input: rows pooled, duplicates within
    ``dedup_tol`` merged (lowest q kept), fixed points first; counters added up."""
    first = results[0]
    from flipflop.dynamics.points import deduplicate  # SciPy, only when merging

    points, q, is_fixed = (np.concatenate([getattr(r, name) for r in results]) for name in ("points", "q", "is_fixed"))
    keep = deduplicate(points, np.where(is_fixed, q, np.inf), dedup_tol)
    keep = keep[np.lexsort((q[keep], ~is_fixed[keep]))]
    # Only the kept rows are copied, once: the Jacobians of 28 points of a 400-unit network are 36 MB.
    source = np.concatenate([np.full(len(r.points), i) for i, r in enumerate(results)])[keep]
    row = np.concatenate([np.arange(len(r.points)) for r in results])[keep]
    arrays = {}
    for name in _ARRAYS:
        if name == "input":
            continue
        parts = [getattr(r, name) for r in results]
        if name == "jacobians" and any(p.shape[1:] != parts[0].shape[1:] for p in parts):
            arrays[name] = np.zeros((len(keep), 0, 0), np.float32)
            continue
        arrays[name] = np.empty((len(keep),) + parts[0].shape[1:], np.result_type(*parts))
        for i, part in enumerate(parts):
            arrays[name][source == i] = part[row[source == i]]
    return FixedPoints(**arrays, input=first.input,
                       n_init=sum(r.n_init for r in results), iterations=max(r.iterations for r in results),
                       best_q=min(r.best_q for r in results), tol_q=first.tol_q, slow_tol=first.slow_tol,
                       n_converged=sum(r.n_converged for r in results))
