"""The step map of a model's recurrent cell, and the one simulator of a network's states.

The recurrent layer's cell defines a discrete-time map ``h' = F(h, u)`` on the flat state
vector ``h`` (the concatenation of the cell's state tensors in ``state_size`` order: ``h``
for SimpleRNN / GRU / CTRNN, ``[h, c]`` for LSTM). :class:`RecurrentStep` wraps it for any
Keras RNN cell; :func:`simulate` runs it over input sequences and returns both the cell's
outputs (what the layer emits, the "hidden states" of the analyses) and its flat states
(what the fixed-point finder works on), from one pass.
"""
from __future__ import annotations

import weakref

import numpy as np

from flipflop.backend import keras, tf
from flipflop.errors import NON_NEGATIVE_INT, POSITIVE_INT, FlipFlopError, check_value
from flipflop.models.build import recurrent_layer as find_recurrent_layer


def _layer_input_size(model: keras.Model, layer: keras.layers.RNN) -> int:
    try:
        size = layer.input.shape[-1]
        if size is not None:
            return int(size)
    except (AttributeError, ValueError, IndexError, TypeError, RuntimeError):
        pass
    kernel = getattr(layer.cell, "kernel", None)
    if kernel is not None and len(kernel.shape) == 2:
        return int(kernel.shape[0])
    return int(model.input_shape[-1])


class RecurrentStep:
    """The step map ``F(h, u)`` of a model's recurrent cell on flat states.

    ``step(h, u)`` takes ``h`` (B, n_state) and ``u`` (B, n_input) float32 tensors and
    returns the next flat state (B, n_state); it is differentiable and traceable by
    ``tf.function``. Attributes: ``layer``, ``cell``, ``n_state``, ``n_input``, ``n_output``
    (the cell's output size), ``state_sizes`` (sizes of the cell's state tensors, in the
    order they are concatenated).
    """

    def __init__(self, model: keras.Model) -> None:
        layer = find_recurrent_layer(model)
        self._layer = weakref.ref(layer)  # weak: the per-layer cache must not keep the layer alive
        self.cell = layer.cell
        self.n_input = _layer_input_size(model, layer)
        template = layer.get_initial_state(1)  # the nested state structure, batch 1
        self._structure = template
        self.state_sizes = [int(s.shape[-1]) for s in keras.tree.flatten(template)]
        self.n_state = int(sum(self.state_sizes))
        self.n_output = int(getattr(self.cell, "output_size", None) or self.state_sizes[0])
        takes_training = isinstance(self.cell, keras.layers.Layer) and getattr(
            self.cell, "_call_has_training_arg", False)
        self._kwargs = {"training": False} if takes_training else {}
        self._compiled: dict[str, object] = {}  # tf.functions built on this step, by name

    @property
    def layer(self) -> keras.layers.RNN:
        """The recurrent layer (a RecurrentStep holds it weakly)."""
        layer = self._layer()
        if layer is None:
            raise FlipFlopError("the recurrent layer of this step function no longer exists")
        return layer

    def split(self, h: tf.Tensor) -> list:
        """Flat states (B, n_state) -> the cell's (nested) list of state tensors."""
        parts = tf.split(h, self.state_sizes, axis=-1) if len(self.state_sizes) > 1 else [h]
        return list(keras.tree.pack_sequence_as(self._structure, parts))

    def join(self, states) -> tf.Tensor:
        """The cell's state tensors -> flat states (B, n_state)."""
        parts = keras.tree.flatten(states) if keras.tree.is_nested(states) else [states]
        return parts[0] if len(parts) == 1 else tf.concat(parts, axis=-1)

    def __call__(self, h: tf.Tensor, u: tf.Tensor) -> tf.Tensor:
        _, new_states = self.cell(u, self.split(h), **self._kwargs)
        return self.join(new_states)

    def output_and_state(self, h: tf.Tensor, u: tf.Tensor) -> tuple[tf.Tensor, tf.Tensor]:
        """The cell's output (B, n_output) and next flat state (B, n_state) from ``h`` at ``u``."""
        output, new_states = self.cell(u, self.split(h), **self._kwargs)
        return output, self.join(new_states)


