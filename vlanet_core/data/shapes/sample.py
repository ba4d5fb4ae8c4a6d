"""``video_spec(split, index, seed)``: one Shapes-STA video as a pure function of (seed, index).

The generator is ``np.random.default_rng([seed, index])``; the split only names the video and decides how many
sentences each event keeps (the draws are the same for every split, so the same (seed, index) gives the same video
and the same first sentence whatever the split is called).

Rejection sampling, deterministic because every retry draws from the same generator:
- objects: a start centre is redrawn until it is 3 r (the larger radius of the pair) from every placed centre;
  after 200 failures the whole scene is redrawn.
- events: their number is drawn once (2, 3 or 4 equally likely); the (object, action) set, lengths, starts, move
  distances and spin turns are redrawn together until every rule holds; after 300 failures the whole scene
  (duration included) is redrawn. Long videos accept more often than short ones, so videos with 4 events lean
  towards longer durations.
Times are whole tenths of a second (durations, lengths, starts drawn uniformly on that grid), so the one-decimal
annotation file is exact. Margins are checked at all times (not only for moves): the centre stays 1.5 x the radius
it has at that moment from every edge, so a later grow never pushes an object out of the frame either.
"""

from __future__ import annotations

import numpy as np

from vlanet_core.data.shapes.queries import draw_sentences
from vlanet_core.data.shapes.spec import (
    ACTIONS,
    BACKGROUNDS,
    COLOURS,
    DEFAULT_SEEDS,
    DURATION_RANGE,
    EDGE_MARGIN,
    EVENT_LENGTH_RANGE,
    MAX_CONCURRENT_EVENTS,
    MIN_CENTRE_GAP,
    MOVE_DISTANCE_RANGE,
    MOVES,
    NOISE_SIGMA_RANGE,
    NUM_EVENTS_RANGE,
    NUM_OBJECTS_RANGE,
    RADIUS_RANGE,
    REFERENCE_HEIGHT,
    REFERENCE_WIDTH,
    SAME_OBJECT_GAP,
    SENTENCES_PER_EVENT,
    SHAPES,
    SPIN_TURNS,
    SPLITS,
    EventSpec,
    ObjectSpec,
    ShapesVideo,
    video_id,
)
from vlanet_core.data.shapes.timeline import object_tracks

_PLACEMENT_TRIES = 200
_EVENT_TRIES = 300
_VIDEO_TRIES = 1000
_TENTHS = 10  # times are integers in tenths of a second while sampling, so every comparison is exact
_PAIRS = [(colour, shape) for colour in COLOURS for shape in SHAPES]


def _tenths(seconds: float) -> int:
    return int(round(seconds * _TENTHS))


def resolve_seed(split: str, seed: int | None) -> int:
    """The split's default seed when ``seed`` is None; checks both."""
    if split not in SPLITS:
        raise ValueError(f"unknown split {split!r}; expected one of {', '.join(SPLITS)}")
    seed = DEFAULT_SEEDS[split] if seed is None else int(seed)
    if seed < 0:
        raise ValueError(f"seed must be >= 0, got {seed}")
    return seed


def video_spec(split: str, index: int, seed: int | None = None) -> ShapesVideo:
    """Video ``index`` of ``split`` generated with ``seed`` (default: train 0, val 1, test 2)."""
    seed = resolve_seed(split, seed)
    if index < 0:
        raise ValueError(f"index must be >= 0, got {index}")
    rng = np.random.default_rng([seed, index])
    num_events = int(rng.integers(NUM_EVENTS_RANGE[0], NUM_EVENTS_RANGE[1] + 1))  # once: keeps 2/3/4 equally likely
    for _ in range(_VIDEO_TRIES):
        tenths = int(rng.integers(_tenths(DURATION_RANGE[0]), _tenths(DURATION_RANGE[1]) + 1))
        background = BACKGROUNDS[int(rng.integers(len(BACKGROUNDS)))]
        noise_sigma = float(rng.uniform(*NOISE_SIGMA_RANGE))
        objects = _sample_objects(rng)
        if objects is None:
            continue
        draft = ShapesVideo(
            video_id(split, index), split, index, seed, tenths / _TENTHS, background, noise_sigma, objects, ()
        )
        events = _sample_events(rng, draft, tenths, num_events)
        if events is not None:
            break
    else:  # pragma: no cover - the acceptance rate makes this unreachable in practice
        raise RuntimeError(f"could not sample {video_id(split, index)} with seed {seed}")
    high = SENTENCES_PER_EVENT[split][1]
    with_sentences = []
    for event in events:
        count = min(int(rng.integers(1, 3)), high)  # drawn for every split so the stream is the same
        obj = objects[event.object_index]
        sentences = draw_sentences(rng, obj.colour, obj.shape, event.action, count)
        with_sentences.append(EventSpec(**{**event.__dict__, "sentences": sentences}))
    return ShapesVideo(**{**draft.__dict__, "events": tuple(with_sentences)})


