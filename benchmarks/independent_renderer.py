"""Independent, clean-room renderer of the Shapes-STA benchmark.

Written from the specification text alone (``shapes-sta.md``), so that videos from a second program can be
scored by the project's models and compared with the project's own renderer. It imports nothing from
``vlanet_core`` on purpose: the spec's tables (colours, backgrounds, phrases) are transcribed here a second time, so
that a mistake in the project's transcription would show up as a difference instead of being shared.

Public API
----------
- ``sample_scene(split, index, seed) -> dict``: one scene, a pure function of (split, seed, index).
- ``render_frames(scene, size=(320, 240), fps=10.0, noise_seed=0) -> np.ndarray``: frames of shape (T, H, W, 3),
  uint8 RGB, at times t = k / fps covering [0, duration).
- ``write_video(frames, path, fps=10.0, codec="mp4v")``: an mp4 through ``cv2.VideoWriter``.
- ``write_scenes(out_dir, scenes, ...)`` / ``write_split(out_dir, split, seed, count, ...)``: videos plus the
  Charades-STA style annotation files ``<split>.txt``, ``<split>.json`` and ``scenes.json``.
- CLI: ``python benchmarks/independent_renderer.py --split test --seed 2 --count 10 --out DIR`` or
  ``--scenes FILE.json --out DIR`` to render given scene dicts.

Scene format (all lengths in pixels of the 320x240 reference frame; x grows right, y grows down)::

    {"vid", "split", "index", "seed", "duration", "background": [r, g, b], "noise_sigma",
     "objects": [{"colour", "shape", "radius", "x", "y"}, ...],            # drawing order
     "events": [{"object_index", "action", "start", "end", "distance", "turns", "sentences"}, ...]}

Choices made where the specification leaves things open
-------------------------------------------------------
Sampling:
- RNG: ``numpy.random.default_rng(SeedSequence([seed mod 2**64, crc32(split), index]))``.
- duration ~ U[15, 40] rounded to 0.1 s; noise sigma ~ U[0, 6] rounded to 0.01; radius ~ U[16, 26] per object,
  rounded to 0.01; centres rounded to 0.1 px; move distance ~ U[60, 140] rounded to 0.1 px. Every rule is checked
  on the rounded values.
- Object count and event count uniform in {2, 3, 4}; (colour, shape) pairs drawn without replacement from the 18.
- "Starting centres at least 3r apart" uses the larger radius of the pair: |c_i - c_j| >= 3 max(r_i, r_j).
- Events are added one by one by rejection sampling: object uniform, then action uniform among those still allowed
  (no repeat of (object, action), no spin for circles), length ~ U[2.5, 12], start ~ U[0, duration - length], both
  ends rounded to 0.1 s and re-checked. A candidate is kept only if the object's whole timeline stays valid
  (no overlap, >= 0.5 s gaps, appear first, disappear last, centre >= 1.5 r_base from every edge at all times) and
  no instant has more than two events running (events touching at an end point do not overlap). A scene that
  cannot be completed is re-drawn from the same generator.
- "1.5r inside the frame" uses the object's base radius r (not the grown or shrunk one).
- Sentences: det uniform in {the, a}, phrase uniform in its action's list. Train: 1 or 2 (uniform) distinct
  sentences per event; val/test (and any other split name): one.

Rendering:
- Positions map to frame pixels by x * w / 320 and y * h / 240; radii and move distances by h / 240 (for a 4:3
  frame all of these are the same factor). A centre is passed to Pillow as that float pixel coordinate.
- Shapes are drawn with Pillow ``ImageDraw`` without anti-aliasing (hard edges): circles with ``ellipse`` on the
  bounding box [c - r, c + r], squares and triangles as ``polygon``. Objects are drawn in list order.
- Partial opacity alpha in (0, 1) is alpha compositing of the object's colour over the frame drawn so far, using
  a mask of value round(255 alpha) (``Image.paste(colour, mask=...)``); alpha <= 0 draws nothing.
- State is piecewise: p = clip((t - start) / (end - start), 0, 1), so an event's effect is 0 before it and full
  after it. grow / shrink multiply the radius scale left by earlier events by (1 + 0.7 p) / (1 - 0.45 p).
  Moves add d p along their direction (move_up decreases y).
- Spin is counter-clockwise on screen, angle 360 deg x turns x p; after the event the shape is back at rest.
- Blink is applied for start <= t < end: visible iff floor(4 (t - start)) is even (times rounded to 1e-9 first
  to avoid float noise). Blink visibility multiplies the appear/disappear opacity.
- Appear: alpha 0 before start, p during, 1 after. Disappear: 1 before, 1 - p during, 0 after.
- Noise: i.i.d. Gaussian per pixel and per channel, float32 standard normals times sigma, added to the clean
  frame, rounded to nearest, clipped to [0, 255]. The noise generator is seeded from
  (noise_seed, crc32(vid)), so a render is a pure function of (scene, size, fps, noise_seed).
- Frame count T = ceil(duration * fps) (computed on duration * fps rounded to 1e-6), frame k shows time k / fps.
- ``write_video`` writes RGB frames as BGR with cv2 (default fourcc mp4v).
"""

