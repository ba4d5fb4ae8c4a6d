"""The "precomputed" backbone: .npy / .npz / .pt files per video, size checks, missing files."""

import numpy as np
import pytest
import torch

from vlanet_core.errors import FeatureSizeError, VMRError
from vlanet_core.features.precomputed import MissingFeaturesError, PrecomputedFeatures, read_feature_file
from vlanet_core.features.types import DecodedVideo
from vlanet_core.registry import BACKBONES


@pytest.fixture()
def features():
    return np.random.default_rng(0).normal(size=(12, 6)).astype(np.float32)


def write(folder, vid, array, kind):
    if kind == "npy":
        np.save(folder / f"{vid}.npy", array)
    elif kind == "npz":
        np.savez(folder / f"{vid}.npz", array)  # its only array, under numpy's default name
    elif kind == "npz-key":
        np.savez(folder / f"{vid}.npz", features=array, other=np.zeros(3))
    elif kind == "pt":
        torch.save(torch.from_numpy(array), folder / f"{vid}.pt")
    elif kind == "pt-dict":
        torch.save({"features": torch.from_numpy(array), "other": torch.zeros(3)}, folder / f"{vid}.pt")


@pytest.mark.parametrize("kind", ["npy", "npz", "npz-key", "pt", "pt-dict"])
def test_each_file_type(tmp_path, features, kind):
    write(tmp_path, "vid01", features, kind)
    key = "features" if kind.endswith(("key", "dict")) else None
    backbone = BACKBONES.create("precomputed", folder=str(tmp_path), dim=6, key=key)
    out = backbone.load("vid01", duration=30.0)
    np.testing.assert_array_equal(out.features, features)
    assert out.features.dtype == np.float32
    assert out.step == pytest.approx(30.0 / 12) and out.duration == 30.0 and out.num_steps == 12
    assert out.backbone == "precomputed" and out.backbone_params == backbone.params()


def test_several_arrays_need_a_key(tmp_path, features):
    write(tmp_path, "v", features, "npz-key")
    with pytest.raises(FeatureSizeError, match="key="):
        PrecomputedFeatures(tmp_path).load("v", 10.0)
    with pytest.raises(FeatureSizeError, match="no array 'nope'"):
        PrecomputedFeatures(tmp_path, key="nope").load("v", 10.0)


def test_size_mismatch(tmp_path, features):
    write(tmp_path, "v", features, "npy")
    with pytest.raises(FeatureSizeError, match="size 6, but 500 was expected"):
        PrecomputedFeatures(tmp_path, dim=500).load("v", 10.0)


def test_missing_file(tmp_path, features):
    write(tmp_path, "v", features, "npy")
    backbone = PrecomputedFeatures(tmp_path, dim=6)
    with pytest.raises(MissingFeaturesError, match="no features for video 'other'") as info:
        backbone.load("other", 10.0)
    assert isinstance(info.value, FileNotFoundError) and isinstance(info.value, VMRError)
    for bad in ("../v", "sub/v", "..", ""):
        with pytest.raises(MissingFeaturesError):
            backbone.load(bad, 10.0)


def test_singleton_axes_are_squeezed_and_bad_shapes_refused(tmp_path, features):
    np.save(tmp_path / "i3d.npy", features[:, None, None, :])  # (T, 1, 1, C) release layout
    assert read_feature_file(tmp_path / "i3d.npy").shape == (12, 6)
    np.save(tmp_path / "flat.npy", features[0])
    with pytest.raises(FeatureSizeError, match=r"\(T, C\)"):
        read_feature_file(tmp_path / "flat.npy")
    bad = features.copy()
    bad[3, 2] = np.nan
    np.save(tmp_path / "nan.npy", bad)
    with pytest.raises(FeatureSizeError, match="NaN"):
        read_feature_file(tmp_path / "nan.npy")
    (tmp_path / "x.txt").write_text("1 2 3")
    with pytest.raises(FeatureSizeError, match="unsupported"):
        read_feature_file(tmp_path / "x.txt")


def test_pt_files_cannot_run_code(tmp_path):
    torch.save({"features": object()}, tmp_path / "evil.pt")  # pickles a Python object, refused by weights_only
    with pytest.raises(Exception) as info:
        read_feature_file(tmp_path / "evil.pt", key="features")
    assert "weights_only" in str(info.value) or "Unsupported" in str(info.value)


def test_fixed_step_dim_inference_and_extract(tmp_path, features):
    write(tmp_path, "clip_a", features, "npy")
    backbone = PrecomputedFeatures(tmp_path, step=0.5)
    assert backbone.dim == 6  # read from the first file when not given
    video = DecodedVideo(frames=np.zeros((1, 4, 4, 3), np.uint8), timestamps=np.zeros(1), duration=7.0,
                         source="/somewhere/clip_a.mp4")  # fmt: skip
    out = backbone.extract(video)
    assert out.step == 0.5 and out.duration == 7.0 and out.num_steps == 12
    again = BACKBONES.create("precomputed", **backbone.params())
    assert again.params() == backbone.params()
    with pytest.raises(MissingFeaturesError):
        _ = PrecomputedFeatures(tmp_path / "empty").dim
