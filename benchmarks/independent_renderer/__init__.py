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
- ``write_video(frames, path, fps=10.0, codec="mp4v")``: a file through ``cv2.VideoWriter``, or H.264 through
  imageio-ffmpeg's FFmpeg (``codec="h264"``).
- ``write_scenes(out_dir, scenes, ...)`` / ``write_split(out_dir, split, seed, count, ...)``: videos plus the
  Charades-STA style annotation files ``<split>.txt``, ``<split>.json`` and ``scenes.json``.
- CLI: ``python -m benchmarks.independent_renderer --split test --seed 2 --count 10 --out DIR`` or
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

from benchmarks.independent_renderer.cli import main
from benchmarks.independent_renderer.files import annotation_rows, write_scenes, write_split, write_video
from benchmarks.independent_renderer.render import num_frames, render_clean_frame, render_frames
from benchmarks.independent_renderer.sample import sample_scene

__all__ = [
    "annotation_rows",
    "main",
    "num_frames",
    "render_clean_frame",
    "render_frames",
    "sample_scene",
    "write_scenes",
    "write_split",
    "write_video",
]