from __future__ import annotations

import argparse
import json
import math
import subprocess
import zlib
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import cv2
import numpy as np
from PIL import Image, ImageDraw

REF_W, REF_H = 320, 240

BACKGROUNDS: tuple[tuple[int, int, int], ...] = ((40, 40, 40), (90, 90, 90), (30, 40, 70), (60, 50, 40))
COLOURS: dict[str, tuple[int, int, int]] = {
    "red": (220, 40, 40),
    "green": (40, 180, 60),
    "blue": (50, 90, 230),
    "yellow": (235, 210, 40),
    "purple": (150, 60, 190),
    "white": (240, 240, 240),
}
SHAPES: tuple[str, ...] = ("circle", "square", "triangle")
PHRASES: dict[str, tuple[str, ...]] = {
    "move_left": ("moves to the left", "moves left", "slides to the left", "is moving to the left"),
    "move_right": ("moves to the right", "moves right", "slides to the right", "is moving to the right"),
    "move_up": ("moves up", "rises", "goes up", "is moving upward"),
    "move_down": ("moves down", "falls", "goes down", "is moving downward"),
    "appear": ("appears", "fades in", "shows up", "comes into view"),
    "disappear": ("disappears", "fades out", "vanishes", "goes out of view"),
    "grow": ("grows", "gets bigger", "expands", "is growing larger"),
    "shrink": ("shrinks", "gets smaller", "contracts", "is shrinking"),
    "spin": ("spins", "rotates", "turns around", "is spinning"),
    "blink": ("blinks", "flashes", "flickers", "is blinking"),
}
ACTIONS: tuple[str, ...] = tuple(PHRASES)
MOVE_DIRS: dict[str, tuple[float, float]] = {
    "move_left": (-1.0, 0.0),
    "move_right": (1.0, 0.0),
    "move_up": (0.0, -1.0),
    "move_down": (0.0, 1.0),
}
DETS: tuple[str, ...] = ("the", "a")

DURATION_RANGE = (15.0, 40.0)
SIGMA_RANGE = (0.0, 6.0)
RADIUS_RANGE = (16.0, 26.0)
LENGTH_RANGE = (2.5, 12.0)
DISTANCE_RANGE = (60.0, 140.0)
GROW_FACTOR = 1.7
SHRINK_FACTOR = 0.55
MIN_GAP = 0.5
EDGE_MARGIN = 1.5
MIN_SEPARATION = 3.0
MAX_CONCURRENT = 2
EPS = 1e-9


# ----------------------------------------------------------------------------------------------------------------
# Sampling
# ----------------------------------------------------------------------------------------------------------------


def _make_rng(split: str, index: int, seed: int) -> np.random.Generator:
    """A generator that is a pure function of (split, seed, index)."""
    entropy = [int(seed) % (1 << 64), zlib.crc32(split.encode("utf-8")), int(index) % (1 << 64)]
    return np.random.default_rng(np.random.SeedSequence(entropy))


def _uniform(rng: np.random.Generator, bounds: tuple[float, float]) -> float:
    return float(rng.uniform(bounds[0], bounds[1]))


def _inside(x: float, y: float, r: float) -> bool:
    """True if centre (x, y) is at least 1.5 r from every edge of the reference frame."""
    m = EDGE_MARGIN * r - EPS
    return m <= x <= REF_W - m and m <= y <= REF_H - m


