"""``vlanet_core.bench`` in a tiny mode on temporary checkpoints: the report's keys and that its figures are positive.

No timing is asserted (the machine is shared); only that every section measured something and that the targets
are read the right way round.
"""

from __future__ import annotations

import json
import os

import numpy as np
import pytest
import torch

from vlanet_core.bench import BenchOptions, run_bench, targets
from vlanet_core.bench.app_memory import offered_models, proc_memory_mb
from vlanet_core.bench.latency import benchmark_queries, summarise
from vlanet_core.bench.run import main
from vlanet_core.bench.surrogate import repeated_to
from vlanet_core.checkpoint import build_model, read_config, save_checkpoint
from vlanet_core.data.records import Annotation
from vlanet_core.features.bench import interleaved_medians
from vlanet_core.features.types import VideoFeatures
from vlanet_core.registry import BACKBONES
from vlanet_core.training.data import SplitData

GLOVE = {"name": "glove", "params": {}}


@pytest.fixture(scope="module")
def checkpoint_root(tmp_path_factory):
    """An untrained VLANet and two baselines, saved as the training CLI saves them."""
    import vlanet_core.features.backbones  # noqa: F401 - registers "default"

    torch.manual_seed(0)
    root = tmp_path_factory.mktemp("checkpoints")
    backbone = {"name": "default", "params": BACKBONES.create("default", edge_floor=0.04).params()}  # as shipped
    for folder, name, extra in (
        ("vlanet-shapes-sta", "vlanet", {"hidden_dim": 32, "proj_dim": 16}),
        ("random", "random", {}),
        ("whole-video", "whole-video", {}),
    ):
        model = build_model(name, {"feature_dim": 640, "word_dim": 50, **extra})
        save_checkpoint(model, root / folder, name=name, backbone=backbone, text_encoder=GLOVE, trained_on="test")
    return root


def tiny_split(videos: int = 6, steps: int = 40) -> SplitData:
    """Random 640-d features and Shapes-STA sentences: enough for a few training steps, no feature store needed."""
    rng = np.random.default_rng(0)
    queries = benchmark_queries(videos)
    features, annotations = {}, []
    for i in range(videos):
        vid = f"train_{i:05d}"
        features[vid] = VideoFeatures(
            features=rng.random((steps, 640), dtype=np.float32),
            step=0.5,
            duration=steps * 0.5,
            backbone="default",
            backbone_params={},
            source=vid,
        )
        annotations.append(Annotation(vid=vid, duration=steps * 0.5, sentence=queries[i], spans=[(2.0, 8.0)]))
    return SplitData("tiny/train", features, annotations, {"name": "default", "params": {}})


@pytest.fixture(scope="module")
def report(checkpoint_root):
    options = BenchOptions.quick(
        checkpoints=checkpoint_root,
        queries=3,
        repeat_runs=2,
        app_memory="skip",
        train_steps=1,
        train_batch=4,
        train_models=("vlanet",),
        surrogate_batch=2,
    )
    return run_bench(options, train_split=tiny_split())


def _positive(value) -> bool:
    return isinstance(value, (int, float)) and value > 0


def test_every_section_measured(report):
    assert {"machine", "features", "model_latency", "end_to_end", "training", "surrogate", "targets"} <= set(report)
    assert report["app_memory"] == {"skipped": True}
    for section in ("features", "model_latency", "end_to_end", "training", "surrogate"):
        assert "error" not in report[section], report[section]
    assert report["machine"]["cpu_count"] >= 1 and len(report["machine"]["load_average_1_5_15_min"]) == 3
    assert _positive(report["wall_s"])


def test_feature_figures(report):
    features = report["features"]
    assert set(features["decode_only"]) == {
        "decord_full_size",
        "decord_input_size",
        "opencv_full_size",
        "opencv_input_size",
        "opencv_input_size_one_thread",
    }
    assert all(_positive(v) for v in features["decode_only"].values())
    assert features["fastest_decode"]["seconds"] == min(features["decode_only"].values())
    assert _positive(features["features_only"]) and _positive(features["decode_plus_features"])
    assert features["clip"]["size"] == [320, 240] and features["clip"]["duration_s"] > 29


def test_model_latency_per_checkpoint(report):
    latency = report["model_latency"]
    assert set(latency) == {"vlanet-shapes-sta", "random", "whole-video"}
    for figures in latency.values():
        assert figures["n"] == 3 and _positive(figures["p50"]) and figures["p95"] >= figures["p50"]
        assert figures["proposals"] >= 1


def test_end_to_end_and_ratio(report):
    e2e = report["end_to_end"]
    assert e2e["model"] == "vlanet-shapes-sta"
    assert _positive(e2e["first_request_s"]) and _positive(e2e["repeat_query_s"])
    assert e2e["ratio_to_fastest_decode"] == pytest.approx(e2e["first_request_s"] / e2e["fastest_decode_s"], rel=1e-2)
    assert e2e["fastest_decode"] == report["features"]["fastest_decode"]["name"]  # re-timed beside the requests


def test_features_are_measured_with_the_models_backbone(report, checkpoint_root):
    shipped = read_config(checkpoint_root / "vlanet-shapes-sta")["backbone"]["params"]
    measured = report["features"]["backbone"]["params"]
    assert shipped["edge_floor"] == 0.04 and json.loads(json.dumps(measured)) == shipped


