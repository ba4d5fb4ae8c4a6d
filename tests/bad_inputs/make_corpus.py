"""Write the generated half of the bad-input corpus (videos and binary fakes) into a folder.

    python -m tests.bad_inputs.make_corpus OUT_DIR      # or make_corpus(out_dir) from a session fixture

Why generated, not committed: the clips are cut, patched or flipped from a clip this script writes with OpenCV,
so the corpus follows the installed encoder, and the repository holds no binary blobs. The text-like cases
(notes, HTML, PDF-like, a zero-byte file, annotation and prediction files) are committed under ``files/``.
Everything here is small (< 450 KB per file, ~1 MB in all) and takes well under a second of CPU to write.
Every file name is listed in ``GENERATED`` so the manifest can check that it names only files that exist.
"""

from __future__ import annotations

import io
import struct
import sys
import wave
import zipfile
from collections.abc import Callable
from pathlib import Path

import cv2
import numpy as np

BASE_SIZE = (64, 48)  # (W, H) of the clip the truncated / corrupt files are cut from
BASE_SECONDS = 4.0  # 40 frames at 10 fps: long enough that cuts at 1%..99% fall inside frame data
UNICODE_NAME = "vidéo ☃ 日本語 \u202eevil.mp4"  # accents, a symbol, CJK and a right-to-left override in one name


