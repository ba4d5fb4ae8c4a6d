"""What phones and editors write, decoded by both decoders: H.264 in mp4 / mov / mkv, HEVC, AV1, and a portrait
clip stored sideways with a display rotation (clips from ``tests/phone_clips.py``)."""

from __future__ import annotations

import numpy as np
import pytest

from tests.phone_clips import BOX_ROWS, FPS, FRAMES, SIZE, encode_clip, moving_box, with_display_rotation
from vlanet_core.features.decode import decode_video, probe_video

CLIPS = {
    "h264.mp4": ("libx264", "-pix_fmt", "yuv420p"),
    "h264.mov": ("libx264", "-pix_fmt", "yuv420p"),
    "h264.mkv": ("libx264", "-pix_fmt", "yuv420p"),
    "h264-full-range.mp4": ("libx264", "-pix_fmt", "yuvj420p"),  # what many phone cameras write
    "hevc.mp4": ("libx265", "-pix_fmt", "yuv420p", "-tag:v", "hvc1", "-x265-params", "log-level=error"),
    "av1.mp4": ("libaom-av1", "-cpu-used", "8", "-pix_fmt", "yuv420p"),
}


@pytest.mark.parametrize("name", list(CLIPS))
@pytest.mark.parametrize("decoder", ["opencv", "decord"])
def test_phone_codecs_decode_with_both_decoders(tmp_path, name, decoder):
    encoder, *extra = CLIPS[name]
    path = encode_clip(tmp_path / name, encoder, *extra)
    video = decode_video(path, fps=FPS, decoder=decoder)
    assert video.frames.shape == (FRAMES, SIZE[1], SIZE[0], 3) and video.frames.dtype == np.uint8
    np.testing.assert_allclose(video.timestamps, np.arange(FRAMES) / FPS, atol=1e-3)
    assert video.duration == pytest.approx(FRAMES / FPS, abs=1e-3)
    # lossy codecs at 64x48: the picture, not the bits (the box's edges blur by a pixel or two)
    assert np.abs(video.frames.astype(int) - moving_box().astype(int)).mean() < 6.0
    rows = video.frames[:, BOX_ROWS[0] + 2 : BOX_ROWS[1] - 2].astype(int)  # (FRAMES, 6, W, 3): the box's middle
    yellow = (rows[..., 0] > 150) & (rows[..., 1] > 150) & (rows[..., 2] < 100)  # in RGB order, not BGR
    columns = np.argmax(yellow.all(axis=1), axis=1)  # first column of each frame that is yellow in every row
    assert np.abs(columns - np.arange(FRAMES)).max() <= 2, columns  # the box moves one pixel a frame


@pytest.mark.parametrize("decoder", ["opencv", "decord"])
def test_a_sideways_portrait_clip_is_turned_upright(tmp_path, decoder):
    """A phone held upright stores landscape frames and a display rotation; both decoders apply it, so a 64x48
    clip with a 90-degree rotation decodes as 48x64 frames, turned counter-clockwise as FFmpeg's
    ``-display_rotation 90`` says, and the header reports the upright size too."""
    stored = encode_clip(tmp_path / "stored.mp4", "libx264", "-pix_fmt", "yuv420p")
    upright = with_display_rotation(stored, tmp_path / "portrait.mp4", 90)
    video = decode_video(upright, fps=FPS, decoder=decoder)
    assert video.frames.shape == (FRAMES, SIZE[0], SIZE[1], 3)
    turned = np.rot90(decode_video(stored, fps=FPS, decoder=decoder).frames, k=1, axes=(1, 2))
    assert np.array_equal(video.frames, turned)
    info = probe_video(upright)
    assert (info.width, info.height) == (SIZE[1], SIZE[0]), info
