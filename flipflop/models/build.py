"""Model builder: a compiled ``keras.Sequential`` RNN with a linear readout.

Paper defaults (SimpleRNN): tanh, glorot-uniform input weights, orthogonal recurrent
weights, no bias in the recurrent layer, linear ``Dense`` readout, Adam + MSE.
GRU and LSTM keep Keras' cuDNN-compatible defaults (tanh/sigmoid, biases on,
``reset_after=True``) so that a GPU takes the fused fast path; that is why they carry
biases where the SimpleRNN does not. The GRU's update-gate bias starts at +1 (see
``flipflop.models.cells.GRU_UPDATE_BIAS``), as the LSTM's forget-gate bias does in Keras.
The layers themselves come from the cell registry (``flipflop.models.cells``).
"""
from __future__ import annotations

import dataclasses
import re

from flipflop.backend import keras

from flipflop.models.cells import cell_spec
from flipflop.errors import POSITIVE_INT, FlipFlopError, check_value
from flipflop.models.optimizers import AnchoredMuon
from flipflop.models.recipes import FAITHFUL_ANCHOR_DECAY, OPTIMIZERS

# The readout's weights and the recurrent layer's input kernel, by variable path
# (``.../readout/kernel``, ``.../recurrent/<cell>/kernel``); keras.optimizers.Muon's
# ``exclude_layers`` takes the same regular expressions.
IO_WEIGHT_PATTERNS = ("/readout/", "/kernel$")

# A task's ``loss`` -> the Keras loss it compiles with (weighted per step by the task's mask).
LOSSES = {"mse": lambda: "mse",
          "cross_entropy": lambda: keras.losses.CategoricalCrossentropy(from_logits=True)}


def is_io_weight(name: str) -> bool:
    """True for an input or readout weight (``IO_WEIGHT_PATTERNS``), as Muon matches them."""
    return any(re.search(pattern, name.split(":")[0]) for pattern in IO_WEIGHT_PATTERNS)


@keras.saving.register_keras_serializable(package="flipflop")
class LayerwiseAdam(keras.optimizers.Adam):
    """Adam whose steps on the input and readout weights are ``io_lr_multiplier`` times
    larger than on the recurrent layer's other weights (``is_io_weight``).

    Adam moves every weight by about the learning rate per step, so a 400 x 400 recurrent
    matrix changes coherently and fast: above ~2e-4 it leaves the edge of chaos. The few
    input and readout weights tolerate, and profit from, ten times more.
    """

    def __init__(self, *args, io_lr_multiplier: float = 1.0, **kwargs):
        super().__init__(*args, **kwargs)
        self.io_lr_multiplier = float(io_lr_multiplier)

    def build(self, variables) -> None:
        super().build(variables)
        self._io_weights = tuple(is_io_weight(v.path) for v in variables)  # by layer path, stable on reload

    def update_step(self, gradient, variable, learning_rate):
        if self.io_lr_multiplier != 1.0 and self._io_weights[self._get_variable_index(variable)]:
            learning_rate = learning_rate * self.io_lr_multiplier
        return super().update_step(gradient, variable, learning_rate)

    def get_config(self) -> dict:
        return {**super().get_config(), "io_lr_multiplier": self.io_lr_multiplier}


