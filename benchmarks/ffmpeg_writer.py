"""Video files OpenCV's wheel cannot write (H.264, HEVC, AV1): frames piped to the FFmpeg of ``imageio-ffmpeg`` (a
test requirement). ``write_h264`` is what the benchmarks use: ``libx264`` in yuv420p at FFmpeg's default quality
(crf 23), as most tools write H.264; ``encode_frames`` takes any encoder (the tests' phone clips)."""

from __future__ import annotations

import subprocess
from collections.abc import Sequence
from pathlib import Path

import numpy as np


def ffmpeg_exe() -> str:
    """The path of imageio-ffmpeg's FFmpeg; RuntimeError, naming the package, when it is not installed."""
    try:
        import imageio_ffmpeg
    except ImportError:
        raise RuntimeError("writing H.264, HEVC or AV1 needs imageio-ffmpeg (pip install imageio-ffmpeg)") from None
    return str(imageio_ffmpeg.get_ffmpeg_exe())


def encode_frames(frames: np.ndarray, path: str | Path, fps: float, encoder: str, options: Sequence[str] = ()) -> Path:
    """Write (T, H, W, 3) uint8 RGB ``frames`` to ``path`` with FFmpeg's ``encoder`` and its ``options`` (e.g.
    ``("-pix_fmt", "yuv420p")``); returns the path. RuntimeError with FFmpeg's message when it fails."""
    height, width = int(frames.shape[1]), int(frames.shape[2])
    command = [ffmpeg_exe(), "-hide_banner", "-loglevel", "error", "-y", "-f", "rawvideo", "-pix_fmt", "rgb24"]
    command += ["-s", f"{width}x{height}", "-r", str(fps), "-i", "-", "-c:v", encoder, *options, str(path)]
    done = subprocess.run(command, input=np.ascontiguousarray(frames, dtype=np.uint8).tobytes(), capture_output=True)
    if done.returncode != 0:
        message = done.stderr.decode(errors="replace")[-300:]
        raise RuntimeError(f"FFmpeg could not write {path!s} with {encoder}: {message}")
    return Path(path)


def write_h264(frames: np.ndarray, path: str | Path, fps: float = 10.0, crf: int | None = None) -> Path:
    """``frames`` as H.264 (``.mp4``, ``.mov`` or ``.mkv``); ``crf`` sets the quality (lower is better; None:
    FFmpeg's default)."""
    quality = () if crf is None else ("-crf", str(int(crf)))
    return encode_frames(frames, path, fps, "libx264", (*quality, "-pix_fmt", "yuv420p"))
