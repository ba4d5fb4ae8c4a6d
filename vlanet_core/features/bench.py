"""Speed of decoding and of the ``default`` features on a 30-s 320x240 clip: ``python -m vlanet_core.features.bench``.

Prints one JSON object (seconds, median of ``--runs`` runs after one warm-up run each). The timed runs are
interleaved: each round runs every measured action once, so a neighbour's load that comes and goes during the
measurement falls on all of them alike instead of on whichever block of runs it overlapped (this machine class is
shared; blocks of runs gave ratios from 1.5 to 1.8 for the same code within minutes):
- ``decode_only``: each decoder (decord seeking, OpenCV sequential) at the file's size and at the backbone's
  input size, and OpenCV with one FFmpeg thread (what the streamed path uses on two cores); ``fastest_decode`` is
  the smallest of them;
- ``features_only``: ``backbone.extract`` on frames already decoded at the input size;
- ``decode_plus_features``: the real ``encode_video_file`` path without a cache (streamed: decoding and
  per-frame features overlap), and ``ratio_to_fastest_decode`` (the target is at most 1.5);
- ``sequential_decode_then_extract``: the same work one after the other, for comparison;
- ``cached_repeat``: a second ``encode_video_file`` call with a ``FeatureCache`` (hash + look-up, no decoding);
- ``decode_plus_features_cpu_seconds_one_run``: CPU time of all threads for one streamed run; near the wall
  time when the two threads did not run at once;
- ``machine``: CPU count, platform, Python and library versions, load average and ``two_thread_speedup_now``
  (how many cores two threads really got while measuring: this machine is often shared; the overlap of decoding
  and features only shows when it is near 2).

The default clip is Shapes-STA test video 30 (30.2 s), written with mp4v to a temporary folder; ``--clip FILE``
measures another file instead.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import platform
import statistics
import sys
import tempfile
import threading
import time
from collections.abc import Callable
from functools import partial
from pathlib import Path
from typing import Any

import cv2
import numpy as np

from vlanet_core.features.cache import FeatureCache
from vlanet_core.features.decode import decode_video, probe_video
from vlanet_core.features.default_backbone import DefaultBackbone
from vlanet_core.features.pipeline import encode_video_file
from vlanet_core.key_values import parse_key_values


def interleaved_medians(actions: dict[str, Callable[[], Any]], runs: int = 5) -> dict[str, float]:
    """Median wall-clock seconds of each action over ``runs`` rounds, every round running each action once in
    order, after one warm-up call of each."""
    for action in actions.values():
        action()
    times: dict[str, list[float]] = {name: [] for name in actions}
    for _ in range(max(1, runs)):
        for name, action in actions.items():
            start = time.perf_counter()
            action()
            times[name].append(time.perf_counter() - start)
    return {name: statistics.median(values) for name, values in times.items()}


def median_seconds(action: Callable[[], Any], runs: int = 5) -> float:
    """Median wall-clock seconds of ``runs`` calls of ``action`` after one warm-up call."""
    action()
    times = []
    for _ in range(runs):
        start = time.perf_counter()
        action()
        times.append(time.perf_counter() - start)
    return statistics.median(times)


def machine() -> dict[str, Any]:
    """What the figures were measured on."""
    load = os.getloadavg() if hasattr(os, "getloadavg") else None
    return {
        "cpu_count": os.cpu_count(),
        "platform": platform.platform(),
        "processor": platform.processor() or platform.machine(),
        "python": sys.version.split()[0],
        "numpy": np.__version__,
        "opencv": cv2.__version__,
        "opencv_threads": cv2.getNumThreads(),
        "load_average_1_5_15_min": [round(value, 2) for value in load] if load else None,
    }


def two_thread_speedup(megabytes: int = 16, runs: int = 3) -> float:
    """How many cores two threads really get right now: 2 x (one thread's time) / (two threads' time for twice the
    work), with blake2b over memory (it releases the GIL). About 2.0 on an idle two-core machine; about 1.0 when
    other processes keep the cores busy, and then no overlap of decoding and features can show in the figures."""
    data = bytes(megabytes << 20)

    def hash_once() -> None:
        hashlib.blake2b(data).digest()

    def hash_twice_in_parallel() -> None:
        threads = [threading.Thread(target=hash_once) for _ in range(2)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()

    return round(2 * median_seconds(hash_once, runs) / median_seconds(hash_twice_in_parallel, runs), 2)


def write_default_clip(folder: Path) -> Path:
    """Shapes-STA test video 30 (30.2 s, 320x240, 10 fps) as mp4v in ``folder``."""
    from vlanet_core.data.shapes.sample import video_spec
    from vlanet_core.data.shapes.writer import write_video

    return write_video(video_spec("test", 30), folder / "test_00030.mp4", codec="mp4v")


def decode_actions(clip: Path, fps: float, size: tuple[int, int]) -> dict[str, Callable[[], Any]]:
    """Decode-only actions, by name: each decoder at the file's size and at ``size``, and OpenCV with one FFmpeg
    thread at ``size`` (what the streamed path uses on two cores)."""
    actions: dict[str, Callable[[], Any]] = {}
    for decoder in ("decord", "opencv"):
        for label, wanted in (("full_size", None), ("input_size", size)):
            actions[f"{decoder}_{label}"] = partial(decode_video, clip, fps, wanted, decoder=decoder)
    actions["opencv_input_size_one_thread"] = partial(
        decode_video, clip, fps, size, decoder="opencv", decoder_threads=1
    )
    return actions


def run_bench(clip: Path, runs: int = 5, backbone: DefaultBackbone | None = None) -> dict[str, Any]:
    """All the figures of the module doc for ``clip``, as a JSON-ready dict. ``backbone``: the ``default``
    backbone to measure (default: its default settings)."""
    backbone = backbone or DefaultBackbone()
    fps, size = backbone.sample_fps, backbone.input_size
    info = probe_video(clip)
    frames = decode_video(clip, fps, size=size)
    actions = decode_actions(clip, fps, size)
    actions["features_only"] = lambda: backbone.extract(frames)
    actions["decode_plus_features"] = lambda: encode_video_file(clip, backbone)
    actions["sequential_decode_then_extract"] = lambda: backbone.extract(decode_video(clip, fps, size=size))
    medians = interleaved_medians(actions, runs)
    decode_only = {name: medians[name] for name in decode_actions(clip, fps, size)}
    fastest = min(decode_only, key=decode_only.__getitem__)
    features_only = medians["features_only"]
    streamed = medians["decode_plus_features"]
    sequential = medians["sequential_decode_then_extract"]
    cpu_start = time.process_time()
    encode_video_file(clip, backbone)
    streamed_cpu = time.process_time() - cpu_start
    cache = FeatureCache()
    encode_video_file(clip, backbone, cache=cache)
    cached = median_seconds(lambda: encode_video_file(clip, backbone, cache=cache), runs)
    return {
        "clip": {
            "path": str(clip),
            "size": [info.width, info.height],
            "native_fps": info.fps,
            "duration_s": round(info.duration, 3),
            "frames_decoded": int(frames.frames.shape[0]),
            "bytes": clip.stat().st_size,
        },
        "backbone": {"name": backbone.name, "params": backbone.params(), "dim": backbone.dim},
        "runs": runs,
        "statistic": "median seconds after 1 warm-up run, runs interleaved",
        "decode_only": decode_only,
        "fastest_decode": {"name": fastest, "seconds": decode_only[fastest]},
        "features_only": features_only,
        "decode_plus_features": streamed,
        "decode_plus_features_cpu_seconds_one_run": round(streamed_cpu, 4),
        "ratio_to_fastest_decode": round(streamed / decode_only[fastest], 3),
        "sequential_decode_then_extract": sequential,
        "cached_repeat": cached,
        "machine": {**machine(), "two_thread_speedup_now": two_thread_speedup()},
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--clip", type=Path, help="video file to measure (default: Shapes-STA test_00030, mp4v)")
    parser.add_argument("--runs", type=int, default=5, help="timed runs per figure, after one warm-up (default 5)")
    parser.add_argument(
        "--backbone-param",
        action="append",
        default=[],
        metavar="KEY=VALUE",
        help="a setting of the default backbone, e.g. edge_floor=0.04 (the shipped models'); repeatable",
    )
    args = parser.parse_args(argv)
    if args.runs < 1:
        parser.error("--runs must be >= 1")
    try:
        backbone = DefaultBackbone(**parse_key_values(args.backbone_param, "--backbone-param"))
    except (TypeError, ValueError) as err:
        parser.error(f"--backbone-param: {err}")
    if args.clip is not None:
        if not args.clip.is_file():
            parser.error(f"no such file: {args.clip}")
        result = run_bench(args.clip, args.runs, backbone)
    else:
        with tempfile.TemporaryDirectory() as folder:
            result = run_bench(write_default_clip(Path(folder)), args.runs, backbone)
    print(json.dumps(result, indent=2))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