def _sample_objects(rng: np.random.Generator) -> tuple[ObjectSpec, ...] | None:
    count = int(rng.integers(NUM_OBJECTS_RANGE[0], NUM_OBJECTS_RANGE[1] + 1))
    pairs = rng.choice(len(_PAIRS), size=count, replace=False)
    radii = rng.uniform(*RADIUS_RANGE, size=count)
    placed: list[ObjectSpec] = []
    for pair, radius in zip(pairs, radii):
        margin = EDGE_MARGIN * radius
        for _ in range(_PLACEMENT_TRIES):
            x = float(rng.uniform(margin, REFERENCE_WIDTH - margin))
            y = float(rng.uniform(margin, REFERENCE_HEIGHT - margin))
            if all(np.hypot(x - o.x, y - o.y) >= MIN_CENTRE_GAP * max(radius, o.radius) for o in placed):
                colour, shape = _PAIRS[int(pair)]
                placed.append(ObjectSpec(colour, shape, float(radius), x, y))
                break
        else:
            return None
    return tuple(placed)


def _sample_events(
    rng: np.random.Generator, draft: ShapesVideo, tenths: int, count: int
) -> tuple[EventSpec, ...] | None:
    candidates = [
        (index, action)
        for index, obj in enumerate(draft.objects)
        for action in ACTIONS
        if not (action == "spin" and obj.shape == "circle")
    ]
    low, high = _tenths(EVENT_LENGTH_RANGE[0]), _tenths(EVENT_LENGTH_RANGE[1])
    for _ in range(_EVENT_TRIES):
        chosen = [candidates[int(i)] for i in rng.choice(len(candidates), size=count, replace=False)]
        lengths = rng.integers(low, min(high, tenths) + 1, size=count)
        starts = rng.integers(0, tenths - lengths + 1)
        distances = rng.uniform(*MOVE_DISTANCE_RANGE, size=count)
        turns = rng.choice(SPIN_TURNS, size=count)
        intervals = [(int(s), int(s + n)) for s, n in zip(starts, lengths)]
        if not _timing_ok(chosen, intervals):
            continue
        events = tuple(
            sorted(
                (
                    EventSpec(
                        object_index=index,
                        action=action,
                        start=start / _TENTHS,
                        end=end / _TENTHS,
                        distance=float(distances[i]) if action in MOVES else 0.0,
                        turns=int(turns[i]) if action == "spin" else 0,
                    )
                    for i, ((index, action), (start, end)) in enumerate(zip(chosen, intervals))
                ),
                key=lambda e: (e.start, e.object_index, e.action),
            )
        )
        if _margins_ok(ShapesVideo(**{**draft.__dict__, "events": events})):
            return events
    return None


def _timing_ok(chosen: list[tuple[int, str]], intervals: list[tuple[int, int]]) -> bool:
    """Per-object order and gaps, appear first / disappear last, and at most two events at once (tenths)."""
    gap = _tenths(SAME_OBJECT_GAP)
    for obj in {index for index, _ in chosen}:
        mine = sorted((interval, action) for (index, action), interval in zip(chosen, intervals) if index == obj)
        actions = [action for _, action in mine]
        if "appear" in actions[1:] or "disappear" in actions[:-1]:
            return False
        if any(mine[k + 1][0][0] - mine[k][0][1] < gap for k in range(len(mine) - 1)):
            return False
    return max_concurrent(intervals) <= MAX_CONCURRENT_EVENTS


def max_concurrent(intervals: list[tuple[float, float]] | list[tuple[int, int]]) -> int:
    """The largest number of open intervals (start, end) that share an instant; touching ends do not overlap."""
    boundaries = sorted([(start, 1) for start, _ in intervals] + [(end, -1) for _, end in intervals])
    open_now = best = 0
    for _, step in boundaries:  # at equal times -1 sorts before +1, so touching intervals do not count
        open_now += step
        best = max(best, open_now)
    return best


def _margins_ok(video: ShapesVideo) -> bool:
    """Every centre stays 1.5 x its current radius inside the frame at every event boundary (enough: between two
    boundaries a centre moves linearly with a fixed radius, or the radius changes monotonically at a fixed centre)."""
    times = np.array([0.0] + [t for e in video.events for t in (e.start, e.end)])
    for obj, track in zip(video.objects, object_tracks(video, times)):
        margin = EDGE_MARGIN * obj.radius * track.scale
        if np.any(track.x < margin) or np.any(track.x > REFERENCE_WIDTH - margin):
            return False
        if np.any(track.y < margin) or np.any(track.y > REFERENCE_HEIGHT - margin):
            return False
    return True
