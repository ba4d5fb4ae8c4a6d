"""The evaluator's own, deliberately small, annotation loading (this package imports nothing else from
vlanet_core, so it can be copied out and run alone, like moment_detr's standalone_eval).

It applies the same rules as ``vlanet_core.data`` in its default (lenient) mode, and a test checks both give
the same (vid, query, spans) on every public file: spans are clipped to ``[0, duration]``; rows with start
after end, a zero-length span, a span outside the video, an empty sentence or an unknown video are left out
(counted in ``GroundTruthSet.dropped``); unparsable rows raise ``EvaluationInputError`` naming file and line.

Durations for the text formats (``charades``, ``shapes``): ``durations=`` a ``.json`` (``{vid: {"duration"}}``,
as charades.json and Shapes-STA's ``<split>.json``) or a Charades ``.csv`` (``id``, ``length``); when not given,
the first of ``charades.json``, ``<stem>.json``, the two Charades CSVs found beside the annotation file.
"""

from __future__ import annotations

import csv
import json
import math
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from vlanet_core.evaluation.errors import EvaluationInputError

FORMATS = ("charades", "charades-cd", "activitynet", "activitynet-cd", "tacos", "didemo", "shapes")
DIDEMO_SEGMENT = 5.0


@dataclass
class GroundTruth:
    """One annotated query: ``spans`` (A, 2) seconds, row 0 the reference (DiDeMo: all annotators)."""

    vid: str
    query: str
    duration: float
    spans: np.ndarray
    line: int


@dataclass
class GroundTruthSet:
    items: list[GroundTruth] = field(default_factory=list)
    clipped: int = 0
    dropped: int = 0


def _num(value: Any, where: str) -> float:
    if isinstance(value, bool):
        raise EvaluationInputError(f"{where}: {value!r} is not a number")
    try:
        out = float(value)
    except (TypeError, ValueError):
        raise EvaluationInputError(f"{where}: {value!r} is not a number") from None
    if not math.isfinite(out):
        raise EvaluationInputError(f"{where}: {out} is not a finite number")
    return out


def _json(path: Path) -> Any:
    if not path.is_file():
        raise EvaluationInputError(f"{path}: file not found")
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except json.JSONDecodeError as err:
        raise EvaluationInputError(f"{path}:{err.lineno}: not valid JSON ({err.msg})") from None


def _key(entry: Any, key: str, where: str) -> Any:
    if not isinstance(entry, dict) or key not in entry:
        raise EvaluationInputError(f"{where}: missing key {key!r}")
    return entry[key]


def _pair(value: Any, where: str) -> tuple[Any, Any]:
    """A ``[start, end]`` pair, or ``EvaluationInputError`` naming ``where`` (a bare unpack would raise ValueError)."""
    if not isinstance(value, (list, tuple)) or len(value) != 2:
        raise EvaluationInputError(f"{where}: a time span must be a [start, end] pair, got {value!r}")
    return value[0], value[1]


def _object(value: Any, where: str) -> dict:
    if not isinstance(value, dict):
        raise EvaluationInputError(f"{where}: expected a JSON object, got {type(value).__name__}")
    return value


def _add(out: GroundTruthSet, vid: str, query: Any, duration: float | None, spans: list, line: int) -> None:
    """Apply the clip / drop rules to one row and append it when usable."""
    query = str(query).strip()
    if not query or duration is None or not duration > 0:
        out.dropped += 1
        return
    kept, clipped = [], False
    for start, end in spans:
        if start >= end or min(end, duration) <= max(start, 0.0):
            continue
        span = (max(start, 0.0), min(end, duration))
        clipped |= span != (start, end)
        kept.append(span)
    if not kept:
        out.dropped += 1
        return
    out.clipped += int(clipped or len(kept) < len(spans))
    out.items.append(GroundTruth(vid, query, float(duration), np.asarray(kept, dtype=np.float64), line))


def load_durations(*paths: str | Path) -> dict[str, float]:
    """``{vid: seconds}`` from ``.json`` (``{vid: {"duration"}}``) and/or Charades ``.csv`` files."""
    out: dict[str, float] = {}
    for path in map(Path, paths):
        if path.suffix.lower() == ".csv":
            if not path.is_file():
                raise EvaluationInputError(f"{path}: file not found")
            with path.open(newline="") as handle:
                reader = csv.DictReader(handle)
                for row in reader:
                    where = f"{path}:{reader.line_num}"
                    out[_key(row, "id", where)] = _num(_key(row, "length", where), where)
        else:
            table = _json(path)
            if not isinstance(table, dict):
                raise EvaluationInputError(f"{path}: expected an object {{vid: {{'duration': seconds}}}}")
            for vid, info in table.items():
                out[str(vid)] = _num(_key(info, "duration", f"{path} ({vid})"), f"{path} ({vid})")
    return out


