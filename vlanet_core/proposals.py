"""Candidate moment generators: pure numpy, no torch, so the predictor, the models and the tests share them.

Every span here is ``[start, end)`` in integer units (feature steps, or DiDeMo's 5-s segments): ``start`` is the
first unit inside the span and ``end`` the first unit after it, so ``end - start`` is the span's length and
``span / num_steps`` gives fractions of the feature sequence.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
from numpy.typing import NDArray

# Default relative window lengths (fractions of the video). Shapes-STA events are 2.5-12 s in 15-40 s videos, so
# they cover about 0.06-0.8 of a video, most between 0.1 and 0.4.
DEFAULT_WINDOW_FRACTIONS: tuple[float, ...] = (0.12, 0.2, 0.3, 0.45)


def _check_steps(num_steps: int) -> int:
    if int(num_steps) != num_steps or num_steps < 1:
        raise ValueError(f"num_steps must be a positive integer, got {num_steps}")
    return int(num_steps)


def segment_groups(num_steps: int, stride: int, windows: Sequence[int]) -> NDArray[np.int64]:
    """VLANet's segment groups (paper Sec. 3.2): (K, L, 2) int64 ``[start, end)`` step indices.

    Group ``k`` starts at step ``k * stride``; its L windows all share that start and have the lengths in
    ``windows`` (feature steps), in the given order. Groups are placed while the shortest window still fits
    (``start + min(windows) <= num_steps``), and there is always at least the group at step 0, so a video
    shorter than every window still gets one group. Windows running past the end are clipped to ``num_steps``
    (so a late group may hold several identical spans; L stays fixed, which keeps the (K, L) grid rectangular).

    >>> segment_groups(6, 2, (2, 4)).tolist()
    [[[0, 2], [0, 4]], [[2, 4], [2, 6]], [[4, 6], [4, 6]]]
    """
    num_steps = _check_steps(num_steps)
    if int(stride) != stride or stride < 1:
        raise ValueError(f"stride must be a positive integer, got {stride}")
    lengths = np.asarray(list(windows), dtype=np.int64)
    if lengths.ndim != 1 or lengths.size == 0 or np.any(lengths < 1):
        raise ValueError(f"windows must be a non-empty list of positive lengths, got {list(windows)}")
    last_start = max(0, num_steps - int(lengths.min()))
    starts = np.arange(0, last_start + 1, int(stride), dtype=np.int64)  # (K,)
    ends = np.minimum(starts[:, None] + lengths[None, :], num_steps)  # (K, L)
    return np.stack([np.broadcast_to(starts[:, None], ends.shape), ends], axis=-1).astype(np.int64)


def relative_windows(num_steps: int, fractions: Sequence[float] = DEFAULT_WINDOW_FRACTIONS) -> NDArray[np.int64]:
    """Window lengths in steps for a video of ``num_steps`` steps: ``round(f * num_steps)``, at least 1.

    Lengths keep the order of ``fractions`` and may repeat on very short videos (L stays fixed).

    >>> relative_windows(40, (0.1, 0.25, 0.5)).tolist()
    [4, 10, 20]
    """
    num_steps = _check_steps(num_steps)
    frac = np.asarray(list(fractions), dtype=np.float64)
    if frac.ndim != 1 or frac.size == 0 or np.any(frac <= 0) or np.any(frac > 1):
        raise ValueError(f"fractions must be a non-empty list of values in (0, 1], got {list(fractions)}")
    return np.maximum(1, np.floor(frac * num_steps + 0.5)).astype(np.int64)


def sliding_windows(
    num_steps: int, scales: Sequence[float] = (0.2, 0.3, 0.4, 0.5), overlap: float = 0.8
) -> NDArray[np.int64]:
    """Multi-scale sliding windows (WSRA's inference candidates): (P, 2) int64 ``[start, end)`` steps.

    For each scale ``s`` (a fraction of the video) the window has ``w = max(1, round(s * num_steps))`` steps and
    slides by ``max(1, round(w * (1 - overlap)))`` steps from step 0. A last window ending exactly at the video's
    end is added when the slide does not land there, so the end of the video is always covered. Windows are
    listed scale by scale, then by start; duplicates (on very short videos) are removed keeping the first.

    >>> sliding_windows(10, scales=(0.5,), overlap=0.6).tolist()
    [[0, 5], [2, 7], [4, 9], [5, 10]]
    """
    num_steps = _check_steps(num_steps)
    if not 0.0 <= overlap < 1.0:
        raise ValueError(f"overlap must be in [0, 1), got {overlap}")
    spans: list[tuple[int, int]] = []
    for w in relative_windows(num_steps, scales):
        step = max(1, int(np.floor(w * (1.0 - overlap) + 0.5)))
        starts = list(range(0, num_steps - int(w) + 1, step))
        if starts[-1] + w < num_steps:
            starts.append(num_steps - int(w))
        spans.extend((s, s + int(w)) for s in starts)
    unique = list(dict.fromkeys(spans))
    return np.asarray(unique, dtype=np.int64).reshape(-1, 2)


def didemo_moments(num_segments: int = 6) -> NDArray[np.int64]:
    """DiDeMo's 21 candidate moments: (21, 2) int64 ``[start, end)`` in 5-s segments (multiply by 5 for seconds).

    Order follows DiDeMo's evaluation code: the six single segments first, then every pair ``i < j`` in
    lexicographic order. DiDeMo's annotation files write a moment as inclusive segment indices ``[i, j]``; here
    it is ``[i, j + 1)``, the convention of every other span in this library.

    >>> didemo_moments()[:7].tolist()
    [[0, 1], [1, 2], [2, 3], [3, 4], [4, 5], [5, 6], [0, 2]]
    """
    singles = [(i, i + 1) for i in range(num_segments)]
    pairs = [(i, j + 1) for i in range(num_segments) for j in range(i + 1, num_segments)]
    return np.asarray(singles + pairs, dtype=np.int64)
