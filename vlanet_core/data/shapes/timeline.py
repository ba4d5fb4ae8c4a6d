"""The state of every object at any time: the semantics of the events table, vectorised over times.

Choices where the spec is silent (written here so that other renderers can match them):
- Progress p = clip((t - start) / (end - start), 0, 1): before its start an event has no effect, after its end
  its full effect persists ("keeps the state its last event left").
- grow / shrink multiply the radius the object has when the event starts (1 -> 1.7, 1 -> 0.55 linearly), so an
  object that grows then shrinks ends at 1.7 x 0.55 of its base radius.
- spin turns clockwise on screen; after a whole number of turns the shape is back at rest.
- blink hides the object during [start, end) when floor(4 (t - start) + 1e-6) is odd; the 1e-6 makes a frame that
  lands exactly on a quarter-second boundary (0.5 s at 10 fps) count as the next quarter despite float rounding.
- Opacity multiplies appear (p), disappear (1 - p) and blink (0 or 1).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from vlanet_core.data.shapes.spec import BLINK_RATE, MOVES, SCALE_AT_END, ShapesVideo

_BOUNDARY_EPS = 1e-6


@dataclass
class ObjectTrack:
    """One object's state at each of T times; every field is (T,) float64.

    ``x``, ``y``: centre in reference pixels; ``scale``: radius / base radius; ``angle``: degrees clockwise in
    [0, 360); ``opacity``: 0 (invisible) .. 1.
    """

    x: np.ndarray
    y: np.ndarray
    scale: np.ndarray
    angle: np.ndarray
    opacity: np.ndarray


def progress(times: np.ndarray, start: float, end: float) -> np.ndarray:
    """(T,) p in [0, 1]: 0 before start, 1 after end, linear between."""
    return np.clip((times - start) / (end - start), 0.0, 1.0)


def blink_visible(times: np.ndarray, start: float, end: float) -> np.ndarray:
    """(T,) bool: False during the hidden quarter seconds of a blink over [start, end), True elsewhere."""
    during = (times >= start) & (times < end)
    quarter = np.floor(BLINK_RATE * (times - start) + _BOUNDARY_EPS).astype(np.int64)
    return ~during | (quarter % 2 == 0)


def object_tracks(video: ShapesVideo, times: np.ndarray) -> list[ObjectTrack]:
    """The state of each object of ``video`` (drawing order) at ``times`` (T,) seconds."""
    times = np.asarray(times, dtype=np.float64)
    tracks = []
    for index, obj in enumerate(video.objects):
        x = np.full(times.shape, obj.x)
        y = np.full(times.shape, obj.y)
        scale = np.ones(times.shape)
        angle = np.zeros(times.shape)
        opacity = np.ones(times.shape)
        for event in video.events_of(index):
            p = progress(times, event.start, event.end)
            if event.action in MOVES:
                dx, dy = MOVES[event.action]
                x = x + dx * event.distance * p
                y = y + dy * event.distance * p
            elif event.action in SCALE_AT_END:
                scale = scale * (1.0 + (SCALE_AT_END[event.action] - 1.0) * p)
            elif event.action == "spin":
                angle = angle + 360.0 * event.turns * p
            elif event.action == "appear":
                opacity = opacity * p
            elif event.action == "disappear":
                opacity = opacity * (1.0 - p)
            elif event.action == "blink":
                opacity = opacity * blink_visible(times, event.start, event.end)
            else:
                raise ValueError(f"unknown action {event.action!r} in {video.vid}")
        tracks.append(ObjectTrack(x=x, y=y, scale=scale, angle=np.mod(angle, 360.0), opacity=opacity))
    return tracks
