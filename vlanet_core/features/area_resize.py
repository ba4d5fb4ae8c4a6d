"""Shrinking frames with area averaging: OpenCV's ``INTER_AREA``, or the same numbers faster for large whole factors.

Every decoded frame is shrunk to the backbone's working size (80x60 for ``default``) with area averaging, so a file
decoded at 320x240 and frames rendered at another size give close features. For a phone clip (1920x1080 or
1280x720 to 80x60: blocks of 24x18 or 16x12 pixels) OpenCV's general area path took 2.5 and 1.3 ms a frame on the
build machine, where summing the blocks directly (``area_resize_compiled.block_average``, numba) took 1.1 and 0.7 ms
with the same output bit for bit; at 640x480 (8x8) the two were even (0.47 ms), and for 4x4 OpenCV is faster (0.17
against 0.35 ms), so the compiled path is used only for blocks of at least ``COMPILED_MIN_BLOCK`` pixels
(``python benchmarks/compiled_paths.py`` prints these figures). Without numba, OpenCV does everything.
"""

from __future__ import annotations

import cv2
import numpy as np

from vlanet_core.features.compiled import load_compiled

COMPILED_MIN_BLOCK = 64  # pixels per block (8x8 and up) from which the compiled block average beats OpenCV


_compiled = load_compiled("vlanet_core.features.area_resize_compiled", "OpenCV's area resize")


def whole_factors(shape: tuple[int, ...], size: tuple[int, int]) -> tuple[int, int] | None:
    """(ky, kx) when a frame of ``shape`` (H, W, ...) shrinks to ``size`` (W, H) by whole factors, else None."""
    height, width = shape[0], shape[1]
    out_w, out_h = size
    if out_w <= 0 or out_h <= 0 or height % out_h or width % out_w:
        return None
    return height // out_h, width // out_w


def area_resize(frame: np.ndarray, size: tuple[int, int]) -> np.ndarray:
    """``frame`` (H, W) or (H, W, C) uint8 -> (h, w[, C]) uint8 at ``size`` = (w, h), as ``cv2.resize(frame, size,
    interpolation=cv2.INTER_AREA)`` returns it (the same array values on either path)."""
    size = (int(size[0]), int(size[1]))
    factors = whole_factors(frame.shape, size)
    if (
        _compiled is None
        or factors is None
        or factors[0] * factors[1] < COMPILED_MIN_BLOCK
        or frame.dtype != np.uint8
        or frame.ndim not in (2, 3)
    ):
        return cv2.resize(frame, size, interpolation=cv2.INTER_AREA)
    source = np.ascontiguousarray(frame if frame.ndim == 3 else frame[:, :, None])
    out = np.empty((size[1], size[0], source.shape[2]), dtype=np.uint8)
    _compiled.block_average(source, factors[0], factors[1], out)
    return out[:, :, 0] if source.shape[2] == 1 else out  # OpenCV drops a single channel too
