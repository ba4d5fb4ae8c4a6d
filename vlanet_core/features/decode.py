"""Decode a video file into RGB frames sampled at a fixed rate, with typed errors for every bad file.

Order of checks (cheap and safe first, so no decoder ever sees garbage):
1. file size against ``max_bytes``;
2. magic bytes (``sniff.py``): text, images, audio, random bytes -> ``NotAVideoError``; a truncated MP4 ->
   ``CorruptVideoError``; an MP4 without a video track -> ``NoFramesError``;
3. the header, read with OpenCV (probing with decord can abort the process on some inputs; OpenCV returns
   errors): duration against ``max_duration`` and the decoded size against ``max_frame_bytes`` BEFORE decoding;
4. decoding; then a file that yields no frame, or frames covering less than ``_MIN_COVERAGE`` of the header
   duration, is reported as corrupt or truncated.

Which decoder (measured on a 30-s 320x240 clip, 1 thread, see ``bench.py``): OpenCV's sequential grab/retrieve
with the resize done per frame is the fastest whenever most frames are needed (10 fps from 10-30 fps sources:
0.04-0.11 s against 0.05-0.13 s for decord's ``get_batch``; OpenCV seeking is 4-10x slower and never used).
When only every ``_SEEK_STRIDE``-th frame or fewer is needed (e.g. 1 fps from 30 fps), decord's
``get_batch`` seeks between key frames and wins (0.03 s against 0.08 s). ``decoder="auto"`` picks by that stride;
a decord failure falls back to OpenCV.

Sampling: a frame is kept when it is the first at or after a point of the ``fps`` grid (half a native frame of
tolerance), so variable-frame-rate files are sampled by their real timestamps, a source slower than ``fps`` gives
each frame once (no duplicates), and timestamps are the frames' own, counted from the first frame.
"""

from __future__ import annotations

import math
import os
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import cv2
import numpy as np

from vlanet_core.errors import CorruptVideoError, NoFramesError, VideoTooLargeError, VideoTooLongError
from vlanet_core.features.area_resize import area_resize
from vlanet_core.features.sniff import require_complete_mp4, sniff_container
from vlanet_core.features.types import DecodedVideo

_SEEK_STRIDE = 15.0  # native frames per kept frame above which seeking (decord) beats reading every frame
_MIN_COVERAGE = 0.75  # decoded time / header time below this means the file is cut short
_MAX_FRAME_PIXELS = 40_000_000  # larger than 8K UHD (33 Mpx): refuse before allocating a single frame
_DECORD_CHUNK = 32  # frames per get_batch call, so full-size frames never pile up before the resize
DECODERS = ("auto", "opencv", "decord")
FrameSink = Callable[[np.ndarray, float], None]  # (H, W, 3) uint8 RGB frame, its timestamp in seconds


@dataclass(frozen=True)
class VideoInfo:
    """What the header says. ``frame_count`` and ``duration`` are 0 when the header does not know them."""

    width: int
    height: int
    fps: float
    frame_count: int
    duration: float
    container: str


@dataclass(frozen=True)
class StreamedVideo:
    """What ``stream_video`` returns once every frame went to its sink: (N,) timestamps in seconds and the
    clip's duration, as in ``DecodedVideo``, without the frames."""

    timestamps: np.ndarray
    duration: float
    native_fps: float = 0.0
    source: str = ""


def probe_video(path: str | os.PathLike[str], max_bytes: int = 2_000_000_000) -> VideoInfo:
    """Check size and magic bytes, then read the header with OpenCV. Raises the typed errors of the module doc."""
    path = Path(path)
    if not path.is_file():
        raise FileNotFoundError(f"no such video file: {path}")
    size = path.stat().st_size
    if size > max_bytes:
        raise VideoTooLargeError(
            f"{path.name} is {size / 1e6:.0f} MB, above the {max_bytes / 1e6:.0f} MB limit; cut or compress it first"
        )
    guess = sniff_container(path)
    require_complete_mp4(path, guess)
    capture = cv2.VideoCapture(str(path), cv2.CAP_FFMPEG)
    try:
        if not capture.isOpened():
            raise CorruptVideoError(f"{path.name} looks like a {guess.kind} file but no decoder can open it")
        width = int(capture.get(cv2.CAP_PROP_FRAME_WIDTH))
        height = int(capture.get(cv2.CAP_PROP_FRAME_HEIGHT))
        fps = float(capture.get(cv2.CAP_PROP_FPS))
        count = float(capture.get(cv2.CAP_PROP_FRAME_COUNT))
    finally:
        capture.release()
    if width <= 0 or height <= 0:
        raise CorruptVideoError(f"{path.name} has no valid frame size in its header ({width}x{height})")
    fps = fps if math.isfinite(fps) and 0.1 <= fps <= 1000.0 else 0.0
    frame_count = int(count) if math.isfinite(count) and 0 < count < 1e9 else 0
    duration = frame_count / fps if fps and frame_count else 0.0
    return VideoInfo(width, height, fps, frame_count, duration, guess.kind)


