"""A continuous-time (leaky, Euler-discretised) RNN cell with optional Dale's law.

Dynamics (Yang & Wang 2020, Eq. 27; noise as in Song, Yang & Wang 2016), alpha = dt / tau::

    h <- (1 - alpha) h + alpha tanh(h W_rec_eff + x W_in + b) + sqrt(2 alpha) sigma_rec xi,

with xi ~ N(0, 1) drawn on every step, in training only. This is the primer's
``alpha * (... + sqrt(2 / alpha) sigma_rec xi)`` (Song, Yang & Wang 2016, Eq. 6): the noise's
variance per unit of time does not depend on ``dt``.

Penalties (Yang et al. 2019's ``l2_h`` and ``l2_weight``), both 0 by default: ``l2_weight``
adds ``l2_weight * sum(W**2)`` of the input and the recurrent kernel (``keras.regularizers.L2``
on the raw weights; with Dale's law ``|W|**2`` is the same); ``l2_h`` adds ``l2_h`` times the
mean squared rate over trials, steps and units (:class:`RatePenalty`, the recurrent layer's
activity regulariser, so Keras adds it with ``add_loss``). Weights follow Keras' ``h @ W``
convention: ``W_rec[i, j]`` is the connection from presynaptic unit ``i`` to postsynaptic ``j``.
The effective matrix is ``W_rec_eff = |W_rec| * s[:, None] * M`` with Dale's law (``s`` = +1 for
the first ``round(dale_ratio * units)`` units, excitatory, -1 for the rest) and ``W_rec * M``
without; ``M`` is the 0/1 connectivity mask with a zero diagonal when ``no_self_connections``.
With ``alpha = 1`` and neither Dale, mask, bias nor noise it is ``keras.layers.SimpleRNN``.
"""
from __future__ import annotations

import math

import numpy as np

from flipflop.backend import keras
from flipflop.errors import POSITIVE_INT, FlipFlopError, check_value

ops = keras.ops


def leaky_step(h, drive, alpha: float):
    """The CTRNN's Euler step without noise, ``(1 - alpha) h + alpha tanh(drive)``, on any
    backend tensors or numpy arrays (``alpha = dt / tau``): the one place it is written."""
    return (1.0 - alpha) * h + alpha * ops.tanh(drive)


def n_excitatory(units: int, dale_ratio: float) -> int:
    """Number of excitatory units: ``round(dale_ratio * units)`` (Python's round, half to even)."""
    return int(round(dale_ratio * units))


def dale_sign_vector(units: int, dale_ratio: float) -> np.ndarray:
    """+1 for the first ``n_excitatory`` units, -1 for the rest (float32, shape (units,))."""
    signs = -np.ones(units, np.float32)
    signs[:n_excitatory(units, dale_ratio)] = 1.0
    return signs


def excitatory_readout_mask(units: int, dale_ratio: float) -> np.ndarray:
    """(units, 1) float32 mask: 1 on rows of excitatory units, 0 on inhibitory ones."""
    return (dale_sign_vector(units, dale_ratio) > 0).astype(np.float32)[:, None]


def dale_initial_weights(signs: np.ndarray, mask: np.ndarray | None, seed: int | None) -> np.ndarray:
    """Balanced |W| (>= 0, Keras' (pre, post) layout) for a Dale network at the edge of stability.

    Following Song, Yang & Wang (2016): magnitudes ~ Gamma(shape=2, scale=1), times ``mask``; then,
    for each postsynaptic unit (column), the inhibitory inputs are scaled so that they sum to the
    excitatory ones, i.e. every column of the effective matrix ``|W| * signs[:, None]`` sums to 0
    (columns lacking E or I inputs are left as drawn); finally everything is scaled so that the
    effective matrix has spectral radius 1.
    """
    units = len(signs)
    w = np.random.default_rng(seed).gamma(2.0, 1.0, size=(units, units))
    if mask is not None:
        w *= mask
    exc, inh = signs > 0, signs < 0
    e_sum, i_sum = w[exc].sum(axis=0), w[inh].sum(axis=0)
    ok = (e_sum > 0) & (i_sum > 0)
    w[np.ix_(inh, ok)] *= (e_sum[ok] / i_sum[ok])[None, :]
    radius = np.max(np.abs(np.linalg.eigvals(w * signs[:, None])))
    return (w / radius if radius > 0 else w).astype(np.float32)


class _MaskConstraint(keras.constraints.Constraint):
    """Keeps the raw weights at zero where the (layer-owned) mask variable is zero."""

    def __init__(self, mask: keras.Variable):
        self.mask = mask

    def __call__(self, w):
        return w * ops.cast(self.mask, w.dtype)


