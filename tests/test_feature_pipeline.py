"""encode_video_file: the streamed (threaded) path equals decode + extract; progress; typed errors unchanged."""

from __future__ import annotations

import threading
from pathlib import Path

import cv2
import numpy as np
import pytest

from vlanet_core.errors import CorruptVideoError, NotAVideoError, VideoTooLongError
from vlanet_core.features import pipeline
from vlanet_core.features.decode import decode_video
from vlanet_core.features.default_backbone import DefaultBackbone
from vlanet_core.features.pipeline import can_stream, encode_video_file
from vlanet_core.features.types import DecodedVideo, VideoFeatures


@pytest.fixture(scope="module")
def clip(tmp_path_factory) -> Path:
    """9.5 s, 160x120, 10 fps mp4v: a red disc crossing, a blue square that grows, a green one that blinks."""
    path = tmp_path_factory.mktemp("clips") / "moving shapes.mp4"
    writer = cv2.VideoWriter(str(path), cv2.VideoWriter.fourcc(*"mp4v"), 10.0, (160, 120))
    for i in range(95):
        frame = np.full((120, 160, 3), 70, np.uint8)
        cv2.circle(frame, (10 + i, 40), 9, (40, 40, 220), -1)  # BGR red
        half = 4 + i // 8
        cv2.rectangle(frame, (100 - half, 80 - half), (100 + half, 80 + half), (220, 60, 40), -1)
        if (i // 5) % 2:
            cv2.rectangle(frame, (20, 85), (40, 105), (40, 200, 40), -1)
        writer.write(frame)
    writer.release()
    return path


@pytest.mark.parametrize("chunk", [32, 7, 1000])
def test_streamed_features_equal_decode_then_extract(clip, monkeypatch, chunk):
    monkeypatch.setattr(pipeline, "CHUNK_FRAMES", chunk)
    backbone = DefaultBackbone()
    streamed = encode_video_file(clip, backbone)
    whole = backbone.extract(decode_video(clip, backbone.sample_fps, size=backbone.input_size))
    assert streamed.features.shape == whole.features.shape == (19, backbone.dim)
    assert np.array_equal(streamed.features, whole.features)  # bit for bit: rows never depend on the chunking
    assert streamed.step == whole.step and streamed.duration == pytest.approx(whole.duration)
    assert streamed.backbone == "default" and streamed.backbone_params == backbone.params()
    assert streamed.source == str(clip)


def test_progress_is_reported_in_order_and_ends_done(clip, monkeypatch):
    monkeypatch.setattr(pipeline, "CHUNK_FRAMES", 16)
    calls: list[tuple[float, str]] = []
    encode_video_file(clip, DefaultBackbone(), progress=lambda fraction, message: calls.append((fraction, message)))
    fractions = [fraction for fraction, _ in calls]
    assert fractions == sorted(fractions) and all(0.0 <= f <= 1.0 for f in fractions)
    assert calls[-1] == (1.0, "done")
    assert any(message == "decoding" for _, message in calls)
    assert len(calls) >= 6  # a report per chunk of 16 frames while decoding


class _WholeClipBackbone:
    """A backbone without per-frame descriptors: the pipeline must decode the whole clip and call ``extract``."""

    name = "whole"
    sample_fps = 2.0
    input_size = (32, 24)
    step = 1.0

    def __init__(self) -> None:
        self.seen: list[tuple[int, ...]] = []

    def params(self) -> dict:
        return {"sample_fps": self.sample_fps}

    def extract(self, video: DecodedVideo) -> VideoFeatures:
        self.seen.append(video.frames.shape)
        return VideoFeatures(np.zeros((3, 4), np.float32), self.step, video.duration, self.name, self.params(), "x")


def test_a_backbone_without_descriptors_gets_the_decoded_clip(clip):
    backbone = _WholeClipBackbone()
    assert not can_stream(backbone) and can_stream(DefaultBackbone())
    calls: list[tuple[float, str]] = []
    features = encode_video_file(clip, backbone, progress=lambda f, m: calls.append((f, m)))
    assert backbone.seen == [(19, 24, 32, 3)]  # 2 fps over 9.5 s, at the backbone's input size
    assert features.source == str(clip)
    assert (0.6, "features") in calls and calls[-1] == (1.0, "done")


def test_typed_errors_pass_through(tmp_path, clip):
    text = tmp_path / "notes.mp4"
    text.write_text("not a video\n" * 50)
    with pytest.raises(NotAVideoError):
        encode_video_file(text, DefaultBackbone())
    cut = tmp_path / "cut.mp4"
    cut.write_bytes(clip.read_bytes()[: clip.stat().st_size // 2])
    with pytest.raises(CorruptVideoError):
        encode_video_file(cut, DefaultBackbone())
    with pytest.raises(FileNotFoundError):
        encode_video_file(tmp_path / "missing.mp4", DefaultBackbone())


def test_an_error_while_decoding_stops_the_worker(clip, monkeypatch):
    """A typed error raised after 20 frames were streamed passes through; no thread is left behind."""
    real_stream = pipeline.stream_video

    def failing_stream(path, fps, size, frame_sink, **kwargs):
        seen = []

        def sink(frame, seconds):
            seen.append(seconds)
            if len(seen) == 20:
                raise CorruptVideoError("broken frame 20")
            frame_sink(frame, seconds)

        return real_stream(path, fps, size, sink, **kwargs)

    monkeypatch.setattr(pipeline, "CHUNK_FRAMES", 8)
    backbone = DefaultBackbone()
    expected = encode_video_file(clip, backbone).features  # starts the one long-lived descriptor thread
    before = threading.active_count()
    monkeypatch.setattr(pipeline, "stream_video", failing_stream)
    for _ in range(3):
        with pytest.raises(CorruptVideoError, match="broken frame 20"):
            encode_video_file(clip, backbone)
    assert threading.active_count() <= before  # no thread per call, none left behind
    monkeypatch.setattr(pipeline, "stream_video", real_stream)
    assert np.array_equal(encode_video_file(clip, backbone).features, expected)  # the worker still serves


def test_limits_checked_from_the_header_pass_through(clip, monkeypatch):
    real_stream = pipeline.stream_video
    monkeypatch.setattr(pipeline, "stream_video", lambda *a, **k: real_stream(*a, max_duration=5.0, **k))
    with pytest.raises(VideoTooLongError):
        encode_video_file(clip, DefaultBackbone())


def test_an_error_in_the_worker_reaches_the_caller(clip, monkeypatch):
    backbone = DefaultBackbone()

    def broken(frames):
        raise MemoryError("descriptor worker failed")

    monkeypatch.setattr(backbone, "frame_descriptors", broken)
    with pytest.raises(MemoryError, match="descriptor worker failed"):
        encode_video_file(clip, backbone)
