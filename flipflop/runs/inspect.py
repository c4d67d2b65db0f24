"""``flipflop inspect``: what a run or model is, how well it does, and its spectrum."""
from __future__ import annotations

from pathlib import Path

from flipflop import runs
from flipflop.errors import FlipFlopError


def describe(path: str | Path) -> dict:
    """Cell, size, training config, metrics and recurrent spectrum of a run dir or ``.keras`` file."""
    from flipflop.analysis.weights import recurrent_matrix, shown_gate, spectral_signature, spectrum
    from flipflop.models.build import recurrent_layer

    path = Path(path)
    if not path.exists():
        raise FlipFlopError(f"{path} does not exist")
    run = runs.load_run(path, require_finished=False) if path.is_dir() else None
    model = run.model() if run else runs.load_model(path)
    layer = recurrent_layer(model)
    w_rec = recurrent_matrix(model)
    spec = spectrum(w_rec)
    info = {"path": str(path), "cell": type(layer.cell).__name__, "units": int(layer.cell.units),
            "n_inputs": int(model.input_shape[-1]), "n_outputs": int(model.output_shape[-1]),
            "n_params": int(model.count_params()), "recurrent_block": shown_gate(model),
            "spectral_radius": float(spec.spectral_radius), "n_eigenvalues": int(spec.n_total),
            "n_outside_unit_circle": int(spec.n_outside), "spectral_signature": spectral_signature(w_rec)}
    if run:
        info["task"] = run.task().name
        info["source"] = run.config.get("source", "trained")
        info["train"] = run.config.get("train")
        info["versions"] = run.config.get("versions")
        info["epochs_run"] = len(run.history)
        info["metrics"] = {k: v for k, v in run.metrics.items() if isinstance(v, dict) and k != "files"}
        if not run.finished:
            info["status"] = "unfinished (run `flipflop train` with the same arguments to resume)"
    return info


def describe_config(path: str | Path) -> dict:
    """What a run's ``config.json`` says (task, cell, size, training settings, versions),
    without loading its model: no TensorFlow."""
    path = Path(path)
    config = runs.read_config(path.parent) if path.name == runs.CONFIG else runs.read_json(path)
    if not isinstance(config, dict) or not isinstance(config.get("units"), int) or "cell" not in config:
        raise FlipFlopError(f"{path} is not a run's {runs.CONFIG} (no cell and units in it)")
    run = runs.Run(path.parent, config)
    info = {"path": str(path), "task": run.task().name, "cell": config["cell"], "units": config["units"],
            "n_inputs": config.get("n_inputs"), "n_outputs": config.get("n_outputs"),
            "n_params": config.get("n_params"), "source": config.get("source", "trained"),
            "train": config.get("train"), "versions": config.get("versions")}
    return info


def format_table(info: dict) -> str:
    """A readable two-column table of :func:`describe`'s result."""
    rows = [("path", info["path"])] + ([("task", info["task"])] if "task" in info else []) + [
        ("cell", info["cell"]), ("units", info["units"]), ("inputs / outputs", f"{info['n_inputs']} / {info['n_outputs']}"),
        ("parameters", f"{info['n_params']:,}" if isinstance(info["n_params"], int) else "?")]
    if "status" in info:
        rows.append(("status", info["status"]))
    train = info.get("train") or {}
    for key in ("recipe", "seed", "batch_size", "learning_rate", "epochs", "cell_kwargs"):
        if key in train and train[key] not in ({}, None):
            rows.append((f"train.{key}", train[key]))
    if info.get("epochs_run"):
        rows.append(("epochs run", info["epochs_run"]))
    for split, m in (info.get("metrics") or {}).items():
        for key, value in m.items():
            if isinstance(value, float) and key != "seed":
                rows.append((f"{split} {key.replace('_', ' ')}", f"{value:.5f}" if key != "mse" else f"{value:.4f}"))
    if "recurrent_block" in info:  # a model was read (not a config alone)
        block = info["recurrent_block"]
        rows += [("recurrent matrix", "W_rec" if block == "recurrent" else f"the {block} block of the recurrent kernel"),
                 ("spectral radius", f"{info['spectral_radius']:.4f}"),
                 ("eigenvalues |λ| > 1.01", f"{info['n_outside_unit_circle']} of {info['n_eigenvalues']}"),
                 ("|λ| median / std / p10", "{median:.4f} / {std:.4f} / {p10:.4f}".format(**info["spectral_signature"]))]
    width = max(len(k) for k, _ in rows)
    return "\n".join(f"{k:<{width}}  {v}" for k, v in rows)
