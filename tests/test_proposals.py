"""Proposal generators: exact outputs on small cases, invariants on many lengths, clear errors on bad input."""

from __future__ import annotations

import numpy as np
import pytest

from vlanet_core.proposals import didemo_moments, relative_windows, segment_groups, sliding_windows


def test_segment_groups_exact():
    got = segment_groups(10, 3, (2, 5))
    expected = [
        [[0, 2], [0, 5]],
        [[3, 5], [3, 8]],
        [[6, 8], [6, 10]],  # 6 + 5 = 11 clipped to the end
    ]
    # the last start is 10 - min(windows) = 8, so starts are 0, 3, 6 (9 would not fit the shortest window)
    assert got.tolist() == expected
    assert got.dtype == np.int64 and got.shape == (3, 2, 2)


def test_segment_groups_clip_and_order_of_windows_kept():
    got = segment_groups(7, 2, (4, 2))
    assert got.tolist() == [[[0, 4], [0, 2]], [[2, 6], [2, 4]], [[4, 7], [4, 6]]]


def test_segment_groups_video_shorter_than_every_window():
    assert segment_groups(3, 2, (5, 8)).tolist() == [[[0, 3], [0, 3]]]


@pytest.mark.parametrize("steps", [1, 2, 7, 30, 81, 200])
@pytest.mark.parametrize("stride", [1, 2, 5])
def test_segment_groups_invariants(steps, stride):
    windows = (6, 10, 15, 22)
    grid = segment_groups(steps, stride, windows)
    starts, ends = grid[..., 0], grid[..., 1]
    assert np.all(starts == starts[:, :1])  # one start per group
    assert np.all(np.diff(starts[:, 0]) == stride)  # regular stride
    assert np.all((0 <= starts) & (starts < ends) & (ends <= steps))
    assert np.all(ends - starts <= np.asarray(windows)[None, :])
    assert starts[-1, 0] + min(windows) <= max(steps, min(windows))  # the shortest window of every group fits


def test_relative_windows():
    assert relative_windows(40, (0.1, 0.25, 0.5)).tolist() == [4, 10, 20]
    assert relative_windows(3, (0.1, 0.5, 1.0)).tolist() == [1, 2, 3]  # never below one step
    assert relative_windows(10, (0.25,)).tolist() == [3]  # 2.5 rounds half up


def test_sliding_windows_exact():
    assert sliding_windows(10, scales=(0.5,), overlap=0.6).tolist() == [[0, 5], [2, 7], [4, 9], [5, 10]]
    assert sliding_windows(10, scales=(0.2, 0.5), overlap=0.0).tolist() == [
        [0, 2], [2, 4], [4, 6], [6, 8], [8, 10], [0, 5], [5, 10],
    ]  # fmt: skip


def test_sliding_windows_cover_the_end_and_have_no_duplicates():
    for steps in (1, 2, 5, 37, 100):
        spans = sliding_windows(steps)
        assert spans[:, 1].max() == steps and spans[:, 0].min() == 0
        assert len({tuple(s) for s in spans.tolist()}) == len(spans)


def test_didemo_moments():
    moments = didemo_moments()
    assert moments.shape == (21, 2)
    assert moments[:6].tolist() == [[i, i + 1] for i in range(6)]
    assert moments[6:11].tolist() == [[0, 2], [0, 3], [0, 4], [0, 5], [0, 6]]
    assert moments[-1].tolist() == [4, 6]
    assert len({tuple(m) for m in moments.tolist()}) == 21
    assert np.all(moments[:, 0] < moments[:, 1]) and moments.max() == 6


@pytest.mark.parametrize(
    "call",
    [
        lambda: segment_groups(0, 1, (2,)),
        lambda: segment_groups(10, 0, (2,)),
        lambda: segment_groups(10, 1, ()),
        lambda: segment_groups(10, 1, (0, 3)),
        lambda: relative_windows(10, (0.0,)),
        lambda: relative_windows(10, (1.5,)),
        lambda: sliding_windows(10, overlap=1.0),
    ],
)
def test_bad_input_raises(call):
    with pytest.raises(ValueError):
        call()
