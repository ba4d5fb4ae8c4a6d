"""Every container and codec the installed wheels write decodes, at any frame size, with both decoders."""

from __future__ import annotations

from pathlib import Path

import cv2
import numpy as np
import pytest

from vlanet_core.features.decode import choose_decoder, decode_video, probe_video


def _write(path: Path, frames: int, size=(64, 48), fps: float = 10.0, codec: str = "mp4v", grey: bool = False):
    writer = cv2.VideoWriter(str(path), cv2.VideoWriter.fourcc(*codec), fps, size, not grey)
    if not writer.isOpened():
        pytest.skip(f"this OpenCV build cannot write {codec}")
    for i in range(frames):
        frame = np.full((size[1], size[0], 3), 50, np.uint8)
        cv2.rectangle(frame, (i % size[0], 5), (i % size[0] + 10, 15), (30, 200, 240), -1)  # BGR yellow
        writer.write(cv2.cvtColor(frame, cv2.COLOR_BGR2GRAY) if grey else frame)
    writer.release()
    return path


@pytest.mark.parametrize(
    "name, codec", [("a.mp4", "mp4v"), ("b.webm", "VP80"), ("c.webm", "VP90"), ("d.avi", "MJPG"), ("e.avi", "XVID")]
)
@pytest.mark.parametrize("decoder", ["opencv", "decord"])
def test_containers_and_codecs(tmp_path, name, codec, decoder):
    path = _write(tmp_path / name, frames=20, codec=codec)
    video = decode_video(path, fps=10.0, decoder=decoder)
    assert video.frames.shape == (20, 48, 64, 3) and video.frames.dtype == np.uint8
    np.testing.assert_allclose(video.timestamps, np.arange(20) / 10.0, atol=1e-3)
    assert video.duration == pytest.approx(2.0, abs=1e-3)
    # RGB order: the rectangle is yellow (R and G high, B low) whatever the decoder
    pixel = video.frames[0, 10, 5].astype(int)
    assert pixel[0] > 150 and pixel[1] > 150 and pixel[2] < 100


def test_decoders_agree(tmp_path):
    path = _write(tmp_path / "same.mp4", frames=30)
    a = decode_video(path, decoder="opencv", size=(32, 24))
    b = decode_video(path, decoder="decord", size=(32, 24))
    assert a.frames.shape == b.frames.shape
    assert np.abs(a.frames.astype(int) - b.frames.astype(int)).mean() < 3.0
    np.testing.assert_allclose(a.timestamps, b.timestamps, atol=1e-3)


@pytest.mark.parametrize("name, codec", [("t.mp4", "mp4v"), ("t.webm", "VP80"), ("t.avi", "MJPG")])
def test_decoder_thread_count_changes_no_pixel(tmp_path, name, codec):
    path = _write(tmp_path / name, frames=40, size=(160, 120), codec=codec)
    default = decode_video(path, decoder="opencv", size=(80, 60))
    for threads in (1, 2, 3):
        other = decode_video(path, decoder="opencv", size=(80, 60), decoder_threads=threads)
        np.testing.assert_array_equal(other.frames, default.frames)
        np.testing.assert_array_equal(other.timestamps, default.timestamps)
    with pytest.raises(ValueError, match="decoder_threads"):
        decode_video(path, decoder_threads=0)


def test_resampling_keeps_real_timestamps(tmp_path):
    path = _write(tmp_path / "fast.mp4", frames=60, fps=30.0)
    video = decode_video(path, fps=10.0, decoder="opencv")
    np.testing.assert_allclose(video.timestamps, np.arange(20) / 10.0, atol=1e-3)
    seek = decode_video(path, fps=10.0, decoder="decord")
    np.testing.assert_allclose(seek.timestamps, video.timestamps, atol=1e-3)
    slow = decode_video(path, fps=60.0)  # faster than the source: every frame once, no duplicates
    assert slow.frames.shape[0] == 60


def test_auto_picks_seeking_for_sparse_sampling(tmp_path):
    info = probe_video(_write(tmp_path / "thirty.mp4", frames=30, fps=30.0))
    assert choose_decoder(info, 10.0) == "opencv"
    assert choose_decoder(info, 1.0) == "decord"


def test_single_frame_clip(tmp_path):
    video = decode_video(_write(tmp_path / "one.mp4", frames=1))
    assert video.frames.shape[0] == 1 and video.timestamps.tolist() == [0.0]
    assert video.duration == pytest.approx(0.1, abs=1e-3)


def test_grayscale_clip_becomes_rgb(tmp_path):
    video = decode_video(_write(tmp_path / "grey.avi", frames=5, codec="MJPG", grey=True))
    assert video.frames.shape[-1] == 3
    assert np.abs(video.frames[..., 0].astype(int) - video.frames[..., 2].astype(int)).max() <= 2


def test_odd_frame_size(tmp_path):
    path = _write(tmp_path / "odd.avi", frames=4, size=(98, 54), codec="MJPG")  # not multiples of 16
    info = probe_video(path)
    video = decode_video(path)
    assert video.frames.shape[1:] == (info.height, info.width, 3) == (54, 98, 3)


@pytest.mark.parametrize("decoder", ["opencv", "decord"])
def test_huge_frames_are_resized(tmp_path, decoder):
    path = _write(tmp_path / "huge.avi", frames=2, size=(4000, 3000), codec="MJPG")
    video = decode_video(path, size=(80, 60), decoder=decoder)
    assert video.frames.shape == (2, 60, 80, 3)
