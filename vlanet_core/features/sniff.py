"""Recognise a video container from its first bytes, before any decoder touches the file.

Why: decoders built on FFmpeg (decord in particular) can abort or crash the process on some garbage, and OpenCV
happily opens a PNG as a one-frame "video". Reading the magic bytes first turns text, images, audio and random bytes
into a clear ``NotAVideoError`` without ever handing them to a decoder, and the MP4 box walk tells a truncated MP4
(a box runs past the end of the file, or no ``moov`` box) from one that is complete but holds no frame.
"""

from __future__ import annotations

import os
import struct
from dataclasses import dataclass
from pathlib import Path

from vlanet_core.errors import CorruptVideoError, NoFramesError, NotAVideoError

# Image and audio signatures: a file starting like this is reported by what it is.
_IMAGE_MAGIC: tuple[tuple[bytes, str], ...] = (
    (b"\x89PNG\r\n\x1a\n", "a PNG image"),
    (b"\xff\xd8\xff", "a JPEG image"),
    (b"GIF87a", "a GIF image"),
    (b"GIF89a", "a GIF image"),
    (b"BM", "a BMP image"),
    (b"II*\x00", "a TIFF image"),
    (b"MM\x00*", "a TIFF image"),
    (b"%PDF", "a PDF document"),
    (b"PK\x03\x04", "a ZIP archive"),
)
_AUDIO_MAGIC: tuple[tuple[bytes, str], ...] = (
    (b"ID3", "an MP3 audio file"),
    (b"fLaC", "a FLAC audio file"),
)
# ISO base media brands that only ever hold audio (an .m4a renamed .mp4).
_AUDIO_BRANDS = {b"M4A ", b"M4B ", b"M4P ", b"F4A ", b"F4B "}
# Top-level MP4/MOV box types; a file whose first box is one of these is an ISO/QuickTime container.
_MP4_BOXES = {b"ftyp", b"moov", b"mdat", b"free", b"skip", b"wide", b"pnot", b"uuid"}


@dataclass(frozen=True)
class ContainerGuess:
    """What the first bytes say. ``kind`` is a short container name ("mp4", "matroska", "avi", ...)."""

    kind: str
    mp4_complete: bool | None = None  # MP4 only: every top-level box fits in the file and a moov box exists
    mp4_tracks: frozenset[str] = frozenset()  # MP4 only: handler types of its tracks ("vide", "soun", ...)


def _looks_like_text(head: bytes) -> bool:
    """True when the bytes decode as UTF-8 with only printable characters and whitespace."""
    try:
        text = head.decode("utf-8")
    except UnicodeDecodeError:
        # a multi-byte character cut at the end of the window is still text
        try:
            text = head[:-3].decode("utf-8")
        except UnicodeDecodeError:
            return False
    return all(ch.isprintable() or ch in "\r\n\t\f" for ch in text)


_MAX_MOOV_BYTES = 64 * 1024 * 1024  # an index larger than this is not read for track types (hours of video)


def _track_handlers(moov: bytes) -> frozenset[str]:
    """Handler types named by the ``hdlr`` boxes of a moov box: 'vide' for video, 'soun' for audio..."""
    kinds, start = set(), 0
    while (found := moov.find(b"hdlr", start)) >= 0:
        handler = moov[found + 12 : found + 16]  # 'hdlr', version+flags (4), pre_defined (4), handler_type (4)
        if len(handler) == 4 and handler.isalpha():
            kinds.add(handler.decode("ascii"))
        start = found + 4
    return frozenset(kinds)


def _walk_mp4_boxes(path: Path, size: int) -> tuple[bool, frozenset[str]]:
    """(complete, track handlers): complete when the top-level boxes tile the file and one is ``moov``."""
    offset, has_moov = 0, False
    tracks: frozenset[str] = frozenset()
    with open(path, "rb") as handle:
        while offset < size:
            handle.seek(offset)
            header = handle.read(16)
            if len(header) < 8:
                return False, tracks
            box_size, box_type = struct.unpack(">I4s", header[:8])
            if box_size == 1:  # 64-bit size follows
                if len(header) < 16:
                    return False, tracks
                box_size = struct.unpack(">Q", header[8:16])[0]
            elif box_size == 0:  # box runs to the end of the file
                box_size = size - offset
            if box_size < 8 or offset + box_size > size:
                return False, tracks
            if box_type == b"moov":
                has_moov = True
                if box_size <= _MAX_MOOV_BYTES:
                    handle.seek(offset)
                    tracks = _track_handlers(handle.read(box_size))
                else:
                    tracks = frozenset({"vide"})  # too big to scan: let the decoders decide
            offset += box_size
    return has_moov, tracks