def _check_limits(name: str, info: VideoInfo, fps: float, size, max_duration: float, max_frame_bytes: int) -> None:
    """Refuse, from the header alone, a clip that is too long or whose decoded frames would not fit in memory."""
    if info.duration > max_duration:
        raise VideoTooLongError(
            f"{name} lasts {info.duration:.1f} s, longer than the {max_duration:.0f} s limit; trim it first"
        )
    if info.width * info.height > _MAX_FRAME_PIXELS:
        raise VideoTooLargeError(f"{name} has {info.width}x{info.height} frames, above the 8K limit")
    out_w, out_h = size if size is not None else (info.width, info.height)
    seconds = info.duration if info.duration else max_duration
    kept = min(info.frame_count or math.inf, seconds * min(fps, info.fps or fps)) + 1
    needed = kept * out_w * out_h * 3
    if needed > max_frame_bytes:
        raise VideoTooLargeError(
            f"decoding {name} at {fps:g} fps and {out_w}x{out_h} would need {needed / 1e9:.1f} GB "
            f"(limit {max_frame_bytes / 1e9:.1f} GB); ask for a smaller size or a lower rate"
        )


def _grid_cells(pts: np.ndarray, fps: float, native_fps: float) -> np.ndarray:
    """Index of the ``fps`` grid cell each timestamp falls in, with half a native frame of tolerance."""
    tolerance = 0.5 / native_fps if native_fps else 0.0
    return np.floor((pts + tolerance) * fps + 1e-9).astype(np.int64)


def _to_rgb(frame: np.ndarray, size) -> np.ndarray:
    """A BGR / gray / BGRA OpenCV frame -> RGB uint8, resized to ``size`` (W, H) with area averaging."""
    if size is not None and (frame.shape[1], frame.shape[0]) != tuple(size):
        frame = area_resize(frame, tuple(size))
    if frame.ndim == 2:
        return cv2.cvtColor(frame, cv2.COLOR_GRAY2RGB)
    if frame.shape[2] == 4:
        return cv2.cvtColor(frame, cv2.COLOR_BGRA2RGB)
    return cv2.cvtColor(frame, cv2.COLOR_BGR2RGB)


def _read_opencv(
    path: Path,
    info: VideoInfo,
    fps: float,
    size,
    max_duration: float,
    max_frame_bytes: int,
    sink=None,
    threads=None,
    keep: bool = True,
):
    """Read every frame in order, keep one per grid cell, hand each kept frame to ``sink`` as soon as it is
    decoded. ``threads``: FFmpeg decoding threads (None: OpenCV's default). ``keep``: also return every kept frame
    (False: they only go to the sink). Returns (frames list, timestamps list, end seconds)."""
    params = [] if threads is None else [cv2.CAP_PROP_N_THREADS, int(threads)]
    capture = cv2.VideoCapture(str(path), cv2.CAP_FFMPEG, params)
    frames: list[np.ndarray] = []
    stamps: list[float] = []
    native = info.fps or 25.0
    first_pts, last_pts, last_cell, index, kept_bytes = None, -math.inf, -1, 0, 0
    try:
        while capture.grab():
            pts = capture.get(cv2.CAP_PROP_POS_MSEC) / 1000.0
            if not math.isfinite(pts) or pts <= last_pts:  # missing or non-increasing timestamps: use the index
                pts = max(index / native, last_pts + 1.0 / native) if math.isfinite(last_pts) else index / native
            first_pts = pts if first_pts is None else first_pts
            last_pts, index = pts, index + 1
            relative = pts - first_pts
            if relative > max_duration:
                raise VideoTooLongError(f"{path.name} runs past the {max_duration:.0f} s limit; trim it first")
            cell = math.floor((relative + 0.5 / native) * fps + 1e-9)  # same rule as _grid_cells, per frame
            if cell <= last_cell:
                continue
            ok, frame = capture.retrieve()
            if not ok or frame is None:
                break
            last_cell = cell
            stamps.append(relative)
            frame = _to_rgb(frame, size)
            if sink is not None:
                sink(frame, relative)
            if not keep:
                continue
            frames.append(frame)
            kept_bytes += frame.nbytes
            if kept_bytes > max_frame_bytes:
                raise VideoTooLargeError(f"decoded frames of {path.name} exceed {max_frame_bytes / 1e9:.1f} GB")
    except cv2.error as err:
        if not stamps:
            raise CorruptVideoError(f"{path.name} could not be decoded: {err}") from err
    finally:
        capture.release()
    end = (last_pts - first_pts + 1.0 / native) if stamps and first_pts is not None else 0.0
    return frames, stamps, end


