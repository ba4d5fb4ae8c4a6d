"""A video file -> VideoFeatures: cache look-up, then decoding overlapped with the backbone's per-frame work.

``encode_video_file(path, backbone, cache=None, progress=None)``:
1. ``probe_video`` first (size, magic bytes, header: the typed errors of ``decode.py``), so a bad file is refused
   before it is hashed, and no error is ever cached;
2. with a cache: the content hash + backbone key (``cache.py``); a hit returns at once and decodes nothing;
3. decoding at ``backbone.sample_fps`` and ``backbone.input_size``. A backbone with per-frame descriptors (the
   ``default`` one: ``frame_descriptors`` + ``from_descriptors``) is streamed (``decode.stream_video``, which
   reuses the header of step 1 and keeps no frame): the decoder hands every kept frame to a buffer, and each full
   chunk of ``CHUNK_FRAMES`` frames goes to one worker thread that computes its descriptors while the decoder
   reads on (OpenCV and numpy release the GIL, so the two use both cores). The descriptors of a frame depend on
   that frame alone, so the result equals ``backbone.extract(decoded video)`` (tested). Any other backbone gets
   the whole decoded clip through ``extract``;
4. the features' ``source`` is the path; they are stored in the cache.

Why one worker and not two: decoding already keeps one core busy, and this machine class has two. For the same
reason the decoder gets one FFmpeg thread fewer than there are cores (``stream_decoder_threads``): on two cores,
OpenCV's default of one thread per core put three busy threads on two cores, and one decoding thread spends about
15% less CPU on the same frames than two. What was measured and not kept (2026-12-01, runs interleaved with the
old code, 4 x 20 rounds): handing the resize and colour conversion of a frame to the worker whenever it kept up
(so the two threads share that work too) changed the streamed time by less than the machine's noise (ratios to
the fastest decode 1.25-1.75 for both versions); the simpler rule, the decoder converts every frame, stayed.
"""

from __future__ import annotations

import os
import threading
from collections.abc import Callable
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import replace
from pathlib import Path
from typing import Any

import numpy as np

from vlanet_core.features.decode import VideoInfo, decode_video, probe_video, stream_video
from vlanet_core.features.types import VideoFeatures

Progress = Callable[[float, str], None]  # (fraction done in [0, 1], what is happening)
CHUNK_FRAMES = 16  # frames per worker task (1.6 s at 10 fps)


def can_stream(backbone: Any) -> bool:
    """Whether ``backbone`` computes per-frame descriptors that can be pooled afterwards (see module doc)."""
    return callable(getattr(backbone, "frame_descriptors", None)) and callable(
        getattr(backbone, "from_descriptors", None)
    )


def stream_decoder_threads() -> int:
    """FFmpeg threads for decoding beside the descriptor thread: every core but the one it takes, at least one."""
    return max(1, (os.cpu_count() or 2) - 1)


def _input_size(backbone: Any) -> tuple[int, int] | None:
    """(W, H) the backbone wants its frames at, or None (native size) for a backbone that does not say."""
    return getattr(backbone, "input_size", None)


_executor: ThreadPoolExecutor | None = None
_executor_lock = threading.Lock()


def _descriptor_executor() -> ThreadPoolExecutor:
    """The process's one descriptor thread. Long-lived on purpose: the backbone keeps its work buffers per thread,
    and a fresh thread per video would allocate (and page-fault) them again every time. Concurrent videos share it
    chunk by chunk, which also bounds the feature work to one core beside the decoders."""
    global _executor
    with _executor_lock:
        if _executor is None:
            _executor = ThreadPoolExecutor(max_workers=1, thread_name_prefix="vlanet-features")
        return _executor


