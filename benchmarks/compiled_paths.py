"""The compiled loops of the feature path against the code they replace, on the same inputs.

    python benchmarks/compiled_paths.py [--runs 5] [--clip-sizes 1920x1080,1280x720,640x480] [--out FILE]

Prints one JSON object:
- ``frame_sums``: the ``default`` backbone's per-frame sums for the 302 frames of Shapes-STA test_00030 at 80x60,
  compiled pass (``default_kernel_compiled.py``) against the numpy path, medians of interleaved runs, and the
  largest difference of the backbone's per-frame values between the two;
- ``area_resize``: milliseconds per frame to shrink a random frame of each size to 80x60, the compiled block
  average against ``cv2.resize(INTER_AREA)``, and whether the outputs are equal bit for bit;
- ``clips``: a 30-s Shapes-STA clip written as mp4v at each of ``--clip-sizes``, decode + features through the
  app's path with each resize, and whether the features are identical.
"""

from __future__ import annotations

import argparse
import sys
import tempfile
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import cv2
import numpy as np

REPO = Path(__file__).resolve().parents[1]
if str(REPO) not in sys.path:  # run as a script from anywhere: the package lives beside this folder
    sys.path.insert(0, str(REPO))

from benchmarks.report_output import emit_report  # noqa: E402
from vlanet_core.data.shapes import render_video, video_spec, write_video  # noqa: E402
from vlanet_core.features import area_resize as resize_module  # noqa: E402
from vlanet_core.features.backbones import BACKBONES  # noqa: E402
from vlanet_core.features.bench import interleaved_medians  # noqa: E402
from vlanet_core.features.default_backbone import DefaultBackbone  # noqa: E402
from vlanet_core.features.default_kernel import FrameSums  # noqa: E402
from vlanet_core.features.pipeline import encode_video_file  # noqa: E402

CLIP_VIDEO = 30  # Shapes-STA test video of the speed benchmarks (30.2 s)
TARGET = (80, 60)


def frame_sums(frames: np.ndarray, runs: int) -> dict[str, Any]:
    """Compiled against numpy frame sums on ``frames`` (N, 60, 80, 3) uint8, with the shipped edge floor."""
    backbone = DefaultBackbone(edge_floor=0.04)
    base = backbone._sums
    paths = {
        name: FrameSums(base.colour_rows, base.basis, backbone.input_size, float(base.edge_floor), compiled=flag)
        for name, flag in (("compiled", True), ("numpy", False))
    }
    medians = interleaved_medians({name: (lambda p=p: p(frames)) for name, p in paths.items()}, runs)
    pixels = backbone.input_size[0] * backbone.input_size[1]
    values = {name: backbone._describe(p(frames), pixels) for name, p in paths.items()}
    return {
        "frames": int(frames.shape[0]),
        "seconds": {name: round(value, 5) for name, value in medians.items()},
        "speedup": round(medians["numpy"] / medians["compiled"], 2),
        "max_value_difference": float(np.abs(values["compiled"] - values["numpy"]).max()),
    }


def area_resize(sizes: Sequence[tuple[int, int]], runs: int, repeats: int = 20) -> dict[str, Any]:
    """Per size (W, H): ms per frame of the compiled block average and of OpenCV, and bit-for-bit equality."""
    compiled = resize_module._compiled
    if compiled is None:
        raise RuntimeError("numba is not available: there is no compiled block average to measure")
    out: dict[str, Any] = {}
    for width, height in sizes:
        frame = np.random.default_rng(width).integers(0, 256, size=(height, width, 3), dtype=np.uint8)
        factors = resize_module.whole_factors(frame.shape, TARGET)
        if factors is None:
            out[f"{width}x{height}"] = {"whole_factors": None}
            continue
        result = np.empty((TARGET[1], TARGET[0], 3), dtype=np.uint8)

        def block(frame=frame, factors=factors, result=result) -> None:
            for _ in range(repeats):
                compiled.block_average(frame, factors[0], factors[1], result)

        def opencv(frame=frame) -> None:
            for _ in range(repeats):
                cv2.resize(frame, TARGET, interpolation=cv2.INTER_AREA)

        medians = interleaved_medians({"compiled": block, "opencv": opencv}, runs)
        block()
        out[f"{width}x{height}"] = {
            "block": list(factors),
            "ms_per_frame": {name: round(1e3 * value / repeats, 4) for name, value in medians.items()},
            "used_by_area_resize": "compiled"
            if factors[0] * factors[1] >= resize_module.COMPILED_MIN_BLOCK
            else "opencv",
            "equal": bool(np.array_equal(result, cv2.resize(frame, TARGET, interpolation=cv2.INTER_AREA))),
        }
    return out


def clips(sizes: Sequence[tuple[int, int]], runs: int, folder: Path) -> dict[str, Any]:
    """Per size: decode + features of the 30-s clip written as mp4v, with the compiled resize and with OpenCV's."""
    backbone = BACKBONES.create("default", edge_floor=0.04)
    compiled = resize_module._compiled
    out: dict[str, Any] = {}
    for width, height in sizes:
        path = write_video(video_spec("test", CLIP_VIDEO), folder / f"clip_{width}x{height}.mp4", size=(width, height))
        features: dict[str, np.ndarray] = {}

        def encode(module, name: str, path=path, features=features) -> None:
            resize_module._compiled = module
            try:
                features[name] = encode_video_file(path, backbone, cache=None).features
            finally:
                resize_module._compiled = compiled

        medians = interleaved_medians(
            {
                "compiled_resize": lambda encode=encode: encode(compiled, "compiled"),
                "opencv_resize": lambda encode=encode: encode(None, "cv2"),
            },
            runs,
        )
        out[f"{width}x{height}"] = {
            "seconds": {name: round(value, 3) for name, value in medians.items()},
            "identical_features": bool(np.array_equal(features["compiled"], features["cv2"])),
        }
    return out


def _sizes(text: str) -> list[tuple[int, int]]:
    sizes = []
    for item in filter(None, (part.strip() for part in text.split(","))):
        width, _, height = item.partition("x")
        sizes.append((int(width), int(height)))
    return sizes


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=5, help="interleaved rounds per figure (default 5)")
    parser.add_argument("--resize-sizes", default="320x240,640x480,1280x720,1920x1080", help="W x H, comma-separated")
    parser.add_argument("--clip-sizes", default="1920x1080,1280x720,640x480", help="W x H, comma-separated; '' skips")
    parser.add_argument("--out", type=Path, help="also write the JSON here")
    args = parser.parse_args(argv)
    frames = render_video(video_spec("test", CLIP_VIDEO), size=TARGET).frames
    report: dict[str, Any] = {
        "frame_sums": frame_sums(np.ascontiguousarray(frames), args.runs),
        "area_resize": area_resize(_sizes(args.resize_sizes), args.runs),
    }
    with tempfile.TemporaryDirectory(prefix="vmr-compiled-") as folder:
        report["clips"] = clips(_sizes(args.clip_sizes), args.runs, Path(folder))
    emit_report(report, args.out)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
