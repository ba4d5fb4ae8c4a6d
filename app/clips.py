"""Playable moment clips: the frames of [start, end] seconds of a video, written as a small WebM (VP8) with cv2.

Why WebM/VP8: the pip OpenCV builds have no H.264 encoder, and browsers do not play MPEG-4 part 2 ("mp4v"),
while VP8 in WebM plays everywhere and OpenCV's bundled FFmpeg can write it. The clip is scaled down
(longest side ``max_side``), its frame rate capped (``max_fps``) and its length capped (``max_seconds``) so
writing it takes well under a second for a Shapes-STA clip.
"""

from __future__ import annotations

import math
from pathlib import Path

import cv2

FOURCC = "VP80"
SUFFIX = ".webm"


def write_segment(
    source: str | Path,
    start: float,
    end: float,
    out_path: str | Path,
    max_side: int = 320,
    max_fps: float = 12.0,
    max_seconds: float = 60.0,
) -> Path | None:
    """Write seconds [start, min(end, start + max_seconds)] of ``source`` to ``out_path`` (.webm).

    Returns the path, or None when the source cannot be read or no frame falls in the span.
    """
    capture = cv2.VideoCapture(str(source))
    if not capture.isOpened():
        return None
    writer = None
    try:
        native_fps = capture.get(cv2.CAP_PROP_FPS)
        native_fps = native_fps if math.isfinite(native_fps) and native_fps > 0 else 25.0
        out_fps = min(native_fps, max_fps)
        keep_every = native_fps / out_fps  # drop frames to reach out_fps
        stop = min(end, start + max_seconds)
        first = max(0, int(math.floor(start * native_fps)))
        capture.set(cv2.CAP_PROP_POS_FRAMES, first)
        index, kept = first, 0
        next_keep = float(first)
        while index / native_fps <= stop:
            ok, frame = capture.read()
            if not ok:
                break
            if index + 1e-6 >= next_keep:
                if writer is None:
                    height, width = frame.shape[:2]
                    scale = min(1.0, max_side / max(height, width))
                    size = (max(2, int(width * scale) // 2 * 2), max(2, int(height * scale) // 2 * 2))
                    out_path = Path(out_path).with_suffix(SUFFIX)
                    writer = cv2.VideoWriter(str(out_path), cv2.VideoWriter_fourcc(*FOURCC), out_fps, size)
                    if not writer.isOpened():
                        return None
                writer.write(cv2.resize(frame, size, interpolation=cv2.INTER_AREA))
                kept += 1
                next_keep += keep_every
            index += 1
        return Path(out_path) if writer is not None and kept > 0 else None
    finally:
        capture.release()
        if writer is not None:
            writer.release()
