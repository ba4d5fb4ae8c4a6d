"""Writes ``default_backbone_golden.npz``: input frames and the ``default`` backbone's features for them.

Run once with the implementation whose output models were trained on (commit 0ab3291, before the speed work):
``PYTHONPATH=. python tests/data/make_default_backbone_golden.py``. ``tests/test_default_backbone_golden.py`` then
checks that every later implementation gives the same features within 1e-4. Do not re-run it after changing the
backbone: that would make the test compare the new code with itself.

Inputs (stored, so the test does not depend on the renderer or the codec of the day):
- ``a``: Shapes-STA test video 30 (30.2 s, mp4v) decoded at 10 fps and 80x60, the backbone's own input size;
- ``b``: 12 of its frames decoded at 320x240, so the backbone's own resize runs;
- ``c``: 9 frames of 40x30 coloured noise blocks at irregular times (upscaling, uneven frame gaps, an empty step);
- ``d``: a single frame (no rate can be computed).
"""

from __future__ import annotations

import tempfile
from pathlib import Path

import numpy as np

from vlanet_core.data.shapes.sample import video_spec
from vlanet_core.data.shapes.writer import write_video
from vlanet_core.features.decode import decode_video
from vlanet_core.features.default_backbone import DefaultBackbone
from vlanet_core.features.types import DecodedVideo

OUT = Path(__file__).with_name("default_backbone_golden.npz")


def inputs() -> dict[str, DecodedVideo]:
    with tempfile.TemporaryDirectory() as folder:
        path = write_video(video_spec("test", 30), Path(folder) / "test_00030.mp4", codec="mp4v")
        small = decode_video(path, 10.0, size=(80, 60))
        full = decode_video(path, 10.0)
    rng = np.random.default_rng(7)
    blocks = rng.integers(0, 256, size=(9, 6, 8, 3), dtype=np.uint8)
    noise = np.repeat(np.repeat(blocks, 5, axis=1), 5, axis=2)  # (9, 30, 40, 3)
    noise = np.clip(noise + rng.normal(0, 12, noise.shape), 0, 255).astype(np.uint8)
    return {
        "a": small,
        "b": DecodedVideo(full.frames[100:112], full.timestamps[100:112] - full.timestamps[100], 1.2),
        "c": DecodedVideo(noise, np.array([0.0, 0.1, 0.15, 0.4, 0.45, 1.6, 1.7, 1.75, 2.3]), 2.4),
        "d": DecodedVideo(small.frames[:1], np.zeros(1), 0.1),
    }


def main() -> None:
    backbone = DefaultBackbone()
    arrays: dict[str, np.ndarray] = {}
    for name, video in inputs().items():
        arrays[f"{name}_frames"] = video.frames
        arrays[f"{name}_times"] = np.asarray(video.timestamps, dtype=np.float64)
        arrays[f"{name}_duration"] = np.float64(video.duration)
        arrays[f"{name}_features"] = backbone.extract(video).features
        print(name, video.frames.shape, arrays[f"{name}_features"].shape)
    np.savez_compressed(OUT, **arrays)
    print(OUT, OUT.stat().st_size, "bytes")


if __name__ == "__main__":
    main()
