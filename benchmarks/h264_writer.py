"""H.264 files for the benchmarks, which OpenCV's wheel cannot write: frames piped to the FFmpeg of ``imageio-ffmpeg``
(a test requirement) as ``libx264`` in yuv420p at FFmpeg's default quality (crf 23), as most tools write H.264."""

from __future__ import annotations

import subprocess
from pathlib import Path

import numpy as np


def write_h264(frames: np.ndarray, path: str | Path, fps: float = 10.0, crf: int | None = None) -> Path:
    """Write (T, H, W, 3) uint8 RGB ``frames`` to ``path`` (``.mp4``, ``.mov`` or ``.mkv``) and return the path;
    ``crf`` sets the quality (lower is better; None: FFmpeg's default). RuntimeError, naming the cause, when
    imageio-ffmpeg is missing or FFmpeg fails."""
    try:
        import imageio_ffmpeg
    except ImportError:
        raise RuntimeError("writing H.264 needs the imageio-ffmpeg package (pip install imageio-ffmpeg)") from None
    height, width = int(frames.shape[1]), int(frames.shape[2])
    command = [imageio_ffmpeg.get_ffmpeg_exe(), "-hide_banner", "-loglevel", "error", "-y", "-f", "rawvideo"]
    command += ["-pix_fmt", "rgb24", "-s", f"{width}x{height}", "-r", str(fps), "-i", "-", "-c:v", "libx264"]
    command += ([] if crf is None else ["-crf", str(int(crf))]) + ["-pix_fmt", "yuv420p", str(path)]
    done = subprocess.run(command, input=np.ascontiguousarray(frames, dtype=np.uint8).tobytes(), capture_output=True)
    if done.returncode != 0:
        raise RuntimeError(f"FFmpeg could not write {path!s} as H.264: {done.stderr.decode(errors='replace')[-300:]}")
    return Path(path)
