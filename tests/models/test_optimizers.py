"""Tests of flipflop.models.optimizers.AnchoredMuon and the faithful recipe on a tiny SimpleRNN."""
from __future__ import annotations

import numpy as np
import pytest

from flipflop.analysis.weights import recurrent_matrix, spectral_signature
from flipflop.backend import keras
from flipflop.errors import FlipFlopError
from flipflop.models.build import IO_WEIGHT_PATTERNS, build_model
from flipflop.models.optimizers import AnchoredMuon
from flipflop.models.recipes import FAITHFUL_ANCHOR_DECAY
from flipflop.tasks.flipflop.task import FlipFlopTask
from flipflop.training import TrainConfig


def trained(optimizer: str) -> tuple[keras.Model, np.ndarray]:
    """A SimpleRNN-32 after 8 steps of ``optimizer`` at 1e-2 (no decay), and its W0."""
    keras.utils.set_random_seed(0)
    model = build_model("simplernn", 32, 3, seed=0, optimizer=optimizer, learning_rate=1e-2, decay=0.0,
                        clipnorm=1.0, io_lr_multiplier=2.0)
    w0 = recurrent_matrix(model).copy()
    trials = FlipFlopTask(duration_ms=40).generate(64, 0)
    model.fit(trials.inputs, trials.targets, batch_size=16, epochs=2, shuffle=False, verbose=0)
    return model, w0


@pytest.fixture(scope="module")
def muon():
    return trained("muon")


@pytest.fixture(scope="module")
def faithful():
    return trained("anchored-muon")


def test_faithful_steps_keep_the_spectrum_on_the_circle(muon, faithful):
    """The pull towards W0 moves W and spreads its |lambda| less than Muon does."""
    (muon, w0), (faithful, w0_again) = muon, faithful
    np.testing.assert_array_equal(w0, w0_again)
    moved = {name: np.linalg.norm(recurrent_matrix(m) - w0) for name, m in (("muon", muon), ("faithful", faithful))}
    spread = {name: spectral_signature(recurrent_matrix(m))["std"]
              for name, m in (("muon", muon), ("faithful", faithful))}
    assert moved["faithful"] < 0.7 * moved["muon"]
    assert spread["faithful"] < 0.7 * spread["muon"]
    assert moved["faithful"] > 0  # it did train


def test_without_options_it_is_muon(muon):
    keras.utils.set_random_seed(0)
    model = build_model("simplernn", 32, 3, seed=0, optimizer="muon", learning_rate=1e-2, decay=0.0,
                        clipnorm=1.0, io_lr_multiplier=2.0)
    model.compile(optimizer=AnchoredMuon(1e-2, exclude_layers=list(IO_WEIGHT_PATTERNS), adam_lr_ratio=2.0,
                                         weight_decay=None, adam_weight_decay=None, epsilon=1e-8, clipnorm=1.0),
                  loss="mse", jit_compile=False)
    trials = FlipFlopTask(duration_ms=40).generate(64, 0)
    model.fit(trials.inputs, trials.targets, batch_size=16, epochs=2, shuffle=False, verbose=0)
    np.testing.assert_allclose(recurrent_matrix(model), recurrent_matrix(muon[0]), atol=1e-4)


def test_anchor_survives_saving(tmp_path, faithful):
    model, w0 = faithful
    assert isinstance(model.optimizer, AnchoredMuon) and model.optimizer.anchor_decay == FAITHFUL_ANCHOR_DECAY
    model.save(tmp_path / "m.keras")
    loaded = keras.models.load_model(tmp_path / "m.keras")
    assert isinstance(loaded.optimizer, AnchoredMuon) and loaded.optimizer.anchor_decay == FAITHFUL_ANCHOR_DECAY
    anchors = [a for a in loaded.optimizer.anchors if a is not None]
    assert len(anchors) == 1  # the recurrent matrix only
    np.testing.assert_allclose(keras.ops.convert_to_numpy(anchors[0]), w0, atol=1e-7)


def test_low_rank_step_is_the_orthogonal_factor_of_the_top_directions():
    rng = np.random.default_rng(0)
    u, _ = np.linalg.qr(rng.normal(size=(20, 2)))
    v, _ = np.linalg.qr(rng.normal(size=(20, 2)))
    g = u @ np.diag([3.0, 0.5]) @ v.T + 1e-4 * rng.normal(size=(20, 20))
    opt = AnchoredMuon(1e-3, rank=2)
    step = keras.ops.convert_to_numpy(opt.low_rank_orthogonal(keras.ops.convert_to_tensor(g, "float32"),
                                                              keras.ops.convert_to_tensor(rng.normal(size=(20, 2)),
                                                                                          "float32")))
    np.testing.assert_allclose(step, u @ v.T, atol=1e-3)
    np.testing.assert_allclose(np.linalg.svd(step, compute_uv=False)[:2], 1.0, atol=1e-3)


def test_faithful_recipe_resolves_for_the_simplernn_only():
    config = TrainConfig.from_recipe("faithful")
    assert (config.optimizer, config.learning_rate, config.io_lr_multiplier) == ("anchored-muon", 1e-3, 5.0)
    with pytest.raises(FlipFlopError, match="faithful recipe has no learning rate"):
        TrainConfig.from_recipe("faithful", cell="gru")


@pytest.mark.parametrize("kwargs, message", [(dict(anchor_decay=-1.0), "anchor_decay must be >= 0, got -1"),
                                             (dict(rank=0), "rank must be a positive integer, got 0"),
                                             (dict(rank=2.5), "rank must be an integer, got 2.5")])
def test_bad_settings_are_refused(kwargs, message):
    with pytest.raises(FlipFlopError, match=message):
        AnchoredMuon(1e-3, **kwargs)
