"""The ``default`` backbone's per-frame work: membership-weighted sums of pixel-basis and edge values per colour bin.

For every frame and colour bin k (K bins), with m_k(p) the soft membership of pixel p in bin k:
``sums[k] = sum_p m_k(p) * [1, x, y, x^2, y^2, grid cells..., s, s cos 4t, s sin 4t, s cos 6t, s sin 6t](p)``
where s is the colour edge strength and t the edge direction (Di Zenzo structure tensor over R, G, B). The
backbone turns these sums into its per-frame values (``DefaultBackbone._describe``).

Two paths compute the same sums: the compiled pass of ``default_kernel_compiled.py`` (numba; one loop over the
pixels of each frame that releases the GIL, used whenever numba imports) and the numpy path below (the fallback,
and the reference the compiled pass is tested against).

Why the numpy path is written this way (the numbers are those of the first, plain-numpy version within ~1e-5;
speed only):
- frames go through in chunks of ``CHUNK_FRAMES``: every temporary of a chunk fits in the L2 cache;
- every temporary lives in a per-thread workspace reused chunk after chunk: fresh 0.5 MB arrays are returned to
  the kernel by ``free`` and cost a page fault per 4 KB when allocated again, which took longer than the maths;
- the sums are one GEMM per frame, ``operands (22, P) @ membership (P, K)``, where the 17 pixel-basis rows are
  written once per workspace and only the 5 edge rows change; the GEMM runs over pixel pieces small enough for
  OpenBLAS to keep each one on the calling thread (its own threads would fight the decoding thread);
- gradients are exact integer differences of the 0-255 values (float32 holds them exactly), scaled once.
"""

from __future__ import annotations

import threading
from typing import Any

import cv2
import numpy as np

from vlanet_core.features.compiled import load_compiled

# the compiled pass, or None where it cannot load (the numpy path below then computes the same sums)
_compiled = load_compiled("vlanet_core.features.default_kernel_compiled", "the numpy frame sums")

CHUNK_FRAMES = 8  # frames per pass: each float32 plane of a chunk (~150 KB at 80x60) stays in the L2 cache
GEMM_ONE_THREAD = 240_000  # m*n*k below which OpenBLAS stays on the calling thread (its switch: 4 * 65536)
GRADIENT_SCALE = np.float32((0.5 / 255.0) ** 2)  # squared central difference of 0-255 values -> 0-1 units
GRADIENT_SCALE_64 = float(GRADIENT_SCALE)  # the same scale for the compiled pass, which works in float64
EDGE_ROWS = 5  # strength, then strength * (cos, sin) of 4t and of 6t


