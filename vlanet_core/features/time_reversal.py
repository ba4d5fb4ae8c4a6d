"""A clip's features played backwards, computed from its features alone (no decoding, no times of any event).

For a backbone whose step features split into time-symmetric parts (a step's mean state, its mean absolute rate of
change) and time-odd ones (signed rates of change: direction of motion, growth, fading in or out), the features of
the clip played backwards are the steps in reverse order with every time-odd channel negated:
``reversed[t] = signs * features[T - 1 - t]``. ``signs`` (C,) is +1 or -1 per channel, given by the backbone
(``DefaultBackbone.time_reversal_signs``); a backbone that cannot say (precomputed C3D/I3D files, CLIP) has none.

What it is for: a weakly supervised model can learn to read an action off the state it leaves behind (an object
that grew stays large, one that appeared stays visible) and then attends after the event. Played backwards, the
same clip keeps those states but turns each event into its opposite (grow into shrink, appear into disappear, left
into right), so using it as a negative of the clip's own sentence can only be won by attending to the change
itself (``VLANetConfig.weight_reversed_negatives``).
"""

from __future__ import annotations

import numpy as np


def reverse_in_time(features: np.ndarray, signs: np.ndarray) -> np.ndarray:
    """(T, C) step features -> (T, C) features of the clip played backwards (see module doc)."""
    features = np.asarray(features)
    signs = np.asarray(signs, dtype=features.dtype)
    if features.ndim != 2 or signs.shape != (features.shape[1],):
        raise ValueError(f"expected (T, C) features and (C,) signs, got {features.shape} and {signs.shape}")
    return np.ascontiguousarray(features[::-1] * signs)
