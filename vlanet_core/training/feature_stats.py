"""The input standardisation's statistics: a mean and a scale per feature channel, from training features only.

Two ways to choose the scale (``train --feature-std-pooling``):

- ``"channel"``: each channel's own std, floored at ``min_std``. With a small floor, channels that barely vary
  in training (a grey bin's edge harmonics) are magnified until a codec's faint block edges dominate them; with a
  large floor (0.2, the first codec-robust models), nearly every channel of the ``default`` backbone (623 of its
  640 have a training std under 0.2) is divided by the same constant, so the slow, small signals (the rate of
  change of an object's mass and spread, std about 0.02: grow, shrink, appear, disappear) stay five to ten times
  weaker than the large ones (centroid motion, shape harmonics) at the model's input.
- ``"type"``: one scale per *kind* of value, pooled over the colour bins (and over the grid cells): the root mean
  square of the channels' stds in the group ("slope:mass" of every bin, "mean:grid" of every bin and cell, ...),
  floored at ``min_std``. Every kind of evidence reaches the model at a comparable scale, while inside a kind the
  bins keep their relative sizes, so a bin that barely varies in training (a grey bin's edge harmonics) is not
  magnified beyond the vivid bins of the same kind. It needs the backbone's feature names
  (``DefaultBackbone.feature_names``: 'part:bin:value'); asked for features without names, it is refused rather
  than silently replaced by ``"channel"``.

``gains`` (``train --feature-gain slope=4``) then divides the scale of every channel of a *part* ('mean', 'slope',
'rate': the first field of 'part:bin:value') by a factor, so that part weighs more at the model's input. Why: with
``"type"`` pooling each kind of value is at unit scale over all steps, but the signed rates ('slope': direction of
motion, growing or shrinking) are zero outside events, so in an event's proposal they are a few channels of about
1 against hundreds of state channels ('mean') and carry about 1% of the proposal's squared norm; the models
trained so far do not tell "moves left" from "moves right" (README, "VLANet: what it reads, and direction").

Only features enter these statistics, never times: they are fitted on the weak view of the training split.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import numpy as np
from numpy.typing import NDArray

STD_POOLINGS = ("channel", "type")


def feature_kind(name: str) -> str:
    """The group of a 'part:bin:value' feature name: the name without its bin, grid cells folded together.

    >>> feature_kind("slope:hue000:mass"), feature_kind("mean:grey1:grid7"), feature_kind("clip17")
    ('slope:mass', 'mean:grid', 'clip17')
    """
    parts = name.split(":")
    if len(parts) != 3:
        return name
    part, _, value = parts
    return f"{part}:{'grid' if value.startswith('grid') else value}"


def pooled_std(std: NDArray[np.floating], groups: Sequence[str]) -> NDArray[np.float64]:
    """Replace each channel's std (C,) by the root mean square of the stds of its group (C labels); returns (C,).

    >>> pooled_std(np.array([3.0, 4.0, 1.0]), ["a", "b", "a"]).round(3).tolist()
    [2.236, 4.0, 2.236]
    """
    std = np.asarray(std, dtype=np.float64)
    if len(groups) != std.shape[0]:
        raise ValueError(f"{len(groups)} group labels for {std.shape[0]} channels")
    labels, index = np.unique(np.asarray(groups, dtype=object).astype(str), return_inverse=True)
    sums = np.bincount(index, weights=std**2, minlength=len(labels))
    counts = np.bincount(index, minlength=len(labels))
    return np.asarray(np.sqrt(sums / counts)[index], dtype=np.float64)


def feature_statistics(
    steps: NDArray[np.floating],
    min_std: float,
    pooling: str = "channel",
    names: Sequence[str] | None = None,
    gains: Mapping[str, float] | None = None,
) -> tuple[NDArray[np.float64], NDArray[np.float64]]:
    """Mean (C,) and scale (C,) of training feature steps (N, C) for ``(x - mean) / scale``.

    ``pooling`` is one of ``STD_POOLINGS`` (module docstring); ``"type"`` needs ``names`` (C,). The scale is
    floored at ``min_std`` either way, then divided by ``gains[part]`` for the channels of each part named there
    (needs ``names``).
    """
    if pooling not in STD_POOLINGS:
        raise ValueError(f"std pooling must be one of {STD_POOLINGS}, got {pooling!r}")
    steps = np.asarray(steps, dtype=np.float64)
    if steps.ndim != 2 or steps.shape[0] == 0:
        raise ValueError(f"feature statistics need steps (N, C) with N >= 1, got {steps.shape}")
    mean, std = steps.mean(axis=0), steps.std(axis=0)
    if pooling == "type":
        if names is None:
            raise ValueError("std pooling 'type' needs the feature names of the backbone (the default backbone's)")
        if len(names) != steps.shape[1]:
            raise ValueError(f"{len(names)} feature names for {steps.shape[1]} channels")
        std = pooled_std(std, [feature_kind(n) for n in names])
    scale = np.maximum(std, min_std)
    if gains:
        if names is None or len(names) != steps.shape[1]:
            raise ValueError("feature gains need the feature names of the backbone (the default backbone's)")
        parts = np.array([n.split(":")[0] for n in names])
        for part, gain in gains.items():
            if not np.any(parts == part) or not gain > 0:
                known = sorted(set(parts.tolist()))
                raise ValueError(f"feature gain {part}={gain}: needs a positive gain for a part of {known}")
            scale = np.where(parts == part, scale / gain, scale)
    return mean, scale