def _write_clip(path: Path, fourcc: str, fps: float, size: tuple[int, int], frames: int) -> Path:
    """A red bar sweeping over grey (BGR), so every frame differs and a codec cannot collapse them."""
    writer = cv2.VideoWriter(str(path), cv2.VideoWriter_fourcc(*fourcc), fps, size)
    if not writer.isOpened():
        raise RuntimeError(f"this OpenCV cannot write {fourcc} at {size} / {fps} fps")
    width, height = size
    for i in range(frames):
        frame = np.full((height, width, 3), 110, np.uint8)
        x = int(i * 7) % max(width, 1)
        frame[:, x : x + max(1, width // 8)] = (30, 30, 220)
        writer.write(frame)
    writer.release()
    return path


def _base_mp4(folder: Path) -> bytes:
    path = _write_clip(folder / "_base.mp4", "mp4v", 10.0, BASE_SIZE, int(BASE_SECONDS * 10))
    data = path.read_bytes()
    path.unlink()
    return data


def _box_offset(data: bytes, box: bytes) -> int:
    """Offset of the top-level MP4 box named ``box`` (its size field), or -1."""
    offset = 0
    while offset + 8 <= len(data):
        size, kind = struct.unpack(">I4s", data[offset : offset + 8])
        if kind == box:
            return offset
        if size < 8:
            return -1
        offset += size
    return -1


def _flip(data: bytes, start: int, count: int) -> bytes:
    """``data`` with ``count`` bytes from ``start`` inverted (XOR 0xFF)."""
    out = bytearray(data)
    for i in range(start, min(start + count, len(out))):
        out[i] ^= 0xFF
    return bytes(out)


def _png() -> bytes:
    ok, buf = cv2.imencode(".png", np.full((16, 16, 3), 200, np.uint8))
    assert ok
    return buf.tobytes()


def _jpeg() -> bytes:
    ok, buf = cv2.imencode(".jpg", np.full((16, 16, 3), 90, np.uint8))
    assert ok
    return buf.tobytes()


def _zip() -> bytes:
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as archive:
        archive.writestr("clip.mp4", b"not really a clip")
    return buf.getvalue()


def _wav() -> bytes:
    buf = io.BytesIO()
    with wave.open(buf, "wb") as handle:
        handle.setnchannels(1)
        handle.setsampwidth(2)
        handle.setframerate(8000)
        handle.writeframes((np.sin(np.arange(8000) / 5.0) * 8000).astype(np.int16).tobytes())
    return buf.getvalue()


def _m4a() -> bytes:
    """An ISO-BMFF file whose brand says audio only (what an .m4a renamed .mp4 starts with)."""
    brands = b"M4A " + b"\x00\x00\x02\x00" + b"M4A mp42isom"
    ftyp = struct.pack(">I4s", 8 + len(brands), b"ftyp") + brands
    return ftyp + struct.pack(">I4s", 8 + 64, b"mdat") + b"\x21" * 64


def _patched_avi(folder: Path, frames_claimed: int) -> bytes:
    """A 3-frame MJPG AVI at 10 fps whose header claims ``frames_claimed`` frames (duration = claimed / 10 s)."""
    path = _write_clip(folder / "_short.avi", "MJPG", 10.0, (16, 16), 3)
    data = bytearray(path.read_bytes())
    path.unlink()
    avih, strh = data.find(b"avih"), data.find(b"strh")
    if avih < 0 or strh < 0:
        raise RuntimeError("OpenCV wrote an AVI without avih/strh")
    struct.pack_into("<I", data, avih + 8 + 16, frames_claimed)  # MainAVIHeader.dwTotalFrames
    struct.pack_into("<I", data, strh + 8 + 32, frames_claimed)  # AVIStreamHeader.dwLength
    return bytes(data)


def _clip_bytes(folder: Path, name: str, fourcc: str, fps: float, size: tuple[int, int], frames: int) -> bytes:
    path = _write_clip(folder / f"_{name}", fourcc, fps, size, frames)
    data = path.read_bytes()
    path.unlink()
    return data


def _no_frames_mp4(folder: Path) -> bytes:
    path = folder / "_empty.mp4"
    writer = cv2.VideoWriter(str(path), cv2.VideoWriter_fourcc(*"mp4v"), 10.0, BASE_SIZE)
    writer.release()  # closed before any frame
    data = path.read_bytes() if path.exists() else b""
    path.unlink(missing_ok=True)
    return data


def _recipes(folder: Path) -> dict[str, Callable[[], bytes]]:
    """File name -> a function returning its bytes (called in order; the base clip is written once)."""
    base = _base_mp4(folder)
    moov = _box_offset(base, b"moov")
    mdat = _box_offset(base, b"mdat")
    webm = _clip_bytes(folder, "base.webm", "VP80", 10.0, BASE_SIZE, int(BASE_SECONDS * 10))
    avi = _clip_bytes(folder, "base.avi", "MJPG", 10.0, BASE_SIZE, 60)

    def cut(fraction: float) -> Callable[[], bytes]:
        return lambda: base[: max(1, int(len(base) * fraction))]

    return {
        "image_png.mp4": _png,
        "image_jpeg.mp4": _jpeg,
        "image_gif.mp4": lambda: b"GIF89a\x01\x00\x01\x00\x80\x00\x00" + b"\x00" * 32,
        "archive_zip.mp4": _zip,
        "sound_wav.mp4": _wav,
        "song_m4a.mp4": _m4a,
        "song_mp3.mp4": lambda: b"ID3\x04\x00\x00\x00\x00\x00\x21" + b"\xff\xfb\x90\x00" * 64,
        "random_bytes.mp4": lambda: np.random.default_rng(7).integers(0, 256, 20_000, dtype=np.uint8).tobytes(),
        "tiny_2_bytes.mp4": lambda: b"\x00\x01",
        "header_zeroed.mp4": lambda: b"\x00" * 64 + base[64:],
        "cut_01pct.mp4": cut(0.01),
        "cut_25pct.mp4": cut(0.25),
        "cut_50pct.mp4": cut(0.50),
        "cut_90pct.mp4": cut(0.90),
        "cut_last_byte.mp4": lambda: base[:-1],
        "flipped_middle.mp4": lambda: _flip(base, (mdat + 16 + len(base)) // 2 if mdat >= 0 else len(base) // 2, 512),
        "flipped_index.mp4": lambda: _flip(base, moov + 8, 64),
        "no_frames.mp4": lambda: _no_frames_mp4(folder),
        "cut_50pct.webm": lambda: webm[: len(webm) // 2],
        "cut_33pct.avi": lambda: avi[: len(avi) // 3],
        "one_pixel.avi": lambda: _clip_bytes(folder, "1px.avi", "MJPG", 10.0, (1, 1), 20),
        "huge_4000x3000.avi": lambda: _clip_bytes(folder, "huge.avi", "MJPG", 10.0, (4000, 3000), 2),
        "too_big_frames_8k.avi": lambda: _clip_bytes(folder, "8k.avi", "MJPG", 1.0, (8000, 6000), 1),
        "two_hours_header.avi": lambda: _patched_avi(folder, 72_000),
        "two_hours_slow.avi": lambda: _clip_bytes(folder, "slow.avi", "MJPG", 0.01, (16, 16), 72),
        "two_hours_1fps.webm": lambda: _clip_bytes(folder, "1fps.webm", "VP80", 1.0, (16, 16), 7200),
        UNICODE_NAME: lambda: b"just text with a video's name\n" * 4,
        "good_clip.mp4": lambda: base,
        "good_clip.webm": lambda: webm,
    }


GENERATED = (
    "image_png.mp4",
    "image_jpeg.mp4",
    "image_gif.mp4",
    "archive_zip.mp4",
    "sound_wav.mp4",
    "song_m4a.mp4",
    "song_mp3.mp4",
    "random_bytes.mp4",
    "tiny_2_bytes.mp4",
    "header_zeroed.mp4",
    "cut_01pct.mp4",
    "cut_25pct.mp4",
    "cut_50pct.mp4",
    "cut_90pct.mp4",
    "cut_last_byte.mp4",
    "flipped_middle.mp4",
    "flipped_index.mp4",
    "no_frames.mp4",
    "cut_50pct.webm",
    "cut_33pct.avi",
    "one_pixel.avi",
    "huge_4000x3000.avi",
    "too_big_frames_8k.avi",
    "two_hours_header.avi",
    "two_hours_slow.avi",
    "two_hours_1fps.webm",
    UNICODE_NAME,
    "good_clip.mp4",
    "good_clip.webm",
)


def make_corpus(out_dir: str | Path) -> Path:
    """Write every generated file into ``out_dir`` (created); returns it. Idempotent: existing files are rewritten."""
    folder = Path(out_dir)
    folder.mkdir(parents=True, exist_ok=True)
    recipes = _recipes(folder)
    assert tuple(recipes) == GENERATED, "GENERATED must list the recipes in order"
    for name, recipe in recipes.items():
        (folder / name).write_bytes(recipe())
    return folder


if __name__ == "__main__":
    target = make_corpus(sys.argv[1] if len(sys.argv) > 1 else "bad_inputs_corpus")
    print(f"wrote {len(GENERATED)} files to {target}")