def test_interleaved_medians_alternate_the_actions():
    calls: list[str] = []
    medians = interleaved_medians({"a": lambda: calls.append("a"), "b": lambda: calls.append("b")}, runs=3)
    assert calls == ["a", "b"] * 4  # one warm-up round, then three timed rounds, each running both
    assert set(medians) == {"a", "b"} and all(value >= 0 for value in medians.values())


def test_training_throughput(report):
    training = report["training"]
    assert training["videos"] == 6 and set(training) >= {"vlanet"}
    vlanet = training["vlanet"]
    assert vlanet["pairs"] == 4 and vlanet["steps"] == 1 and _positive(vlanet["pairs_per_s"]) and vlanet["loss_finite"]


def test_surrogate_comparison(report):
    sur = report["surrogate"]
    assert sur["cascade_inputs"]["all_proposals"] == sur["groups_K"] * sur["scales_L"] > sur["groups_K"]
    assert _positive(sur["per_query"]["speedup_p50"]) and _positive(sur["batch_scoring"]["speedup"])
    assert sur["batch_scoring"]["videos_x_queries"] == [2, 2]
    load = sur["flops_per_query"]  # every K x L window through the cascade costs more arithmetic than K surrogates
    assert 0 < load["surrogate_mflop"] < load["all_proposals_mflop"] and load["ratio"] > 1
    (longer,) = sur["per_query_by_length"]  # quick(): one longer clip, 60 s
    assert longer["seconds"] == 60.0 and longer["feature_steps"] == round(60.0 / 0.5)
    assert _positive(longer["speedup_p50"]) and _positive(longer["surrogate_p50_s"]) and longer["mflop_ratio"] > 1
    assert "surrogate_speedup_per_query_60s" in report["targets"]


def test_repeated_to_cycles_the_clip_steps():
    features = np.arange(12, dtype=np.float32).reshape(3, 4)
    clip = VideoFeatures(features=features, step=0.5, duration=1.4, backbone="default", source="a.mp4")
    longer = repeated_to(clip, 3.0)
    assert longer.features.shape == (6, 4) and longer.duration == 3.0 and longer.step == 0.5
    np.testing.assert_array_equal(longer.features, np.concatenate([features, features]))
    assert longer.backbone == "default" and longer.source == "a.mp4"


def test_targets_listed_with_their_direction(report):
    listed = report["targets"]
    assert {"end_to_end_first_request_s", "repeat_query_s", "surrogate_speedup_batch_scoring"} <= set(listed)
    assert all(isinstance(t["met"], bool) for t in listed.values())
    fake = {
        "end_to_end": {"first_request_s": 2.0, "repeat_query_s": 0.05, "ratio_to_fastest_decode": 1.2},
        "app_memory": {"peak_rss_mb": 1536.0},
        "surrogate": {"per_query": {"speedup_p50": 2.5}, "batch_scoring": {"speedup": 1.5}},
    }
    met = {name: t["met"] for name, t in targets(fake).items()}
    assert met == {
        "end_to_end_ratio_to_fastest_decode": True,
        "end_to_end_first_request_s": False,
        "repeat_query_s": True,
        "app_peak_rss_mb": False,  # the bar is strictly under 1.5 GB
        "surrogate_speedup_per_query": True,
        "surrogate_speedup_batch_scoring": False,
    }


def test_summarise_percentiles():
    figures = summarise([0.1, 0.2, 0.3, 0.4, 1.0])
    assert figures["p50"] == pytest.approx(0.3) and figures["p95"] == pytest.approx(0.88) and figures["n"] == 5
    with pytest.raises(ValueError):
        summarise([])


def test_memory_read_from_proc(checkpoint_root):
    if not os.path.exists(f"/proc/{os.getpid()}/status"):
        pytest.skip("no /proc on this system")
    memory = proc_memory_mb(os.getpid())
    assert _positive(memory["rss_mb"]) and memory["peak_rss_mb"] >= memory["rss_mb"]
    assert proc_memory_mb(2**22 + 12345) == {"peak_rss_mb": None, "rss_mb": None}
    assert offered_models(checkpoint_root) == ["random", "vlanet-shapes-sta", "whole-video"]


def test_cli_rejects_bad_arguments(tmp_path):
    with pytest.raises(SystemExit):
        main(["--checkpoints", str(tmp_path / "missing")])
    with pytest.raises(SystemExit):
        main(["--checkpoints", str(tmp_path), "--skip", "everything"])


def test_surrogate_model_chosen_by_checkpoint_name_only(checkpoint_root):
    from vlanet_core.bench.run import surrogate_predictor
    from vlanet_core.checkpoint import list_checkpoints

    checkpoints = list_checkpoints(checkpoint_root)
    named = surrogate_predictor(
        BenchOptions(checkpoints=checkpoint_root, surrogate_model="vlanet-shapes-sta"), checkpoints, None
    )
    assert named.config["model"] == "vlanet"
    fallback = object()
    with pytest.raises(ValueError, match="not a VLANet"):
        surrogate_predictor(BenchOptions(checkpoints=checkpoint_root, surrogate_model="random"), checkpoints, fallback)
    for bad in ("missing", "../checkpoints/vlanet-shapes-sta", str(checkpoint_root / "vlanet-shapes-sta")):
        with pytest.raises(ValueError, match="no checkpoint named"):
            surrogate_predictor(BenchOptions(checkpoints=checkpoint_root, surrogate_model=bad), checkpoints, named)
    assert surrogate_predictor(BenchOptions(checkpoints=checkpoint_root), checkpoints, named) is named
