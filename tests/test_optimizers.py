"""Tests of flipflop.optimizers.AnchoredMuon on a tiny SimpleRNN."""
from __future__ import annotations

import keras
import numpy as np
import pytest

from flipflop.analysis import recurrent_matrix, spectral_signature
from flipflop.errors import FlipFlopError
from flipflop.models import IO_WEIGHT_PATTERNS, build_model
from flipflop.optimizers import AnchoredMuon
from flipflop.tasks.flipflop import FlipFlopTask


def trained(optimizer_class=AnchoredMuon, **kwargs) -> tuple[keras.Model, np.ndarray]:
    """A SimpleRNN-32 after 8 steps of ``optimizer_class(**kwargs)`` at 1e-2, and its W0."""
    keras.utils.set_random_seed(0)
    model = build_model("simplernn", 32, 3, seed=0, optimizer="muon")
    w0 = recurrent_matrix(model).copy()
    model.compile(optimizer=optimizer_class(1e-2, exclude_layers=list(IO_WEIGHT_PATTERNS), weight_decay=None,
                                            adam_weight_decay=None, **kwargs), loss="mse", jit_compile=False)
    trials = FlipFlopTask(duration_ms=40).generate(64, 0)
    model.fit(trials.inputs, trials.targets, batch_size=16, epochs=2, shuffle=False, verbose=0)
    return model, w0


@pytest.fixture(scope="module")
def muon():
    return trained(keras.optimizers.Muon)


@pytest.fixture(scope="module")
def faithful():
    return trained(rank=4, anchor_decay=10.0)


def test_plain_anchored_muon_is_muon(muon):
    """Without anchor or rank the step is keras.optimizers.Muon's, to round-off."""
    mine, _ = trained()
    np.testing.assert_allclose(recurrent_matrix(mine), recurrent_matrix(muon[0]), atol=1e-4)


def test_faithful_steps_keep_the_spectrum_on_the_circle(muon, faithful):
    """Low rank plus the pull towards W0 moves W and its |lambda| less than Muon does."""
    (muon, w0), (faithful, w0_again) = muon, faithful
    np.testing.assert_array_equal(w0, w0_again)
    moved = {name: np.linalg.norm(recurrent_matrix(m) - w0) for name, m in (("muon", muon), ("faithful", faithful))}
    spread = {name: spectral_signature(recurrent_matrix(m))["std"]
              for name, m in (("muon", muon), ("faithful", faithful))}
    assert moved["faithful"] < 0.5 * moved["muon"]
    assert spread["faithful"] < 0.5 * spread["muon"]
    assert moved["faithful"] > 0  # it did train


def test_anchor_and_probe_survive_saving(tmp_path, faithful):
    model, w0 = faithful
    model.save(tmp_path / "m.keras")
    loaded = keras.models.load_model(tmp_path / "m.keras")
    assert isinstance(loaded.optimizer, AnchoredMuon)
    assert (loaded.optimizer.rank, loaded.optimizer.anchor_decay) == (4, 10.0)
    anchors = [a for a in loaded.optimizer.anchors if a is not None]
    assert len(anchors) == 1
    np.testing.assert_allclose(keras.ops.convert_to_numpy(anchors[0]), w0, atol=1e-7)


@pytest.mark.parametrize("kwargs", [dict(anchor_decay=-1.0), dict(rank=0), dict(rank=2.5)])
def test_bad_settings_are_refused(kwargs):
    with pytest.raises(FlipFlopError):
        AnchoredMuon(1e-3, **kwargs)
