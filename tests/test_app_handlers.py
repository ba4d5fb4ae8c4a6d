"""The app's handlers on a tiny cv2 clip with a fake predictor: the happy path, every bad input, the caches."""

from __future__ import annotations

import dataclasses
import json
import os
import threading
import time
import warnings
from pathlib import Path

import cv2
import gradio as gr
import numpy as np
import pytest

from app import handlers, plots
from app.clips import write_segment
from app.examples import find_ground_truth, load_examples
from app.handlers import AppContext
from app.model_cache import CLIP_ENV, ModelCache
from app.session import Session, delete_session, sweep_stale_sessions
from app.settings import AppSettings
from tests.app_fakes import FakePredictor, fake_loader, make_clip, write_examples, write_fake_checkpoint
from vlanet_core.results import AttentionStage, RetrievalResult

MODELS = ["vlanet-shapes-sta", "random", "wsra-shapes-sta"]


@pytest.fixture()
def settings(tmp_path: Path) -> AppSettings:
    root = tmp_path / "checkpoints"
    for name in MODELS + ["clip-zeroshot"]:
        write_fake_checkpoint(root, name)
    return AppSettings(
        checkpoint_root=root, examples_dir=write_examples(tmp_path / "examples"), temp_root=tmp_path / "sessions"
    )


@pytest.fixture()
def ctx(settings: AppSettings, monkeypatch) -> AppContext:
    monkeypatch.delenv(CLIP_ENV, raising=False)
    cache = ModelCache(settings.checkpoint_root, fake_loader)
    cache.start_clip_probe()
    return AppContext(settings, cache, load_examples(settings.examples_dir))


@pytest.fixture()
def clip(tmp_path: Path) -> Path:
    return make_clip(tmp_path / "clip.mp4", seconds=6.0)


def run(ctx, video, query="the red square moves right", model="vlanet-shapes-sta", top_k=5, state=None):
    return handlers.retrieve(ctx, str(video) if video else None, query, model, top_k, state)


def test_retrieve_happy_path_outputs(ctx, clip):
    timeline, table, heatmap, payload, json_path, summary, stage_upd, word_upd, session = run(ctx, clip)
    assert isinstance(session, Session)
    result = session.last.result
    bars = [t for t in timeline.data if t.type == "bar"]
    assert len(bars) == 1 and len(bars[0].x) == len(result.proposals) > 0
    names = [t.name for t in timeline.data]
    assert any(n.startswith("Top 1") for n in names) and any(n.startswith("Top 2") for n in names)
    assert "Ground truth" not in names  # this clip is not an example
    assert heatmap.data[0].type == "heatmap" and np.asarray(heatmap.data[0].z).shape == result.word_time.shape
    assert list(table.columns) == ["rank", "start (s)", "end (s)", "score"] and len(table) == 5
    assert json.loads(Path(json_path).read_text()) == result.to_json()
    assert Path(json_path).parent == session.folder
    assert payload["pred_relevant_windows"] == result.to_json()["pred_relevant_windows"]
    assert "Shapes-STA" in payload["trained_on"] and "synthetic" in summary
    assert stage_upd["choices"] and word_upd["value"] in result.tokens


def test_second_query_on_same_clip_decodes_nothing(ctx, clip, tmp_path):
    """The predictor's process-wide cache, the only copy of a clip's features, serves every session."""
    FakePredictor.encode_calls = 0
    first = run(ctx, clip)
    assert FakePredictor.encode_calls == 1 and "reused" not in first[5]
    state = run(ctx, clip, query="the blue circle jumps", state=first[-1])[-1]
    assert FakePredictor.encode_calls == 1
    assert "reused" in run(ctx, clip, state=None)[5]  # another user's session decodes nothing either
    assert FakePredictor.encode_calls == 1
    assert not hasattr(state, "features")  # sessions keep no copy of their own
    run(ctx, make_clip(tmp_path / "other.mp4", seconds=4.0), state=state)
    assert FakePredictor.encode_calls == 2


