"""Span maths on (start, end) pairs: IoU, NMS, seconds <-> fractions. Small pure functions, numpy only.

A span is ``[start, end]`` with ``start <= end``; units are whatever the caller uses (seconds or fractions of
the video), as long as both arguments share them.
"""

from __future__ import annotations

import numpy as np
from numpy.typing import ArrayLike, NDArray


def iou(a: ArrayLike, b: ArrayLike) -> NDArray[np.float64]:
    """Temporal IoU between spans ``a`` (..., 2) and ``b`` (..., 2), broadcast like numpy; 0 for empty unions."""
    a = np.asarray(a, dtype=np.float64)
    b = np.asarray(b, dtype=np.float64)
    inter = np.clip(np.minimum(a[..., 1], b[..., 1]) - np.maximum(a[..., 0], b[..., 0]), 0.0, None)
    union = np.maximum(a[..., 1], b[..., 1]) - np.minimum(a[..., 0], b[..., 0])
    with np.errstate(invalid="ignore", divide="ignore"):
        out = np.where(union > 0, inter / np.where(union > 0, union, 1.0), 0.0)
    return np.asarray(out, dtype=np.float64)


def pairwise_iou(a: ArrayLike, b: ArrayLike) -> NDArray[np.float64]:
    """IoU matrix (N, M) between spans ``a`` (N, 2) and ``b`` (M, 2)."""
    a = np.asarray(a, dtype=np.float64).reshape(-1, 2)
    b = np.asarray(b, dtype=np.float64).reshape(-1, 2)
    return iou(a[:, None, :], b[None, :, :])


def nms(spans: ArrayLike, scores: ArrayLike, threshold: float = 0.5, top_k: int | None = None) -> NDArray[np.int64]:
    """Greedy non-maximum suppression: indices of kept spans, best score first.

    A span is dropped when its IoU with an already kept span is strictly above ``threshold``.
    Ties in score keep the earlier index first (stable sort), so results are deterministic.
    """
    spans = np.asarray(spans, dtype=np.float64).reshape(-1, 2)
    scores = np.asarray(scores, dtype=np.float64).reshape(-1)
    if spans.shape[0] != scores.shape[0]:
        raise ValueError(f"nms: {spans.shape[0]} spans but {scores.shape[0]} scores")
    order = np.argsort(-scores, kind="stable")
    keep: list[int] = []
    for idx in order:
        if top_k is not None and len(keep) >= top_k:
            break
        if keep and np.any(iou(spans[keep], spans[idx]) > threshold):
            continue
        keep.append(int(idx))
    return np.asarray(keep, dtype=np.int64)


def to_fractions(spans: ArrayLike, duration: float) -> NDArray[np.float64]:
    """Seconds -> fractions of a video of ``duration`` seconds (not clipped)."""
    if duration <= 0:
        raise ValueError(f"duration must be positive, got {duration}")
    return np.asarray(spans, dtype=np.float64) / float(duration)


def to_seconds(spans: ArrayLike, duration: float) -> NDArray[np.float64]:
    """Fractions -> seconds of a video of ``duration`` seconds (not clipped)."""
    if duration <= 0:
        raise ValueError(f"duration must be positive, got {duration}")
    return np.asarray(spans, dtype=np.float64) * float(duration)


def clip_spans(spans: ArrayLike, duration: float) -> NDArray[np.float64]:
    """Clip spans to ``[0, duration]`` and order each pair so start <= end."""
    s = np.clip(np.asarray(spans, dtype=np.float64), 0.0, float(duration))
    return np.sort(s, axis=-1)