def build_model(cell: str = "simplernn", units: int = 400, n_inputs: int = 3, n_outputs: int | None = None, *,
                learning_rate: float = 1e-4, decay: float = 1e-4, clipnorm: float | None = None,
                io_lr_multiplier: float = 1.0, optimizer: str = "adam", seed: int = 0,
                readout_excitatory_only: bool = False, anchor_decay: float = FAITHFUL_ANCHOR_DECAY,
                loss: str = "mse", **cell_kwargs) -> keras.Sequential:
    """A compiled RNN with ``n_inputs`` inputs and ``n_outputs`` linear outputs (default
    ``n_inputs``, as the flip-flop has): the registry's recurrent layer, then a ``Dense`` readout.

    The learning rate follows the paper's (old Keras) decay,
    ``lr_t = learning_rate / (1 + decay * iteration)``; ``decay=0`` keeps it constant.
    ``optimizer`` is ``"adam"`` (the paper's) or ``"muon"`` (see ``compile_model``);
    ``io_lr_multiplier`` scales the steps of the input and readout weights.
    ``loss`` is the task's (``LOSSES``: "mse", or "cross_entropy" on logit outputs).
    Extra keyword arguments are the cell's parameters (``flipflop.models.cells``; e.g. ``tau_ms``).
    ``readout_excitatory_only`` (``ctrnn`` with a ``dale_ratio`` only) reads out from the
    excitatory units alone: the readout rows of inhibitory units start and stay at zero.
    """
    spec = cell_spec(cell)
    n_outputs = n_inputs if n_outputs is None else n_outputs
    for name, value in (("units", units), ("n_inputs", n_inputs), ("n_outputs", n_outputs)):
        check_value(name, value, POSITIVE_INT)
    if not learning_rate > 0:
        raise FlipFlopError(f"learning_rate must be > 0, got {learning_rate}")
    if not decay >= 0:
        raise FlipFlopError(f"decay must be >= 0, got {decay}")
    if not io_lr_multiplier > 0:
        raise FlipFlopError(f"io_lr_multiplier must be > 0, got {io_lr_multiplier}")
    if optimizer not in OPTIMIZERS:
        raise FlipFlopError(f"unknown optimizer {optimizer!r}; choose one of {', '.join(OPTIMIZERS)}")
    mask = cell_kwargs.pop("mask", None)  # an array: not a declarative parameter
    params = {k: v for k, v in dataclasses.asdict(spec.make_params(cell_kwargs)).items() if v is not None}
    if mask is not None:
        params["mask"] = mask
    readout_constraint = None
    if readout_excitatory_only:
        if params.get("dale_ratio") is None:
            raise FlipFlopError("readout_excitatory_only needs cell='ctrnn' with a dale_ratio")
        from flipflop.models.ctrnn import ExcitatoryOnly

        readout_constraint = ExcitatoryOnly(units, params["dale_ratio"])
    model = keras.Sequential([
        keras.Input(shape=(None, n_inputs), name="pulses"),
        spec.layer(units, seed, **params),
        keras.layers.Dense(n_outputs, kernel_initializer=keras.initializers.GlorotUniform(seed=seed + 2),
                           kernel_constraint=readout_constraint, name="readout"),
    ], name=f"flipflop_{cell}_{units}")
    if readout_constraint is not None:
        kernel = model.get_layer("readout").kernel
        kernel.assign(readout_constraint(kernel))
    if spec.after_build is not None:
        spec.after_build(model.get_layer("recurrent"))
    compile_model(model, learning_rate, decay, clipnorm, io_lr_multiplier, optimizer, anchor_decay, loss)
    return model


def compile_model(model: keras.Model, learning_rate: float = 1e-4, decay: float = 1e-4,
                  clipnorm: float | None = None, io_lr_multiplier: float = 1.0, optimizer: str = "adam",
                  anchor_decay: float = FAITHFUL_ANCHOR_DECAY, loss: str = "mse") -> None:
    """Compile with the task's loss (MSE unless ``loss`` says "cross_entropy") and the paper's inverse-time decay, ``lr / (1 + decay * step)``.

    ``"adam"``: Adam (``LayerwiseAdam``), as in the paper.
    ``"muon"``: ``keras.optimizers.Muon`` on the recurrent matrices: each step is the
    orthogonalised momentum, so its spectral norm is fixed (``0.2 * sqrt(max(rows, cols))
    * lr``) however the gradient is shaped, where Adam's elementwise steps add up to a
    large, coherent change of a 400 x 400 matrix. The input and readout weights and
    biases get Adam at ``io_lr_multiplier * lr``. No weight decay.
    ``"anchored-muon"``: the same, each Muon step followed by a pull towards the initial
    matrix, ``W <- W - anchor_decay * lr * (W - W0)``
    (``flipflop.models.optimizers.AnchoredMuon``), which keeps |lambda| of W_rec near 1.

    XLA is off: on CPU it makes these RNNs several times slower (measured 2.2 s vs
    0.29 s per batch of 128), and on GPU it would bypass the cuDNN kernels.
    """
    schedule = (keras.optimizers.schedules.InverseTimeDecay(learning_rate, decay_steps=1, decay_rate=decay)
                if decay > 0 else learning_rate)
    if optimizer in ("muon", "anchored-muon"):
        muon, extra = ((keras.optimizers.Muon, {}) if optimizer == "muon"
                       else (AnchoredMuon, {"anchor_decay": anchor_decay}))
        opt = muon(schedule, exclude_layers=list(IO_WEIGHT_PATTERNS), adam_lr_ratio=io_lr_multiplier,
                   weight_decay=None, adam_weight_decay=None, epsilon=1e-8, clipnorm=clipnorm, **extra)
    else:
        opt = LayerwiseAdam(schedule, beta_1=0.9, beta_2=0.999, epsilon=1e-8, clipnorm=clipnorm,
                            io_lr_multiplier=io_lr_multiplier)
    if loss not in LOSSES:
        raise FlipFlopError(f"unknown loss {loss!r}; choose one of {', '.join(LOSSES)}")
    model.compile(optimizer=opt, loss=LOSSES[loss](), jit_compile=False)
    model.optimizer.build(model.trainable_variables)  # so a saved untrained model reloads cleanly


def recurrent_layer(model: keras.Model) -> keras.layers.RNN:
    """The first layer of ``model`` derived from ``keras.layers.RNN`` (SimpleRNN, GRU,
    LSTM or ``keras.layers.RNN`` wrapping a cell such as the CTRNN)."""
    for layer in model.layers:
        if isinstance(layer, keras.layers.RNN):
            return layer
    raise FlipFlopError("model has no recurrent layer")
