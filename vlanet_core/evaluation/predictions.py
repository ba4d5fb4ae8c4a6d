"""Prediction files and their matching to annotations.

A prediction file is JSON Lines, one row per query (``RetrievalResult.to_json()`` writes exactly this)::

    {"vid": "3MSZA", "query": "person turn a light on.", "pred_relevant_windows": [[24.1, 30.2, 0.93], ...]}

Windows are seconds, best first; the score is optional (``[start, end]`` is accepted) and ignored by the
metrics because the order ranks them. A row that is not JSON, lacks a field, or holds a window that is not
finite, negative, or with start after end raises ``EvaluationInputError`` naming file and line. An empty
window list is allowed and scores as a miss.

Matching: by ``(vid, query)``, the query stripped of surrounding whitespace as the readers strip it; when one
key occurs several times (a sentence annotated twice), the n-th prediction row with that key matches the n-th
annotation with it. A prediction with no annotation left is an error; annotations with no prediction are an
error unless ``allow_missing`` (they then score as misses).
"""

from __future__ import annotations

import json
import math
from collections import defaultdict, deque
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from vlanet_core.evaluation.errors import EvaluationInputError
from vlanet_core.evaluation.ground_truth import GroundTruth


@dataclass
class Prediction:
    vid: str
    query: str
    windows: np.ndarray  # (P, 2) seconds, best first
    line: int


def _windows(value: Any, where: str) -> np.ndarray:
    if not isinstance(value, list):
        raise EvaluationInputError(f"{where}: 'pred_relevant_windows' must be a list of [start, end, score]")
    rows = []
    for i, window in enumerate(value):
        if not isinstance(window, list) or len(window) not in (2, 3):
            raise EvaluationInputError(f"{where}: window {i} must be [start, end(, score)], got {window!r}")
        numbers = []
        for x in window:
            if isinstance(x, bool) or not isinstance(x, (int, float)) or not math.isfinite(x):
                raise EvaluationInputError(f"{where}: window {i} holds {x!r}, not a finite number")
            numbers.append(float(x))
        start, end = numbers[0], numbers[1]
        if start < 0:
            raise EvaluationInputError(f"{where}: window {i} starts at a negative time {start}")
        if start > end:
            raise EvaluationInputError(f"{where}: window {i} starts after it ends ({start} > {end})")
        rows.append((start, end))
    return np.asarray(rows, dtype=np.float64).reshape(-1, 2)


def parse_prediction(row: Any, where: str, line: int = 0) -> Prediction:
    """Check one decoded row (see the module docstring)."""
    if not isinstance(row, dict):
        raise EvaluationInputError(f"{where}: a row must be a JSON object")
    for key in ("vid", "query", "pred_relevant_windows"):
        if key not in row:
            raise EvaluationInputError(f"{where}: missing field {key!r}")
    if not isinstance(row["vid"], str) or not isinstance(row["query"], str):
        raise EvaluationInputError(f"{where}: 'vid' and 'query' must be strings")
    return Prediction(row["vid"], row["query"].strip(), _windows(row["pred_relevant_windows"], where), line)


def load_predictions(path: str | Path) -> list[Prediction]:
    """Every row of a JSON Lines prediction file (blank lines skipped)."""
    path = Path(path)
    if not path.is_file():
        raise EvaluationInputError(f"{path}: prediction file not found")
    out = []
    for line, text in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1):
        if not text.strip():
            continue
        try:
            row = json.loads(text, parse_constant=lambda c: float("nan"))  # NaN is reported as not finite
        except json.JSONDecodeError as err:
            raise EvaluationInputError(f"{path}:{line}: not JSON ({err.msg})") from None
        out.append(parse_prediction(row, f"{path}:{line}", line))
    return out


def match(
    predictions: list[Prediction], truths: list[GroundTruth], allow_missing: bool = False, source: str = "predictions"
) -> list[np.ndarray]:
    """The windows (P, 2) of each annotation, in annotation order (see the module docstring)."""
    waiting: dict[tuple[str, str], deque[int]] = defaultdict(deque)
    for i, truth in enumerate(truths):
        waiting[(truth.vid, truth.query)].append(i)
    matched: list[np.ndarray | None] = [None] * len(truths)
    for pred in predictions:
        queue = waiting.get((pred.vid, pred.query))
        if not queue:
            raise EvaluationInputError(
                f"{source}:{pred.line}: no annotation (left) for video {pred.vid!r} and query {pred.query!r}; "
                "either it is not in the annotation file, was dropped as malformed, or is predicted twice"
            )
        matched[queue.popleft()] = pred.windows
    missing = [t for t, m in zip(truths, matched) if m is None]
    if missing and not allow_missing:
        first = ", ".join(f"line {t.line} ({t.vid!r}, {t.query!r})" for t in missing[:3])
        raise EvaluationInputError(
            f"{source}: {len(missing)} annotated queries have no prediction, e.g. {first}; "
            "pass allow_missing / --allow-missing to score them as misses"
        )
    return [m if m is not None else np.zeros((0, 2)) for m in matched]
