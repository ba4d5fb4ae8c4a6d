"""The predictor's top-k: NMS at the model's own threshold unless the caller gives one."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from vlanet_core.features.types import VideoFeatures
from vlanet_core.predictor import DEFAULT_NMS, Predictor
from vlanet_core.spans import pairwise_iou


def _predictor(model: str, **model_config) -> Predictor:
    torch.manual_seed(0)
    config = {
        "model": model,
        "model_config": {"feature_dim": 640, **model_config},
        "backbone": {"name": "default", "params": {}},
        "text_encoder": {"name": "glove", "params": {}},
    }
    return Predictor.from_config(config, device="cpu", name=f"{model}-test")


@pytest.fixture(scope="module")
def video() -> VideoFeatures:
    features = np.random.default_rng(0).standard_normal((60, 640)).astype(np.float32)
    return VideoFeatures(features=features, step=0.5, duration=30.0, backbone="default")


def _spans(result) -> np.ndarray:
    return np.array([[m.start, m.end] for m in result.moments])


def test_model_threshold_is_used_and_a_given_one_overrides_it(video):
    predictor = _predictor("vlanet", nms_threshold=0.3)
    assert predictor.nms_threshold == 0.3
    query = "the red circle moves to the left"
    own = predictor.predict(query, video, top_k=5)
    overlap = pairwise_iou(_spans(own), _spans(own))
    assert (overlap[~np.eye(len(own.moments), dtype=bool)] <= 0.3 + 1e-9).all()

    everything = predictor.predict(query, video, top_k=5, nms_threshold=1.0)  # no proposal is dropped
    scores = np.array([m.score for m in everything.proposals])
    assert [m.score for m in everything.moments] == pytest.approx(sorted(scores, reverse=True)[:5])
    assert not np.array_equal(_spans(own), _spans(everything))  # the threshold really changed the top 5


def test_models_without_a_threshold_use_the_default():
    assert _predictor("whole-video").nms_threshold == DEFAULT_NMS


def test_stage_labels_are_relabelled_in_seconds(video):
    result = _predictor("vlanet").predict("the red circle moves to the left", video)
    by_name = {stage.name: stage for stage in result.stages}
    over_time = by_name["localisation over time"]
    assert over_time.rows == [f"{t:.1f}s" for t in video.times]
    spans = [label for stage in result.stages for label in [*stage.rows, *(stage.cols or [])] if "-" in label]
    assert spans and all(label.endswith("s") for label in spans)  # every "a-b" step span is now in seconds
    first = spans[0][:-1].split("-")
    assert all(float(v) / video.step == pytest.approx(round(float(v) / video.step)) for v in first)
    assert not any(stage.rows is other.rows for stage in result.stages for other in result.stages if other is not stage)
