"""The ``default`` backbone's per-frame sums as one compiled pass per frame (numba), the fast path of ``FrameSums``.

The same sums as the numpy path of ``default_kernel.py`` (its module doc gives the formula): for every pixel, the
edge values from central differences of the 0-255 values, the pixel's 2-4 colour bins from the membership table,
and ``sums[bin] += membership * [pixel basis (17), edge values (5)]``. Why a compiled pass: the numpy path writes
about a dozen full-frame temporaries and a dense (pixels x bins) membership matrix per chunk, of which only ~2.5 of
16 entries per pixel are non-zero; here nothing is written but the (K, 22) accumulator, and the loop releases the
GIL (``nogil``), so a worker thread computing features really runs beside the decoding thread.

Numbers: the pixel values, gradients and edge values are computed in float64 and the sums accumulated in float64,
then stored as float32; the numpy path works in float32 throughout, so the two differ by float32 rounding
(``tests/test_default_kernel_compiled.py`` bounds it at 1e-5 of each sum's scale and 1e-5 on the features; the
golden test holds both paths to the frozen features). Each frame's sums
depend on that frame alone and the loop order is fixed, so results are bit for bit the same for any batching or
thread count.

numba compiles on first use (a few seconds) and caches the machine code beside this file (``cache=True``); a
process that cannot load it uses the numpy path (``compiled.load_compiled``, ``default_kernel.compiled_available``).
"""

from __future__ import annotations

import numba
import numpy as np


def sparse_membership(colour_rows: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """(codes, K) dense table -> ((codes, B) int32 bin indices, (codes, B) float32 weights), B = most non-zeros
    of a row; the non-zero entries of each row first, in bin order, padded with weight 0 (bin 0)."""
    nonzero = colour_rows > 0
    width = max(1, int(nonzero.sum(axis=1).max()))
    order = np.argsort(~nonzero, axis=1, kind="stable")[:, :width]  # non-zero bins first, each group in bin order
    weights = np.take_along_axis(colour_rows, order, axis=1).astype(np.float32)
    index = np.where(weights > 0, order, 0).astype(np.int32)
    return np.ascontiguousarray(index), np.ascontiguousarray(weights)


@numba.njit(cache=True, nogil=True, boundscheck=False, error_model="numpy")
def frame_sums(
    frames: np.ndarray,
    hsv: np.ndarray,
    bin_index: np.ndarray,
    bin_weight: np.ndarray,
    basis: np.ndarray,
    gradient_scale: float,
    edge_floor: float,
    out: np.ndarray,
) -> None:  # pragma: no cover - compiled; covered through FrameSums and its tests
    """``out[f]`` = (K, R) sums of frame f (R = basis columns + 5 edge values).

    frames, hsv: (n, H, W, 3) uint8 (RGB and OpenCV's HSV of the same pixels); bin_index / bin_weight: (codes, B)
    from ``sparse_membership``; basis: (H * W, R - 5) float32; out: (n, K, R) float32.
    """
    n, height, width = frames.shape[0], frames.shape[1], frames.shape[2]
    bins, rows = out.shape[1], out.shape[2]
    columns = basis.shape[1]
    per_code = bin_index.shape[1]
    acc = np.empty((bins, rows), np.float64)
    planes = np.empty((3, height, width), np.float64)  # the frame's R, G, B as float planes: unit-stride rows
    c2 = np.empty(width, np.float64)  # per pixel of a row: sums over R, G, B of gx^2 - gy^2 and of 2 gx gy
    s2 = np.empty(width, np.float64)
    edges = np.empty((5, width), np.float64)  # per pixel of a row: s, s cos 4t, s sin 4t, s cos 6t, s sin 6t
    for f in range(n):
        acc[:, :] = 0.0
        for y in range(height):
            for x in range(width):
                for ch in range(3):
                    planes[ch, y, x] = frames[f, y, x, ch]
        for y in range(height):
            c2[:] = 0.0
            s2[:] = 0.0
            # central differences: gx is 0 on the first and last column, gy on the first and last row (no edge
            # across the frame's border), as in the numpy path
            inside = 0 < y < height - 1
            for ch in range(3):
                here = planes[ch, y]
                above = planes[ch, y - 1] if inside else here
                below = planes[ch, y + 1] if inside else here
                for x in range(1, width - 1):
                    gx = here[x + 1] - here[x - 1]
                    gy = below[x] - above[x]
                    c2[x] += (gx + gy) * (gx - gy)
                    s2[x] += gx * gy
                gy = below[0] - above[0]  # the first and last column: gx = 0
                c2[0] -= gy * gy
                if width > 1:
                    gy = below[width - 1] - above[width - 1]
                    c2[width - 1] -= gy * gy
            for x in range(width):
                re = c2[x] * gradient_scale
                im = s2[x] * (2.0 * gradient_scale)
                length = np.sqrt(re * re + im * im) + 1e-12
                strength = np.sqrt(length)
                if edge_floor > 0.0:
                    strength = max(strength - edge_floor, 0.0)
                edges[0, x] = strength
                if strength == 0.0:  # below the floor: no edge, and no harmonics to compute
                    edges[1, x] = edges[2, x] = edges[3, x] = edges[4, x] = 0.0
                    continue
                inverse = 1.0 / length
                u_re = re * inverse  # the unit doubled angle u = exp(2it)
                u_im = im * inverse
                sq_re = u_re * u_re - u_im * u_im  # u^2 = exp(4it)
                sq_im = 2.0 * u_re * u_im
                edges[1, x] = strength * sq_re
                edges[2, x] = strength * sq_im
                edges[3, x] = strength * (sq_re * u_re - sq_im * u_im)  # u^3 = exp(6it)
                edges[4, x] = strength * (sq_re * u_im + sq_im * u_re)
            for x in range(width):
                pixel = y * width + x
                code = (
                    (np.int64(hsv[f, y, x, 0]) << 10)
                    | ((np.int64(hsv[f, y, x, 1]) >> 3) << 5)
                    | (np.int64(hsv[f, y, x, 2]) >> 3)
                )
                edged = edges[0, x] != 0.0
                for j in range(per_code):
                    weight = np.float64(bin_weight[code, j])
                    if weight == 0.0:
                        break
                    row = acc[bin_index[code, j]]
                    for i in range(columns):
                        row[i] += weight * basis[pixel, i]
                    if edged:
                        for i in range(5):
                            row[columns + i] += weight * edges[i, x]
        for b in range(bins):
            for i in range(rows):
                out[f, b, i] = acc[b, i]