def _sample_objects(rng: np.random.Generator, count: int) -> list[dict[str, Any]] | None:
    """Distinct (colour, shape) pairs with separated, in-frame centres; None if placement failed."""
    pairs = [(c, s) for c in COLOURS for s in SHAPES]
    chosen = rng.choice(len(pairs), size=count, replace=False)
    objects: list[dict[str, Any]] = []
    for k in chosen:
        colour, shape = pairs[int(k)]
        r = round(_uniform(rng, RADIUS_RANGE), 2)
        for _ in range(500):
            x = round(_uniform(rng, (EDGE_MARGIN * r, REF_W - EDGE_MARGIN * r)), 1)
            y = round(_uniform(rng, (EDGE_MARGIN * r, REF_H - EDGE_MARGIN * r)), 1)
            if _inside(x, y, r) and all(
                math.hypot(x - o["x"], y - o["y"]) >= MIN_SEPARATION * max(r, o["radius"]) - EPS for o in objects
            ):
                objects.append({"colour": colour, "shape": shape, "radius": r, "x": x, "y": y})
                break
        else:
            return None
    return objects


def _overlap(a: dict[str, Any], b: dict[str, Any]) -> bool:
    """Open-interval overlap of two events."""
    return a["start"] < b["end"] - EPS and b["start"] < a["end"] - EPS


def _max_concurrency(events: Sequence[dict[str, Any]]) -> int:
    """Largest number of events running at one instant (just after some event's start)."""
    best = 0
    for e in events:
        t = e["start"]
        best = max(best, sum(1 for f in events if f["start"] <= t + EPS and t < f["end"] - EPS))
    return best


def _object_timeline_ok(obj: dict[str, Any], events: Sequence[dict[str, Any]]) -> bool:
    """Check one object's events: order, gaps, appear/disappear position and move bounds."""
    evs = sorted(events, key=lambda e: e["start"])
    for a, b in zip(evs, evs[1:]):
        if b["start"] - a["end"] < MIN_GAP - EPS:
            return False
    x, y, r = obj["x"], obj["y"], obj["radius"]
    for i, e in enumerate(evs):
        if e["action"] == "appear" and i != 0:
            return False
        if e["action"] == "disappear" and i != len(evs) - 1:
            return False
        if e["action"] in MOVE_DIRS:
            dx, dy = MOVE_DIRS[e["action"]]
            x, y = x + dx * e["distance"], y + dy * e["distance"]
            if not _inside(x, y, r):
                return False
    return True


def _sentence(rng: np.random.Generator, obj: dict[str, Any], action: str) -> str:
    det = DETS[int(rng.integers(len(DETS)))]
    phrases = PHRASES[action]
    phrase = phrases[int(rng.integers(len(phrases)))]
    return f"{det} {obj['colour']} {obj['shape']} {phrase}"


def _sentences(rng: np.random.Generator, split: str, obj: dict[str, Any], action: str) -> list[str]:
    """One sentence (val/test) or one or two distinct sentences (train)."""
    wanted = int(rng.integers(1, 3)) if split == "train" else 1
    out = [_sentence(rng, obj, action)]
    while len(out) < wanted:
        s = _sentence(rng, obj, action)
        if s not in out:
            out.append(s)
    return out


def _candidate_event(
    rng: np.random.Generator, objects: Sequence[dict[str, Any]], events: Sequence[dict[str, Any]], duration: float
) -> dict[str, Any] | None:
    """One random event (not yet validated against the timeline); None if the drawn object has no free action."""
    oi = int(rng.integers(len(objects)))
    used = {e["action"] for e in events if e["object_index"] == oi}
    allowed = [a for a in ACTIONS if a not in used and not (a == "spin" and objects[oi]["shape"] == "circle")]
    if not allowed:
        return None
    action = allowed[int(rng.integers(len(allowed)))]
    length = _uniform(rng, LENGTH_RANGE)
    start = round(_uniform(rng, (0.0, duration - length)), 1)
    end = round(start + length, 1)
    if not (LENGTH_RANGE[0] - EPS <= end - start <= LENGTH_RANGE[1] + EPS and start >= 0 and end <= duration + EPS):
        return None
    distance = round(_uniform(rng, DISTANCE_RANGE), 1) if action in MOVE_DIRS else 0.0
    turns = int(rng.integers(1, 3)) if action == "spin" else 0
    return {"object_index": oi, "action": action, "start": start, "end": end, "distance": distance, "turns": turns}


