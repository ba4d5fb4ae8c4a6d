"""stream_video: decode_video's frames, timestamps and errors, handed over one by one and never kept."""

from __future__ import annotations

from pathlib import Path

import cv2
import numpy as np
import pytest

from vlanet_core.errors import NotAVideoError, VideoTooLongError
from vlanet_core.features import decode
from vlanet_core.features.decode import decode_video, probe_video, stream_video


@pytest.fixture(scope="module")
def clip(tmp_path_factory) -> Path:
    """4 s, 160x120, 25 fps mp4v with a moving yellow square (BGR input to the writer)."""
    path = tmp_path_factory.mktemp("stream") / "clip.mp4"
    writer = cv2.VideoWriter(str(path), cv2.VideoWriter.fourcc(*"mp4v"), 25.0, (160, 120))
    for i in range(100):
        frame = np.full((120, 160, 3), 60, np.uint8)
        cv2.rectangle(frame, (i, 20), (i + 30, 50), (30, 200, 240), -1)
        writer.write(frame)
    writer.release()
    return path


def _collect(path, fps, size, **kwargs):
    frames: list[np.ndarray] = []
    stamps: list[float] = []

    def sink(frame: np.ndarray, seconds: float) -> None:
        frames.append(frame)
        stamps.append(seconds)

    result = stream_video(path, fps, size, sink, **kwargs)
    return result, frames, stamps


@pytest.mark.parametrize("decoder", ["opencv", "decord"])
@pytest.mark.parametrize("size", [(80, 60), None])
def test_streamed_frames_are_decode_videos_frames(clip, decoder, size):
    expected = decode_video(clip, 10.0, size, decoder=decoder)
    result, frames, stamps = _collect(clip, 10.0, size, decoder=decoder)
    np.testing.assert_array_equal(np.stack(frames), expected.frames)  # the same arrays, bit for bit
    np.testing.assert_array_equal(result.timestamps, expected.timestamps)
    np.testing.assert_array_equal(np.asarray(stamps), expected.timestamps)
    assert result.duration == expected.duration and result.source == str(clip)
    assert not hasattr(result, "frames")  # nothing kept


def test_a_given_header_is_not_read_again(clip, monkeypatch):
    info = probe_video(clip)

    def no_probe(*args, **kwargs):
        raise AssertionError("probed twice")

    monkeypatch.setattr(decode, "probe_video", no_probe)
    result, frames, _ = _collect(clip, 10.0, (80, 60), info=info)
    assert len(frames) == 40 and result.timestamps.shape == (40,)


def test_typed_errors_and_argument_checks(tmp_path, clip):
    text = tmp_path / "notes.mp4"
    text.write_text("hello\n" * 100)
    with pytest.raises(NotAVideoError):
        stream_video(text, 10.0, None, lambda frame, seconds: None)
    with pytest.raises(VideoTooLongError):
        stream_video(clip, 10.0, None, lambda frame, seconds: None, max_duration=2.0)
    with pytest.raises(ValueError, match="fps"):
        stream_video(clip, 0.0, None, lambda frame, seconds: None)
