"""The compiled per-frame pass (``default_kernel_compiled.py``) against the numpy path it replaces.

Both compute ``sums[k] = sum_p m_k(p) * [pixel basis, edge values](p)``; the compiled pass works in float64 and the
numpy path in float32, so they agree to float32 rounding, and the backbone's features (what models see) to ~1e-5.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from vlanet_core.features import default_kernel
from vlanet_core.features.default_backbone import DefaultBackbone
from vlanet_core.features.default_kernel import FrameSums
from vlanet_core.features.types import DecodedVideo

pytest.importorskip("numba")
from vlanet_core.features.default_kernel_compiled import sparse_membership  # noqa: E402

GOLDEN = Path(__file__).parent / "data" / "default_backbone_golden.npz"


def _paths(backbone: DefaultBackbone) -> tuple[FrameSums, FrameSums]:
    sums = backbone._sums
    width, height = backbone.input_size
    make = lambda compiled: FrameSums(  # noqa: E731
        sums.colour_rows, sums.basis, (width, height), float(sums.edge_floor), compiled=compiled
    )
    return make(True), make(False)


def _random_frames(rng: np.random.Generator, count: int, height: int, width: int) -> np.ndarray:
    """Blocks of flat colour with noise: edges of every strength and direction, every colour bin."""
    coarse = rng.integers(0, 256, size=(count, max(1, height // 6), max(1, width // 6), 3))
    frames = np.repeat(np.repeat(coarse, 6, axis=1), 6, axis=2)[:, :height, :width]
    frames = np.pad(frames, ((0, 0), (0, height - frames.shape[1]), (0, width - frames.shape[2]), (0, 0)), "edge")
    noise = rng.normal(0.0, 3.0, size=frames.shape)
    return np.clip(frames + noise, 0, 255).astype(np.uint8)


@pytest.mark.parametrize("edge_floor", [0.0, 0.04])
def test_compiled_sums_equal_the_numpy_sums(edge_floor):
    backbone = DefaultBackbone(edge_floor=edge_floor)
    compiled, plain = _paths(backbone)
    assert compiled.compiled and not plain.compiled
    frames = _random_frames(np.random.default_rng(0), 11, 60, 80)
    fast, reference = compiled(frames), plain(frames)
    assert fast.shape == reference.shape == (11, backbone.bins, 22) and fast.dtype == np.float32
    scale = np.abs(reference).max(axis=(0, 1), keepdims=True) + 1.0  # each sum against its own magnitude
    assert np.abs(fast - reference).max(axis=(0, 1), keepdims=True).max() > 0  # really two different paths
    assert (np.abs(fast - reference) / scale).max() < 1e-5
    described = backbone._describe(fast, 4800), backbone._describe(reference, 4800)
    assert np.abs(described[0] - described[1]).max() < 1e-5


def test_compiled_path_gives_the_golden_features_on_both_paths():
    with np.load(GOLDEN) as data:
        video = DecodedVideo(frames=data["a_frames"], timestamps=data["a_times"], duration=float(data["a_duration"]))
        expected = data["a_features"]
    backbone = DefaultBackbone()
    compiled, plain = _paths(backbone)
    backbone._sums = plain
    from_numpy = backbone.extract(video).features
    backbone._sums = compiled
    from_compiled = backbone.extract(video).features
    assert np.abs(from_numpy - expected).max() <= 1e-4
    assert np.abs(from_compiled - expected).max() <= 1e-4
    assert np.abs(from_compiled - from_numpy).max() <= 2e-5


@pytest.mark.parametrize("size", [(1, 1), (2, 1), (1, 3), (3, 2), (7, 5)])
def test_tiny_frames_agree(size):
    """Frames with no interior pixels, or one row or column: the border rules of both paths match."""
    width, height = size
    backbone = DefaultBackbone(input_size=size, edge_floor=0.0)
    compiled, plain = _paths(backbone)
    frames = np.random.default_rng(1).integers(0, 256, size=(3, height, width, 3), dtype=np.uint8)
    assert np.allclose(compiled(frames), plain(frames), rtol=1e-5, atol=1e-5)


def test_sparse_membership_rebuilds_the_table():
    table = DefaultBackbone()._sums.colour_rows
    index, weight = sparse_membership(table)
    assert index.shape == weight.shape and index.shape[1] <= 4
    dense = np.zeros_like(table)
    rows = np.arange(table.shape[0])[:, None]
    np.add.at(dense, (np.broadcast_to(rows, index.shape), index), weight)
    assert np.array_equal(dense, table)
    nonzero = weight > 0
    assert np.all(nonzero[:, :-1] | ~nonzero[:, 1:])  # non-zero entries first: the kernel stops at the first 0


def test_compiled_rows_do_not_depend_on_batching():
    compiled, _ = _paths(DefaultBackbone(edge_floor=0.04))
    frames = _random_frames(np.random.default_rng(2), 21, 60, 80)
    whole = compiled(frames)
    parts = np.concatenate([compiled(frames[i : i + 5]) for i in range(0, 21, 5)])
    assert np.array_equal(whole, parts)


def test_asking_for_the_compiled_pass_without_numba_is_a_clear_error(monkeypatch):
    sums = DefaultBackbone()._sums
    monkeypatch.setattr(default_kernel, "_compiled", None)
    with pytest.raises(RuntimeError, match="numba"):
        FrameSums(sums.colour_rows, sums.basis, (80, 60), compiled=True)
    fallback = FrameSums(sums.colour_rows, sums.basis, (80, 60))
    assert not fallback.compiled and not default_kernel.compiled_available()
    frames = np.zeros((2, 60, 80, 3), np.uint8)
    assert fallback(frames).shape == (2, sums.bins, 22)


@pytest.mark.parametrize("error", [ImportError("no numba"), RuntimeError("cannot cache function: no locator")])
def test_a_compiled_module_that_cannot_load_falls_back(monkeypatch, caplog, error):
    """numba missing, or no writable folder for its cache (a read-only install): None, and a warning saying what
    is used instead, so the numpy / OpenCV path serves."""
    from vlanet_core.features import compiled

    def refuse(name):
        raise error

    monkeypatch.setattr(compiled.importlib, "import_module", refuse)
    with caplog.at_level("WARNING", logger="vlanet_core.features.compiled"):
        assert compiled.load_compiled("vlanet_core.features.default_kernel_compiled", "the numpy frame sums") is None
    assert "the numpy frame sums" in caplog.text and str(error) in caplog.text
