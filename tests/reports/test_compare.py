"""flipflop compare end to end on tiny runs: a run against itself with its units permuted
is at distance ~ 0 under every metric, two trainings are not; runs of another task or
output width are refused in one line, before anything is written."""
import shutil

import numpy as np
import pytest

from flipflop import runs
from flipflop.cli import main
from flipflop.reports.compare import compare_runs, write_comparison

from conftest import tiny_config


def permuted_copy(src, dst, seed=0):
    """The run at ``src`` with its hidden units permuted (the same network), sealed as a run."""
    shutil.copytree(src, dst)
    model = runs.load_model(dst / runs.MODEL)
    rec, out = model.get_layer("recurrent"), model.layers[-1]
    kernel, recurrent = rec.get_weights()[:2]
    perm = np.random.default_rng(seed).permutation(kernel.shape[1])
    rec.set_weights([kernel[:, perm], recurrent[perm][:, perm], *rec.get_weights()[2:]])
    w, b = out.get_weights()
    out.set_weights([w[perm], b])
    runs.save_model(model, dst / runs.MODEL)
    metrics = runs.read_json(dst / runs.METRICS)
    metrics.pop("files", None)
    runs.write_metrics(dst, metrics)
    return dst


@pytest.fixture(scope="module")
def pair(tiny_run, tmp_path_factory):
    """The tiny run, its permuted copy, and a second training (seed 1, 1 epoch)."""
    from flipflop.training import train

    root = tmp_path_factory.mktemp("compare")
    other = train(tiny_config(seed=1, epochs=1), root / "seed1", verbose=0, log=lambda s: None).path
    return tiny_run.path, permuted_copy(tiny_run.path, root / "permuted"), other


def test_a_permuted_network_is_at_zero_and_another_training_is_not(pair, tmp_path):
    a, permuted, other = pair
    metrics = ("procrustes", "svcca", "spectral", "cross")
    c = compare_runs([a, permuted, other], metrics, log=lambda s: None)
    assert c.names == ["tiny", "permuted", "seed1"] and c.dt_ms == 1.0
    for m in metrics:
        d = c.matrices[m]
        assert d.shape == (3, 3) and np.allclose(d, d.T) and np.all(np.diag(d) == 0)
        assert d[0, 1] < 1e-4, (m, d[0, 1])  # the same network
        assert d[0, 2] > 20 * max(d[0, 1], 1e-4), (m, d[0, 2])  # another one
    row = next(r for r in c.pairs if (r["a"], r["b"]) == ("tiny", "permuted"))
    assert min(row["r2_a_to_b"], row["r2_b_to_a"], row["cycle_a"], row["cycle_b"]) > 0.9999
    written = {p.name for p in write_comparison(c, tmp_path / "out")}
    assert {"procrustes.csv", "pairs.csv", "COMPARE.md", "distances.png", "mds.png"} <= written
    assert (tmp_path / "out" / "svcca.csv").read_text().splitlines()[0] == "run,tiny,permuted,seed1"


def test_dsa_of_a_permuted_network_is_near_zero(pair):
    pytest.importorskip("DSA")
    a, permuted, other = pair
    c = compare_runs([a, permuted, other], ("dsa",), log=lambda s: None)
    d = c.matrices["dsa"]
    assert d[0, 1] < 0.05 and d[0, 2] > 0.1 and c.dsa.n_delays >= 1 and c.dsa.rank >= 1


def test_the_command_writes_the_matrices(pair, tmp_path, capsys):
    a, permuted, _ = pair
    out = tmp_path / "cmp"
    assert main(["compare", str(a), str(permuted), "--metric", "procrustes,svcca", "--local", "--out", str(out)]) == 0
    assert "compared 2 runs" in capsys.readouterr().out
    assert (out / "procrustes.csv").is_file() and not (out / "dsa.csv").exists()


def test_runs_of_another_output_width_or_task_are_refused_in_one_line(pair, tmp_path, capsys):
    from flipflop.tasks.flipflop.task import FlipFlopTask
    from flipflop.training import TrainConfig, train

    from conftest import TINY_TASK

    a = pair[0]
    three_bits = train(tiny_config(epochs=1, samples_per_epoch=64, task=FlipFlopTask(**{**TINY_TASK, "n_bits": 3}).to_dict()),
                       tmp_path / "3bit", verbose=0, log=lambda s: None).path
    other_task = train(TrainConfig.from_recipe("fast", cell="simplernn", units=8, epochs=1, samples_per_epoch=64,
                                               val_samples=32, task={"name": "perceptual_dm", "dt_ms": 50.0}),
                       tmp_path / "dm", verbose=0, log=lambda s: None).path
    for other, message in ((three_bits, "compare runs of one output width"), (other_task, "compare runs of one task")):
        out = tmp_path / "never"
        assert main(["compare", str(a), str(other), "--local", "--metric", "svcca", "--out", str(out)]) == 2
        err = capsys.readouterr().err.strip()
        assert err.startswith("flipflop: error: ") and message in err and len(err.splitlines()) == 1
        assert not out.exists()
    assert main(["compare", str(a), "--out", str(tmp_path / "never")]) == 2
    assert "at least two runs" in capsys.readouterr().err
