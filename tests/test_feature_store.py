"""The Shapes-STA feature store: rendered in memory, same extract code as files, saved and loaded back."""

from __future__ import annotations

import json

import numpy as np
import pytest

from vlanet_core.features.store import build_shapes_store, load_store, main
from vlanet_core.registry import BACKBONES

shapes = pytest.importorskip("vlanet_core.data.shapes")


def test_build_and_load_round_trip(tmp_path):
    path = build_shapes_store("val", n_videos=3, workers=1, out=tmp_path)
    meta = json.loads(path.with_suffix(".json").read_text())
    assert meta["backbone"] == "default" and meta["videos"] == 3 and meta["step"] == 0.5
    store = load_store(path)
    assert sorted(store) == ["val_00000", "val_00001", "val_00002"]
    backbone = BACKBONES.create("default", **meta["backbone_params"])
    for vid, features in store.items():
        spec = shapes.video_spec("val", int(vid.split("_")[1]))
        assert features.duration == pytest.approx(spec.duration)
        assert features.features.shape == (int(np.ceil(spec.duration / 0.5 - 1e-6)), backbone.dim)
        assert features.features.dtype == np.float32 and features.backbone == "default"
    # the store holds exactly what extract gives for the in-memory render (up to float16 rounding)
    spec = shapes.video_spec("val", 1)
    direct = backbone.extract(shapes.render_video(spec, size=(80, 60), fps=10.0)).features
    np.testing.assert_allclose(store["val_00001"].features, direct, atol=2e-2, rtol=1e-2)


def test_workers_give_the_same_store(tmp_path):
    one = load_store(build_shapes_store("test", seed=5, n_videos=2, workers=1, out=tmp_path / "a"))
    two = load_store(build_shapes_store("test", seed=5, n_videos=2, workers=2, out=tmp_path / "b"))
    assert one.keys() == two.keys()
    for vid in one:
        np.testing.assert_array_equal(one[vid].features, two[vid].features)


def test_cli(tmp_path, capsys):
    main(["--split", "val", "--videos", "1", "--workers", "1", "--out", str(tmp_path)])
    assert "1 videos" in capsys.readouterr().out
    assert list(tmp_path.glob("*.npz")) and list(tmp_path.glob("*.json"))


def test_bad_arguments(tmp_path):
    with pytest.raises(ValueError):
        build_shapes_store("holdout", n_videos=1, out=tmp_path)
    with pytest.raises(ValueError):
        build_shapes_store("val", n_videos=0, out=tmp_path)
    with pytest.raises(FileNotFoundError):
        load_store(tmp_path / "missing.npz")


def test_backbone_params_get_their_own_store(tmp_path):
    """A store of non-default backbone params has its own file name and records the params; the training data
    reader finds it by those params and never hands them to a model of the other variant."""
    from vlanet_core.features.store import params_tag
    from vlanet_core.training.data import shapes_features

    assert params_tag("default", {}) == "" and params_tag("default", {"edge_floor": 0.0}) == ""
    tag = params_tag("default", {"edge_floor": 0.04})
    assert tag.startswith("_p") and len(tag) == 10 and tag == params_tag("default", {"edge_floor": 0.04})
    plain = build_shapes_store("val", n_videos=1, workers=1, out=tmp_path)
    floored = build_shapes_store("val", n_videos=1, workers=1, out=tmp_path, backbone_params={"edge_floor": 0.04})
    assert plain != floored and tag in floored.name and plain.is_file()
    assert json.loads(floored.with_suffix(".json").read_text())["backbone_params"]["edge_floor"] == 0.04
    found = shapes_features("val", None, 1, tmp_path, workers=1, backbone_params={"edge_floor": 0.04})
    assert found["val_00000"].backbone_params["edge_floor"] == 0.04
    assert shapes_features("val", None, 1, tmp_path, workers=1)["val_00000"].backbone_params["edge_floor"] == 0.0
    assert len(list(tmp_path.glob("*.npz"))) == 2  # both found on disk, nothing rebuilt


def test_cli_backbone_param(tmp_path, capsys):
    main(["--split", "val", "--videos", "1", "--workers", "1", "--out", str(tmp_path), "--param", "edge_floor=0.04"])
    (sidecar,) = tmp_path.glob("*.json")
    assert "_p" in sidecar.name and json.loads(sidecar.read_text())["backbone_params"]["edge_floor"] == 0.04
    with pytest.raises(SystemExit):
        main(["--split", "val", "--videos", "1", "--out", str(tmp_path), "--param", "edge_floor"])