def _event_ok(objects: Sequence[dict[str, Any]], events: Sequence[dict[str, Any]], cand: dict[str, Any]) -> bool:
    oi = cand["object_index"]
    mine = [e for e in events if e["object_index"] == oi] + [cand]
    if any(_overlap(e, cand) for e in mine[:-1]):
        return False
    if not _object_timeline_ok(objects[oi], mine):
        return False
    return _max_concurrency([*events, cand]) <= MAX_CONCURRENT


def _sample_events(
    rng: np.random.Generator, objects: Sequence[dict[str, Any]], duration: float, count: int
) -> list[dict[str, Any]] | None:
    """Rejection-sample ``count`` mutually valid events; None if it got stuck."""
    events: list[dict[str, Any]] = []
    for _ in range(count):
        for _ in range(400):
            cand = _candidate_event(rng, objects, events, duration)
            if cand is not None and _event_ok(objects, events, cand):
                events.append(cand)
                break
        else:
            return None
    return events


def sample_scene(split: str, index: int, seed: int) -> dict[str, Any]:
    """Sample one Shapes-STA video description, a pure function of (split, seed, index).

    Returns the JSON-serialisable scene dict described in the module docstring (lengths in 320x240 pixels).
    """
    rng = _make_rng(split, index, seed)
    while True:
        duration = round(_uniform(rng, DURATION_RANGE), 1)
        background = list(BACKGROUNDS[int(rng.integers(len(BACKGROUNDS)))])
        sigma = round(_uniform(rng, SIGMA_RANGE), 2)
        objects = _sample_objects(rng, int(rng.integers(2, 5)))
        if objects is None:
            continue
        events = _sample_events(rng, objects, duration, int(rng.integers(2, 5)))
        if events is None:
            continue
        events.sort(key=lambda e: (e["start"], e["object_index"]))
        for e in events:
            e["sentences"] = _sentences(rng, split, objects[e["object_index"]], e["action"])
        return {
            "vid": f"{split}_{index:05d}",
            "split": split,
            "index": int(index),
            "seed": int(seed),
            "duration": duration,
            "background": background,
            "noise_sigma": sigma,
            "objects": objects,
            "events": events,
        }


# ----------------------------------------------------------------------------------------------------------------
# Rendering
# ----------------------------------------------------------------------------------------------------------------


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


# ----------------------------------------------------------------------------------------------------------------
# Files
# ----------------------------------------------------------------------------------------------------------------


def write_video(frames: np.ndarray, path: str | Path, fps: float = 10.0, codec: str = "mp4v") -> None:
    """Write frames of shape (T, H, W, 3) uint8 RGB to a video file with cv2.VideoWriter, or, for ``codec="h264"``
    (which OpenCV's wheel does not write), with the FFmpeg of ``imageio-ffmpeg`` (libx264, yuv420p, its default
    quality, as most tools write H.264)."""
    if frames.ndim != 4 or frames.shape[-1] != 3:
        raise ValueError(f"frames must have shape (T, H, W, 3), got {frames.shape}")
    h, w = int(frames.shape[1]), int(frames.shape[2])
    if codec == "h264":
        _write_h264(frames, path, fps)
        return
    writer = cv2.VideoWriter(str(path), cv2.VideoWriter_fourcc(*codec), float(fps), (w, h))
    if not writer.isOpened():
        raise RuntimeError(f"cv2.VideoWriter could not open {path!s} with codec {codec!r} ({w}x{h} @ {fps} fps)")
    try:
        for frame in frames:
            writer.write(cv2.cvtColor(np.ascontiguousarray(frame, dtype=np.uint8), cv2.COLOR_RGB2BGR))
    finally:
        writer.release()


