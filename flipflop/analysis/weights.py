"""Recurrent weights and their spectra: gate blocks, the matrix shown as W_rec, eigenvalues.

**Orientation.** :func:`recurrent_matrix` returns Keras' ``recurrent_kernel`` block *as
stored*, ``U`` of shape (units, units), used as ``h_t @ U``: row i is the presynaptic unit,
column j the postsynaptic one. This is what the paper's W_rec heat map shows. The "W h"
orientation of ``h_{t+1} = f(W h_t + ...)`` is ``U.T``; both have the same eigenvalues.
"""
from __future__ import annotations

from typing import NamedTuple

import numpy as np

from flipflop.backend import keras
from flipflop.errors import FlipFlopError
from flipflop.models.build import recurrent_layer
from flipflop.models.cells import spec_of_layer

SPECTRUM_TOL = 0.01  # the paper's count: eigenvalues with |lambda| > 1.01


def gate_blocks(model: keras.Model) -> dict[str, np.ndarray]:
    """The (units, units) blocks of the recurrent kernel, by name, in Keras' orientation.

    - SimpleRNN or any single-block cell: ``{"recurrent": U}``;
    - a cell with ``effective_recurrent_kernel()`` (the CTRNN): ``{"recurrent": W_eff}``,
      the effective matrix with Dale signs and connectivity mask applied, assumed to be
      in the same (presynaptic, postsynaptic) orientation as ``recurrent_kernel``;
    - GRU: ``update``, ``reset``, ``candidate`` (Keras' z, r, h column blocks);
    - LSTM: ``input``, ``forget``, ``cell``, ``output`` (Keras' i, f, c, o column blocks).
    """
    cell = recurrent_layer(model).cell
    if hasattr(cell, "effective_recurrent_kernel"):
        return {"recurrent": _square(keras.ops.convert_to_numpy(cell.effective_recurrent_kernel()))}
    if not hasattr(cell, "recurrent_kernel"):
        raise FlipFlopError(f"recurrent cell {type(cell).__name__} has no recurrent_kernel")
    kernel = np.asarray(keras.ops.convert_to_numpy(cell.recurrent_kernel), np.float64)
    names = _gates(cell)
    units = kernel.shape[0]
    if kernel.shape != (units, units * len(names)):
        raise FlipFlopError(f"recurrent kernel of shape {kernel.shape} does not split into "
                            f"{len(names)} blocks of ({units}, {units})")
    return {name: kernel[:, k * units:(k + 1) * units] for k, name in enumerate(names)}


def recurrent_matrix(model: keras.Model, gate: str | None = None) -> np.ndarray:
    """The (units, units) recurrent weight matrix, Keras orientation (``h @ U``, rows
    presynaptic; see the module docstring).

    ``gate`` picks a block of a gated cell (see :func:`gate_blocks`). Defaults: GRU
    ``"candidate"`` and LSTM ``"cell"``, the block inside the candidate's tanh that plays
    the role of the plain RNN's W_rec; SimpleRNN/CTRNN have the single block ``"recurrent"``.
    """
    blocks = gate_blocks(model)
    if gate is None:
        gate = shown_gate(model)
    if gate not in blocks:
        raise FlipFlopError(f"unknown gate {gate!r} for this cell; choose one of {', '.join(blocks)}")
    return blocks[gate]


def shown_gate(model: keras.Model) -> str:
    """The gate block shown as W_rec for this model's cell (the cell registry's choice)."""
    cell = recurrent_layer(model).cell
    return spec_of_layer(cell).shown_gate if _registered(cell) else "recurrent"


def _registered(cell) -> bool:
    try:
        spec_of_layer(cell)
        return True
    except FlipFlopError:
        return False


def _gates(cell) -> tuple[str, ...]:
    """The cell registry's gate blocks; a cell outside the registry has one block."""
    return spec_of_layer(cell).gates if _registered(cell) else ("recurrent",)


def _square(matrix: np.ndarray) -> np.ndarray:
    matrix = np.asarray(matrix, np.float64)
    if matrix.ndim != 2 or matrix.shape[0] != matrix.shape[1]:
        raise FlipFlopError(f"expected a square matrix, got shape {matrix.shape}")
    if not np.all(np.isfinite(matrix)):
        raise FlipFlopError("matrix has non-finite entries")
    return matrix


class Spectrum(NamedTuple):
    """Eigenvalues of a square matrix and the paper's summary numbers."""

    eigenvalues: np.ndarray  # complex (n,), sorted by decreasing modulus
    spectral_radius: float  # max |lambda|
    n_outside: int  # count of |lambda| > 1 + tol
    n_total: int  # n


def spectrum(matrix: np.ndarray, tol: float = SPECTRUM_TOL) -> Spectrum:
    """Eigenvalues of ``matrix`` and how many lie outside the unit circle.

    ``n_outside`` counts ``|lambda| > 1 + tol``; the default ``tol = 0.01`` is the paper's
    "57 of 400 eigenvalues with |lambda| > 1.01", and keeps the eigenvalues of an
    orthogonal matrix (|lambda| = 1 up to round-off) inside.
    """
    matrix = _square(matrix)
    if not tol >= 0:
        raise FlipFlopError(f"tol must be >= 0, got {tol}")
    eig = np.linalg.eigvals(matrix).astype(np.complex128)
    modulus = np.abs(eig)
    order = np.argsort(-modulus, kind="stable")
    return Spectrum(eig[order], float(modulus.max(initial=0.0)),
                    int(np.sum(modulus > 1.0 + tol)), int(eig.size))


def spectral_signature(matrix: np.ndarray, tol: float = SPECTRUM_TOL) -> dict[str, float]:
    """Summary of the eigenvalue moduli |lambda| of ``matrix``: ``radius`` (max),
    ``n_above`` (count of |lambda| > 1 + tol, see :func:`spectrum`), and the ``median``,
    ``std`` and 10th percentile ``p10`` of |lambda| (dimensionless)."""
    s = spectrum(matrix, tol)
    modulus = np.abs(s.eigenvalues)
    return {"radius": s.spectral_radius, "n_above": s.n_outside, "median": float(np.median(modulus)),
            "std": float(np.std(modulus)), "p10": float(np.percentile(modulus, 10))}