@keras.saving.register_keras_serializable(package="flipflop")
class ExcitatoryOnly(keras.constraints.Constraint):
    """Kernel constraint for a readout ``Dense``: zeroes the rows of inhibitory units."""

    def __init__(self, units: int, dale_ratio: float):
        self.units, self.dale_ratio = units, dale_ratio

    def __call__(self, w):
        return w * ops.cast(excitatory_readout_mask(self.units, self.dale_ratio), w.dtype)

    def get_config(self) -> dict:
        return {"units": self.units, "dale_ratio": self.dale_ratio}


@keras.saving.register_keras_serializable(package="flipflop")
class RatePenalty(keras.regularizers.Regularizer):
    """``l2_h`` x the mean of ``h**2`` over trials, steps and units: an activity regulariser for
    the recurrent layer's output sequence (batch, steps, units). Keras divides an activity
    regulariser's value by the batch size, so this returns the sum over trials of each
    trial's mean."""

    def __init__(self, l2_h: float = 0.0):
        self.l2_h = float(l2_h)

    def __call__(self, x):
        per_trial = ops.mean(ops.square(x), axis=tuple(range(1, len(x.shape))))
        return ops.cast(self.l2_h, x.dtype) * ops.sum(per_trial)

    def get_config(self) -> dict:
        return {"l2_h": self.l2_h}