def default_durations(path: Path) -> list[Path]:
    """Duration files beside a Charades-format text file (see the module docstring)."""
    for candidate in (path.parent / "charades.json", path.with_suffix(".json")):
        if candidate.is_file():
            return [candidate]
    return [p for p in (path.parent / "Charades_v1_train.csv", path.parent / "Charades_v1_test.csv") if p.is_file()]


def _sta_text(path: Path, durations: dict[str, float], out: GroundTruthSet) -> None:
    if not path.is_file():
        raise EvaluationInputError(f"{path}: file not found")
    for line, raw in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1):
        if not raw.strip():
            continue
        head, sep, query = raw.partition("##")
        fields = head.split()
        if not sep or len(fields) != 3:
            raise EvaluationInputError(f"{path}:{line}: expected '<vid> <start> <end>##<sentence>'")
        start, end = _num(fields[1], f"{path}:{line}"), _num(fields[2], f"{path}:{line}")
        _add(out, fields[0], query, durations.get(fields[0]), [(start, end)], line)


def _timestamp_json(path: Path, fmt: str, out: GroundTruthSet) -> None:
    line = 0
    for vid, entry in _object(_json(path), str(path)).items():
        where = f"{path} (video {vid})"
        if fmt == "tacos":
            fps = _num(_key(entry, "fps", where), where)
            frames_per_second, duration = fps, _num(_key(entry, "num_frames", where), where) / fps
        else:
            duration_key = "video_duration" if fmt == "charades-cd" else "duration"
            frames_per_second, duration = 1.0, _num(_key(entry, duration_key, where), where)
        times, queries = _key(entry, "timestamps", where), _key(entry, "sentences", where)
        if not isinstance(times, list) or not isinstance(queries, list) or len(times) != len(queries):
            raise EvaluationInputError(f"{where}: 'timestamps' and 'sentences' must be lists of the same length")
        for pair, query in zip(times, queries):
            line += 1
            start, end = _pair(pair, f"{path}:{line}")
            s, e = _num(start, f"{path}:{line}") / frames_per_second, _num(end, f"{path}:{line}") / frames_per_second
            _add(out, str(vid), query, duration, [(s, e)], line)


def _didemo(path: Path, out: GroundTruthSet) -> None:
    entries = _json(path)
    if not isinstance(entries, list):
        raise EvaluationInputError(f"{path}: expected a JSON list of DiDeMo entries")
    for line, entry in enumerate(entries, start=1):
        where = f"{path}:{line}"
        times = _key(entry, "times", where)
        if not isinstance(times, list) or not times:
            raise EvaluationInputError(f"{where}: 'times' must be a non-empty list of [start, end] segment pairs")
        moments = [(_num(a, where), _num(b, where)) for a, b in (_pair(t, where) for t in times)]
        spans = [(a * DIDEMO_SEGMENT, (b + 1) * DIDEMO_SEGMENT) if a <= b else (a, b) for a, b in moments]
        counts = Counter(spans)  # consensus first, as vlanet_core.data.didemo orders them
        best = max(spans, key=lambda m: (counts[m], -spans.index(m)))
        spans.remove(best)
        duration = _num(_key(entry, "num_segments", where), where) * DIDEMO_SEGMENT
        _add(out, str(_key(entry, "video", where)), _key(entry, "description", where), duration, [best, *spans], line)


def load_ground_truth(path: str | Path, fmt: str, durations: str | Path | None = None) -> GroundTruthSet:
    """Every usable annotated query of ``path`` in file order, in seconds (see the module docstring)."""
    path = Path(path)
    if fmt not in FORMATS:
        raise EvaluationInputError(f"unknown format {fmt!r}; one of {', '.join(FORMATS)}")
    out = GroundTruthSet()
    if fmt in ("charades", "shapes"):
        files = [Path(durations)] if durations is not None else default_durations(path)
        if not files:
            raise EvaluationInputError(f"{path}: no durations file beside it; pass --durations FILE")
        _sta_text(path, load_durations(*files), out)
    elif fmt == "didemo":
        _didemo(path, out)
    else:
        _timestamp_json(path, fmt, out)
    return out