_STEPS: "weakref.WeakKeyDictionary[keras.layers.Layer, RecurrentStep]" = weakref.WeakKeyDictionary()


def step_function(model: keras.Model) -> RecurrentStep:
    """``F(h, u)`` of the model's recurrent cell, on flat states (see :class:`RecurrentStep`).

    The object (and the ``tf.function``s compiled on it) is cached per recurrent layer, so
    repeated calls on one model trace once."""
    layer = find_recurrent_layer(model)
    step = _STEPS.get(layer)
    if step is None:
        step = RecurrentStep(model)
        _STEPS[layer] = step
    return step


def recurrent_step(model: keras.Model, states: np.ndarray, inputs: np.ndarray | None = None) -> np.ndarray:
    """One step of the recurrent map in numpy: ``states`` (B, n_state) and ``inputs``
    (B, n_input), or one (n_input,) input for every row (default: zeros) -> (B, n_state)."""
    step = step_function(model)
    h = float32_array(states, "states", ndim=2, last=step.n_state)
    if inputs is None or np.ndim(inputs) <= 1:
        u = np.broadcast_to(held_input(step, inputs), (len(h), step.n_input))
    else:
        u = float32_array(inputs, "inputs", ndim=2, last=step.n_input)
        if len(u) != len(h):
            raise FlipFlopError(f"states have {len(h)} rows but inputs have {len(u)}")
    return step(tf.constant(h), tf.constant(u)).numpy()


def relax(model: keras.Model, states: np.ndarray, inputs: np.ndarray | None = None, n_steps: int = 1) -> np.ndarray:
    """``n_steps`` steps of the recurrent map from ``states`` (B, n_state) at one constant
    input (n_input,) for every row (default: zeros), in one compiled loop: the same map as
    :func:`recurrent_step` called ``n_steps`` times, without a Python call per step."""
    step = step_function(model)
    check_value("n_steps", n_steps, NON_NEGATIVE_INT)
    h = float32_array(states, "states", ndim=2, last=step.n_state)
    u = np.broadcast_to(held_input(step, inputs), (len(h), step.n_input))
    run = step._compiled.get("relax")
    if run is None:
        @tf.function(input_signature=[tf.TensorSpec([None, step.n_state], tf.float32),
                                      tf.TensorSpec([None, step.n_input], tf.float32),
                                      tf.TensorSpec([], tf.int32)], autograph=False)
        def run(h0, uu, n):
            return tf.while_loop(lambda i, _: i < n, lambda i, x: (i + 1, step(x, uu)), (tf.constant(0), h0))[1]
        step._compiled["relax"] = run
    return run(tf.constant(h), tf.constant(u), tf.constant(n_steps, tf.int32)).numpy()


