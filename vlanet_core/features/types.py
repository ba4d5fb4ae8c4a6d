"""The typed hand-over between decoding, visual backbones and models."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np


@dataclass
class DecodedVideo:
    """Frames sampled from a file (or rendered in memory).

    - ``frames``: (N, H, W, 3) uint8 RGB.
    - ``timestamps``: (N,) seconds of each frame.
    - ``duration``: seconds of the whole clip.
    """

    frames: np.ndarray
    timestamps: np.ndarray
    duration: float
    native_fps: float = 0.0
    source: str = ""


@dataclass
class VideoFeatures:
    """Features of one video on a regular time grid.

    - ``features``: (T, C) float32, one row per step of ``step`` seconds; step t covers [t*step, (t+1)*step].
    - ``duration``: seconds of the clip (the last step may run past it).
    - A span given as fractions [a, b] of the feature sequence is ``clip([a, b] * T * step, 0, duration)`` in seconds.
    """

    features: np.ndarray
    step: float
    duration: float
    backbone: str = ""
    backbone_params: dict[str, Any] = field(default_factory=dict)
    source: str = ""

    @property
    def num_steps(self) -> int:
        return int(self.features.shape[0])

    @property
    def times(self) -> np.ndarray:
        """(T,) centre of each step in seconds, clipped to the duration."""
        centres = (np.arange(self.num_steps) + 0.5) * self.step
        return np.minimum(centres, self.duration)

    def fractions_to_seconds(self, spans: np.ndarray) -> np.ndarray:
        """(…, 2) fractions of the feature sequence -> seconds, clipped to [0, duration]."""
        span_s = np.asarray(spans, dtype=np.float64) * self.num_steps * self.step
        return np.sort(np.clip(span_s, 0.0, self.duration), axis=-1)

    def seconds_to_fractions(self, spans: np.ndarray) -> np.ndarray:
        """(…, 2) seconds -> fractions of the feature sequence (the inverse of ``fractions_to_seconds``)."""
        return np.asarray(spans, dtype=np.float64) / (self.num_steps * self.step)
