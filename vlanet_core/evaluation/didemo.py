"""DiDeMo's protocol (Hendricks et al., ICCV 2017): rank the 21 candidate moments, score against 4 annotators.

The video is cut into six 5-s segments; a moment is an inclusive range of segments, 21 in all. For each query
(as the authors' ``eval.py`` does; this is our own code):
- ``ranks``: the 1-based position of each annotator's moment in the query's ranked list of moments;
  the query's rank is the mean of its best (lowest) 3 ranks, so one annotator who disagrees is ignored;
  R@1 / R@5 are the fractions of queries whose rank is <= 1 / <= 5 (R@1 thus needs the top moment to be
  the moment of at least 3 annotators);
- ``iou``: the IoU of the top-1 moment with each annotator's moment; the query's IoU is the mean of the best 3.

Choices where the protocol assumes a model that ranks exactly the 21 moments:
- predictions here are windows in seconds; each is snapped to the candidate moment it overlaps most (ties: the
  earlier moment in the (first, last) order), and repeats are removed keeping the first (best) occurrence;
- an annotator's moment missing from the ranked list has rank infinity (it can only hurt);
- with fewer than 3 annotators, the mean is over the ones there are.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
from numpy.typing import ArrayLike, NDArray

from vlanet_core.evaluation.metrics import temporal_iou

SEGMENT_SECONDS = 5.0
NUM_SEGMENTS = 6
BEST_OF = 3  # the protocol keeps the best 3 of the (usually 4) annotators


def candidate_moments(num_segments: int = NUM_SEGMENTS) -> NDArray[np.float64]:
    """(21, 2) seconds: every inclusive segment range ``[a, b]`` as ``(5a, 5(b+1))``, ordered by (a, b).

    >>> candidate_moments().shape
    (21, 2)
    """
    pairs = [(a, b) for a in range(num_segments) for b in range(a, num_segments)]
    return np.asarray(pairs, dtype=np.float64) * SEGMENT_SECONDS + np.array([0.0, SEGMENT_SECONDS])


def nearest_moments(windows: ArrayLike) -> NDArray[np.int64]:
    """(P,) index into ``candidate_moments()`` of the moment each window (P, 2|3) seconds overlaps most.

    >>> nearest_moments([[0.0, 10.0], [24.0, 31.0]]).tolist()
    [1, 20]
    """
    w = np.asarray(windows, dtype=np.float64)
    if w.size == 0:
        return np.zeros(0, dtype=np.int64)
    w = w.reshape(-1, w.shape[-1])[:, :2]
    return temporal_iou(w[:, None, :], candidate_moments()[None, :, :]).argmax(axis=1)  # first max on ties


def snap_to_moments(windows: ArrayLike) -> NDArray[np.int64]:
    """Indices into ``candidate_moments()`` of windows (P, 2|3) seconds, best first, repeats removed.

    >>> snap_to_moments([[0.0, 10.0], [1.0, 9.0], [25.0, 30.0]]).tolist()
    [1, 20]
    """
    nearest = nearest_moments(windows)
    if nearest.size == 0:
        return nearest
    _, first = np.unique(nearest, return_index=True)
    return nearest[np.sort(first)].astype(np.int64)


def evaluate_didemo(
    pred_windows: Sequence[ArrayLike], annotator_spans: Sequence[ArrayLike], best_of: int = BEST_OF
) -> dict[str, float]:
    """``{"R@1", "R@5", "mIoU"}`` fractions over N queries.

    ``pred_windows``: N arrays (P_i, 2|3) seconds, best first; ``annotator_spans``: N arrays (A_i, 2) seconds,
    one row per annotator (on DiDeMo's 5-s grid).
    """
    if len(pred_windows) != len(annotator_spans):
        raise ValueError(f"{len(pred_windows)} predictions but {len(annotator_spans)} annotated queries")
    if not pred_windows:
        raise ValueError("nothing to evaluate: no queries")
    moments = candidate_moments()
    ranks_out, ious_out = [], []
    for windows, spans in zip(pred_windows, annotator_spans):
        ranked = snap_to_moments(windows)
        truth = nearest_moments(np.asarray(spans, dtype=np.float64).reshape(-1, 2))
        position = {int(m): i + 1 for i, m in enumerate(ranked)}
        ranks = np.sort([position.get(int(t), np.inf) for t in truth])[:best_of]
        ranks_out.append(float(np.mean(ranks)))
        if len(ranked):
            ious = temporal_iou(moments[ranked[0]][None, :], moments[truth])
        else:
            ious = np.zeros(len(truth))
        ious_out.append(float(np.mean(np.sort(ious)[-best_of:])))
    ranks_arr = np.asarray(ranks_out)
    return {
        "R@1": float(np.mean(ranks_arr <= 1)),
        "R@5": float(np.mean(ranks_arr <= 5)),
        "mIoU": float(np.mean(ious_out)),
    }
