"""Exact block averaging for frames shrunk by whole factors (numba): the compiled half of ``area_resize.py``.

For a (h * ky, w * kx, c) uint8 frame, each output value is the mean of its ky x kx block rounded half to even,
which is what OpenCV's ``INTER_AREA`` returns for whole factors (``tests/test_area_resize.py`` checks it bit for
bit). Rows are summed into one int32 line per output row (a contiguous, vectorisable loop), then each output pixel
sums its kx columns of that line. The loop releases the GIL, so the decoding thread does not hold up the thread
computing features.
"""

from __future__ import annotations

import numba
import numpy as np


@numba.njit(cache=True, nogil=True, boundscheck=False)
def block_average(frame: np.ndarray, ky: int, kx: int, out: np.ndarray) -> None:  # pragma: no cover - compiled
    """``out`` (h, w, c) uint8 <- the rounded mean of each ky x kx block of ``frame`` (h * ky, w * kx, c) uint8."""
    h, w, c = out.shape
    width = frame.shape[1] * c
    count = ky * kx
    line = np.empty(width, np.int32)
    flat = frame.reshape(frame.shape[0], width)
    for y in range(h):
        line[:] = 0
        for dy in range(ky):
            row = flat[y * ky + dy]
            for i in range(width):
                line[i] += row[i]
        for x in range(w):
            base = x * kx * c
            for ch in range(c):
                total = 0
                for dx in range(kx):
                    total += line[base + dx * c + ch]
                out[y, x, ch] = np.uint8(np.rint(total / count))
