"""Features played backwards (``features/time_reversal.py``) and VLANet's optional reversed-video negative."""

from __future__ import annotations

import json
import sys

import numpy as np
import pytest
import torch

from vlanet_core.features.time_reversal import reverse_in_time
from vlanet_core.features.types import DecodedVideo
from vlanet_core.registry import BACKBONES
from vlanet_core.training.batching import Collator, TextCache, WeakPair
from vlanet_core.training.train import reversal_signs_of

from .test_training_cli import ARGS, run
from .test_training_weak import FakeEncoder
from .test_vlanet_model import _batch, _model

shapes = pytest.importorskip("vlanet_core.data.shapes")


def _mean_cosine(a: np.ndarray, b: np.ndarray) -> float:
    steps = min(len(a), len(b))
    a, b = a[:steps], b[:steps]
    return float(np.mean((a * b).sum(1) / (np.linalg.norm(a, axis=1) * np.linalg.norm(b, axis=1) + 1e-12)))


def test_reverse_in_time_flips_the_order_and_the_odd_channels_and_undoes_itself():
    features = np.arange(12, dtype=np.float32).reshape(4, 3)
    signs = np.array([1.0, -1.0, 1.0], np.float32)
    backwards = reverse_in_time(features, signs)
    np.testing.assert_array_equal(backwards[0], [9.0, -10.0, 11.0])
    np.testing.assert_array_equal(backwards[-1], [0.0, -1.0, 2.0])
    np.testing.assert_array_equal(reverse_in_time(backwards, signs), features)
    with pytest.raises(ValueError, match="signs"):
        reverse_in_time(features, signs[:2])


def test_default_backbone_negates_exactly_its_signed_rates():
    backbone = BACKBONES.create("default")
    signs = backbone.time_reversal_signs()
    names = backbone.feature_names()
    assert signs.shape == (backbone.dim,)
    assert [n for n, s in zip(names, signs) if s < 0] == [n for n in names if n.startswith("slope:")]
    assert set(signs.tolist()) == {-1.0, 1.0}


def test_reversed_features_are_those_of_the_clip_played_backwards():
    """The shortest of the first val videos, rendered, then its frames played backwards and described again: the
    features reversed by ``reverse_in_time`` match those (and clearly better than the steps merely reordered)."""
    backbone = BACKBONES.create("default", edge_floor=0.04)
    spec = min((shapes.video_spec("val", i) for i in range(6)), key=lambda video: video.duration)
    clip = shapes.render_video(spec, size=backbone.input_size, fps=10.0)
    forwards = backbone.extract(clip).features
    played_backwards = DecodedVideo(clip.frames[::-1].copy(), clip.duration - clip.timestamps[::-1], clip.duration)
    truth = backbone.extract(played_backwards).features
    reversed_features = reverse_in_time(forwards, backbone.time_reversal_signs())
    assert _mean_cosine(truth, reversed_features) >= 0.99
    assert _mean_cosine(truth, reversed_features) > _mean_cosine(truth, forwards[::-1]) + 0.02


def test_collator_adds_each_drawn_video_played_backwards():
    long, short = np.arange(10, dtype=np.float32).reshape(5, 2), np.ones((3, 2), np.float32)
    signs = np.array([1.0, -1.0], np.float32)
    collate = Collator([long, short], ["a b", "c"], TextCache(FakeEncoder()), reversal_signs=signs)
    batch = collate([WeakPair(0, 0), WeakPair(1, 1)], np.random.default_rng(0))
    assert batch.video_reversed is not None and batch.video_reversed.shape == batch.video.shape
    np.testing.assert_array_equal(batch.video_reversed[0].numpy(), reverse_in_time(long, signs))
    np.testing.assert_array_equal(batch.video_reversed[1, :3].numpy(), reverse_in_time(short, signs))
    assert float(batch.video_reversed[1, 3:].abs().sum()) == 0.0  # padding stays after the real steps
    plain = Collator([long, short], ["a b", "c"], TextCache(FakeEncoder()))
    assert plain([WeakPair(0, 0)], np.random.default_rng(0)).video_reversed is None


def test_reversed_negative_is_the_papers_hinge_with_the_backwards_video():
    """A clip that reads the same backwards scores exactly as its reversal, so its hinge is the margin; a different
    reversal trains the proposal layer; without the weight or the field the loss is eq. 14 alone."""
    model = _model(weight_reversed_negatives=1.0)
    batch = _batch()
    batch.video_reversed = batch.video.clone()
    parts = model.loss(batch)
    assert float(parts["loss_reversed_neg"].detach()) == pytest.approx(model.config.margin, abs=1e-5)
    lengths = batch.video_mask.sum(1)
    batch.video_reversed = torch.stack(
        [torch.cat([v[: int(n)].flip(0), v[int(n) :]]) for v, n in zip(batch.video, lengths)]
    )
    parts = model.loss(batch)
    assert float(parts["loss_reversed_neg"].detach()) != pytest.approx(model.config.margin, abs=1e-5)
    parts["loss_reversed_neg"].backward()
    assert float(model.proposal_fc.weight.grad.abs().sum()) > 0
    assert "loss_reversed_neg" not in _model().loss(batch)  # weight 0: off
    batch.video_reversed = None
    assert "loss_reversed_neg" not in model.loss(batch)


def test_reversal_signs_come_only_from_a_backbone_that_can_give_them():
    signs = reversal_signs_of({"name": "default", "params": {"edge_floor": 0.04}})
    assert signs is not None and signs.shape == (BACKBONES.create("default").dim,)
    assert reversal_signs_of({"name": "precomputed", "params": {}}) is None
    assert reversal_signs_of({"name": "clip", "params": {}}) is None  # not built: that would load weights
    assert reversal_signs_of({"name": "no-such-backbone"}) is None


def test_train_cli_trains_with_reversed_negatives(tmp_path):
    run([sys.executable, "-m", "vlanet_core.training.train", *ARGS, "--set", "weight_reversed_negatives=1",
         "--out", str(tmp_path / "ckpt"), "--run-dir", str(tmp_path / "run"), "--cache-dir", str(tmp_path / "cache")],
        tmp_path)  # fmt: skip
    steps = [json.loads(line) for line in (tmp_path / "run" / "log.jsonl").read_text().splitlines()]
    steps = [e for e in steps if e["event"] == "step"]
    assert steps and all(np.isfinite(e["loss_reversed_neg"]) for e in steps)