def sniff_container(path: str | os.PathLike[str]) -> ContainerGuess:
    """Guess the container of ``path`` from its first bytes.

    Raises ``NotAVideoError`` for a zero-byte file, text, an image, an audio-only file and bytes that match no known
    video container. Returns the guess otherwise; the decoders still have the last word.
    """
    path = Path(path)
    name = path.name
    size = path.stat().st_size
    if size == 0:
        raise NotAVideoError(f"{name} is empty (0 bytes), not a video")
    with open(path, "rb") as handle:
        head = handle.read(4096)
    if len(head) < 12:
        raise NotAVideoError(f"{name} is only {len(head)} bytes long, too short to be a video")
    for magic, what in _IMAGE_MAGIC:
        if head.startswith(magic):
            raise NotAVideoError(f"{name} is {what}, not a video")
    if head[:4] == b"RIFF" and head[8:12] == b"WEBP":
        raise NotAVideoError(f"{name} is a WebP image, not a video")
    if head[:4] == b"RIFF" and head[8:12] == b"WAVE":
        raise NotAVideoError(f"{name} is a WAV audio file with no video stream")
    for magic, what in _AUDIO_MAGIC:
        if head.startswith(magic):
            raise NotAVideoError(f"{name} is {what} with no video stream")
    if head[0] == 0xFF and (head[1] & 0xE0) == 0xE0 and (head[1] & 0x06) != 0:  # MPEG audio frame sync
        raise NotAVideoError(f"{name} looks like an MPEG audio (MP3/AAC) file with no video stream")
    if head[4:8] in _MP4_BOXES:
        if head[4:8] == b"ftyp" and head[8:12] in _AUDIO_BRANDS:
            raise NotAVideoError(f"{name} is an audio-only MP4 (M4A), with no video stream")
        complete, tracks = _walk_mp4_boxes(path, size)
        if complete and "vide" not in tracks and "soun" in tracks:
            raise NotAVideoError(f"{name} holds audio only, no video stream")
        return ContainerGuess("mp4", mp4_complete=complete, mp4_tracks=tracks)
    if head.startswith(b"\x1a\x45\xdf\xa3"):
        return ContainerGuess("matroska")  # also WebM
    if head[:4] == b"RIFF" and head[8:12] in (b"AVI ", b"AVIX"):
        return ContainerGuess("avi")
    if head.startswith(b"FLV"):
        return ContainerGuess("flv")
    if head.startswith(b"OggS"):
        return ContainerGuess("ogg")
    if head.startswith(b"\x30\x26\xb2\x75\x8e\x66\xcf\x11"):
        return ContainerGuess("asf")
    if head.startswith(b"\x00\x00\x01\xba") or head.startswith(b"\x00\x00\x01\xb3"):
        return ContainerGuess("mpeg-ps")
    if head[0] == 0x47 and len(head) > 376 and head[188] == 0x47 and head[376] == 0x47:
        return ContainerGuess("mpeg-ts")
    if head.startswith(b"\x00\x00\x00\x01") or head.startswith(b"\x00\x00\x01"):
        return ContainerGuess("elementary-stream")  # raw H.264/HEVC/MPEG-4 part 2
    if _looks_like_text(head):
        raise NotAVideoError(f"{name} is a text file, not a video")
    raise NotAVideoError(f"{name} is not in a video format this app reads (unrecognised file header)")


def require_complete_mp4(path: str | os.PathLike[str], guess: ContainerGuess) -> None:
    """For an MP4: ``CorruptVideoError`` when its boxes run past the end or ``moov`` is missing (truncated),
    ``NoFramesError`` when it is complete but has no video track (e.g. a writer closed before any frame)."""
    if guess.kind != "mp4":
        return
    if guess.mp4_complete is False:
        raise CorruptVideoError(
            f"{Path(path).name} is a truncated or corrupt MP4 (its index box is missing or cut off); "
            "re-export or re-download the file"
        )
    if "vide" not in guess.mp4_tracks:
        raise NoFramesError(f"{Path(path).name} is an MP4 with no video track: it holds no frame")
