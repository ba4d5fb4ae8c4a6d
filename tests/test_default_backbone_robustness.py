"""Shapes-STA videos rendered in memory and the same videos written to files and decoded give the same features."""

from __future__ import annotations

import numpy as np
import pytest

from vlanet_core.features.decode import decode_video
from vlanet_core.registry import BACKBONES

shapes = pytest.importorskip("vlanet_core.data.shapes")


def _mean_cosine(a: np.ndarray, b: np.ndarray) -> float:
    steps = min(len(a), len(b))
    a, b = a[:steps], b[:steps]
    return float(np.mean((a * b).sum(1) / (np.linalg.norm(a, axis=1) * np.linalg.norm(b, axis=1) + 1e-12)))


@pytest.fixture(scope="module")
def backbone():
    return BACKBONES.create("default")


@pytest.fixture(scope="module")
def spec():
    # the shortest of the first few val videos keeps the test fast
    return min((shapes.video_spec("val", i) for i in range(6)), key=lambda video: video.duration)


@pytest.fixture(scope="module")
def rendered(spec, backbone):
    return backbone.extract(shapes.render_video(spec, size=(320, 240), fps=10.0)).features


@pytest.mark.parametrize("codec", ["mp4v", "vp80"])
def test_decoded_file_matches_render(tmp_path, spec, backbone, rendered, codec):
    if codec not in shapes.available_codecs():
        pytest.skip(f"this OpenCV cannot write {codec}")
    path = shapes.write_video(spec, tmp_path / f"clip{shapes.CODEC_SUFFIX[codec]}", fps=10.0, codec=codec)
    decoded = backbone.extract(decode_video(path, fps=backbone.sample_fps, size=backbone.input_size)).features
    assert abs(len(decoded) - len(rendered)) <= 1
    assert _mean_cosine(rendered, decoded) >= 0.95


def test_small_render_matches_large_render(spec, backbone, rendered):
    """The training store renders at the working size directly; it must match the 320x240 path."""
    small = backbone.extract(shapes.render_video(spec, size=backbone.input_size, fps=10.0)).features
    assert _mean_cosine(rendered, small) >= 0.95