def test_example_clip_shows_ground_truth_only_for_its_query(ctx):
    example = ctx.examples[0]
    timeline = run(ctx, example.video, query=example.query.upper() + "  ")[0]
    assert "Ground truth" in [t.name for t in timeline.data]
    assert find_ground_truth(ctx.examples, example.sha256, "the blue circle jumps") is None
    timeline = run(ctx, example.video, query="the blue circle jumps")[0]
    assert "Ground truth" not in [t.name for t in timeline.data]


@pytest.mark.parametrize(
    "query, needle",
    [
        ("", "Type a query"),
        ("   \n\t ", "Type a query"),
        (None, "Type a query"),
        (" ".join(["red"] * 51), "51 words"),
        ("zzz qqq xyzzy", "“zzz”, “qqq”, “xyzzy”"),
        ("!!! ???", "no usable word"),
    ],
)
def test_bad_queries_give_clear_errors(ctx, clip, query, needle):
    with pytest.raises(gr.Error) as info:
        run(ctx, clip, query=query)
    assert needle in info.value.message and "Traceback" not in info.value.message


def test_markup_in_query_is_shown_as_text(ctx, clip):
    out = run(ctx, clip, query="<script>alert(1)</script> the <b>red</b> circle")
    summary, timeline = out[5], out[0]
    assert "<script>" not in summary and "&lt;script&gt;" in summary
    assert "<script>" not in timeline.layout.title.text and "&lt;b&gt;" in timeline.layout.title.text


def test_partly_unknown_query_warns_and_names_words(ctx, clip):
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        out = run(ctx, clip, query="the red blorp circle")
    assert any("blorp" in str(w.message) for w in caught)
    assert "blorp" in out[5]


def test_bad_files_give_clear_errors(ctx, tmp_path, settings):
    text = tmp_path / "notes.mp4"
    text.write_text("this is not a video at all\n" * 50)
    empty = tmp_path / "empty.mp4"
    empty.write_bytes(b"")
    corrupt = tmp_path / "corrupt.mp4"
    corrupt.write_bytes(make_clip(tmp_path / "c.mp4").read_bytes()[:300])
    cases = [
        (None, "Upload a video"),
        (text, "not a video"),
        (empty, "empty"),
        (corrupt, ""),
        (tmp_path / "missing.mp4", "no longer on the server"),
    ]
    for video, needle in cases:
        with pytest.raises(gr.Error) as info:
            run(ctx, video)
        assert needle in info.value.message
    small = dataclasses.replace(ctx, settings=dataclasses.replace(settings, max_upload_mb=0.0001))
    with pytest.raises(gr.Error, match="limit is"):
        run(small, make_clip(tmp_path / "big.mp4"))
    short = dataclasses.replace(ctx, settings=dataclasses.replace(settings, max_video_seconds=2.0))
    with pytest.raises(gr.Error, match="the limit is 2 s"):
        run(short, make_clip(tmp_path / "long.mp4", seconds=4.0))


def test_unexpected_crash_becomes_short_error(ctx, clip, monkeypatch):
    def boom(*args, **kwargs):
        raise RuntimeError("CUDA exploded")

    monkeypatch.setattr(FakePredictor, "predict", boom)
    with pytest.raises(gr.Error) as info:
        run(ctx, clip)
    assert "RuntimeError" in info.value.message and "still running" in info.value.message


@pytest.mark.parametrize("model", ["../../etc/passwd", "/tmp", "clip-zeroshot", "", None, 3])
def test_model_names_are_checked_against_the_list(ctx, clip, model):
    with pytest.raises(gr.Error, match="Unknown model"):
        run(ctx, clip, model=model)


