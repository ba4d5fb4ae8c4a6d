"""Render a Shapes-STA video to frames in memory, vectorised with numpy over (frames, height, width).

- Frame k is the picture at t = k / fps for k = 0 .. N-1 with N = floor(duration x fps + 1e-6) (at least 1): every
  frame lies inside [0, duration), and at the default 10 fps N = 10 x duration exactly (durations are whole tenths).
- Coordinates: pixel (i, j) samples the point (j + 0.5, i + 0.5) of the frame; a reference-frame point (x, y) maps to
  (x w / 320, y h / 240) and every length scales with h / 240.
- Anti-aliasing: coverage = clip(0.5 - signed distance in output pixels, 0, 1), which approximates the area of the
  pixel covered, so rendering at 80x60 approximates area-downscaling a 320x240 render.
- Compositing: background, then each object in drawing order, ``out = out (1 - a) + colour a`` with
  a = coverage x opacity; values are rounded to uint8, then noise is added and clipped (see noise.py).
- Noise of frame k comes from ``default_rng([seed, index, 7, k // 64])``, so the frames do not depend on how they
  are chunked.

Speed: frames with the same scene (every object at the same place, size, angle and opacity) are drawn once, and each
object is drawn only inside the box it sweeps over the block of frames.
"""

from __future__ import annotations

import math
from collections.abc import Iterator

import numpy as np

from vlanet_core.data.shapes.noise import add_noise, noise_table
from vlanet_core.data.shapes.spec import (
    COLOURS,
    DEFAULT_FPS,
    DEFAULT_SIZE,
    REFERENCE_HEIGHT,
    REFERENCE_WIDTH,
    ShapesVideo,
)
from vlanet_core.data.shapes.timeline import object_tracks
from vlanet_core.features.types import DecodedVideo

BLOCK_FRAMES = 64  # frames rendered together; also the unit of the noise streams
NOISE_STREAM = 7  # the pixel noise of every Shapes-STA render; another value redraws the noise (a control)
_EXTENT = {"circle": 1.0, "square": math.sqrt(2.0), "triangle": 1.0}  # farthest point from the centre, in r
_SQRT3 = math.sqrt(3.0)


def frame_count(duration: float, fps: float) -> int:
    """N = floor(duration x fps + 1e-6), at least 1."""
    return max(1, int(math.floor(duration * fps + 1e-6)))


def frame_times(duration: float, fps: float) -> np.ndarray:
    """(N,) float64 seconds k / fps."""
    return np.arange(frame_count(duration, fps)) / fps


def signed_distance(shape: str, dx: np.ndarray, dy: np.ndarray, radius: np.ndarray, angle: np.ndarray) -> np.ndarray:
    """Signed distance (negative inside) from pixel centres to a shape, in pixels.

    ``dx`` (G, 1, W) and ``dy`` (G, H, 1): pixel centre minus shape centre; ``radius`` and ``angle`` (degrees,
    clockwise on screen) are (G, 1, 1). Returns (G, H, W) float32. Square: half side = radius. Triangle: equilateral,
    circumradius = radius, a vertex up at angle 0.
    """
    if shape == "circle":
        return np.sqrt(dx * dx + dy * dy) - radius
    theta = np.deg2rad(angle)
    cos, sin = np.cos(theta).astype(np.float32), np.sin(theta).astype(np.float32)
    u = cos * dx + sin * dy  # the pixel in the shape's own frame (rotate back by the shape's angle)
    v = cos * dy - sin * dx
    if shape == "square":
        qx, qy = np.abs(u) - radius, np.abs(v) - radius
        outside = np.sqrt(np.maximum(qx, 0.0) ** 2 + np.maximum(qy, 0.0) ** 2)
        return outside + np.minimum(np.maximum(qx, qy), 0.0)
    if shape == "triangle":  # exact distance to an equilateral triangle (Quilez's formula), y pointing up
        half_side = radius * (_SQRT3 / 2.0)
        px = np.abs(u) - half_side
        py = -v + radius / 2.0
        fold = px + _SQRT3 * py > 0.0
        px, py = np.where(fold, (px - _SQRT3 * py) / 2.0, px), np.where(fold, (-_SQRT3 * px - py) / 2.0, py)
        px = px - np.clip(px, -2.0 * half_side, 0.0)
        return -np.sqrt(px * px + py * py) * np.sign(py)
    raise ValueError(f"unknown shape {shape!r}")


def coverage(shape: str, dx: np.ndarray, dy: np.ndarray, radius: np.ndarray, angle: np.ndarray) -> np.ndarray:
    """(G, H, W) float32 in [0, 1]: the fraction of each pixel the shape covers (signed-distance estimate)."""
    return np.clip(0.5 - signed_distance(shape, dx, dy, radius, angle), 0.0, 1.0).astype(np.float32)