class _DescriptorStream:
    """Collects decoded frames into chunks and computes each chunk's descriptors on one worker thread."""

    def __init__(self, backbone: Any, chunk_frames: int, on_chunk: Callable[[int], None]) -> None:
        self._backbone = backbone
        self._chunk_frames = chunk_frames
        self._on_chunk = on_chunk
        self._buffer: list[np.ndarray] = []
        self._futures: list[Future[np.ndarray]] = []
        self._executor = _descriptor_executor()
        self.frames = 0

    def add(self, frame: np.ndarray, seconds: float) -> None:
        """The decoder's frame sink: buffer the frame, hand a full chunk to the worker."""
        self._buffer.append(frame)
        self.frames += 1
        if len(self._buffer) >= self._chunk_frames:
            self._submit()
            self._on_chunk(self.frames)

    def _submit(self) -> None:
        chunk = np.stack(self._buffer)
        self._buffer = []
        self._futures.append(self._executor.submit(self._backbone.frame_descriptors, chunk))

    def finish(self) -> np.ndarray:
        """(N, ...) descriptors of every frame added, in order (waits for the worker; its errors raise here).

        The last, partial chunk goes to the worker too, not to the calling thread: the backbone keeps work buffers
        per thread (a few MB), and an app's many request threads would each grow their own."""
        if self._buffer:
            self._submit()
        try:
            return np.concatenate([future.result() for future in self._futures])
        finally:
            self.close()

    def close(self) -> None:
        """Drop this stream's work not started yet (after an error in decoding, or once finished)."""
        for future in self._futures:
            future.cancel()


def _decode_and_describe(
    path: Path, backbone: Any, report: Progress, expected_frames: float, info: VideoInfo
) -> VideoFeatures:
    """The streamed path: decode and per-frame descriptors overlapped, then the backbone's pooling."""

    def on_chunk(done: int) -> None:
        report(0.1 + 0.8 * min(done / max(expected_frames, 1.0), 1.0), "decoding and computing features")

    stream = _DescriptorStream(backbone, CHUNK_FRAMES, on_chunk)
    try:
        video = stream_video(
            path,
            backbone.sample_fps,
            _input_size(backbone),
            stream.add,
            info=info,
            decoder_threads=stream_decoder_threads(),
        )
    except BaseException:
        stream.close()
        raise
    report(0.9, "features")
    per_frame = stream.finish()
    return backbone.from_descriptors(per_frame, video.timestamps, video.duration, video.source)


def encode_video_file(
    path: str | os.PathLike[str],
    backbone: Any,
    cache: Any = None,
    progress: Progress | None = None,
) -> VideoFeatures:
    """(T, C) float32 features of the video file at ``path`` under ``backbone`` (see module doc).

    - ``cache``: a ``FeatureCache`` (or None); a second call on the same content decodes nothing.
    - ``progress(fraction, message)``: optional; called from the calling thread, ending with (1.0, "done").
    Raises FileNotFoundError and the typed errors of ``decode.py`` (NotAVideoError, CorruptVideoError,
    NoFramesError, VideoTooLongError, VideoTooLargeError) unchanged.
    """
    return encode_video_file_noting_reuse(path, backbone, cache, progress)[0]


def encode_video_file_noting_reuse(
    path: str | os.PathLike[str],
    backbone: Any,
    cache: Any = None,
    progress: Progress | None = None,
) -> tuple[VideoFeatures, bool]:
    """``encode_video_file``'s features, and whether ``cache`` already held them (nothing was decoded); the file
    is hashed once either way."""
    report: Progress = progress if progress is not None else (lambda fraction, message: None)
    path = Path(path)
    report(0.0, "checking the file")
    info = probe_video(path)
    key = None
    if cache is not None:
        key = cache.key_for(path, backbone)
        cached = cache.get(key)
        if cached is not None:
            report(1.0, "done")
            return replace(cached, source=str(path)), True  # same content under another name: report this name
    report(0.1, "decoding")
    if can_stream(backbone):
        expected = (info.duration or 60.0) * min(backbone.sample_fps, info.fps or backbone.sample_fps)
        features = _decode_and_describe(path, backbone, report, expected, info)
    else:
        video = decode_video(path, backbone.sample_fps, size=_input_size(backbone))
        report(0.6, "features")
        features = backbone.extract(video)
    features = replace(features, source=str(path))
    if cache is not None:
        cache.put(key, features)
    report(1.0, "done")
    return features, False


__all__ = [
    "CHUNK_FRAMES",
    "Progress",
    "can_stream",
    "encode_video_file",
    "encode_video_file_noting_reuse",
    "stream_decoder_threads",
]
