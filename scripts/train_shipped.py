"""Train the shipped networks in data/: SimpleRNN-400, seeds 0-3, exactly as `flipflop
reproduce` trains them (the faithful recipe, to validation bit accuracy >= 0.9995 and MSE
<= 0.01), then slimmed for shipping (no optimizer state) and given their fixed points.

    python scripts/train_shipped.py [--seeds 0,1,2,3] [--out data]
"""
import argparse
from pathlib import Path

from flipflop import runs
from flipflop.dynamics.search import compute_fixed_points
from flipflop.experiments.paper import realisation_configs
from flipflop.training import train


def slim(path: Path) -> None:
    """Re-save the models without optimizer state (a third of the size), drop the last
    checkpoint kept for continuing, and seal the run again (metrics.json's checksums)."""
    from flipflop.backend import keras

    for name in (runs.MODEL, runs.INITIAL):
        model = runs.load_model(path / name, compile=False)
        clone = keras.models.clone_model(model)
        clone.set_weights(model.get_weights())
        runs.save_model(clone, path / name)
    for p in list(path.glob(runs.CHECKPOINT_GLOB)) + [path / runs.STATE]:
        p.unlink(missing_ok=True)
    runs.write_metrics(path, {k: v for k, v in runs.read_json(path / runs.METRICS).items() if k != "files"})


def save_series(out: Path) -> None:
    """The noise-free 8-state test series (paper Fig. 5) as ``eight_state_series.npz``."""
    import numpy as np

    from flipflop.tasks import make_task

    series = make_task("flipflop").eight_state_series()
    with runs.atomic_path(out / "eight_state_series.npz") as tmp:
        np.savez_compressed(tmp, inputs=series.inputs, targets=series.targets, states=series.conditions["state"],
                            dt_ms=np.float32(1.0))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--seeds", default="0,1,2,3")
    parser.add_argument("--out", type=Path, default=Path("data"))
    args = parser.parse_args()
    save_series(args.out)
    for config in realisation_configs(seeds=[int(s) for s in args.seeds.split(",")]):
        path = args.out / f"simplernn-400-seed{config.seed}"
        result = train(config, path, verbose=0)
        slim(path)
        run = runs.load_run(path)
        fps = compute_fixed_points(run.model(), run.task(), run.fixed_points_path)
        print(path, result.metrics, fps.summary(run.task().ideal_census()), sep="\n",
              flush=True)


if __name__ == "__main__":
    main()
