"""The sampler: one scene dict as a pure function of (split, seed, index), every rule of the spec kept by rejection
sampling (see the package doc for the choices)."""

from __future__ import annotations

import math
import zlib
from collections.abc import Sequence
from typing import Any

import numpy as np

from benchmarks.independent_renderer.tables import (
    ACTIONS,
    BACKGROUNDS,
    COLOURS,
    DETS,
    DISTANCE_RANGE,
    DURATION_RANGE,
    EDGE_MARGIN,
    EPS,
    LENGTH_RANGE,
    MAX_CONCURRENT,
    MIN_GAP,
    MIN_SEPARATION,
    MOVE_DIRS,
    PHRASES,
    RADIUS_RANGE,
    REF_H,
    REF_W,
    SHAPES,
    SIGMA_RANGE,
)


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