def _write_h264(frames: np.ndarray, path: str | Path, fps: float) -> None:
    try:
        import imageio_ffmpeg
    except ImportError:
        raise RuntimeError("codec 'h264' needs the imageio-ffmpeg package (pip install imageio-ffmpeg)") from None
    h, w = int(frames.shape[1]), int(frames.shape[2])
    command = [imageio_ffmpeg.get_ffmpeg_exe(), "-hide_banner", "-loglevel", "error", "-y", "-f", "rawvideo"]
    command += ["-pix_fmt", "rgb24", "-s", f"{w}x{h}", "-r", str(fps), "-i", "-"]
    command += ["-c:v", "libx264", "-pix_fmt", "yuv420p", str(path)]
    done = subprocess.run(command, input=np.ascontiguousarray(frames, dtype=np.uint8).tobytes(), capture_output=True)
    if done.returncode != 0:
        raise RuntimeError(f"FFmpeg could not write {path!s} as H.264: {done.stderr.decode(errors='replace')[-300:]}")


def annotation_rows(scene: dict[str, Any]) -> list[str]:
    """Charades-STA rows ``<vid> <start> <end>##<sentence>`` of one scene."""
    return [
        f"{scene['vid']} {float(e['start']):.1f} {float(e['end']):.1f}##{s}"
        for e in scene["events"]
        for s in e["sentences"]
    ]


def write_scenes(
    out_dir: str | Path,
    scenes: Sequence[dict[str, Any]],
    size: tuple[int, int] = (REF_W, REF_H),
    fps: float = 10.0,
    codec: str = "mp4v",
) -> list[dict[str, Any]]:
    """Render and write the given scenes: ``<vid>.mp4``, ``<split>.txt``, ``<split>.json`` and ``scenes.json``."""
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    rows: dict[str, list[str]] = {}
    meta: dict[str, dict[str, dict[str, Any]]] = {}
    for scene in scenes:
        write_video(render_frames(scene, size=size, fps=fps), out / f"{scene['vid']}.mp4", fps=fps, codec=codec)
        split = str(scene.get("split", "scenes"))
        rows.setdefault(split, []).extend(annotation_rows(scene))
        meta.setdefault(split, {})[scene["vid"]] = {
            "duration": scene["duration"],
            "fps": float(fps),
            "width": int(size[0]),
            "height": int(size[1]),
        }
    for split, lines in rows.items():
        (out / f"{split}.txt").write_text("".join(line + "\n" for line in lines), encoding="utf-8")
        (out / f"{split}.json").write_text(json.dumps(meta[split], indent=1), encoding="utf-8")
    (out / "scenes.json").write_text(json.dumps(list(scenes), indent=1), encoding="utf-8")
    return list(scenes)


def write_split(
    out_dir: str | Path,
    split: str,
    seed: int,
    count: int,
    size: tuple[int, int] = (REF_W, REF_H),
    fps: float = 10.0,
    codec: str = "mp4v",
) -> list[dict[str, Any]]:
    """Sample scenes 0..count-1 of a split and write them with ``write_scenes``; returns the scenes."""
    scenes = [sample_scene(split, i, seed) for i in range(count)]
    return write_scenes(out_dir, scenes, size=size, fps=fps, codec=codec)


def _parse_size(text: str) -> tuple[int, int]:
    w, h = text.lower().split("x")
    return int(w), int(h)


def main(argv: Sequence[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--split", default="test")
    parser.add_argument("--seed", type=int, default=None, help="default: train 0, val 1, test 2, else 0")
    parser.add_argument("--count", type=int, default=10)
    parser.add_argument("--out", required=True)
    parser.add_argument("--size", type=_parse_size, default=(REF_W, REF_H), help="WxH, default 320x240")
    parser.add_argument("--fps", type=float, default=10.0)
    parser.add_argument("--codec", default="mp4v")
    parser.add_argument("--scenes", default=None, help="JSON list of scene dicts to render instead of sampling")
    args = parser.parse_args(argv)
    if args.scenes:
        scenes = json.loads(Path(args.scenes).read_text(encoding="utf-8"))
        write_scenes(args.out, scenes, size=args.size, fps=args.fps, codec=args.codec)
    else:
        seed = args.seed if args.seed is not None else {"train": 0, "val": 1, "test": 2}.get(args.split, 0)
        scenes = write_split(args.out, args.split, seed, args.count, size=args.size, fps=args.fps, codec=args.codec)
    print(f"wrote {len(scenes)} videos to {args.out}")


if __name__ == "__main__":
    main()
