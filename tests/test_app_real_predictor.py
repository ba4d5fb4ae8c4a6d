"""The app's handlers over the real ``vlanet_core.Predictor`` (untrained VLANet + the whole-video baseline, GloVe).

Skipped until the core's whole predictor path (decoding, feature pipeline, backbone, GloVe) imports.
"""

from __future__ import annotations

from pathlib import Path

import gradio as gr
import numpy as np
import pytest

from app import handlers
from app.handlers import AppContext
from app.model_cache import ModelCache, default_loader
from app.settings import AppSettings
from tests.app_fakes import make_clip, real_backend_checkpoints

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def ctx(tmp_path_factory) -> AppContext:
    import torch

    torch.set_num_threads(1)
    tmp = tmp_path_factory.mktemp("real_app")
    root = real_backend_checkpoints(tmp / "checkpoints")
    if root is None:
        pytest.skip("the core's predictor path (features.pipeline, backbone, GloVe) is not importable yet")
    settings = AppSettings(checkpoint_root=root, examples_dir=tmp / "no-examples", temp_root=tmp / "sessions")
    return AppContext(settings, ModelCache(root, default_loader), [])


@pytest.fixture(scope="module")
def clip(tmp_path_factory) -> Path:
    return make_clip(tmp_path_factory.mktemp("real_clip") / "clip.mp4", seconds=6.0, size=(160, 120))


def test_real_predictor_end_to_end(ctx, clip):
    out = handlers.retrieve(ctx, str(clip), "the red square moves to the right", "vlanet-test", 5, None)
    timeline, table, heatmap, payload, json_path, summary, stages, words, session = out
    result = session.last.result
    assert result.moments and len(table) == len(result.moments) <= 5
    assert [t for t in timeline.data if t.type == "bar"][0].x.shape[0] == len(result.proposals)
    assert heatmap.data and heatmap.data[0].type == "heatmap"
    assert np.asarray(heatmap.data[0].z).shape == (len(result.tokens), len(result.times))
    assert Path(json_path).is_file() and payload["vid"].startswith("upload-")
    for name in stages["choices"]:
        figure, _, session = handlers.show_stage(ctx, name if isinstance(name, str) else name[0], session)
        assert figure.data, name
    first_clip, _, session = handlers.moment_clips(ctx, session)
    assert first_clip["value"] and Path(first_clip["value"]).is_file()
    text, _, session = handlers.drop_word(ctx, "red", session)
    assert "IoU" in text


def test_real_predictor_bad_inputs(ctx, clip, tmp_path):
    with pytest.raises(gr.Error, match="blorpfizz"):
        handlers.retrieve(ctx, str(clip), "blorpfizz qwxzkvv", "vlanet-test", 5, None)
    text = tmp_path / "notes.mp4"
    text.write_text("not a video\n" * 100)
    with pytest.raises(gr.Error) as info:
        handlers.retrieve(ctx, str(text), "the red square", "vlanet-test", 5, None)
    assert "Traceback" not in info.value.message


def test_whole_video_baseline_has_no_heatmap_and_compares(ctx, clip):
    heatmap = handlers.retrieve(ctx, str(clip), "the red square", "whole-video", 5, None)[2]
    assert heatmap.layout.annotations and "no word x time" in heatmap.layout.annotations[0].text
    _, _, iou_table, latency, _ = handlers.compare(
        ctx, str(clip), "the red square", ["vlanet-test", "whole-video"], None
    )
    assert iou_table.shape == (2, 3) and len(latency) == 2


def test_encode_noting_reuse_hashes_the_file_once_and_says_when_it_decoded(ctx, clip, tmp_path, monkeypatch):
    from vlanet_core.features import cache as cache_module
    from vlanet_core.predictor import shared_feature_cache

    hashed: list[str] = []
    digest = cache_module.file_digest
    monkeypatch.setattr(cache_module, "file_digest", lambda path: hashed.append(str(path)) or digest(path))
    predictor = ctx.cache.get("vlanet-test")
    shared_feature_cache().clear()
    copy = tmp_path / "same-bytes.mp4"
    copy.write_bytes(Path(clip).read_bytes())
    encoded, reused = predictor.encode_video_noting_reuse(str(clip))
    assert not reused and len(hashed) == 1  # a miss: hashed once, then decoded
    found, reused = predictor.encode_video_noting_reuse(str(copy))  # the same content under another name
    assert reused and len(hashed) == 2 and found.source == str(copy)
    np.testing.assert_array_equal(found.features, encoded.features)


def test_a_phone_clip_and_a_portrait_clip_go_through_the_app(ctx, tmp_path):
    """An H.264 .mov as a phone writes it (full-range colour), and the same clip held upright (stored sideways with
    a display rotation): each gets its moments, and the portrait one's moment clip is upright too."""
    from tests.phone_clips import encode_clip, moving_box, with_display_rotation
    from vlanet_core.features.decode import decode_video

    frames = moving_box(frames=60, size=(160, 120))
    stored = encode_clip(tmp_path / "phone.mov", "libx264", "-pix_fmt", "yuvj420p", frames=frames)
    portrait = with_display_rotation(stored, tmp_path / "portrait.mov", 90)
    for path, upright_size in ((stored, (120, 160)), (portrait, (160, 120))):
        out = handlers.retrieve(ctx, str(path), "the yellow square moves to the right", "vlanet-test", 5, None)
        session = out[-1]
        assert session.last.result.moments and session.last.result.duration == pytest.approx(6.0, abs=0.1)
        first_clip, _, session = handlers.moment_clips(ctx, session)
        cut = decode_video(first_clip["value"], fps=10.0)
        assert cut.frames.shape[1:3] == upright_size, (path.name, cut.frames.shape)
