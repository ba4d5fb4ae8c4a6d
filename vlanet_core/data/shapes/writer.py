"""Write a rendered Shapes-STA video to a file with OpenCV (mp4v -> .mp4, vp80 / vp90 -> .webm)."""

from __future__ import annotations

import tempfile
from functools import cache
from pathlib import Path

import cv2
import numpy as np

from vlanet_core.data.shapes.render import iter_frames
from vlanet_core.data.shapes.spec import DEFAULT_FPS, DEFAULT_SIZE, ShapesVideo
from vlanet_core.errors import VMRError

CODEC_SUFFIX: dict[str, str] = {"mp4v": ".mp4", "vp80": ".webm", "vp90": ".webm"}


class CodecUnavailableError(VMRError):
    """This OpenCV build cannot write the asked codec; the message lists the codecs it can write."""


@cache
def codec_works(codec: str) -> bool:
    """Whether this OpenCV build writes ``codec`` (probed once by writing and reading back a 2-frame clip)."""
    if codec not in CODEC_SUFFIX:
        return False
    with tempfile.TemporaryDirectory() as folder:
        path = str(Path(folder) / f"probe{CODEC_SUFFIX[codec]}")
        writer = cv2.VideoWriter(path, cv2.VideoWriter.fourcc(*codec), 10.0, (32, 24))
        if not writer.isOpened():
            return False
        for value in (0, 255):
            writer.write(np.full((24, 32, 3), value, dtype=np.uint8))
        writer.release()
        capture = cv2.VideoCapture(path)
        ok, _ = capture.read()
        capture.release()
        return bool(ok)


def available_codecs() -> list[str]:
    """The codecs of ``CODEC_SUFFIX`` this OpenCV build can write."""
    return [codec for codec in CODEC_SUFFIX if codec_works(codec)]


def write_video(
    video: ShapesVideo,
    path: str | Path,
    fps: float = DEFAULT_FPS,
    size: tuple[int, int] = DEFAULT_SIZE,
    codec: str = "mp4v",
) -> Path:
    """Render ``video`` block by block and write it to ``path``; returns the path.

    The suffix of ``path`` must match the codec (``CODEC_SUFFIX``); an unknown or unwritable codec raises
    ``CodecUnavailableError`` naming the codecs that work here.
    """
    path = Path(path)
    if codec not in CODEC_SUFFIX:
        raise CodecUnavailableError(f"unknown codec {codec!r}; choose one of {', '.join(CODEC_SUFFIX)}")
    if path.suffix.lower() != CODEC_SUFFIX[codec]:
        raise ValueError(f"codec {codec} writes {CODEC_SUFFIX[codec]} files, but the path is {path}")
    if not codec_works(codec):
        raise CodecUnavailableError(
            f"this OpenCV build ({cv2.__version__}) cannot write {codec}; codecs that work: "
            f"{', '.join(available_codecs()) or 'none'}"
        )
    path.parent.mkdir(parents=True, exist_ok=True)
    width, height = (int(v) for v in size)
    writer = cv2.VideoWriter(str(path), cv2.VideoWriter.fourcc(*codec), float(fps), (width, height))
    if not writer.isOpened():
        raise CodecUnavailableError(f"OpenCV could not open {path} for writing with {codec} at {width}x{height}")
    try:
        for block in iter_frames(video, (width, height), fps):
            for frame in block:
                writer.write(np.ascontiguousarray(frame[:, :, ::-1]))  # OpenCV wants BGR
    finally:
        writer.release()
    return path