def gemm_pieces(pixels: int, columns: int) -> tuple[int, int]:
    """(d, pixels / d): the fewest equal pixel pieces whose (columns x piece) GEMMs stay on one thread.

    Falls back to a single piece (a threaded GEMM, same numbers) when no divisor of ``pixels`` is small enough.
    """
    for pieces in range(1, pixels + 1):
        if pixels % pieces == 0 and columns * (pixels // pieces) <= GEMM_ONE_THREAD:
            return pieces, pixels // pieces
    return 1, pixels


class _Workspace:
    """Buffers for one chunk of ``CHUNK_FRAMES`` frames of (H, W); a shorter last chunk uses their first rows."""

    def __init__(self, height: int, width: int, basis: np.ndarray, bins: int) -> None:
        n, pixels = CHUNK_FRAMES, height * width
        flat = n * pixels
        self.values = np.empty((n, height, width, 3), np.float32)
        self.gx = np.empty_like(self.values)
        self.gy = np.empty_like(self.values)
        self.plus = np.empty_like(self.values)
        self.minus = np.empty_like(self.values)
        self.planes = np.empty((10, flat), np.float32)  # one float per pixel each: c2, s2, |w|, 1/|w|, u, ...
        self.hsv = np.empty((n * height, width, 3), np.uint8)
        self.code = np.empty(flat, np.int32)
        self.part = np.empty(flat, np.int32)
        self.membership = np.empty((flat, bins), np.float32)
        self.operands = np.empty((n, basis.shape[1] + EDGE_ROWS, pixels), np.float32)  # (n, 22, P)
        self.operands[:, : basis.shape[1]] = basis.T  # written once: only the edge rows change per chunk


def compiled_available() -> bool:
    """Whether numba imported, so ``FrameSums`` can use the compiled pass (``default_kernel_compiled.py``)."""
    return _compiled is not None


class FrameSums:
    """``sums(frames)``: (N, H, W, 3) uint8 RGB at the backbone's input size -> (N, K, 22) float32 (module doc).

    - ``colour_rows``: (180 * 32 * 32, K) membership of every (OpenCV hue, S >> 3, V >> 3) code;
    - ``basis``: (P, 17) pixel-basis values in row-major pixel order; ``size``: (W, H);
    - ``edge_floor``: edge strengths (0-1 units) are soft-thresholded, s -> max(s - edge_floor, 0), before they
      weight anything (0: off, the numbers the golden test holds);
    - ``compiled``: use the compiled pass of ``default_kernel_compiled.py`` (None: whenever numba imported). It is
      2-3x faster (``benchmarks/compiled_paths.py``) and releases the GIL; the two paths agree to float32
      rounding (its module doc).
    Thread-safe: each thread gets its own workspace.
    """

    def __init__(
        self,
        colour_rows: np.ndarray,
        basis: np.ndarray,
        size: tuple[int, int],
        edge_floor: float = 0.0,
        compiled: bool | None = None,
    ) -> None:
        self.edge_floor = np.float32(edge_floor)
        self.colour_rows = np.ascontiguousarray(colour_rows, dtype=np.float32)
        self.basis = np.ascontiguousarray(basis, dtype=np.float32)
        self.width, self.height = size
        self.bins = self.colour_rows.shape[1]
        self.pieces = gemm_pieces(self.basis.shape[0], self.bins * (self.basis.shape[1] + EDGE_ROWS))
        if compiled and _compiled is None:
            raise RuntimeError("the compiled frame sums need numba (pip install numba)")
        self.compiled = _compiled is not None if compiled is None else bool(compiled)
        self._sparse = _compiled.sparse_membership(self.colour_rows) if self.compiled and _compiled else None
        self._local = threading.local()

    def __getstate__(self) -> dict[str, Any]:  # a backbone sent to another process leaves its buffers behind
        state = dict(self.__dict__)
        del state["_local"]
        return state

    def __setstate__(self, state: dict[str, Any]) -> None:
        self.__dict__.update(state)
        self._local = threading.local()

    def _workspace(self) -> _Workspace:
        workspace = getattr(self._local, "workspace", None)
        if workspace is None:
            workspace = self._local.workspace = _Workspace(self.height, self.width, self.basis, self.bins)
        return workspace

    def __call__(self, frames: np.ndarray) -> np.ndarray:
        count = frames.shape[0]
        sums = np.empty((count, self.bins, self.basis.shape[1] + EDGE_ROWS), dtype=np.float32)
        work = self._workspace()
        for start in range(0, count, CHUNK_FRAMES):
            chunk = np.ascontiguousarray(frames[start : start + CHUNK_FRAMES], dtype=np.uint8)
            out = sums[start : start + chunk.shape[0]]
            if self._sparse is not None and _compiled is not None:
                hsv = self._hsv(chunk, work).reshape(chunk.shape)
                index, weight = self._sparse
                floor = float(self.edge_floor)
                _compiled.frame_sums(chunk, hsv, index, weight, self.basis, GRADIENT_SCALE_64, floor, out)
            else:
                out[:] = self._chunk(chunk, work)
        return sums

    def _hsv(self, frames: np.ndarray, work: _Workspace) -> np.ndarray:
        """(n, H, W, 3) uint8 RGB -> (n * H, W, 3) uint8 OpenCV HSV (hue 0-179), in the workspace."""
        rows = frames.shape[0] * self.height
        return cv2.cvtColor(frames.reshape(-1, self.width, 3), cv2.COLOR_RGB2HSV, dst=work.hsv[:rows])

    def _chunk(self, frames: np.ndarray, work: _Workspace) -> np.ndarray:
        """(n <= CHUNK_FRAMES, H, W, 3) uint8 -> (n, K, 22) float32."""
        n = frames.shape[0]
        pieces, piece = self.pieces
        operands = work.operands[:n]
        self._edge_rows(frames, work, operands[:, -EDGE_ROWS:])
        membership = self._memberships(frames, work).reshape(n, pieces, piece, self.bins)  # (n, d, P/d, K)
        blocks = operands.reshape(n, -1, pieces, piece).transpose(0, 2, 1, 3)  # (n, d, 22, P/d), rows of P floats
        return np.matmul(blocks, membership).sum(axis=1).transpose(0, 2, 1)  # (n, K, 22)

    def _memberships(self, frames: np.ndarray, work: _Workspace) -> np.ndarray:
        """(n, H, W, 3) uint8 RGB -> (n * P, K) soft colour-bin membership, one 64-byte table row per pixel."""
        flat = frames.shape[0] * self.height * self.width
        hsv = self._hsv(frames, work).reshape(flat, 3)
        code, part = work.code[:flat], work.part[:flat]
        np.left_shift(hsv[:, 0], 10, out=code, dtype=np.int32)  # table row: hue * 1024 + (S >> 3) * 32 + (V >> 3)
        np.right_shift(hsv[:, 1], 3, out=part, dtype=np.int32)
        np.left_shift(part, 5, out=part)
        np.bitwise_or(code, part, out=code)
        np.right_shift(hsv[:, 2], 3, out=part, dtype=np.int32)
        np.bitwise_or(code, part, out=code)
        return np.take(self.colour_rows, code, axis=0, out=work.membership[:flat])

    def _edge_rows(self, frames: np.ndarray, work: _Workspace, out: np.ndarray) -> None:
        """(n, H, W, 3) uint8 -> ``out`` (n, 5, P): s, s * (cos, sin) of 2 and of 3 times the doubled angle 2t.

        Central differences in 0-1 units, zero on the frame's border (no edge there, as for a frame padded by
        itself); the doubled-angle vector (c2, s2) = (gx^2 - gy^2, 2 gx gy) summed over R, G, B has length
        L = |g|^2, so s = sqrt(L) is linear in contrast (a fading edge counts proportionally).
        """
        n = frames.shape[0]
        flat = n * self.height * self.width
        values, gx, gy = work.values[:n], work.gx[:n], work.gy[:n]
        np.copyto(values, frames, casting="unsafe")
        np.subtract(values[:, :, 2:], values[:, :, :-2], out=gx[:, :, 1:-1])
        np.subtract(values[:, 2:], values[:, :-2], out=gy[:, 1:-1])
        gx[:, :, 0] = gx[:, :, -1] = 0.0
        gy[:, 0] = gy[:, -1] = 0.0
        plus, minus = work.plus[:n], work.minus[:n]
        np.add(gx, gy, out=plus)
        np.subtract(gx, gy, out=minus)
        np.multiply(plus, minus, out=plus)  # gx^2 - gy^2 per channel
        np.multiply(gx, gy, out=minus)
        c2, s2, length, inverse, u_re, u_im, a, b, sq_re, sq_im = work.planes[:, :flat]
        c2_image, s2_image = c2.reshape(plus.shape[:3]), s2.reshape(plus.shape[:3])
        np.add(plus[..., 0], plus[..., 1], out=c2_image)  # sums over R, G, B: exact (integers below 2^24)
        np.add(c2_image, plus[..., 2], out=c2_image)
        np.add(minus[..., 0], minus[..., 1], out=s2_image)
        np.add(s2_image, minus[..., 2], out=s2_image)
        c2 *= GRADIENT_SCALE
        s2 *= 2.0 * GRADIENT_SCALE
        # |w| in plain numpy, not cv2.magnitude: OpenCV's SIMD body (fused multiply-add) and its scalar tail can
        # round the last bit differently, and where the tail falls depends on its thread count and the chunking,
        # so the same frame could get different numbers in two processes
        np.multiply(c2, c2, out=length)
        np.multiply(s2, s2, out=inverse)
        length += inverse
        np.sqrt(length, out=length)
        length += np.float32(1e-12)
        rows = out.reshape(n, EDGE_ROWS, -1)
        strength = rows[:, 0]
        np.sqrt(length.reshape(n, -1), out=strength)
        if self.edge_floor > 0:  # the direction (u) still comes from the raw gradient; only its weight shrinks
            strength -= self.edge_floor
            np.maximum(strength, 0.0, out=strength)
        np.reciprocal(length, out=inverse)
        np.multiply(c2, inverse, out=u_re)  # the unit doubled angle u = exp(2it)
        np.multiply(s2, inverse, out=u_im)
        np.multiply(u_re, u_re, out=a)
        np.multiply(u_im, u_im, out=b)
        np.subtract(a, b, out=sq_re)  # u^2 = exp(4it): 4-fold symmetry (squares)
        np.multiply(u_re, u_im, out=sq_im)
        sq_im *= 2.0
        shape = (n, -1)
        np.multiply(strength, sq_re.reshape(shape), out=rows[:, 1])
        np.multiply(strength, sq_im.reshape(shape), out=rows[:, 2])
        np.multiply(sq_re, u_re, out=a)  # u^3 = exp(6it): 6-fold symmetry (triangles)
        np.multiply(sq_im, u_im, out=b)
        np.subtract(a, b, out=a)
        np.multiply(strength, a.reshape(shape), out=rows[:, 3])
        np.multiply(sq_re, u_im, out=a)
        np.multiply(sq_im, u_re, out=b)
        np.add(a, b, out=a)
        np.multiply(strength, a.reshape(shape), out=rows[:, 4])