@keras.saving.register_keras_serializable(package="flipflop")
class CTRNN(keras.layers.Layer):
    """Leaky tanh RNN cell for ``keras.layers.RNN``; see the module docstring for the equations.

    Args:
        units: number of units.
        tau_ms: single-unit time constant (ms), > 0.
        dt_ms: Euler step (ms), 0 < dt_ms <= tau_ms; ``alpha = dt_ms / tau_ms``.
        sigma_rec: recurrent noise std (>= 0, in units of the rate), added only when
            ``training=True``, scaled by ``sqrt(2 alpha)``.
        l2_weight: L2 penalty (>= 0) on the input and recurrent kernels (``sum(W**2)``).
        dale_ratio: fraction of excitatory units in (0, 1), or None for no Dale's law. With Dale's
            law the recurrent weights start from ``dale_initial_weights`` and
            ``recurrent_initializer`` is unused.
        no_self_connections: zero (and keep zero) the recurrent diagonal.
        mask: fixed 0/1 (units, units) connectivity, rows presynaptic, columns postsynaptic.
        use_bias: add a trainable bias (zeros at start).
        kernel_initializer, recurrent_initializer: Keras initialisers; string ones get ``seed``
            (input kernel) and ``seed + 1`` (recurrent kernel).
        seed: int seeding the noise and the string initialisers (and the Dale draw).
    """

    def __init__(self, units: int, tau_ms: float = 100.0, dt_ms: float = 10.0, sigma_rec: float = 0.0,
                 l2_weight: float = 0.0, dale_ratio: float | None = None, no_self_connections: bool = False,
                 mask: np.ndarray | list | None = None, use_bias: bool = False,
                 kernel_initializer="glorot_uniform", recurrent_initializer="orthogonal",
                 seed: int | None = None, **kwargs):
        super().__init__(**kwargs)
        check_value("units", units, POSITIVE_INT)
        for name, value in (("tau_ms", tau_ms), ("dt_ms", dt_ms)):
            if not (math.isfinite(value) and value > 0):
                raise FlipFlopError(f"{name} must be > 0, got {value}")
        if dt_ms > tau_ms:
            raise FlipFlopError(f"dt_ms ({dt_ms}) must not exceed tau_ms ({tau_ms})")
        for name, value in (("sigma_rec", sigma_rec), ("l2_weight", l2_weight)):
            if not (math.isfinite(value) and value >= 0):
                raise FlipFlopError(f"{name} must be >= 0, got {value}")
        if dale_ratio is not None:
            if not 0.0 < dale_ratio < 1.0:
                raise FlipFlopError(f"dale_ratio must be in the open interval (0, 1), got {dale_ratio}")
            if not 0 < n_excitatory(units, dale_ratio) < units:
                raise FlipFlopError(f"dale_ratio {dale_ratio} with {units} units leaves no "
                                    "excitatory or no inhibitory unit")
        if mask is not None:
            mask = np.asarray(mask, np.float32)
            if mask.shape != (units, units):
                raise FlipFlopError(f"mask must have shape ({units}, {units}), got {mask.shape}")
            if not np.isin(mask, (0.0, 1.0)).all():
                raise FlipFlopError("mask must contain only 0 and 1")
        self.units, self.tau_ms, self.dt_ms, self.sigma_rec = units, float(tau_ms), float(dt_ms), float(sigma_rec)
        self.l2_weight = float(l2_weight)
        self.dale_ratio, self.no_self_connections = dale_ratio, bool(no_self_connections)
        self.mask, self.use_bias, self.seed = mask, bool(use_bias), seed
        self.kernel_initializer = _seeded(kernel_initializer, seed)
        self.recurrent_initializer = _seeded(recurrent_initializer, None if seed is None else seed + 1)
        self.dale_signs = None if dale_ratio is None else dale_sign_vector(units, dale_ratio)
        self.seed_generator = keras.random.SeedGenerator(seed) if sigma_rec > 0 else None
        self.state_size = self.output_size = units

    @property
    def alpha(self) -> float:
        """Euler step relative to the time constant, ``dt_ms / tau_ms``."""
        return self.dt_ms / self.tau_ms

    def build(self, input_shape) -> None:
        conn = None if self.mask is None else self.mask.copy()
        if self.no_self_connections:
            conn = np.ones((self.units, self.units), np.float32) if conn is None else conn
            np.fill_diagonal(conn, 0.0)
        self.connectivity = None if conn is None else self.add_weight(
            shape=conn.shape, initializer=lambda shape, dtype=None: ops.convert_to_tensor(conn, dtype),
            trainable=False, name="connectivity")
        recurrent_init = self.recurrent_initializer
        if self.dale_signs is not None:
            w0 = dale_initial_weights(self.dale_signs, conn, None if self.seed is None else self.seed + 1)
            recurrent_init = lambda shape, dtype=None: ops.convert_to_tensor(w0, dtype)  # noqa: E731
        penalty = keras.regularizers.L2(self.l2_weight) if self.l2_weight > 0 else None
        self.kernel = self.add_weight(shape=(input_shape[-1], self.units),
                                      initializer=self.kernel_initializer, name="kernel", regularizer=penalty)
        self.recurrent_kernel = self.add_weight(
            shape=(self.units, self.units), initializer=recurrent_init, name="recurrent_kernel",
            constraint=None if conn is None else _MaskConstraint(self.connectivity), regularizer=penalty)
        if conn is not None:  # raw weights start at zero under the mask, too
            self.recurrent_kernel.assign(self.recurrent_kernel * self.connectivity)
        self.bias = self.add_weight(shape=(self.units,), initializer="zeros", name="bias") \
            if self.use_bias else None

    def effective_recurrent_kernel(self):
        """``|W| * signs[:, None] * M`` with Dale's law, else ``W * M`` (``M`` omitted when absent)."""
        w = self.recurrent_kernel
        if self.dale_signs is not None:
            w = ops.abs(w) * ops.cast(self.dale_signs[:, None], w.dtype)
        return w if self.connectivity is None else w * ops.cast(self.connectivity, w.dtype)

    def call(self, inputs, states, training: bool = False):
        h = states[0] if isinstance(states, (list, tuple)) else states
        drive = ops.matmul(inputs, self.kernel) + ops.matmul(h, self.effective_recurrent_kernel())
        if self.bias is not None:
            drive = drive + self.bias
        h = leaky_step(h, drive, self.alpha)
        if training and self.sigma_rec > 0:
            noise = keras.random.normal(ops.shape(h), dtype=h.dtype, seed=self.seed_generator)
            h = h + math.sqrt(2.0 * self.alpha) * self.sigma_rec * noise
        return h, [h]

    def get_config(self) -> dict:
        return {**super().get_config(), "units": self.units, "tau_ms": self.tau_ms, "dt_ms": self.dt_ms,
                "sigma_rec": self.sigma_rec, "l2_weight": self.l2_weight, "dale_ratio": self.dale_ratio,
                "no_self_connections": self.no_self_connections,
                "mask": None if self.mask is None else self.mask.tolist(), "use_bias": self.use_bias,
                "kernel_initializer": keras.initializers.serialize(self.kernel_initializer),
                "recurrent_initializer": keras.initializers.serialize(self.recurrent_initializer),
                "seed": self.seed}


def _seeded(identifier, seed: int | None) -> keras.initializers.Initializer:
    """``keras.initializers.get``, giving a string identifier's initialiser ``seed``."""
    init = keras.initializers.get(identifier)
    if isinstance(identifier, str) and seed is not None and "seed" in init.get_config():
        init = init.__class__.from_config({**init.get_config(), "seed": seed})
    return init