def _read_decord(path: Path, info: VideoInfo, fps: float, size):
    """Seek to the kept frames with decord's get_batch, in chunks. Returns (frames list, timestamps, end)."""
    import decord  # imported here: optional, and only after the file passed the checks above

    reader = decord.VideoReader(str(path), num_threads=1)
    count = len(reader)
    if count <= 0:
        return [], [], 0.0
    native = float(reader.get_avg_fps()) or info.fps or 25.0
    pts = np.asarray(reader.get_frame_timestamp(np.arange(count)), dtype=np.float64)[:, 0]
    pts = pts - pts[0]
    cells = _grid_cells(pts, fps, native)
    keep = np.flatnonzero(np.concatenate([[True], cells[1:] > cells[:-1]]))
    frames: list[np.ndarray] = []
    for start in range(0, len(keep), _DECORD_CHUNK):
        chunk = keep[start : start + _DECORD_CHUNK]
        batch = reader.get_batch(chunk.tolist()).asnumpy()  # (n, H, W, 3) RGB
        for frame in batch:
            if size is not None and (frame.shape[1], frame.shape[0]) != tuple(size):
                frame = area_resize(frame, tuple(size))
            frames.append(np.ascontiguousarray(frame))
    return frames, pts[keep].tolist(), float(pts[-1] + 1.0 / native)


def choose_decoder(info: VideoInfo, fps: float) -> str:
    """'decord' (seek) when fewer than one frame in ``_SEEK_STRIDE`` is kept, else 'opencv' (sequential)."""
    stride = (info.fps / fps) if info.fps else 1.0
    return "decord" if stride >= _SEEK_STRIDE else "opencv"


def _validate(fps: float, decoder: str, decoder_threads: int | None, size) -> tuple[int, int] | None:
    if not fps or fps <= 0 or not math.isfinite(fps):
        raise ValueError(f"fps must be a positive number, got {fps!r}")
    if decoder not in DECODERS:
        raise ValueError(f"decoder must be one of {DECODERS}, got {decoder!r}")
    if decoder_threads is not None and int(decoder_threads) < 1:
        raise ValueError(f"decoder_threads must be at least 1 (or None), got {decoder_threads!r}")
    if size is None:
        return None
    size = (int(size[0]), int(size[1]))
    if size[0] <= 0 or size[1] <= 0:
        raise ValueError(f"size must be positive (W, H), got {size}")
    return size


def _decode(
    path: Path,
    fps: float,
    size,
    max_duration: float,
    max_bytes: int,
    max_frame_bytes: int,
    decoder: str,
    sink,
    decoder_threads: int | None,
    info: VideoInfo | None,
    keep: bool,
) -> tuple[list[np.ndarray], list[float], float, VideoInfo]:
    """The body shared by ``decode_video`` (keep=True) and ``stream_video`` (keep=False): checks, decoding, the
    no-frame and coverage checks. Returns (frames, timestamps, duration, header info)."""
    info = probe_video(path, max_bytes) if info is None else info
    _check_limits(path.name, info, fps, size, max_duration, max_frame_bytes)
    chosen = choose_decoder(info, fps) if decoder == "auto" else decoder
    frames: list[np.ndarray] = []
    stamps: list[float] = []
    if chosen == "decord":
        try:
            frames, stamps, end = _read_decord(path, info, fps, size)
        except Exception:  # decord raises its own types (DECORDError, RuntimeError...): read sequentially instead
            frames, stamps = [], []
            chosen = "opencv"
        else:  # outside the try: an error raised by the sink is the caller's, never a reason to decode again
            if sink is not None:
                for frame, stamp in zip(frames, stamps, strict=True):
                    sink(frame, stamp)
    if chosen == "opencv" or not stamps:
        frames, stamps, end = _read_opencv(
            path, info, fps, size, max_duration, max_frame_bytes, sink, decoder_threads, keep
        )
    if not stamps:
        if info.frame_count:
            raise CorruptVideoError(f"{path.name} announces {info.frame_count} frames but none could be decoded")
        raise NoFramesError(f"{path.name} holds no video frame")
    if info.duration >= 1.0 and end < _MIN_COVERAGE * info.duration:
        raise CorruptVideoError(
            f"{path.name} is truncated or corrupt: only {end:.1f} s of its {info.duration:.1f} s could be decoded"
        )
    duration = max(end, info.duration) if end >= 0.98 * info.duration else end
    if duration > max_duration + 1.0:
        raise VideoTooLongError(f"{path.name} lasts {duration:.1f} s, longer than the {max_duration:.0f} s limit")
    return frames, stamps, float(duration), info


