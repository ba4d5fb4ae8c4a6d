"""Variant feature stores (Shapes-STA clips as a file reaches the app) and the trainer's use of them."""

import json
import sys

import numpy as np
import pytest

from vlanet_core.data.shapes import render_video, video_spec
from vlanet_core.features.variant_store import WEBM_CODECS, build_variant_store, load_variant_store, variant_codec
from vlanet_core.registry import BACKBONES
from vlanet_core.training.batching import Collator, TextCache

from .test_training_weak import FakeEncoder

PARAMS = {"edge_floor": 0.04}


@pytest.mark.parametrize("variant", ["render320", "mp4v"])
def test_a_variant_store_holds_what_the_app_path_gives_for_each_video(tmp_path, variant):
    path = build_variant_store("val", 2, variant, workers=1, out=tmp_path, backbone_params=PARAMS)
    sidecar = json.loads(path.with_suffix(".json").read_text())
    backbone = BACKBONES.create("default", **PARAMS)
    assert sidecar["variant"] == variant and sidecar["backbone_params"] == json.loads(json.dumps(backbone.params()))
    loaded = load_variant_store(path, backbone.params())
    assert loaded.variant == variant
    store = loaded.features
    assert sorted(store) == sorted(video_spec("val", i).vid for i in range(2))
    spec = video_spec("val", 0)
    reference = backbone.extract(render_video(spec, size=(320, 240))).features
    got = store[spec.vid]
    assert got.dtype == np.float32 and got.shape[1] == reference.shape[1]
    steps = min(len(got), len(reference))
    assert abs(len(got) - len(reference)) <= 1
    if variant == "render320":  # the same frames through the same code: equal up to the store's float16
        np.testing.assert_allclose(got[:steps], reference[:steps], rtol=2e-3, atol=2e-3)
    else:  # compressed: close, not equal
        cos = (got[:steps] * reference[:steps]).sum(1) / (
            np.linalg.norm(got[:steps], axis=1) * np.linalg.norm(reference[:steps], axis=1) + 1e-12
        )
        assert cos.mean() > 0.95 and not np.allclose(got[:steps], reference[:steps], atol=1e-3)


def test_a_variant_store_of_other_backbone_params_is_refused(tmp_path):
    path = build_variant_store("val", 1, "render320", workers=1, out=tmp_path, backbone_params=PARAMS)
    with pytest.raises(ValueError, match="backbone params"):
        load_variant_store(path, BACKBONES.create("default").params())


def test_a_variant_store_whose_sidecar_names_no_variant_is_refused(tmp_path):
    path = build_variant_store("val", 1, "render320", workers=1, out=tmp_path, backbone_params=PARAMS)
    sidecar = json.loads(path.with_suffix(".json").read_text())
    sidecar["variant"] = "h265"
    path.with_suffix(".json").write_text(json.dumps(sidecar))
    with pytest.raises(ValueError, match="h265"):
        load_variant_store(path, BACKBONES.create("default", **PARAMS).params())


def test_each_variant_names_the_codec_this_opencv_build_writes():
    from vlanet_core.data.shapes.writer import available_codecs

    working = available_codecs()
    assert variant_codec("render320") is None
    if "mp4v" in working:
        assert variant_codec("mp4v") == "mp4v"
    webm = [c for c in WEBM_CODECS if c in working]
    if webm:
        assert variant_codec("webm") == webm[0]  # VP8 before VP9
    else:
        with pytest.raises(ValueError, match="writes none"):
            variant_codec("webm")


def test_unknown_variant_split_and_count_are_refused(tmp_path):
    with pytest.raises(ValueError, match="unknown variant"):
        build_variant_store("val", 1, "h265", out=tmp_path)
    with pytest.raises(ValueError, match="unknown Shapes-STA split"):
        build_variant_store("nope", 1, "mp4v", out=tmp_path)
    with pytest.raises(ValueError, match="positive"):
        build_variant_store("val", 0, "mp4v", out=tmp_path)


def test_collator_draws_each_video_from_its_original_and_its_variants():
    from vlanet_core.training.batching import WeakPair

    videos = [np.zeros((4, 2), np.float32), np.ones((5, 2), np.float32)]
    variant = np.full((6, 2), 7.0, np.float32)
    collate = Collator(videos, ["a b", "c"], TextCache(FakeEncoder()), variants={1: [variant]})
    pairs = [WeakPair(0, 0), WeakPair(1, 1)]
    seen = set()
    for seed in range(20):
        batch = collate(pairs, np.random.default_rng(seed))
        assert float(batch.video[0].abs().sum()) == 0.0  # video 0 has no variant: always the original
        seen.add(float(batch.video[1, 0, 0]))
        again = collate(pairs, np.random.default_rng(seed))
        assert np.array_equal(batch.video.numpy(), again.video.numpy())  # seeded: the same draw
    assert seen == {1.0, 7.0}


def test_train_cli_refuses_variant_stores_of_other_features(tmp_path):
    import subprocess

    path = build_variant_store("train", 1, "render320", workers=1, out=tmp_path / "v", backbone_params={})
    cmd = [sys.executable, "-m", "vlanet_core.training.train", "--model", "vlanet", "--train-videos", "4",
           "--val-videos", "2", "--out", str(tmp_path / "o"), "--cache-dir", str(tmp_path / "cache"),
           "--backbone-param", "edge_floor=0.04", "--feature-variants", str(path), "--epochs", "1"]
    proc = subprocess.run(cmd, capture_output=True, text=True, timeout=300)
    assert proc.returncode != 0 and "--feature-variants" in proc.stderr and "backbone params" in proc.stderr


def test_train_cli_trains_with_variant_stores_and_says_so(tmp_path):
    import os
    import subprocess
    from pathlib import Path

    from vlanet_core.checkpoint import read_config

    root = Path(__file__).resolve().parents[1]
    built = build_variant_store("train", 2, "render320", workers=1, out=tmp_path / "v", backbone_params=PARAMS)
    path = built.with_name("renamed.npz")  # the variant's name comes from the sidecar, not the file name
    built.rename(path)
    built.with_suffix(".json").rename(path.with_suffix(".json"))
    cmd = [sys.executable, "-m", "vlanet_core.training.train", "--model", "vlanet", "--train-videos", "4",
           "--val-videos", "2", "--epochs", "1", "--batch-size", "4", "--max-steps-per-epoch", "2", "--threads", "1",
           "--set", "hidden_dim=32", "--set", "proj_dim=16", "--out", str(tmp_path / "o"), "--run-dir",
           str(tmp_path / "run"), "--cache-dir", str(tmp_path / "cache"), "--backbone-param", "edge_floor=0.04",
           "--feature-variants", str(path), "--set", "weight_consistency=1.0"]
    env = {**os.environ, "PYTHONPATH": str(root), "OMP_NUM_THREADS": "1"}
    proc = subprocess.run(cmd, capture_output=True, text=True, timeout=300, env=env, cwd=tmp_path)
    assert proc.returncode == 0, proc.stderr[-2000:]
    assert "with 2 of them also seen as render320" in read_config(tmp_path / "o")["trained_on"]
    steps = [json.loads(line) for line in (tmp_path / "run" / "log.jsonl").read_text().splitlines()]
    assert any("loss_consistency" in row for row in steps)  # both forms of the videos met in one batch

    without = [arg for arg in cmd if arg not in ("--feature-variants", str(path))]
    proc = subprocess.run(without, capture_output=True, text=True, timeout=300, env=env, cwd=tmp_path)
    assert proc.returncode != 0 and "weight_consistency needs --feature-variants" in proc.stderr