def render_frames(video: ShapesVideo, times: np.ndarray, size: tuple[int, int] = DEFAULT_SIZE) -> np.ndarray:
    """(T, H, W, 3) uint8 RGB pictures of ``video`` at ``times`` seconds, before noise."""
    width, height = _check_size(size)
    sx, sy, s = width / REFERENCE_WIDTH, height / REFERENCE_HEIGHT, height / REFERENCE_HEIGHT
    tracks = object_tracks(video, times)
    # Scene key per frame: every object's geometry and opacity. Equal rows are drawn once.
    keys = np.stack([col for tr in tracks for col in (tr.x, tr.y, tr.scale, tr.angle, tr.opacity)], axis=1)
    _, first, inverse = np.unique(keys, axis=0, return_index=True, return_inverse=True)
    canvas = np.empty((len(first), height, width, 3), dtype=np.float32)
    canvas[:] = np.asarray(video.background, dtype=np.float32)
    for obj, track in zip(video.objects, tracks):
        opacity = track.opacity[first]
        shown = opacity > 0.0
        if not shown.any():
            continue
        cx, cy = track.x[first][shown] * sx, track.y[first][shown] * sy
        radius = obj.radius * s * track.scale[first][shown]
        reach = radius * _EXTENT[obj.shape] + 1.0
        x0, x1 = _span(cx - reach, cx + reach, width)
        y0, y1 = _span(cy - reach, cy + reach, height)
        if x0 >= x1 or y0 >= y1:
            continue
        dx = (np.arange(x0, x1, dtype=np.float32) + 0.5)[None, None, :] - cx.astype(np.float32)[:, None, None]
        dy = (np.arange(y0, y1, dtype=np.float32) + 0.5)[None, :, None] - cy.astype(np.float32)[:, None, None]
        angle = track.angle[first][shown][:, None, None]
        alpha = coverage(obj.shape, dx, dy, radius.astype(np.float32)[:, None, None], angle)
        alpha *= opacity[shown].astype(np.float32)[:, None, None]
        region = canvas[shown, y0:y1, x0:x1]  # a copy (boolean index): blend, then write back
        region += alpha[..., None] * (np.asarray(COLOURS[obj.colour], dtype=np.float32) - region)
        canvas[np.flatnonzero(shown)[:, None, None], np.arange(y0, y1)[:, None], np.arange(x0, x1)] = region
    pictures = (canvas + 0.5).astype(np.uint8)
    return pictures[inverse.reshape(-1)]


def iter_frames(
    video: ShapesVideo, size: tuple[int, int] = DEFAULT_SIZE, fps: float = DEFAULT_FPS, noise_stream: int = NOISE_STREAM
) -> Iterator[np.ndarray]:
    """Blocks of up to 64 frames, (n, H, W, 3) uint8 RGB with noise, in time order; memory stays bounded.

    ``noise_stream`` seeds the pixel noise (with the video's seed, index and block): the default is the video's own
    noise; another value gives the same pictures with other noise of the same sigma."""
    times = frame_times(video.duration, fps)
    table = noise_table(video.noise_sigma)
    for block, first in enumerate(range(0, len(times), BLOCK_FRAMES)):
        pictures = render_frames(video, times[first : first + BLOCK_FRAMES], size)
        rng = np.random.default_rng([video.seed, video.index, noise_stream, block])
        yield add_noise(pictures, table, rng)


def render_video(
    video: ShapesVideo, size: tuple[int, int] = DEFAULT_SIZE, fps: float = DEFAULT_FPS, noise_stream: int = NOISE_STREAM
) -> DecodedVideo:
    """The whole video in memory: frames (N, H, W, 3) uint8 RGB, timestamps (N,) = arange(N) / fps seconds
    (``noise_stream``: see ``iter_frames``)."""
    if not fps > 0:
        raise ValueError(f"fps must be positive, got {fps}")
    width, height = _check_size(size)
    times = frame_times(video.duration, fps)
    frames = np.empty((len(times), height, width, 3), dtype=np.uint8)
    for block, pictures in enumerate(iter_frames(video, size, fps, noise_stream)):
        frames[block * BLOCK_FRAMES : block * BLOCK_FRAMES + len(pictures)] = pictures
    return DecodedVideo(frames=frames, timestamps=times, duration=video.duration, native_fps=fps, source=video.vid)


def _span(low: np.ndarray, high: np.ndarray, limit: int) -> tuple[int, int]:
    """The integer pixel range [a, b) covering every [low, high], clipped to [0, limit)."""
    return max(0, int(math.floor(low.min()))), min(limit, int(math.ceil(high.max())))


def _check_size(size: tuple[int, int]) -> tuple[int, int]:
    width, height = (int(v) for v in size)
    if width < 8 or height < 8:
        raise ValueError(f"frame size must be at least 8x8, got {width}x{height}")
    return width, height