def simulate(model: keras.Model, inputs: np.ndarray, batch_size: int = 256) -> tuple[np.ndarray, np.ndarray]:
    """The recurrent layer run on ``inputs`` (N, T, n_in) from its initial (zero) state:
    its outputs (N, T, n_out) float32, the "hidden states" (h for LSTM), and its flat
    states (N, T, n_state) (``[h, c]`` rows for LSTM), ``batch_size`` trials at a time.

    ``inputs`` go through any layers before the recurrent one. On the CPU the outputs are
    bit for bit those of ``model.predict`` on the recurrent layer's output.
    """
    step = step_function(model)
    check_value("batch_size", batch_size, POSITIVE_INT)
    x = np.asarray(inputs, dtype=np.float32)
    if x.ndim != 3:
        raise FlipFlopError(f"inputs must be (samples, steps, channels), got shape {x.shape}")
    n_model = model.inputs[0].shape[-1] if getattr(model, "inputs", None) else None
    if n_model is not None and x.shape[-1] != n_model:
        raise FlipFlopError(f"model expects {n_model} input channels, got {x.shape[-1]}")
    layers = list(model.layers)
    index = layers.index(step.layer)
    if index > 0:  # preprocess with whatever comes before the recurrent layer
        x = np.asarray(keras.Model(model.inputs, step.layer.input)(x, training=False), np.float32)
    if x.shape[-1] != step.n_input:
        raise FlipFlopError(f"inputs have {x.shape[-1]} channels but the recurrent layer "
                            f"takes {step.n_input}")

    run = step._compiled.get("scan")
    if run is None:
        @tf.function(input_signature=[tf.TensorSpec([None, None, step.n_input], tf.float32)], autograph=False)
        def run(batch):
            h0 = step.join(step.layer.get_initial_state(tf.shape(batch)[0]))
            y0 = tf.zeros([tf.shape(batch)[0], step.n_output], tf.float32)
            ys, hs = tf.scan(lambda acc, u: step.output_and_state(acc[1], u), tf.transpose(batch, [1, 0, 2]),
                             initializer=(y0, h0))
            return tf.transpose(ys, [1, 0, 2]), tf.transpose(hs, [1, 0, 2])
        step._compiled["scan"] = run

    parts = [run(tf.constant(x[i:i + batch_size])) for i in range(0, len(x), batch_size)]
    if not parts:
        return (np.zeros((0, x.shape[1], step.n_output), np.float32),
                np.zeros((0, x.shape[1], step.n_state), np.float32))
    return (np.concatenate([y.numpy() for y, _ in parts]), np.concatenate([h.numpy() for _, h in parts]))


def recurrent_states(model: keras.Model, inputs: np.ndarray, batch_size: int = 256) -> np.ndarray:
    """Flat recurrent states over time, (N, T, n_state), of the model run on ``inputs``
    (:func:`simulate`'s second array)."""
    return simulate(model, inputs, batch_size)[1]


def hidden_states(model: keras.Model, inputs: np.ndarray, batch_size: int = 256) -> np.ndarray:
    """The recurrent layer's outputs over time, (N, T, units) float32 (for LSTM: h, not c),
    for ``inputs`` (N, T, channels) from a zero initial state (:func:`simulate`'s first array)."""
    return simulate(model, inputs, batch_size)[0]


def float32_array(a, name: str, ndim: int | tuple, last: int) -> np.ndarray:
    """``a`` as a finite float32 array of ``ndim`` dimensions (one or a tuple) with ``last``
    values on its last axis; anything else is a one-line error naming ``name``."""
    try:
        arr = np.asarray(a, dtype=np.float32)
    except (TypeError, ValueError):
        raise FlipFlopError(f"{name} must be a numeric array") from None
    ndims = (ndim,) if isinstance(ndim, int) else ndim
    if arr.ndim not in ndims or arr.shape[-1] != last:
        want = " or ".join(f"{d}-D" for d in ndims)
        raise FlipFlopError(f"{name} must be a {want} array with {last} values on its last axis, "
                            f"got shape {arr.shape}")
    if not np.all(np.isfinite(arr)):
        raise FlipFlopError(f"{name} contains NaN or infinite values")
    return arr


def held_input(step: RecurrentStep, constant_input) -> np.ndarray:
    """The constant input ``u`` (n_input,) float32 of a search: ``constant_input``, checked,
    or zeros for None."""
    if constant_input is None:
        return np.zeros(step.n_input, np.float32)
    try:
        u = np.asarray(constant_input, dtype=np.float32).reshape(-1)
    except (TypeError, ValueError):
        raise FlipFlopError(f"constant_input must be a list of numbers, got {constant_input!r}") from None
    if u.size != step.n_input:
        raise FlipFlopError(f"constant_input has length {u.size} but the model's input size is "
                            f"{step.n_input}")
    if not np.all(np.isfinite(u)):
        raise FlipFlopError("constant_input contains NaN or infinite values")
    return u
