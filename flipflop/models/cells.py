"""The cell registry: every recurrent cell the package builds, in one table.

Adding a cell means one module for its Keras cell (if Keras has none) and one
:class:`CellSpec` entry in ``CELLS``. The entry holds:

- ``layer``: builds the seeded recurrent layer (``return_sequences=True``, named ``recurrent``);
- ``rates``: its default learning rate per training recipe (measured; README);
- ``gates``: the names of the column blocks of its ``recurrent_kernel`` (Keras order), and
  ``shown_gate``, the block that the analyses show as "the" recurrent matrix W_rec;
- ``params``: a dataclass of its own parameters, each with its constraint, unit and CLI
  flag (``flag`` in the field's metadata); the CLI builds its flags from it, and a flag given
  for another cell is refused; ``check(units, params)``: its cross-parameter checks.
"""
from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from typing import Any, Callable

from flipflop.errors import FlipFlopError, from_dict, param, validate_fields

# Like the LSTM's forget-gate bias of 1 (Keras' unit_forget_bias), a GRU starts with its
# update-gate bias at +1: with Keras' zero default a GRU-100 stayed at chance for 16 epochs
# of the fast recipe (z = 0.5 forgets within a few steps); with +1 it learns at once.
GRU_UPDATE_BIAS = 1.0


@dataclass(frozen=True)
class NoParams:
    """A cell without parameters of its own."""


@dataclass(frozen=True)
class CTRNNParams:
    """Parameters of the continuous-time cell (``flipflop.models.ctrnn.CTRNN``); times in ms.

    ``dt_ms`` is not a cell flag: the cell integrates with the task's step.
    """

    tau_ms: float = param(100.0, low=0, open_low=True, unit="ms", help="single-unit time constant", flag="--tau")
    dale_ratio: float | None = param(None, low=0, high=1, open_low=True, open_high=True, none=True,
                                     help="fraction of excitatory units, e.g. 0.8; default: no Dale's law",
                                     flag="--dale")
    sigma_rec: float = param(0.0, low=0, help="recurrent noise std (x sqrt(2 dt/tau) per step), in training only")
    l2_h: float = param(0.0, low=0, help="rate penalty: l2_h x mean squared rate, added to the loss")
    l2_weight: float = param(0.0, low=0, help="weight penalty: l2_weight x sum of squared input and recurrent weights")
    no_self_connections: bool = param(False, kind="bool", help="zero and keep zero the recurrent diagonal")
    use_bias: bool = param(False, kind="bool", help="add a trainable bias")
    dt_ms: float | None = param(None, low=0, open_low=True, none=True, unit="ms",
                                help="Euler step; set from the task's dt_ms")


def _initialisers(seed: int) -> dict:
    from flipflop.backend import keras

    return dict(kernel_initializer=keras.initializers.GlorotUniform(seed=seed),
                recurrent_initializer=keras.initializers.Orthogonal(seed=seed + 1))


def _simplernn(units: int, seed: int, **kwargs: Any):
    from flipflop.backend import keras

    return keras.layers.SimpleRNN(units, activation="tanh", use_bias=False, return_sequences=True,
                                  name="recurrent", **_initialisers(seed), **kwargs)


def _gru(units: int, seed: int, **kwargs: Any):
    from flipflop.backend import keras

    layer = keras.layers.GRU(units, return_sequences=True, name="recurrent", **_initialisers(seed), **kwargs)
    return layer


def _lstm(units: int, seed: int, **kwargs: Any):
    from flipflop.backend import keras

    return keras.layers.LSTM(units, return_sequences=True, name="recurrent", **_initialisers(seed), **kwargs)


def _ctrnn(units: int, seed: int, **kwargs: Any):
    from flipflop.backend import keras

    from flipflop.models.ctrnn import CTRNN, RatePenalty

    kwargs = {k: v for k, v in kwargs.items() if v is not None}
    l2_h = kwargs.pop("l2_h", 0.0)
    return keras.layers.RNN(CTRNN(units, seed=seed, **_initialisers(seed), **kwargs),
                            return_sequences=True, name="recurrent",
                            activity_regularizer=RatePenalty(l2_h) if l2_h > 0 else None)


