"""The spec's tables and ranges, transcribed from ``shapes-sta.md`` (not imported from ``vlanet_core``; see the
package doc)."""

from __future__ import annotations

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
