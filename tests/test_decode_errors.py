"""Every kind of bad file gets its own typed error, and no decoder ever crashes the process."""

from __future__ import annotations

import struct
import wave
from pathlib import Path

import cv2
import numpy as np
import pytest

from vlanet_core.errors import (
    CorruptVideoError,
    NoFramesError,
    NotAVideoError,
    VideoError,
    VideoTooLargeError,
    VideoTooLongError,
)
from vlanet_core.features.decode import decode_video, probe_video


def _write_clip(path: Path, frames: int = 30, size=(64, 48), fps: float = 10.0, codec: str = "mp4v") -> Path:
    writer = cv2.VideoWriter(str(path), cv2.VideoWriter.fourcc(*codec), fps, size)
    assert writer.isOpened(), f"this OpenCV cannot write {codec}"
    for i in range(frames):
        frame = np.full((size[1], size[0], 3), 60, np.uint8)
        cv2.circle(frame, (8 + i, size[1] // 2), 6, (40, 40, 220), -1)
        writer.write(frame)
    writer.release()
    return path


@pytest.mark.parametrize(
    "name, content, error",
    [
        ("zero.mp4", b"", NotAVideoError),
        ("text.mp4", b"just some notes, not a video at all\n" * 20, NotAVideoError),
        ("random.mp4", np.random.default_rng(0).integers(0, 256, 50_000, dtype=np.uint8).tobytes(), NotAVideoError),
        ("tiny.mp4", b"\x00\x01", NotAVideoError),
    ],
)
def test_not_a_video_bytes(tmp_path, name, content, error):
    path = tmp_path / name
    path.write_bytes(content)
    with pytest.raises(error) as info:
        decode_video(path)
    assert name in str(info.value)


def test_png_renamed_mp4_is_not_a_video(tmp_path):
    image = tmp_path / "image.png"
    cv2.imwrite(str(image), np.zeros((32, 32, 3), np.uint8))
    renamed = tmp_path / "image.mp4"
    renamed.write_bytes(image.read_bytes())
    with pytest.raises(NotAVideoError, match="PNG"):
        decode_video(renamed)


def test_wav_renamed_mp4_is_audio_only(tmp_path):
    path = tmp_path / "sound.mp4"
    with wave.open(str(path), "wb") as handle:
        handle.setnchannels(1)
        handle.setsampwidth(2)
        handle.setframerate(8000)
        handle.writeframes(np.zeros(8000, np.int16).tobytes())
    with pytest.raises(NotAVideoError, match="audio"):
        decode_video(path)


def test_m4a_brand_is_audio_only(tmp_path):
    path = tmp_path / "song.mp4"
    ftyp = b"M4A " + b"\x00\x00\x00\x00" + b"M4A isom"
    path.write_bytes(struct.pack(">I4s", 8 + len(ftyp), b"ftyp") + ftyp + b"\x00" * 64)
    with pytest.raises(NotAVideoError, match="audio"):
        decode_video(path)


def test_truncated_mp4_is_corrupt(tmp_path):
    full = _write_clip(tmp_path / "full.mp4", frames=40)
    cut = tmp_path / "cut.mp4"
    data = full.read_bytes()
    cut.write_bytes(data[: len(data) // 2])
    with pytest.raises(CorruptVideoError, match="truncated"):
        decode_video(cut)


def test_truncated_avi_is_corrupt(tmp_path):
    full = _write_clip(tmp_path / "full.avi", frames=60, codec="MJPG")
    cut = tmp_path / "cut.avi"
    data = full.read_bytes()
    cut.write_bytes(data[: len(data) // 3])
    with pytest.raises(CorruptVideoError):
        decode_video(cut)


def test_mp4_without_frames(tmp_path):
    path = tmp_path / "empty.mp4"
    writer = cv2.VideoWriter(str(path), cv2.VideoWriter.fourcc(*"mp4v"), 10.0, (64, 48))
    writer.release()  # closed before any frame
    with pytest.raises((NoFramesError, CorruptVideoError)):
        decode_video(path)


def test_too_long_is_refused_from_the_header(tmp_path, monkeypatch):
    path = _write_clip(tmp_path / "long.mp4", frames=50)  # 5 s
    calls = []
    monkeypatch.setattr(cv2.VideoCapture, "grab", lambda self: calls.append(1) or False, raising=False)
    with pytest.raises(VideoTooLongError, match="5.0 s"):
        decode_video(path, max_duration=2.0)
    assert not calls, "the length must be checked before any frame is decoded"


def test_file_larger_than_limit(tmp_path):
    path = _write_clip(tmp_path / "big.mp4")
    with pytest.raises(VideoTooLargeError, match="MB"):
        decode_video(path, max_bytes=100)


def test_decoded_size_is_bounded_before_decoding(tmp_path):
    path = _write_clip(tmp_path / "frames.mp4", frames=20)
    with pytest.raises(VideoTooLargeError, match="smaller size"):
        decode_video(path, max_frame_bytes=10_000)


def test_missing_file(tmp_path):
    with pytest.raises(FileNotFoundError):
        decode_video(tmp_path / "nope.mp4")


def test_every_video_error_is_a_video_error():
    for error in (NotAVideoError, CorruptVideoError, NoFramesError, VideoTooLongError, VideoTooLargeError):
        assert issubclass(error, VideoError)


def test_probe_reads_the_header(tmp_path):
    info = probe_video(_write_clip(tmp_path / "probe.mp4", frames=25, size=(96, 64), fps=12.5))
    assert (info.width, info.height, info.frame_count, info.container) == (96, 64, 25, "mp4")
    assert info.fps == pytest.approx(12.5)
    assert info.duration == pytest.approx(2.0)


@pytest.mark.parametrize("decoder", ["opencv", "decord", "auto"])
def test_bad_args(tmp_path, decoder):
    path = _write_clip(tmp_path / "ok.mp4")
    with pytest.raises(ValueError):
        decode_video(path, fps=0, decoder=decoder)
    with pytest.raises(ValueError):
        decode_video(path, size=(0, 10), decoder=decoder)
    with pytest.raises(ValueError):
        decode_video(path, decoder="ffmpeg-cli")
