"""The renderer: a scene dict to frames (T, H, W, 3) uint8 RGB, drawn with Pillow without anti-aliasing, plus
Gaussian pixel noise (see the package doc for the choices)."""

from __future__ import annotations

import math
import zlib
from collections.abc import Sequence
from typing import Any

import numpy as np
from PIL import Image, ImageDraw

from benchmarks.independent_renderer.tables import (
    COLOURS,
    GROW_FACTOR,
    MOVE_DIRS,
    REF_H,
    REF_W,
    SHRINK_FACTOR,
)


def _progress(t: float, event: dict[str, Any]) -> float:
    """p = (t - start) / (end - start), clipped to [0, 1]."""
    span = float(event["end"]) - float(event["start"])
    if span <= 0:
        return 1.0 if t >= event["start"] else 0.0
    return min(1.0, max(0.0, (t - float(event["start"])) / span))


def _object_state(obj: dict[str, Any], events: Sequence[dict[str, Any]], t: float) -> tuple[float, ...]:
    """State of one object at time t in reference units: (x, y, radius, angle_rad, alpha).

    ``events`` are the object's own events sorted by start.
    """
    x, y, scale, angle, alpha = float(obj["x"]), float(obj["y"]), 1.0, 0.0, 1.0
    for e in events:
        action, p = e["action"], _progress(t, e)
        if action in MOVE_DIRS:
            dx, dy = MOVE_DIRS[action]
            x += dx * float(e["distance"]) * p
            y += dy * float(e["distance"]) * p
        elif action == "grow":
            scale *= 1.0 + (GROW_FACTOR - 1.0) * p
        elif action == "shrink":
            scale *= 1.0 + (SHRINK_FACTOR - 1.0) * p
        elif action == "spin":
            angle = -2.0 * math.pi * int(e["turns"]) * p if p < 1.0 else 0.0
        elif action == "appear":
            alpha *= p
        elif action == "disappear":
            alpha *= 1.0 - p
        elif action == "blink" and float(e["start"]) <= t < float(e["end"]):
            alpha *= 1.0 if math.floor(round(4.0 * (t - float(e["start"])), 9)) % 2 == 0 else 0.0
    return x, y, float(obj["radius"]) * scale, angle, alpha


def _polygon(shape: str, cx: float, cy: float, r: float, angle: float) -> list[tuple[float, float]]:
    """Vertices of a square (half side r) or triangle (circumradius r, vertex up), rotated by angle (image axes)."""
    if shape == "square":
        base = [-3 * math.pi / 4, -math.pi / 4, math.pi / 4, 3 * math.pi / 4]
        rad = r * math.sqrt(2.0)
    else:
        base = [-math.pi / 2, math.pi / 6, 5 * math.pi / 6]
        rad = r
    return [(cx + rad * math.cos(a + angle), cy + rad * math.sin(a + angle)) for a in base]


def _draw_shape(draw: ImageDraw.ImageDraw, shape: str, cx: float, cy: float, r: float, angle: float, fill: Any) -> None:
    if shape == "circle":
        draw.ellipse([cx - r, cy - r, cx + r, cy + r], fill=fill)
    else:
        draw.polygon(_polygon(shape, cx, cy, r, angle), fill=fill)


def _draw_object(img: Image.Image, obj: dict[str, Any], state: tuple[float, ...], scales: tuple[float, ...]) -> None:
    """Draw one object in frame pixels; scales = (sx, sy, sr) from reference units."""
    x, y, r, angle, alpha = state
    if alpha <= 0.0 or r <= 0.0:
        return
    sx, sy, sr = scales
    colour = tuple(COLOURS[obj["colour"]])
    geom = (obj["shape"], x * sx, y * sy, r * sr, angle)
    if alpha >= 1.0:
        _draw_shape(ImageDraw.Draw(img), *geom, fill=colour)
        return
    mask = Image.new("L", img.size, 0)
    _draw_shape(ImageDraw.Draw(mask), *geom, fill=int(round(255 * alpha)))
    img.paste(colour, (0, 0, img.size[0], img.size[1]), mask)


def num_frames(duration: float, fps: float) -> int:
    """Number of frames at t = k / fps covering [0, duration)."""
    return int(math.ceil(round(float(duration) * float(fps), 6)))


def _noise_rng(scene: dict[str, Any], noise_seed: int) -> np.random.Generator:
    vid = str(scene.get("vid", ""))
    return np.random.default_rng(np.random.SeedSequence([int(noise_seed) % (1 << 64), zlib.crc32(vid.encode())]))


def _clean_frame(
    scene: dict[str, Any], per_object: Sequence[Sequence[dict[str, Any]]], t: float, size: tuple[int, int]
) -> np.ndarray:
    w, h = int(size[0]), int(size[1])
    scales = (w / REF_W, h / REF_H, h / REF_H)
    img = Image.new("RGB", (w, h), tuple(int(c) for c in scene["background"]))
    for oi, obj in enumerate(scene["objects"]):
        _draw_object(img, obj, _object_state(obj, per_object[oi], t), scales)
    return np.asarray(img, dtype=np.uint8)


def render_clean_frame(scene: dict[str, Any], t: float, size: tuple[int, int] = (REF_W, REF_H)) -> np.ndarray:
    """The noise-free frame at time t, shape (H, W, 3) uint8 RGB."""
    return _clean_frame(scene, _events_by_object(scene), t, size)


def _events_by_object(scene: dict[str, Any]) -> list[list[dict[str, Any]]]:
    out: list[list[dict[str, Any]]] = [[] for _ in scene["objects"]]
    for e in scene["events"]:
        out[int(e["object_index"])].append(e)
    return [sorted(evs, key=lambda e: float(e["start"])) for evs in out]


def render_frames(
    scene: dict[str, Any], size: tuple[int, int] = (REF_W, REF_H), fps: float = 10.0, noise_seed: int = 0
) -> np.ndarray:
    """Render a scene: array of shape (T, H, W, 3), uint8 RGB, frame k at t = k / fps, T = ceil(duration * fps)."""
    w, h = int(size[0]), int(size[1])
    n = num_frames(scene["duration"], fps)
    frames = np.empty((n, h, w, 3), dtype=np.uint8)
    sigma = float(scene.get("noise_sigma", 0.0))
    rng = _noise_rng(scene, noise_seed)
    buf = np.empty((h, w, 3), dtype=np.float32)
    per_object = _events_by_object(scene)
    for k in range(n):
        clean = _clean_frame(scene, per_object, k / float(fps), (w, h))
        if sigma <= 0.0:
            frames[k] = clean
            continue
        rng.standard_normal(out=buf, dtype=np.float32)
        buf *= sigma
        buf += clean
        np.rint(buf, out=buf)
        np.clip(buf, 0, 255, out=buf)
        frames[k] = buf
    return frames
