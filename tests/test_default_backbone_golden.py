"""The ``default`` backbone's output is frozen: models are trained on it, so speed work must not move it.

``tests/data/default_backbone_golden.npz`` holds input frames and the features the original implementation
(commit 0ab3291) computed for them (``tests/data/make_default_backbone_golden.py``).
"""

from __future__ import annotations

import pickle
import threading
from pathlib import Path

import numpy as np
import pytest

from vlanet_core.features.default_backbone import DefaultBackbone
from vlanet_core.features.types import DecodedVideo

GOLDEN = Path(__file__).parent / "data" / "default_backbone_golden.npz"
TOLERANCE = 1e-4  # absolute, on features of order 0.1-1


@pytest.fixture(scope="module")
def golden() -> dict[str, np.ndarray]:
    with np.load(GOLDEN) as data:
        return {key: data[key] for key in data.files}


def _video(golden, name: str) -> DecodedVideo:
    return DecodedVideo(
        frames=golden[f"{name}_frames"],
        timestamps=golden[f"{name}_times"],
        duration=float(golden[f"{name}_duration"]),
    )


@pytest.mark.parametrize("name", ["a", "b", "c", "d"])
def test_extract_matches_the_frozen_features(golden, name):
    features = DefaultBackbone().extract(_video(golden, name)).features
    expected = golden[f"{name}_features"]
    assert features.dtype == np.float32
    assert features.shape == expected.shape
    assert np.abs(features - expected).max() <= TOLERANCE


def test_frame_descriptors_do_not_depend_on_batching(golden):
    """Per-frame values are computed frame by frame: any split of the frames gives the same rows."""
    backbone = DefaultBackbone()
    frames = golden["a_frames"][:70]
    whole = backbone.frame_descriptors(frames)
    parts = np.concatenate([backbone.frame_descriptors(frames[i : i + 16]) for i in range(0, 70, 16)])
    assert np.array_equal(whole, parts)  # bit for bit


def test_threads_and_pickled_copies_give_the_same_rows(golden):
    """Work buffers are per thread (so threads sharing a backbone do not mix frames) and stay out of pickles."""
    backbone = DefaultBackbone()
    clips = [golden["a_frames"][i : i + 40] for i in range(0, 160, 40)]
    expected = [backbone.frame_descriptors(frames) for frames in clips]
    results: dict[int, np.ndarray] = {}

    def work(index: int) -> None:
        for _ in range(3):
            results[index] = backbone.frame_descriptors(clips[index])

    threads = [threading.Thread(target=work, args=(i,)) for i in range(len(clips))]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    for index, rows in enumerate(expected):
        assert np.array_equal(results[index], rows)
    copy = pickle.loads(pickle.dumps(backbone))
    assert np.array_equal(copy.frame_descriptors(clips[0]), expected[0])
