"""vlanet_core.spans: IoU maths, NMS and unit conversions (round trips, hand-computed cases)."""

import numpy as np
import pytest

from vlanet_core.spans import clip_spans, iou, nms, pairwise_iou, to_fractions, to_seconds


def test_iou_hand_cases():
    assert iou([0, 2], [1, 3]) == pytest.approx(1 / 3)
    assert iou([0, 1], [0, 1]) == 1.0
    assert iou([0, 1], [2, 3]) == 0.0  # disjoint
    assert iou([0, 1], [1, 2]) == 0.0  # touching
    assert iou([0, 4], [1, 2]) == pytest.approx(0.25)  # nested
    assert iou([1, 1], [1, 1]) == 0.0  # empty union is 0, not NaN


def test_iou_is_symmetric_and_bounded():
    rng = np.random.default_rng(0)
    a = np.sort(rng.random((50, 2)), axis=1)
    b = np.sort(rng.random((50, 2)), axis=1)
    np.testing.assert_allclose(iou(a, b), iou(b, a))
    assert np.all((iou(a, b) >= 0) & (iou(a, b) <= 1))


def test_pairwise_iou_matches_loop():
    a = np.array([[0, 2], [1, 5], [3, 4]], dtype=float)
    b = np.array([[0, 1], [2, 6]], dtype=float)
    table = pairwise_iou(a, b)
    assert table.shape == (3, 2)
    for i in range(3):
        for j in range(2):
            assert table[i, j] == pytest.approx(float(iou(a[i], b[j])))


def test_fraction_seconds_round_trip():
    spans = np.array([[0.0, 3.5], [12.25, 30.0]])
    np.testing.assert_allclose(to_seconds(to_fractions(spans, 30.0), 30.0), spans)
    np.testing.assert_allclose(to_fractions(spans, 30.0), spans / 30.0)
    with pytest.raises(ValueError):
        to_fractions(spans, 0.0)
    with pytest.raises(ValueError):
        to_seconds(spans, -1.0)


def test_clip_spans_orders_and_clips():
    np.testing.assert_allclose(clip_spans([[-1.0, 5.0], [8.0, 2.0], [3.0, 12.0]], 10.0), [[0, 5], [2, 8], [3, 10]])


def test_nms_keeps_best_and_drops_overlaps():
    spans = [[0, 10], [1, 10], [20, 30], [0, 9]]
    scores = [0.9, 0.8, 0.7, 0.95]
    keep = nms(spans, scores, threshold=0.5)
    assert keep.tolist() == [3, 2]  # [0,9] best; [0,10] and [1,10] overlap it > 0.5
    assert nms(spans, scores, threshold=0.5, top_k=1).tolist() == [3]
    assert nms(spans, scores, threshold=1.0).tolist() == [3, 0, 1, 2]  # nothing overlaps strictly above 1


def test_nms_is_stable_on_ties_and_checks_lengths():
    assert nms([[0, 1], [5, 6]], [0.5, 0.5]).tolist() == [0, 1]
    with pytest.raises(ValueError):
        nms([[0, 1]], [0.5, 0.4])