def test_clip_zeroshot_offered_only_when_it_loads(settings, monkeypatch):
    monkeypatch.delenv(CLIP_ENV, raising=False)
    cache = ModelCache(settings.checkpoint_root, fake_loader)
    assert cache.start_clip_probe() is None and "clip-zeroshot" not in cache.available()
    monkeypatch.setenv(CLIP_ENV, "/nonexistent/clip")

    def failing(folder):
        if folder.name == "clip-zeroshot":
            raise OSError("offline and not cached")
        return fake_loader(folder)

    cache = ModelCache(settings.checkpoint_root, failing)
    cache.start_clip_probe().join(5)
    assert cache.clip_ok is False and "clip-zeroshot" not in cache.available() and "offline" in cache.clip_error
    cache = ModelCache(settings.checkpoint_root, fake_loader)
    cache.start_clip_probe().join(5)
    assert cache.available()[0] == "vlanet-shapes-sta" and "clip-zeroshot" in cache.available()


def test_model_cache_loads_each_model_once_across_threads(settings):
    calls = []

    def slow_loader(folder):
        calls.append(folder.name)
        time.sleep(0.05)
        return fake_loader(folder)

    cache = ModelCache(settings.checkpoint_root, slow_loader)
    got = []
    threads = [threading.Thread(target=lambda: got.append(cache.get("random"))) for _ in range(6)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert calls == ["random"] and all(g is got[0] for g in got)


def test_moment_clips_are_playable_webm(ctx, clip):
    state = run(ctx, clip)[-1]
    first, second, state = handlers.moment_clips(ctx, state)
    for update, moment in zip((first, second), state.last.result.moments[:2]):
        path = Path(update["value"])
        assert path.suffix == ".webm" and path.parent == state.folder
        capture = cv2.VideoCapture(str(path))
        count = 0
        while capture.read()[0]:
            count += 1
        assert count >= 1 and f"{moment.start:.2f}" in update["label"]
    empty = handlers.moment_clips(ctx, None)
    assert empty[0]["value"] is None


def test_inspector_stages_and_drop_a_word(ctx, clip):
    figure, text, state = handlers.show_stage(ctx, "word x time", None)
    assert "Retrieve tab first" in figure.layout.annotations[0].text
    state = run(ctx, clip, query="the red square moves right")[-1]
    figure, text, state = handlers.show_stage(ctx, "word x time", state)
    assert figure.data[0].type == "heatmap" and "fake word attention" in text
    figure, _, state = handlers.show_stage(ctx, "proposal scores", state)
    assert figure.data[0].type == "bar" and len(figure.data[0].y) == len(state.last.result.proposals)
    text, figure, state = handlers.drop_word(ctx, "red", state)
    assert "IoU" in text and "centre shift" in text and "the square moves right" in text
    assert len([t for t in figure.data if t.type == "bar"]) == 2
    with pytest.raises(gr.Error, match="Choose one"):
        handlers.drop_word(ctx, "purple", state)
    assert handlers.query_without("The RED, square", "red", ["the", "red", "square"]) == "The square"


def test_compare_models(ctx, clip):
    FakePredictor.encode_calls = FakePredictor.lookup_calls = 0
    timelines, heatmaps, iou_table, latency, _ = handlers.compare(ctx, str(clip), "the red circle", MODELS[:3], None)
    assert FakePredictor.encode_calls == FakePredictor.lookup_calls == 1  # one backbone: one lookup, one decoding
    assert len([t for t in timelines.data if t.type == "bar"]) == 3
    assert timelines.layout.xaxis.matches == timelines.layout.xaxis2.matches == "x3"  # one shared time axis
    assert len([t for t in heatmaps.data if t.type == "heatmap"]) == 3
    assert iou_table.shape == (3, 4) and np.allclose(np.diag(iou_table[MODELS].to_numpy(dtype=float)), 1.0)
    assert list(latency["model"]) == MODELS and (latency["predict latency (s)"] >= 0).all()
    for bad in ([MODELS[0]], [], MODELS + ["clip-zeroshot", "x"]):
        with pytest.raises(gr.Error):
            handlers.compare(ctx, str(clip), "the red circle", bad, None)


def test_examples_loader_tolerates_missing_and_broken(tmp_path):
    assert load_examples(tmp_path / "nothing") == []
    (tmp_path / "examples.json").write_text("{broken")
    assert load_examples(tmp_path) == []
    make_clip(tmp_path / "ok.webm")
    (tmp_path / "examples.json").write_text(
        json.dumps(
            {
                "examples": [
                    {"file": "ok.webm", "query": "the red square", "moment": [1, 2]},
                    {"file": "absent.webm", "query": "x"},
                    {"file": "../outside.webm", "query": "x"},
                    {"file": "ok.webm", "query": "bad moment", "moment": [3, 1]},
                ]
            }
        )
    )
    examples = load_examples(tmp_path)
    assert [(e.name, e.moment) for e in examples] == [("ok", (1.0, 2.0)), ("ok", None)]


def test_session_cleanup(tmp_path):
    session = Session(root=tmp_path)
    (session.folder / "a.json").write_text("{}")
    delete_session(session)
    assert not (tmp_path / session.session_id).exists()
    delete_session(None)  # the state may be empty when it expires
    old = Session(root=tmp_path)
    (old.folder / "x").write_text("x")
    os.utime(old.folder / "x", (0, 0))
    os.utime(old.folder, (0, 0))
    fresh = Session(root=tmp_path).folder
    assert sweep_stale_sessions(tmp_path, max_age_s=3600) == 1 and fresh.exists()


def test_plots_handle_missing_attention_and_odd_stages():
    result = RetrievalResult("v", "q <i>", "whole-video", 4.0, moments=[], tokens=["q"])
    assert "no word x time" in plots.word_time_figure(result).layout.annotations[0].text
    assert "no proposal" in plots.timeline_figure(result).layout.annotations[0].text
    stage = AttentionStage("3d", np.zeros((2, 2, 2)), ["a", "b"])
    assert "only 1-D and 2-D" in plots.stage_figure(stage).layout.annotations[0].text
    dup = AttentionStage("dup", np.eye(3), ["the", "the", "red"], ["0", "1", "2"], ("word", "time"))
    fig = plots.stage_figure(dup)
    assert list(fig.layout.yaxis.ticktext) == ["the", "the", "red"]  # duplicate words keep their own rows


def test_word_time_map_with_negative_values_gets_a_scale_centred_on_zero():
    """VLANet's Fig. 5 map (V Q^T after the cascade) can be all negative; its strongest cells must not look empty."""
    times = [0.0, 0.5, 1.0]
    signed = np.array([[-1e-6, -2e-7, 0.0], [-3e-7, -1e-7, 0.0]])
    result = RetrievalResult(
        "v", "red up", "vlanet", 1.5, moments=[], tokens=["red", "up"], times=times, word_time=signed
    )
    heat = plots.word_time_figure(result).data[0]
    assert heat.zmid == 0.0
    scale = [tuple(stop) for stop in heat.colorscale]
    assert scale[0][1] != scale[-1][1] and scale[len(scale) // 2] == (0.5, "#f7f7f7")  # white at zero, two hues
    weights = RetrievalResult(
        "v", "red up", "wsra", 1.5, moments=[], tokens=["red", "up"], times=times, word_time=np.abs(signed)
    )
    heat = plots.word_time_figure(weights).data[0]
    assert heat.zmid is None and heat.colorscale[0][1] != "#2166ac"  # non-negative weights keep the one-hue scale
    side = plots.compare_heatmaps_figure({"vlanet": result, "wsra": weights}).data
    assert side[0].zmid == 0.0 and side[1].zmid is None


def test_write_segment_rejects_non_video(tmp_path):
    bad = tmp_path / "x.mp4"
    bad.write_text("nope")
    assert write_segment(bad, 0, 1, tmp_path / "out.webm") is None