def _check_ctrnn(units: int, params: dict) -> None:
    """Cross-checks that need the cell itself (dt <= tau, a Dale ratio leaving both populations)."""
    from flipflop.models.ctrnn import CTRNN

    CTRNN(units, **{k: v for k, v in params.items() if v is not None and k != "l2_h"})


def set_update_gate_bias(layer, value: float = GRU_UPDATE_BIAS) -> None:
    """Start a GRU's update gate z (Keras' first bias block, in both of its bias vectors)
    at ``value``: with z = sigmoid(2 * value) the state is held from the first step on."""
    from flipflop.backend import keras

    cell = layer.cell
    bias = keras.ops.convert_to_numpy(cell.bias).copy()
    bias[..., :cell.units] = value
    cell.bias.assign(bias)


@dataclass(frozen=True)
class CellSpec:
    """One registry entry; see the module docstring."""

    name: str
    layer: Callable[..., Any]
    rates: dict[str, float]
    gates: tuple[str, ...] = ("recurrent",)
    shown_gate: str = "recurrent"
    params: type = NoParams
    after_build: Callable[[Any], None] | None = None
    check: Callable[[int, dict], None] | None = None  # cross-parameter checks: check(units, params)
    keras_cell: str = ""  # class name of the Keras cell inside the layer, to recognise loaded models

    def make_params(self, given: dict) -> Any:
        """This cell's parameters from ``given`` (None values dropped), validated."""
        given = {k: v for k, v in given.items() if v is not None}
        names = {f.name for f in dataclasses.fields(self.params)}
        unknown = sorted(set(given) - names)
        if unknown:
            others = [c.name for c in CELLS.values() if c.params is not NoParams and
                      set(unknown) <= {f.name for f in dataclasses.fields(c.params)}]
            where = f"only apply to the {' / '.join(others)} cell" if others else "are not cell parameters"
            raise FlipFlopError(f"{', '.join(unknown)} {where}, not to {self.name}")
        params = from_dict(self.params, given, what=f"{self.name} parameter")
        validate_fields(params)
        return params

    def rate(self, recipe: str) -> float:
        """The default learning rate of this cell under ``recipe``."""
        try:
            return self.rates[recipe]
        except KeyError:
            raise FlipFlopError(f"the {recipe} recipe has no learning rate for the {self.name} cell; "
                                "give one with --lr") from None


# Rates per recipe, measured (README): the GRU and the CTRNN (alpha = dt/tau = 0.1) move their
# state by a fraction of W's effect per step and need 10x; the LSTM stalls at 1e-2 (~0.83).
CELLS: dict[str, CellSpec] = {
    "simplernn": CellSpec("simplernn", _simplernn, {"paper": 1e-4, "fast": 1e-3, "faithful": 1e-3},
                          keras_cell="SimpleRNNCell"),
    "gru": CellSpec("gru", _gru, {"paper": 1e-4, "fast": 1e-2}, gates=("update", "reset", "candidate"),
                    shown_gate="candidate", after_build=set_update_gate_bias, keras_cell="GRUCell"),
    "lstm": CellSpec("lstm", _lstm, {"paper": 1e-4, "fast": 1e-3}, gates=("input", "forget", "cell", "output"),
                     shown_gate="cell", keras_cell="LSTMCell"),
    "ctrnn": CellSpec("ctrnn", _ctrnn, {"paper": 1e-4, "fast": 1e-2}, params=CTRNNParams, keras_cell="CTRNN",
                      check=_check_ctrnn),
}


def cell_spec(name: str) -> CellSpec:
    """The registry entry of cell ``name``; an unknown name is a one-line error."""
    try:
        return CELLS[name]
    except (KeyError, TypeError):
        raise FlipFlopError(f"unknown cell {name!r}; choose one of {', '.join(CELLS)}") from None


def spec_of_layer(layer) -> CellSpec:
    """The registry entry whose Keras cell is the cell of ``layer`` (a loaded model's)."""
    kind = type(getattr(layer, "cell", layer)).__name__
    for spec in CELLS.values():
        if spec.keras_cell == kind:
            return spec
    raise FlipFlopError(f"recurrent cell {kind} is not in the cell registry")


def register_all() -> None:
    """Import every cell module that registers Keras objects (for loading ``.keras`` files)."""
    import flipflop.models.ctrnn  # noqa: F401
