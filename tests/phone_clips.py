"""Clips as phones and editors write them (H.264, HEVC, AV1; a display rotation), made with the FFmpeg of
``imageio-ffmpeg`` (a test requirement, ``benchmarks/ffmpeg_writer.py``), since OpenCV's wheel writes none of these.
Every helper skips the calling test, with the reason, where that FFmpeg or the encoder asked for is missing."""

from __future__ import annotations

import subprocess
from functools import lru_cache
from pathlib import Path

import numpy as np
import pytest

from benchmarks.ffmpeg_writer import encode_frames

SIZE = (64, 48)  # width, height of the default clip
FRAMES = 20
FPS = 10.0
BOX_ROWS = (5, 15)  # rows of the moving yellow box


def ffmpeg_exe() -> str:
    imageio_ffmpeg = pytest.importorskip("imageio_ffmpeg", reason="imageio-ffmpeg (requirements-dev.txt) writes them")
    return str(imageio_ffmpeg.get_ffmpeg_exe())


@lru_cache(maxsize=1)
def _encoders(exe: str) -> str:
    return subprocess.run([exe, "-hide_banner", "-encoders"], capture_output=True, text=True, check=True).stdout


def moving_box(frames: int = FRAMES, size: tuple[int, int] = SIZE) -> np.ndarray:
    """(frames, H, W, 3) uint8 RGB: grey, with a yellow 10x10 box moving one pixel right per frame."""
    out = np.full((frames, size[1], size[0], 3), 50, np.uint8)
    for i in range(frames):
        out[i, BOX_ROWS[0] : BOX_ROWS[1], i % size[0] : i % size[0] + 10] = (240, 200, 30)
    return out


def encode_clip(path: Path, encoder: str, *extra: str, frames: np.ndarray | None = None, fps: float = FPS) -> Path:
    """Write ``frames`` (default ``moving_box()``) to ``path`` with FFmpeg's ``encoder`` and ``extra`` options."""
    if f" {encoder} " not in _encoders(ffmpeg_exe()):
        pytest.skip(f"this FFmpeg has no {encoder} encoder")
    return encode_frames(moving_box() if frames is None else frames, path, fps, encoder, extra)


def with_display_rotation(source: Path, path: Path, degrees: int) -> Path:
    """``source``'s stream copied to ``path`` with a display rotation of ``degrees`` counter-clockwise, as a phone
    held upright stores its landscape frames."""
    command = [ffmpeg_exe(), "-hide_banner", "-loglevel", "error", "-y", "-display_rotation", str(degrees)]
    subprocess.run([*command, "-i", str(source), "-c", "copy", str(path)], check=True, capture_output=True)
    return path
