"""``benchmarks/compiled_paths.py``: its figures come from both paths on the same inputs, and say when they differ."""

from __future__ import annotations

import importlib.util
from pathlib import Path

import numpy as np
import pytest

pytest.importorskip("numba")
SCRIPT = Path(__file__).resolve().parents[1] / "benchmarks" / "compiled_paths.py"


@pytest.fixture(scope="module")
def bench():
    spec = importlib.util.spec_from_file_location("vmr_compiled_paths", SCRIPT)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_frame_sums_compare_both_paths(bench):
    frames = np.random.default_rng(0).integers(0, 256, size=(5, 60, 80, 3), dtype=np.uint8)
    report = bench.frame_sums(frames, runs=1)
    assert report["frames"] == 5 and set(report["seconds"]) == {"compiled", "numpy"}
    assert 0.0 < report["max_value_difference"] < 1e-4  # two real paths, agreeing


def test_area_resize_reports_equality_and_which_path_serves(bench):
    report = bench.area_resize([(320, 240), (640, 480), (330, 250)], runs=1, repeats=1)
    assert report["320x240"]["used_by_area_resize"] == "opencv"
    assert report["640x480"]["used_by_area_resize"] == "compiled"
    assert report["320x240"]["equal"] and report["640x480"]["equal"]
    assert report["330x250"] == {"whole_factors": None}


def test_clips_give_identical_features_with_either_resize(bench, tmp_path):
    report = bench.clips([(640, 480)], runs=1, folder=tmp_path)
    assert report["640x480"]["identical_features"]
    assert set(report["640x480"]["seconds"]) == {"compiled_resize", "opencv_resize"}
