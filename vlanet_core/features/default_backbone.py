"""The ``default`` visual backbone: colour-blob statistics computed from pixels alone, no download, no training.

What a sentence can ask about, and the feature that carries it (per colour bin, K = hue_bins + value_bins):
- colour: soft membership maps over generic colour bins. Vivid pixels (chroma = S*V above a ramp, see
  ``vivid_low``/``vivid_high``) go to ``hue_bins`` hue bins with triangular interpolation; the rest go to
  ``value_bins`` grey-level bins (black ... white), so dull backgrounds and white objects get their own bins.
  The chroma ramp rather than a plain S*V weight: a dark, slightly tinted background would otherwise dump its whole
  area into a hue bin and drown a small object of that hue.
- presence / visibility (appear, disappear, fade, blink): sqrt of the bin's mass (fraction of the frame); the
  square root lifts small objects to the scale of large areas.
- position: mass centroid (x, y) in [-1, 1]; a soft 4x3 grid of mass (tent functions) for several blobs in a bin.
- scale (grow, shrink): spatial spread (std of x and y) and mass.
- shape and rotation: the colour gradient's orientation (Di Zenzo structure tensor over R, G, B, so red on a grey
  of equal brightness still has an edge) summarised by circular harmonics of the doubled angle, weighted by the
  bin's membership: harmonic 2 (4-fold symmetry: squares), harmonic 3 (6-fold: triangles), none for circles.
  Their magnitude is rotation invariant (shape) and their phase turns with the object (rotation). Edge density
  (edge energy per unit mass) separates compact from elongated or small from large outlines.
- motion over time: frames are pooled into steps of ``step`` seconds; each step holds the mean per-frame
  descriptor, the signed mean rate of change of mass/centroid/spread/harmonics (direction of motion, growth,
  fade in or out) and its mean absolute rate (blink, spin and motion energy). Rates are per second over the real
  frame timestamps, so the numbers do not depend on the decode rate for step-like or linear changes.

Scaling is fixed, never fitted per video: every per-frame value is already in [-1, 1] or [0, ~1]; rates are
multiplied by ``rate_gain`` seconds so a slow move (a third of the frame in 12 s) is about 0.1 and a fast one about
1. Frames of any size are resized to ``input_size`` with area averaging first, so a file decoded at 320x240 and
frames rendered at another size give close features.

Speed: the per-frame sums (``default_kernel.py``: a compiled pass per frame, numpy as the fallback) take less than
half the numpy path's time (0.066 against 0.150 s of one core for 302 frames at 80x60 on a slow 2-core machine;
``python benchmarks/compiled_paths.py``); a frame's values depend on that frame alone, bit for bit, so the
streaming pipeline (``pipeline.py``) computes them while decoding and pools once at the end (``from_descriptors``).
``tests/test_default_backbone_golden.py`` holds the outputs models were trained on.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from typing import Any

import numpy as np

from vlanet_core.features.area_resize import area_resize
from vlanet_core.features.default_kernel import FrameSums
from vlanet_core.features.types import DecodedVideo, VideoFeatures

_BLOB_VALUES = ("mass", "cx", "cy", "sx", "sy")  # then the grid cells
_EDGE_VALUES = ("edge_density", "h2_cos", "h2_sin", "h3_cos", "h3_sin")


def _value_names(cells: int) -> tuple[str, ...]:
    """Per-bin per-frame values: 5 blob values, ``cells`` grid cells, 5 edge values (22 for a 4x3 grid)."""
    return _BLOB_VALUES + tuple(f"grid{i}" for i in range(cells)) + _EDGE_VALUES


def _changing_values(cells: int) -> tuple[int, ...]:
    """Indices of the values whose change over time is kept: mass, centroid, spread, the 4 harmonic values."""
    return (0, 1, 2, 3, 4) + tuple(range(5 + cells + 1, 5 + cells + 5))


@dataclass(frozen=True)
class DefaultBackboneConfig:
    input_size: tuple[int, int] = (80, 60)  # (W, H) working size: 4800 pixels keeps 300 frames under ~0.1 s
    sample_fps: float = 10.0  # frames decoded per second: a 4 Hz blink needs >= 8 to be seen on and off
    step: float = 0.5  # seconds per feature step: the shortest event (2.5 s) spans 5 steps
    hue_bins: int = 12  # 30 degrees each: the six colour words of everyday speech fall in distinct bins
    value_bins: int = 4  # black, dark grey, light grey, white for dull pixels
    grid: tuple[int, int] = (4, 3)  # (columns, rows) of the coarse mass layout, the frame's 4:3 aspect
    vivid_low: float = 0.18  # chroma (0-1) below which a pixel is grey: dull backgrounds and noise stay out
    vivid_high: float = 0.38  # chroma above which a pixel fully belongs to its hue bins
    presence_fraction: float = 0.002  # of the frame: a bin with this much mass is half "present" (~10 px at 80x60)
    slope_window: int = 1  # steps each side of a step in its slope fit: 1.5 s of frames at the default step
    slope_gain: float = 4.0  # seconds: slopes (units per second) times this are ~0.1 for a slow move, ~1 for fast
    rate_gain: float = 0.5  # seconds: absolute rates include frame-to-frame noise, so a smaller gain
    # Edge strengths (0-1 units: half the 0-255 difference across two pixels, /255, over R, G, B) below this do not
    # count: pixel noise (sigma <= 1.5 levels after area downscaling) and a codec's block edges and ringing (1-3
    # levels) fall under 0.04, an object's outline (tens of levels) stays. 0 keeps every edge (the numbers the first
    # models were trained on); the shipped models use 0.04, which brings the features of files decoded from mp4v /
    # webm closer to those of the in-memory render (README, "Robustness to codecs").
    edge_floor: float = 0.0


class DefaultBackbone:
    """Registered as "default" in ``backbones.py``: ``BACKBONES.create("default", **params)``.

    ``extract(DecodedVideo) -> VideoFeatures`` with (T, dim) float32 features, dim = K * 40.
    """

    name = "default"

    def __init__(self, **params: Any) -> None:
        for key in ("input_size", "grid"):
            if key in params and params[key] is not None:
                params[key] = tuple(int(v) for v in params[key])  # JSON gives lists back
        self.config = DefaultBackboneConfig(**params)
        cfg = self.config
        if cfg.step <= 0 or cfg.sample_fps <= 0:
            raise ValueError("step and sample_fps must be positive")
        self.bins = cfg.hue_bins + cfg.value_bins
        basis = _pixel_basis(cfg.input_size, cfg.grid)  # (P, 5 + cells)
        self._cell_area = basis[:, 5:].sum(axis=0)  # (cells,) pixels per soft grid cell
        table = _colour_membership_table(cfg)
        self._sums = FrameSums(table, basis, cfg.input_size, cfg.edge_floor)  # per-frame weighted sums
        cells = cfg.grid[0] * cfg.grid[1]
        self._values = _value_names(cells)
        self._changing = list(_changing_values(cells))

    # --- the backbone interface -------------------------------------------------------------------------------
    @property
    def dim(self) -> int:
        return self.bins * (len(self._values) + 2 * len(self._changing))

    @property
    def sample_fps(self) -> float:
        return self.config.sample_fps

    @property
    def step(self) -> float:
        return self.config.step

    @property
    def input_size(self) -> tuple[int, int]:
        return self.config.input_size

    def bin_names(self) -> list[str]:
        """Names of the K colour bins: 'hue000', 'hue030', ... (degrees of the bin centre), then 'grey0'.. (dark
        to light)."""
        hue = [f"hue{round(360 * b / self.config.hue_bins):03d}" for b in range(self.config.hue_bins)]
        return hue + [f"grey{b}" for b in range(self.config.value_bins)]

    def feature_names(self) -> list[str]:
        """(dim,) names 'part:bin:value' of every feature column; part is 'mean', 'slope' or 'rate'."""
        names = [f"mean:{b}:{v}" for b in self.bin_names() for v in self._values]
        for part in ("slope", "rate"):
            names += [f"{part}:{b}:{self._values[v]}" for b in self.bin_names() for v in self._changing]
        return names

    def time_reversal_signs(self) -> np.ndarray:
        """(dim,) float32: -1 on the signed rates ('slope' columns), which change sign when the clip is played
        backwards, +1 on the step means and absolute rates ('mean', 'rate'), which do not (``time_reversal.py``)."""
        return np.array([-1.0 if n.startswith("slope:") else 1.0 for n in self.feature_names()], dtype=np.float32)

    def params(self) -> dict[str, Any]:
        """JSON-ready keyword arguments that rebuild this backbone with ``BACKBONES.create("default", **params)``."""
        out = asdict(self.config)
        out["input_size"] = list(self.config.input_size)
        out["grid"] = list(self.config.grid)
        return out

    def extract(self, video: DecodedVideo) -> VideoFeatures:
        """(N, H, W, 3) uint8 RGB frames with timestamps -> (T, dim) float32 features, T = ceil(duration / step)."""
        frames = np.asarray(video.frames)
        if frames.ndim != 4 or frames.shape[-1] != 3 or frames.shape[0] == 0:
            raise ValueError(f"expected (N, H, W, 3) frames with N >= 1, got shape {frames.shape}")
        times = np.asarray(video.timestamps, dtype=np.float64).reshape(-1)
        if times.shape[0] != frames.shape[0]:
            raise ValueError(f"{frames.shape[0]} frames but {times.shape[0]} timestamps")
        return self.from_descriptors(self.frame_descriptors(frames), times, float(video.duration), video.source)

    def from_descriptors(
        self, per_frame: np.ndarray, timestamps: np.ndarray, duration: float, source: str = ""
    ) -> VideoFeatures:
        """(N, K, 22) ``frame_descriptors`` rows at (N,) timestamps (seconds) -> the clip's VideoFeatures.

        ``extract`` is ``from_descriptors(frame_descriptors(frames), ...)``; the streaming pipeline computes the
        rows chunk by chunk while decoding and calls this once at the end.
        """
        times = np.asarray(timestamps, dtype=np.float64).reshape(-1)
        if per_frame.shape[0] != times.shape[0] or per_frame.shape[0] == 0:
            raise ValueError(f"{per_frame.shape[0]} descriptor rows but {times.shape[0]} timestamps")
        return VideoFeatures(
            features=self._pool_steps(per_frame, times, float(duration)),
            step=self.config.step,
            duration=float(duration),
            backbone=self.name,
            backbone_params=self.params(),
            source=source,
        )

    # --- per-frame descriptors --------------------------------------------------------------------------------
    def frame_descriptors(self, frames: np.ndarray) -> np.ndarray:
        """(N, H, W, 3) uint8 RGB -> (N, K, 22) float32 per-frame, per-colour-bin values (see module doc).

        Each row depends on its frame alone, so any split of a clip into batches gives the same rows (the streaming
        pipeline relies on it). The sums come from ``default_kernel.FrameSums`` (chunked, allocation-free).
        """
        width, height = self.config.input_size
        if frames.shape[1:3] != (height, width):
            frames = np.stack([area_resize(f, (width, height)) for f in frames])
        return self._describe(self._sums(frames), height * width)

    def _describe(self, sums: np.ndarray, pixels: int) -> np.ndarray:
        """(N, K, 22) weighted sums -> (N, K, 22) per-frame values (see module doc)."""
        cells = sums.shape[-1] - 10
        mass = sums[..., 0]
        norm = mass + 1.0  # +1 pixel: an empty bin reads as centred, zero spread, not 0/0
        centre = sums[..., 1:3] / norm[..., None]
        spread = np.sqrt(np.maximum(sums[..., 3:5] / norm[..., None] - centre**2, 0.0))
        grid = np.sqrt(sums[..., 5 : 5 + cells] / self._cell_area)
        energy = sums[..., 5 + cells]
        edge_density = energy / (norm + 4.0)  # per pixel of mass; +4 keeps noise in empty bins near 0
        harmonics = sums[..., 6 + cells :] / (energy[..., None] + 2.0)  # +2: a faint bin's phase is noise
        out = np.empty(sums.shape, dtype=np.float32)
        # presence in [0, 1): a bin holding a few stray pixels (noise, compression fringes) has a centroid and an
        # outline that jump from frame to frame; scaling them by presence keeps those jumps out of the rates
        presence = (mass / (mass + self.config.presence_fraction * pixels))[..., None]
        out[..., 0] = np.sqrt(mass / pixels)
        out[..., 1:3] = centre * presence
        out[..., 3:5] = spread * presence
        out[..., 5 : 5 + cells] = grid
        out[..., 5 + cells] = np.minimum(edge_density, 2.0)
        out[..., 6 + cells :] = harmonics * presence
        return out

    # --- temporal pooling -------------------------------------------------------------------------------------
    def _pool_steps(self, per_frame: np.ndarray, times: np.ndarray, duration: float) -> np.ndarray:
        """(N, K, 22) per-frame values at ``times`` -> (T, K * 40) step features [mean, slope, absolute rate].

        - mean: average of the frames in the step;
        - slope: least-squares slope (units per second) of the changing values over the step and
          ``slope_window`` steps each side; a fit over ~15 frames rather than frame differences, so pixel noise and
          compression do not masquerade as motion (direction of motion, growth, fading);
        - absolute rate: mean |frame-to-frame change| per second inside the step (blink, spin, motion energy).
        """
        cfg = self.config
        count = per_frame.shape[0]
        duration = max(duration, float(times.max()) + 1e-6, 1e-6)
        steps = max(1, int(np.ceil(duration / cfg.step - 1e-6)))
        slot = np.clip(np.floor(times / cfg.step).astype(np.int64), 0, steps - 1)  # (N,) step of each frame
        means = _average_by_slot(per_frame.reshape(count, -1), slot, steps)
        changing = per_frame[:, :, self._changing].reshape(count, -1).astype(np.float64)  # (N, K * 9)
        slope = _windowed_slope(changing, times, slot, steps, cfg.slope_window) * cfg.slope_gain
        if count > 1:
            dt = np.maximum(np.diff(times), 1e-3)[:, None]
            rates = np.abs(np.diff(changing, axis=0)) / dt * cfg.rate_gain  # (N-1, K * 9), ending at frame i+1
            absolute = _average_by_slot(rates, slot[1:], steps)
        else:
            absolute = np.zeros((steps, changing.shape[1]), dtype=np.float32)
        return np.concatenate([means, slope.astype(np.float32), absolute], axis=1).astype(np.float32)


def _windowed_slope(values: np.ndarray, times: np.ndarray, slot: np.ndarray, steps: int, half: int) -> np.ndarray:
    """(N, D) values at (N,) times -> (steps, D) least-squares slope per second over steps [s - half, s + half]."""
    t = times - times.mean()  # centred: better conditioned sums
    stats = np.concatenate([np.ones((len(t), 1)), t[:, None], (t * t)[:, None], values, values * t[:, None]], axis=1)
    sums = _sum_by_slot(stats, slot, steps)
    cumulative = np.concatenate([np.zeros((1, sums.shape[1])), np.cumsum(sums, axis=0)])
    low = np.clip(np.arange(steps) - half, 0, steps)
    high = np.clip(np.arange(steps) + half + 1, 0, steps)
    window = cumulative[high] - cumulative[low]  # (steps, 3 + 2D) sums over the window
    n, st, stt = window[:, :1], window[:, 1:2], window[:, 2:3]
    dim = values.shape[1]
    sv, stv = window[:, 3 : 3 + dim], window[:, 3 + dim :]
    denominator = n * stt - st * st
    ok = denominator > 1e-9  # fewer than two distinct times in the window: no slope
    return np.where(ok, (n * stv - st * sv) / np.where(ok, denominator, 1.0), 0.0)


def _sum_by_slot(values: np.ndarray, slot: np.ndarray, steps: int) -> np.ndarray:
    """(N, D) rows summed per slot in float64, row after row in frame order -> (steps, D); empty slots are 0.

    The same sums as ``np.add.at(zeros, slot, values)``, by one ``reduceat`` over the rows grouped by slot (a
    stable sort keeps each slot's rows in frame order), ~20x faster.
    """
    values = np.asarray(values, dtype=np.float64)
    if np.any(slot[1:] < slot[:-1]):  # frames out of time order (in-memory input): group them first
        order = np.argsort(slot, kind="stable")
        values, slot = values[order], slot[order]
    starts = np.flatnonzero(np.concatenate([[True], slot[1:] != slot[:-1]]))
    sums = np.zeros((steps, values.shape[1]), dtype=np.float64)
    sums[slot[starts]] = np.add.reduceat(values, starts, axis=0)
    return sums


def _average_by_slot(values: np.ndarray, slot: np.ndarray, steps: int) -> np.ndarray:
    """(N, D) rows averaged per slot -> (steps, D); a slot with no row copies its nearest filled neighbour."""
    sums = _sum_by_slot(values, slot, steps)
    counts = np.bincount(slot, minlength=steps).astype(np.float64)
    filled = np.flatnonzero(counts > 0)
    out = sums / np.maximum(counts, 1.0)[:, None]
    if filled.size == 0:
        return out.astype(np.float32)
    if filled.size < steps:  # gaps (sampling slower than the step, variable frame rate): nearest filled step
        nearest = filled[np.clip(np.searchsorted(filled, np.arange(steps)), 0, filled.size - 1)]
        before = filled[np.clip(np.searchsorted(filled, np.arange(steps)) - 1, 0, filled.size - 1)]
        pick = np.where(np.abs(before - np.arange(steps)) < np.abs(nearest - np.arange(steps)), before, nearest)
        out = out[pick]
    return out.astype(np.float32)


def _colour_membership_table(cfg: DefaultBackboneConfig) -> np.ndarray:
    """(180 * 32 * 32, K) float32: membership of every (OpenCV hue, S >> 3, V >> 3) code in the K colour bins."""
    sat = ((np.arange(32) + 0.5) * 8 / 255.0)[None, :, None]
    val = ((np.arange(32) + 0.5) * 8 / 255.0)[None, None, :]
    chroma = sat * val
    vivid = np.clip((chroma - cfg.vivid_low) / (cfg.vivid_high - cfg.vivid_low), 0.0, 1.0)
    vivid = vivid * vivid * (3.0 - 2.0 * vivid)  # smoothstep: no kink where noise pushes a grey over the edge
    position = np.arange(180)[:, None] / 180.0 * cfg.hue_bins  # in bins; bin 0 is centred on red
    half = cfg.hue_bins / 2
    distance = np.abs((position - np.arange(cfg.hue_bins)[None, :] + half) % cfg.hue_bins - half)
    hue_member = np.clip(1.0 - distance, 0.0, 1.0)[:, None, None, :]  # (180, 1, 1, hue_bins), circular tents
    value_position = np.broadcast_to(val, (180, 32, 32)) * (cfg.value_bins - 1)
    value_member = np.stack(
        [np.clip(1.0 - np.abs(value_position - b), 0.0, 1.0) for b in range(cfg.value_bins)], axis=-1
    )
    table = np.concatenate(
        [vivid[..., None] * hue_member * np.ones((1, 32, 32, 1)), (1.0 - vivid)[..., None] * value_member], axis=-1
    )
    return table.reshape(180 * 32 * 32, -1).astype(np.float32)


def _pixel_basis(size: tuple[int, int], grid: tuple[int, int]) -> np.ndarray:
    """(P, 5 + cols * rows) float32: [1, x, y, x^2, y^2, soft grid cells] for pixels in row-major order.

    x, y in [-1, 1] at pixel centres; grid cells are tent functions between cell centres (flat beyond the outer
    centres), so they sum to 1 at every pixel and a blob sliding across a border changes them smoothly.
    """
    width, height = size
    cols, rows = grid
    x = (np.arange(width) + 0.5) / width * 2.0 - 1.0
    y = (np.arange(height) + 0.5) / height * 2.0 - 1.0

    def tents(coord: np.ndarray, n: int) -> np.ndarray:
        centres = (np.arange(n) + 0.5) / n * 2.0 - 1.0
        pos = np.clip((coord[:, None] - centres[0]) / (2.0 / n), 0.0, n - 1)  # fractional cell index
        return np.clip(1.0 - np.abs(pos - np.arange(n)[None, :]), 0.0, 1.0)  # (len, n)

    tx, ty = tents(x, cols), tents(y, rows)
    yy, xx = np.meshgrid(y, x, indexing="ij")
    cells = (ty[:, None, :, None] * tx[None, :, None, :]).reshape(height * width, rows * cols)
    basis = np.concatenate([np.stack([np.ones_like(xx), xx, yy, xx**2, yy**2], axis=-1).reshape(-1, 5), cells], axis=1)
    return basis.astype(np.float32)
