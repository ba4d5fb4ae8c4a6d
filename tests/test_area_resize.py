"""``area_resize``: OpenCV's INTER_AREA numbers, from the compiled block average for large whole factors."""

from __future__ import annotations

import cv2
import numpy as np
import pytest

from vlanet_core.features import area_resize as module
from vlanet_core.features.area_resize import COMPILED_MIN_BLOCK, area_resize, whole_factors

pytest.importorskip("numba")


def _cv2(frame: np.ndarray, size: tuple[int, int]) -> np.ndarray:
    return cv2.resize(frame, size, interpolation=cv2.INTER_AREA)


@pytest.mark.parametrize("shape", [(480, 640, 3), (720, 1280, 3), (1080, 1920, 3), (720, 1280, 4), (720, 1280)])
def test_compiled_block_average_equals_opencv(shape):
    assert module._compiled is not None
    rng = np.random.default_rng(sum(shape))
    frame = rng.integers(0, 256, size=shape, dtype=np.uint8)
    got, expected = area_resize(frame, (80, 60)), _cv2(frame, (80, 60))
    assert got.shape == expected.shape and got.dtype == np.uint8
    assert np.array_equal(got, expected)


def test_exact_halves_round_like_opencv():
    """Blocks whose mean ends in exactly .5 (half the pixels one level above the other half): both round alike."""
    rng = np.random.default_rng(3)
    base = rng.integers(0, 255, size=(60, 80, 3), dtype=np.uint8)
    frame = np.repeat(np.repeat(base, 8, axis=0), 8, axis=1)  # 480x640, each 8x8 block flat
    frame[:, ::2] += 1  # half of every block one level up: mean = level + 0.5
    assert whole_factors(frame.shape, (80, 60)) == (8, 8)
    assert np.array_equal(area_resize(frame, (80, 60)), _cv2(frame, (80, 60)))


def test_single_channel_frames_come_back_two_dimensional_as_from_opencv():
    frame = np.random.default_rng(4).integers(0, 256, size=(480, 640, 1), dtype=np.uint8)
    got = area_resize(frame, (80, 60))
    assert got.shape == _cv2(frame, (80, 60)).shape == (60, 80)
    assert np.array_equal(got, _cv2(frame, (80, 60)))


@pytest.mark.parametrize(
    "shape, size", [((240, 320, 3), (80, 60)), ((480, 854, 3), (80, 60)), ((1920, 1080, 3), (80, 60))]
)
def test_small_or_fractional_factors_go_to_opencv(monkeypatch, shape, size):
    """4x4 blocks (OpenCV is faster there), 854 / 80 and 1080 / 80 (not whole): the compiled path is not used."""

    class Refuse:
        def block_average(self, *args):
            raise AssertionError("compiled path used")

    monkeypatch.setattr(module, "_compiled", Refuse())
    frame = np.random.default_rng(5).integers(0, 256, size=shape, dtype=np.uint8)
    assert np.array_equal(area_resize(frame, size), _cv2(frame, size))


def test_whole_factors():
    assert whole_factors((1080, 1920, 3), (80, 60)) == (18, 24)
    assert whole_factors((1080, 1920), (80, 60)) == (18, 24)
    assert whole_factors((1080, 1080, 3), (80, 60)) is None
    assert 18 * 24 >= COMPILED_MIN_BLOCK > 4 * 4


def test_without_numba_opencv_does_everything(monkeypatch):
    monkeypatch.setattr(module, "_compiled", None)
    frame = np.random.default_rng(6).integers(0, 256, size=(720, 1280, 3), dtype=np.uint8)
    assert np.array_equal(area_resize(frame, (80, 60)), _cv2(frame, (80, 60)))