def decode_video(
    path: str | os.PathLike[str],
    fps: float = 10.0,
    size: tuple[int, int] | None = None,
    max_duration: float = 600.0,
    max_bytes: int = 2_000_000_000,
    *,
    max_frame_bytes: int = 1_500_000_000,
    decoder: str = "auto",
    frame_sink: FrameSink | None = None,
    decoder_threads: int | None = None,
) -> DecodedVideo:
    """Frames of ``path`` sampled at ``fps`` per second, as (N, H, W, 3) uint8 RGB with (N,) timestamps in seconds.

    - ``size``: (W, H) to resize every frame to (cv2.INTER_AREA), or None for the native size.
    - ``max_duration`` seconds and ``max_bytes`` of file are checked before decoding; ``max_frame_bytes`` bounds
      the decoded array (frames x H x W x 3), also from the header, so a 4000x3000 clip needs a ``size``.
    - ``decoder``: "auto" (by sampling stride, see module doc), "opencv" (sequential) or "decord" (seeking).
    - ``frame_sink(frame, seconds)``: called once per kept frame, in order, with the same arrays as the result;
      the OpenCV path calls it while decoding (so a consumer can work in parallel), the decord path once its
      read has succeeded (a decord failure falls back to OpenCV, and the sink must never see a frame twice).
    - ``decoder_threads``: FFmpeg threads of the OpenCV path (None: OpenCV's default, one per core). The frames are
      the same whatever the count (FFmpeg's threaded decoding is bit-exact); a caller that keeps a core busy
      beside the decoder (the streamed feature pipeline) asks for fewer, so the two do not fight over the cores.
    Raises NotAVideoError, CorruptVideoError, NoFramesError, VideoTooLongError, VideoTooLargeError.
    """
    size = _validate(fps, decoder, decoder_threads, size)
    path = Path(path)
    frames, stamps, duration, info = _decode(
        path, fps, size, max_duration, max_bytes, max_frame_bytes, decoder, frame_sink, decoder_threads, None, True
    )
    return DecodedVideo(
        frames=np.stack(frames),
        timestamps=np.asarray(stamps, dtype=np.float64),
        duration=duration,
        native_fps=float(info.fps),
        source=str(path),
    )


def stream_video(
    path: str | os.PathLike[str],
    fps: float,
    size: tuple[int, int] | None,
    sink: FrameSink,
    *,
    info: VideoInfo | None = None,
    max_duration: float = 600.0,
    max_bytes: int = 2_000_000_000,
    max_frame_bytes: int = 1_500_000_000,
    decoder: str = "auto",
    decoder_threads: int | None = None,
) -> StreamedVideo:
    """``decode_video`` for a consumer that takes the frames one by one and keeps what it needs itself.

    The same sampling, checks, typed errors and frames (RGB at ``size``), but every kept frame only goes to
    ``sink(frame, seconds)`` as it is decoded: none is kept here, so a consumer that reduces each frame (the
    feature pipeline) never holds the whole clip. ``info``: the header if the caller has already probed the file
    (it is not read again). Returns the timestamps and duration (``StreamedVideo``).
    """
    size = _validate(fps, decoder, decoder_threads, size)
    path = Path(path)
    _, stamps, duration, info = _decode(
        path, fps, size, max_duration, max_bytes, max_frame_bytes, decoder, sink, decoder_threads, info, False
    )
    return StreamedVideo(np.asarray(stamps, dtype=np.float64), duration, float(info.fps), str(path))


__all__ = [
    "DECODERS",
    "StreamedVideo",
    "VideoInfo",
    "choose_decoder",
    "decode_video",
    "probe_video",
    "stream_video",
]
