"""Import Keras 2.x HDF5 checkpoints (like the paper's) into a run directory of ours.

Keras 3 cannot load these files: their model config uses Keras 2 names
(``batch_input_shape``) and the weights sit under ``model_weights/<layer>/<layer>/``.
We read the config and weights with h5py and rebuild the same network in Keras 3.
"""
from __future__ import annotations

import json
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np

from flipflop import runs
from flipflop.errors import FlipFlopError

if TYPE_CHECKING:
    from flipflop.tasks import Task

_RECURRENT = {"SimpleRNN": "simplernn", "GRU": "gru", "LSTM": "lstm"}
_WEIGHT_ORDER = ("kernel", "recurrent_kernel", "bias")


def read_legacy(path: str | Path) -> tuple[dict, dict[str, dict[str, np.ndarray]], dict]:
    """(model config, {layer name: {weight name: array}}, file attributes) of a Keras 2 HDF5 file."""
    import h5py

    path = Path(path)
    if not path.is_file():
        raise FlipFlopError(f"missing file {path}")
    try:
        with h5py.File(path, "r") as f:
            attrs = {k: (v.decode() if isinstance(v, bytes) else v) for k, v in f.attrs.items()}
            if "model_config" not in attrs:
                raise FlipFlopError(f"{path} has no model config (a weights-only file?)")
            group = f["model_weights"] if "model_weights" in f else f
            weights = {}
            for layer, g in group.items():
                arrays = {}
                g.visititems(lambda name, obj: arrays.__setitem__(
                    name.rsplit("/", 1)[-1].split(":")[0], np.array(obj)) if hasattr(obj, "shape") else None)
                weights[layer] = arrays
    except OSError as e:
        raise FlipFlopError(f"{path} is not a readable HDF5 file: {' '.join(str(e).split())[:200]}") from None
    try:
        config = json.loads(attrs["model_config"])
    except ValueError as e:
        raise FlipFlopError(f"{path} has a corrupt model config: {e}") from None
    return config, weights, attrs


def _layer(spec: dict, return_sequences: bool = True):
    from flipflop.backend import keras

    kind, c = spec["class_name"], spec["config"]
    if kind in _RECURRENT:
        kwargs = dict(activation=c.get("activation", "tanh"), use_bias=c.get("use_bias", True),
                      return_sequences=return_sequences, name="recurrent")
        if kind != "SimpleRNN":
            kwargs["recurrent_activation"] = c.get("recurrent_activation", "sigmoid")
        if kind == "GRU":
            kwargs["reset_after"] = c.get("reset_after", False)
        return getattr(keras.layers, kind)(c["units"], **kwargs)
    if kind == "Dense":
        return keras.layers.Dense(c["units"], activation=c.get("activation", "linear"),
                                  use_bias=c.get("use_bias", True), name="readout")
    raise FlipFlopError(f"unsupported layer {kind!r} in the legacy model (expected an RNN then Dense)")


def legacy_model(path: str | Path):
    """Rebuild a Keras 2 HDF5 Sequential RNN + Dense model in Keras 3, weights included."""
    from flipflop.backend import keras

    from flipflop.models.build import compile_model

    config, weights, attrs = read_legacy(path)
    if config.get("class_name") != "Sequential":
        raise FlipFlopError(f"{path}: expected a Sequential model, got {config.get('class_name')!r}")
    specs = config["config"]["layers"] if isinstance(config["config"], dict) else config["config"]
    specs = [s for s in specs if s["class_name"] != "InputLayer"]
    if len(specs) != 2 or specs[0]["class_name"] not in _RECURRENT or specs[1]["class_name"] != "Dense":
        raise FlipFlopError(f"{path}: expected a recurrent layer then Dense, got "
                            f"{[s['class_name'] for s in specs]}")
    shape = specs[0]["config"].get("batch_input_shape") or specs[0]["config"].get("batch_shape")
    if not shape:
        raise FlipFlopError(f"{path}: the model config has no input shape")
    model = keras.Sequential([keras.Input(shape=(None, shape[-1]), name="pulses"),
                              _layer(specs[0]), _layer(specs[1])], name="flipflop_legacy")
    for layer, spec in zip(model.layers, specs):
        stored = weights.get(spec["config"]["name"])
        if stored is None:
            raise FlipFlopError(f"{path}: no weights for layer {spec['config']['name']!r}")
        arrays = [stored[n] for n in _WEIGHT_ORDER if n in stored]
        try:
            layer.set_weights(arrays)
        except ValueError as e:
            raise FlipFlopError(f"{path}: weights of {spec['config']['name']!r} do not fit: {e}") from None
    compile_model(model)
    return model, {"source_file": str(Path(path).resolve()), "keras_version": attrs.get("keras_version"),
                   "training_config": json.loads(attrs["training_config"]) if "training_config" in attrs else None,
                   "cell": _RECURRENT[specs[0]["class_name"]], "units": specs[0]["config"]["units"],
                   "n_inputs": shape[-1]}


def import_legacy(path: str | Path, out: str | Path, initial: str | Path | None = None,
                  force: bool = False, evaluate_metrics: bool = True, task: "Task | dict | str | None" = None) -> Path:
    """Write a run directory for the legacy checkpoint ``path`` (and its untrained ``initial``),
    a network of ``task`` (default: the default task, the paper's flip-flop); a network
    whose input or output width is not the task's is refused before anything is written."""
    from flipflop.tasks import make_task
    from flipflop.training.metrics import evaluate

    out = Path(out)
    task = make_task(task)
    model, info = legacy_model(path)  # read everything before touching ``out``
    task.check_model(model)
    init_model = legacy_model(initial)[0] if initial else None
    if out.exists() and any(out.iterdir()) and not force:
        raise FlipFlopError(f"{out} is not empty; use --force to overwrite it")
    runs.save_model(model, out / runs.MODEL)
    if init_model is not None:
        runs.save_model(init_model, out / runs.INITIAL)
    runs.write_config(out, {"source": "legacy", "cell": info["cell"], "units": info["units"],
                            "task": task.to_dict(), "n_inputs": task.n_inputs, "n_outputs": task.n_outputs,
                            "n_params": model.count_params(), "legacy": info, "versions": runs.versions()})
    metrics = evaluate(model, task) if evaluate_metrics else {}
    runs.write_json(out / runs.METRICS, {**metrics, "imported": True})
    return out
