"""Moment-retrieval metrics as pure numpy functions returning fractions in [0, 1].

Shapes: ``pred_windows`` is a sequence of N arrays (P_i, 2) or (P_i, 3) (``[start, end(, score)]``, best first;
the score column is ignored because the order already ranks them), or one dense (N, P, 2|3) array;
``gt_spans`` is (N, 2). Both in the same unit (seconds, usually).

Conventions (those of 2D-TAN, VSLNet and moment_detr's standalone_eval):
- a query is recalled at (k, m) when any of its first k windows has IoU >= m with the reference span;
- a query with fewer than k windows uses the ones it has; with none it is a miss and its IoU is 0;
- mIoU is the mean IoU of the top-1 window.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np
from numpy.typing import ArrayLike, NDArray

DEFAULT_KS = (1, 5)
DEFAULT_THRESHOLDS = (0.1, 0.3, 0.5, 0.7)


def temporal_iou(a: ArrayLike, b: ArrayLike) -> NDArray[np.float64]:
    """IoU of spans ``a`` (..., 2) and ``b`` (..., 2), broadcast; 0 where the union is empty or a span is NaN.

    >>> float(temporal_iou([0.0, 2.0], [1.0, 3.0]))
    0.3333333333333333
    """
    a = np.asarray(a, dtype=np.float64)
    b = np.asarray(b, dtype=np.float64)
    inter = np.clip(np.minimum(a[..., 1], b[..., 1]) - np.maximum(a[..., 0], b[..., 0]), 0.0, None)
    union = np.maximum(a[..., 1], b[..., 1]) - np.minimum(a[..., 0], b[..., 0])
    with np.errstate(invalid="ignore", divide="ignore"):
        out = np.where(union > 0, inter / np.where(union > 0, union, 1.0), 0.0)
    return np.nan_to_num(np.asarray(out, dtype=np.float64), nan=0.0)


def pad_windows(pred_windows: Sequence[ArrayLike] | NDArray, k: int) -> NDArray[np.float64]:
    """The first ``k`` windows of every query as a dense (N, k, 2) array, NaN where a query has fewer."""
    if k < 1:
        raise ValueError(f"k must be >= 1, got {k}")
    if isinstance(pred_windows, np.ndarray) and pred_windows.ndim == 3:
        dense = np.asarray(pred_windows[:, :k, :2], dtype=np.float64)
        if dense.shape[1] < k:
            dense = np.concatenate([dense, np.full((dense.shape[0], k - dense.shape[1], 2), np.nan)], axis=1)
        return dense
    out = np.full((len(pred_windows), k, 2), np.nan)
    for i, windows in enumerate(pred_windows):
        w = np.asarray(windows, dtype=np.float64).reshape(-1, np.shape(windows)[-1] if np.size(windows) else 2)
        w = w[:k, :2]
        out[i, : len(w)] = w
    return out


def _gt_array(gt_spans: ArrayLike, n: int) -> NDArray[np.float64]:
    gt = np.asarray(gt_spans, dtype=np.float64).reshape(-1, 2)
    if len(gt) != n:
        raise ValueError(f"{n} queries have predictions but there are {len(gt)} reference spans")
    if n == 0:
        raise ValueError("nothing to evaluate: no queries")
    return gt


def iou_table(pred_windows: Sequence[ArrayLike] | NDArray, gt_spans: ArrayLike, k: int) -> NDArray[np.float64]:
    """(N, k) IoU of each query's first k windows with its reference span (0 for missing windows)."""
    dense = pad_windows(pred_windows, k)
    gt = _gt_array(gt_spans, len(dense))
    return temporal_iou(dense, gt[:, None, :])


def recall_at_k(
    pred_windows: Sequence[ArrayLike] | NDArray, gt_spans: ArrayLike, k: int, iou_threshold: float
) -> float:
    """Fraction of queries whose first ``k`` windows include one with IoU >= ``iou_threshold``.

    >>> recall_at_k([[[0, 1], [2, 4]]], [[2, 4]], k=1, iou_threshold=0.5)
    0.0
    >>> recall_at_k([[[0, 1], [2, 4]]], [[2, 4]], k=2, iou_threshold=0.5)
    1.0
    """
    ious = iou_table(pred_windows, gt_spans, k)
    return float(np.mean(ious.max(axis=1) >= iou_threshold))


def mean_iou(pred_windows: Sequence[ArrayLike] | NDArray, gt_spans: ArrayLike) -> float:
    """Mean IoU of every query's top-1 window with its reference span."""
    return float(np.mean(iou_table(pred_windows, gt_spans, 1)[:, 0]))


def evaluate_charades_style(
    preds: Sequence[ArrayLike] | NDArray,
    gts: ArrayLike,
    ks: Sequence[int] = DEFAULT_KS,
    thresholds: Sequence[float] = DEFAULT_THRESHOLDS,
) -> dict[str, float]:
    """``{"R1@0.1", "R1@0.3", "R1@0.5", "R1@0.7", "R5@0.1", ..., "mIoU"}`` as fractions (mIoU of the top-1).

    One IoU table at the largest k serves every (k, threshold) pair.
    """
    ious = iou_table(preds, gts, max(ks))
    out: dict[str, float] = {}
    for k in ks:
        best = ious[:, :k].max(axis=1)
        for m in thresholds:
            out[f"R{k}@{m:g}"] = float(np.mean(best >= m))
    out["mIoU"] = float(np.mean(ious[:, 0]))
    return out


def evaluate_rows(
    rows: Sequence[dict],
    annotations: Sequence[Any],
    ks: Sequence[int] = DEFAULT_KS,
    thresholds: Sequence[float] = DEFAULT_THRESHOLDS,
    allow_missing: bool = False,
) -> dict[str, float]:
    """Charades-style metrics of in-memory prediction rows (``RetrievalResult.to_json()``) against annotations.

    ``annotations``: any objects with ``vid``, ``sentence`` (or ``query``) and ``spans`` (A, 2) seconds, reference
    first (``vlanet_core.data.records.Annotation`` fits, read by duck typing so this package imports nothing from
    the rest of vlanet_core). Rows are checked and matched as files are (``vlanet_core.evaluation.predictions``);
    errors name the row's 1-based index.
    """
    from vlanet_core.evaluation.ground_truth import GroundTruth
    from vlanet_core.evaluation.predictions import match, parse_prediction

    preds = [parse_prediction(row, f"prediction row {i}", i) for i, row in enumerate(rows, start=1)]
    truths = [
        GroundTruth(
            vid=str(a.vid),
            query=str(getattr(a, "query", None) or a.sentence).strip(),
            duration=float(getattr(a, "duration", 0.0)),
            spans=np.asarray(a.spans, dtype=np.float64).reshape(-1, 2),
            line=int(getattr(a, "line", i)),
        )
        for i, a in enumerate(annotations, start=1)
    ]
    windows = match(preds, truths, allow_missing=allow_missing, source="prediction rows")
    return evaluate_charades_style(windows, [t.spans[0] for t in truths], ks, thresholds)
