"""The readout maps of VLANet's inspector: the word x time map (Fig. 5 on the time axis)."""

from __future__ import annotations

import numpy as np

from vlanet_core.models.vlanet_readout import word_time_map


def _dense_word_time_map(video_query: np.ndarray, spans: np.ndarray, num_steps: int) -> np.ndarray:
    """The definition, written the obvious O(N x T) way: step s is covered by [start, end) iff start <= s < end."""
    steps = np.arange(num_steps)
    cover = ((steps[None, :] >= spans[:, :1]) & (steps[None, :] < spans[:, 1:])).astype(np.float64)
    total = cover.T @ video_query
    return (total / np.maximum(cover.sum(axis=0)[:, None], 1.0)).T


def test_word_time_map_matches_the_dense_definition():
    rng = np.random.default_rng(0)
    for num_steps, n in ((1, 1), (7, 3), (60, 75), (300, 900)):
        start = rng.uniform(-3, num_steps + 3, n)
        spans = np.stack([start, start + rng.uniform(0, num_steps / 2, n)], axis=1)
        spans[: n // 2] = np.round(spans[: n // 2])  # integer spans as the grid makes them, and fractional ones
        values = rng.standard_normal((n, 4))
        got = word_time_map(values, spans, num_steps)
        assert got.shape == (4, num_steps) and got.dtype == np.float32
        np.testing.assert_allclose(got, _dense_word_time_map(values, spans, num_steps), atol=1e-5)


def test_word_time_map_averages_overlaps_and_leaves_uncovered_steps_at_zero():
    spans = np.array([[0, 2], [1, 3], [5, 5]], dtype=np.float64)  # the last one is empty
    values = np.array([[1.0], [3.0], [100.0]])
    np.testing.assert_allclose(word_time_map(values, spans, 6)[0], [1.0, 2.0, 3.0, 0.0, 0.0, 0.0])
