"""Typed results: what a model's post-processing returns and what the app and the evaluator read.

Data flows one way: file -> frames -> features -> model outputs -> RetrievalResult -> figures / prediction rows.
All times here are seconds.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Any

import numpy as np


@dataclass(frozen=True)
class Moment:
    """A scored span in seconds; ``start <= end``."""

    start: float
    end: float
    score: float

    def __post_init__(self) -> None:
        for name in ("start", "end", "score"):
            if not math.isfinite(getattr(self, name)):
                raise ValueError(f"Moment.{name} must be finite, got {getattr(self, name)}")
        if self.start > self.end:
            raise ValueError(f"Moment start {self.start} is after its end {self.end}")

    @property
    def length(self) -> float:
        return self.end - self.start

    def as_row(self) -> list[float]:
        """``[start, end, score]`` as the evaluator's ``pred_relevant_windows`` expects."""
        return [round(self.start, 4), round(self.end, 4), round(self.score, 6)]


@dataclass
class AttentionStage:
    """One attention map for the inspector.

    ``weights`` is 1-D (N,) or 2-D (rows, cols). ``rows`` / ``cols`` label its axes (words, or times in seconds
    formatted as text); ``axis`` names what the axes are, e.g. ("proposal", "proposal") for V2V.
    """

    name: str
    weights: np.ndarray
    rows: list[str]
    cols: list[str] | None = None
    axis: tuple[str, ...] = ()
    description: str = ""

    def to_dict(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "weights": np.asarray(self.weights, dtype=float).round(6).tolist(),
            "rows": list(self.rows),
            "cols": None if self.cols is None else list(self.cols),
            "axis": list(self.axis),
            "description": self.description,
        }


@dataclass
class RetrievalResult:
    """Everything one query on one video produced.

    - ``moments``: the ranked top-k after NMS, best first.
    - ``proposals``: every scored candidate (for the timeline), in the model's order.
    - ``tokens``: the query tokens the model saw (rows of ``word_time``).
    - ``times``: (T,) centre of each feature step, seconds.
    - ``word_time``: (len(tokens), T) word x time attention, or None when the model has none.
    - ``stages``: the attention of every stage, for the inspector.
    """

    vid: str
    query: str
    model: str
    duration: float
    moments: list[Moment]
    proposals: list[Moment] = field(default_factory=list)
    tokens: list[str] = field(default_factory=list)
    times: np.ndarray = field(default_factory=lambda: np.zeros(0))
    word_time: np.ndarray | None = None
    stages: list[AttentionStage] = field(default_factory=list)
    unknown_words: list[str] = field(default_factory=list)
    latency_s: float = 0.0

    @property
    def top(self) -> Moment | None:
        return self.moments[0] if self.moments else None

    def to_json(self) -> dict[str, Any]:
        """The evaluator's prediction row: ``{"vid", "query", "pred_relevant_windows": [[s, e, score], ...]}``."""
        return {
            "vid": self.vid,
            "query": self.query,
            "pred_relevant_windows": [m.as_row() for m in self.moments],
        }
