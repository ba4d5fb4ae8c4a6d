"""WSRA's moment selection: score sliding-window candidates by the referring attention inside them.

The paper (section 4.2) samples candidates of 20%, 30%, 40% and 50% of the video with 80% overlap and selects
"the moment with highest attention weight score", without saying how a window's score is made from the per-snippet
weights. Three readings are offered (``WSRAConfig.window_score``):

- ``"mean"``: mean alpha inside the window. Its best window is nearly always of the smallest scale, placed on the
  attention peak, whatever the event's length.
- ``"sum"``: attention mass inside. Its best window is nearly always of the largest scale.
- ``"contrast"`` (default): mean alpha inside minus mean alpha outside. For attention that is high on an event
  and low elsewhere, this peaks at windows that cover the event and little else, so the chosen length follows
  the event: the only one of the three whose optimum depends on the event's extent (Shapes-STA's "pitfalls").
"""

from __future__ import annotations

import numpy as np
from numpy.typing import NDArray

WINDOW_SCORES = ("mean", "sum", "contrast")


def window_attention_scores(
    alpha: NDArray[np.floating], windows: NDArray[np.integer], mode: str
) -> NDArray[np.float64]:
    """Score each window ``[start, end)`` (P, 2) int steps by the attention ``alpha`` (T,); returns (P,) float64.

    >>> alpha = np.array([0.1, 0.4, 0.4, 0.1])
    >>> window_attention_scores(alpha, np.array([[1, 3], [0, 2]]), "contrast").round(3).tolist()
    [0.3, 0.0]
    """
    if mode not in WINDOW_SCORES:
        raise ValueError(f"window score must be one of {WINDOW_SCORES}, got {mode!r}")
    alpha = np.asarray(alpha, dtype=np.float64)
    windows = np.asarray(windows, dtype=np.int64).reshape(-1, 2)
    cumulative = np.concatenate([[0.0], np.cumsum(alpha)])
    inside = cumulative[windows[:, 1]] - cumulative[windows[:, 0]]
    length = np.maximum(windows[:, 1] - windows[:, 0], 1)
    if mode == "sum":
        return inside
    mean_inside = inside / length
    if mode == "mean":
        return mean_inside
    outside_length = alpha.shape[0] - length
    mean_outside = np.where(outside_length > 0, (cumulative[-1] - inside) / np.maximum(outside_length, 1), 0.0)
    return mean_inside - mean_outside
