"""The constants of the Shapes-STA contract (/work/shared/specs/shapes-sta.md) and the typed description of one video.

Geometry lives in a 320x240 *reference frame*: centres, radii and move distances are reference pixels, and the
renderer maps them to any frame size (x by width/320, y and every length by height/240, as the spec scales lengths
with the frame's height). Times are seconds; the sampler draws them on a 0.1-s grid so that the one-decimal
annotation file holds exactly the times the renderer uses.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import Any

REFERENCE_WIDTH = 320
REFERENCE_HEIGHT = 240  # every length of the spec is given for this height and scales with h / 240

COLOURS: dict[str, tuple[int, int, int]] = {
    "red": (220, 40, 40),
    "green": (40, 180, 60),
    "blue": (50, 90, 230),
    "yellow": (235, 210, 40),
    "purple": (150, 60, 190),
    "white": (240, 240, 240),
}
SHAPES: tuple[str, ...] = ("circle", "square", "triangle")
BACKGROUNDS: tuple[tuple[int, int, int], ...] = ((40, 40, 40), (90, 90, 90), (30, 40, 70), (60, 50, 40))

MOVES: dict[str, tuple[int, int]] = {  # unit direction in image coordinates (y grows downwards)
    "move_left": (-1, 0),
    "move_right": (1, 0),
    "move_up": (0, -1),
    "move_down": (0, 1),
}
ACTIONS: tuple[str, ...] = (*MOVES, "appear", "disappear", "grow", "shrink", "spin", "blink")
SCALE_AT_END: dict[str, float] = {"grow": 1.7, "shrink": 0.55}  # r scales linearly 1 -> this over the event

DURATION_RANGE = (15.0, 40.0)  # seconds
NOISE_SIGMA_RANGE = (0.0, 6.0)  # grey levels, fixed per video
NUM_OBJECTS_RANGE = (2, 4)  # inclusive
RADIUS_RANGE = (16.0, 26.0)  # reference pixels
MIN_CENTRE_GAP = 3.0  # starting centres at least 3 r apart (r = the larger of the two radii)
EDGE_MARGIN = 1.5  # centres at least 1.5 r (current r) from every edge, at all times
NUM_EVENTS_RANGE = (2, 4)  # inclusive
EVENT_LENGTH_RANGE = (2.5, 12.0)  # seconds
SAME_OBJECT_GAP = 0.5  # seconds between two events of one object
MAX_CONCURRENT_EVENTS = 2
MOVE_DISTANCE_RANGE = (60.0, 140.0)  # reference pixels
SPIN_TURNS = (1, 2)
BLINK_RATE = 4.0  # visible iff floor(4 (t - start)) is even: hidden every other quarter second

SPLITS: tuple[str, ...] = ("train", "val", "test")
DEFAULT_SEEDS: dict[str, int] = {"train": 0, "val": 1, "test": 2}
DEFAULT_SIZES: dict[str, int] = {"train": 5000, "val": 500, "test": 1500}
SENTENCES_PER_EVENT: dict[str, tuple[int, int]] = {"train": (1, 2), "val": (1, 1), "test": (1, 1)}

DEFAULT_FPS = 10.0
DEFAULT_SIZE = (320, 240)  # (width, height)


def video_id(split: str, index: int) -> str:
    """``<split>_<index:05d>``, e.g. ``test_00042``."""
    return f"{split}_{index:05d}"


@dataclass(frozen=True)
class ObjectSpec:
    """One shape: its name parts, base radius and starting centre, in reference pixels (320x240 frame)."""

    colour: str
    shape: str
    radius: float
    x: float
    y: float

    @property
    def name(self) -> str:
        return f"{self.colour} {self.shape}"


@dataclass(frozen=True)
class EventSpec:
    """One action of one object during [start, end] seconds.

    ``distance`` (reference pixels) is set for moves only, ``turns`` for spin only. ``sentences`` holds the queries
    that describe it (one, or one or two on the train split).
    """

    object_index: int
    action: str
    start: float
    end: float
    distance: float = 0.0
    turns: int = 0
    sentences: tuple[str, ...] = field(default_factory=tuple)

    @property
    def length(self) -> float:
        return self.end - self.start


@dataclass(frozen=True)
class ShapesVideo:
    """Everything needed to render one Shapes-STA video and to write its annotation rows.

    ``events`` are sorted by start time; ``objects`` are in drawing order (later objects are drawn on top).
    """

    vid: str
    split: str
    index: int
    seed: int
    duration: float
    background: tuple[int, int, int]
    noise_sigma: float
    objects: tuple[ObjectSpec, ...]
    events: tuple[EventSpec, ...]

    def events_of(self, object_index: int) -> list[EventSpec]:
        """The object's events in time order."""
        return [event for event in self.events if event.object_index == object_index]

    def to_dict(self) -> dict[str, Any]:
        """A JSON-serialisable dict (tuples become lists); ``from_dict`` inverts it."""
        return asdict(self)

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> ShapesVideo:
        return cls(
            vid=data["vid"],
            split=data["split"],
            index=int(data["index"]),
            seed=int(data["seed"]),
            duration=float(data["duration"]),
            background=tuple(data["background"]),  # type: ignore[arg-type]
            noise_sigma=float(data["noise_sigma"]),
            objects=tuple(ObjectSpec(**obj) for obj in data["objects"]),
            events=tuple(EventSpec(**{**ev, "sentences": tuple(ev["sentences"])}) for ev in data["events"]),
        )
