"""The input standardisation's statistics (vlanet_core/training/feature_stats.py)."""

import numpy as np
import pytest

from vlanet_core.features.default_backbone import DefaultBackbone
from vlanet_core.training.feature_stats import feature_kind, feature_statistics, pooled_std


def test_feature_kind_drops_the_bin_and_folds_grid_cells():
    assert feature_kind("slope:hue030:mass") == "slope:mass"
    assert feature_kind("mean:grey0:grid11") == "mean:grid"
    assert feature_kind("rate:hue330:h2_cos") == "rate:h2_cos"
    assert feature_kind("c5") == "c5"  # unnamed channels are their own group


def test_pooled_std_is_the_rms_within_each_group():
    std = np.array([0.3, 0.4, 2.0, 0.0])
    out = pooled_std(std, ["a", "a", "b", "b"])
    assert out[0] == out[1] == pytest.approx(np.sqrt((0.09 + 0.16) / 2))
    assert out[2] == out[3] == pytest.approx(np.sqrt(2.0))
    with pytest.raises(ValueError, match="3 group labels for 4 channels"):
        pooled_std(std, ["a", "a", "b"])


def test_channel_pooling_is_the_plain_per_channel_std_with_a_floor():
    rng = np.random.default_rng(0)
    steps = rng.normal(size=(500, 3)) * np.array([1.0, 0.1, 0.001]) + 5.0
    mean, scale = feature_statistics(steps, min_std=0.05)
    np.testing.assert_allclose(mean, steps.mean(axis=0))
    np.testing.assert_allclose(scale[:2], steps.std(axis=0)[:2])
    assert scale[2] == 0.05


def test_type_pooling_puts_small_and_large_kinds_of_value_on_one_scale():
    """Two kinds of value, one 20x smaller than the other: per channel with a large floor, the small kind stays
    20x smaller at the model's input; pooled by kind, both reach unit scale, and inside a kind the bins keep their
    relative sizes (a quiet bin is not magnified to the scale of a lively one)."""
    rng = np.random.default_rng(1)
    names = ["slope:hue000:mass", "slope:grey0:mass", "slope:hue000:cx", "slope:grey0:cx"]
    spread = np.array([0.02, 0.002, 0.4, 0.4])
    steps = rng.normal(size=(4000, 4)) * spread
    _, flat = feature_statistics(steps, min_std=0.2)
    assert (steps / flat).std(axis=0)[0] < 0.15
    mean, scale = feature_statistics(steps, min_std=0.001, pooling="type", names=names)
    scaled = (steps - mean) / scale
    assert scaled.std(axis=0)[0] == pytest.approx(np.sqrt(2) * 0.02 / np.sqrt(0.02**2 + 0.002**2), rel=0.05)
    assert scaled.std(axis=0)[2] == pytest.approx(1.0, rel=0.05)
    assert scaled.std(axis=0)[1] < 0.2  # the quiet bin stays quiet


def test_the_default_backbone_names_every_channel_in_kinds():
    backbone = DefaultBackbone()
    names = backbone.feature_names()
    assert len(names) == backbone.dim
    kinds = {feature_kind(n) for n in names}
    assert "slope:mass" in kinds and "mean:grid" in kinds and len(kinds) < 40


def test_bad_arguments_are_refused():
    with pytest.raises(ValueError, match="std pooling"):
        feature_statistics(np.ones((3, 2)), 0.1, pooling="bins")
    with pytest.raises(ValueError, match="2 feature names for 3 channels"):
        feature_statistics(np.ones((3, 3)), 0.1, pooling="type", names=["a", "b"])
    with pytest.raises(ValueError, match="needs the feature names"):
        feature_statistics(np.ones((3, 2)), 0.1, pooling="type", names=None)  # never a silent per-channel std
    with pytest.raises(ValueError, match="N >= 1"):
        feature_statistics(np.ones((0, 3)), 0.1)


def test_a_model_takes_the_scale_as_given_and_refuses_a_non_positive_one():
    """The floor lives in ``feature_statistics`` alone: ``set_feature_stats`` stores the scale unchanged (a floor of
    0.01 chosen in training is not raised to another default here) and refuses zero, negative or NaN scales."""
    from vlanet_core.checkpoint import build_model

    model = build_model("random", {"feature_dim": 3})
    model.set_feature_stats(np.zeros(3), np.array([0.01, 0.5, 2.0]))
    np.testing.assert_allclose(model.feature_std.numpy(), [0.01, 0.5, 2.0], rtol=1e-6)
    for bad in ([0.0, 1.0, 1.0], [-1.0, 1.0, 1.0], [np.nan, 1.0, 1.0]):
        with pytest.raises(ValueError, match="finite and positive"):
            model.set_feature_stats(np.zeros(3), np.array(bad))


def test_gains_weigh_a_part_more_and_need_names_and_a_known_part():
    names = ["mean:a:x", "slope:a:x", "slope:b:x", "rate:a:x"]
    steps = np.random.default_rng(0).normal(size=(50, 4))
    mean, plain = feature_statistics(steps, 0.01, "channel", names)
    _, gained = feature_statistics(steps, 0.01, "channel", names, {"slope": 4.0})
    np.testing.assert_allclose(gained, plain / np.array([1.0, 4.0, 4.0, 1.0]))
    with pytest.raises(ValueError, match="names"):
        feature_statistics(steps, 0.01, "channel", None, {"slope": 4.0})
    with pytest.raises(ValueError, match="part"):
        feature_statistics(steps, 0.01, "channel", names, {"edge": 2.0})
    with pytest.raises(ValueError, match="positive"):
        feature_statistics(steps, 0.01, "channel", names, {"slope": 0.0})
