"""The Shapes-STA training feature store: every video of a split rendered in memory and run through a backbone.

Training never decodes files: ``render_video`` draws the frames and the SAME ``backbone.extract`` that a decoded
file goes through turns them into features, so the app's features of an uploaded clip match the training ones
(the robustness test checks rendered vs mp4v/webm-decoded features). Frames are rendered directly at the
backbone's working size (default 80x60): the renderer's coverage anti-aliasing approximates area downscaling of a
320x240 render (measured cosine 0.99 between the two), at 1/16 of the pixels.

Files: ``<out>/shapes_<split>_s<seed>_<backbone>_<W>x<H>[_p<hash>][_n<N>].npz`` holds one (T, C) float16 array
per video id, and a ``.json`` sidecar beside it holds the backbone name and params, the step and every video's
duration. ``_p<hash>`` appears when the backbone's params differ from its defaults (``params_tag``), so stores of
two variants of a backbone never overwrite each other.

CLI: ``python -m vlanet_core.features.store --split train [--seed S] [--videos N] [--workers 2] [--param k=v]``.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import multiprocessing as mp
import time
from collections.abc import Callable, Iterator, Sequence
from pathlib import Path
from typing import Any

import numpy as np

from vlanet_core.atomic_write import write_atomically, write_text_atomically
from vlanet_core.features.types import VideoFeatures
from vlanet_core.key_values import parse_key_values

_WORKER_STATE: dict[str, Any] = {}


def _init_worker(backbone_name: str, backbone_params: dict[str, Any], split: str, seed, size) -> None:
    """Build the backbone once per worker process; one thread each, since the workers already fill the cores."""
    import cv2

    cv2.setNumThreads(1)
    from vlanet_core.registry import BACKBONES

    _WORKER_STATE.update(
        backbone=BACKBONES.create(backbone_name, **backbone_params), split=split, seed=seed, size=tuple(size)
    )


def _encode_one(index: int) -> tuple[str, np.ndarray, float]:
    """Render video ``index`` of the worker's split in memory and extract its features: (vid, (T, C) f16, seconds)."""
    from vlanet_core.data.shapes import render_video, video_spec

    state = _WORKER_STATE
    spec = video_spec(state["split"], index, state["seed"])
    backbone = state["backbone"]
    video = render_video(spec, size=state["size"], fps=backbone.sample_fps)
    features = backbone.extract(video)
    return spec.vid, features.features.astype(np.float16), float(features.duration)


def params_tag(backbone: str, params: dict[str, Any] | None) -> str:
    """'' when ``params`` are the backbone's defaults, else '_p' + 8 hex digits of a hash of the full params."""
    from vlanet_core.registry import BACKBONES

    full = json.loads(json.dumps(BACKBONES.create(backbone, **(params or {})).params()))
    defaults = json.loads(json.dumps(BACKBONES.create(backbone).params()))
    if full == defaults:
        return ""
    return "_p" + hashlib.sha1(json.dumps(full, sort_keys=True).encode()).hexdigest()[:8]


def store_path(
    out: str | Path, split: str, seed: int, backbone: str, size, n_videos: int | None, tag: str = ""
) -> Path:
    """Where ``build_shapes_store`` writes the store for these arguments (``tag``: ``params_tag``'s)."""
    suffix = f"_n{n_videos}" if n_videos is not None else ""
    return Path(out) / f"shapes_{split}_s{seed}_{backbone}_{size[0]}x{size[1]}{tag}{suffix}.npz"


def pooled_results(
    indices: Sequence[int],
    workers: int,
    init_args: tuple,
    init: Callable[..., None] = _init_worker,
    encode: Callable[[int], tuple[str, np.ndarray, float]] = _encode_one,
) -> Iterator[tuple[str, np.ndarray, float]]:
    """``encode(i)`` for each index in order, from a pool whose workers ran ``init(*init_args)`` (or in this
    process when ``workers`` <= 1). ``init`` and ``encode`` must be module-level functions (they are pickled)."""
    if workers <= 1:
        init(*init_args)
        yield from map(encode, indices)
        return
    context = mp.get_context("spawn")  # fork after torch/OpenCV threads start can deadlock
    with context.Pool(workers, initializer=init, initargs=init_args) as pool:
        yield from pool.imap(encode, indices, chunksize=2)


def build_shapes_store(
    split: str,
    seed: int | None = None,
    n_videos: int | None = None,
    backbone: str = "default",
    size: tuple[int, int] = (80, 60),
    workers: int = 2,
    out: str | Path = "data_cache/features",
    backbone_params: dict[str, Any] | None = None,
    progress: bool = False,
) -> Path:
    """Render the first ``n_videos`` (default: all) videos of ``split``, extract features, save; returns the .npz.

    The backbone is ``BACKBONES.create(backbone, **backbone_params)``; give ``size`` equal to its ``input_size``
    (when it has one) so that rendering at ``size`` skips the resize inside ``extract``. Features are saved as
    float16 (half the disk; the values are O(1), so the rounding is 1e-3 relative).
    """
    from vlanet_core.data.shapes import DEFAULT_SEEDS, DEFAULT_SIZES
    from vlanet_core.registry import BACKBONES

    if split not in DEFAULT_SIZES:
        raise ValueError(f"unknown Shapes-STA split {split!r}; choose one of {', '.join(DEFAULT_SIZES)}")
    seed = DEFAULT_SEEDS[split] if seed is None else int(seed)
    total = DEFAULT_SIZES[split] if n_videos is None else int(n_videos)
    if total <= 0:
        raise ValueError(f"n_videos must be positive, got {n_videos}")
    size = (int(size[0]), int(size[1]))
    model = BACKBONES.create(backbone, **(backbone_params or {}))
    params = model.params()
    path = store_path(out, split, seed, backbone, size, n_videos, params_tag(backbone, params))
    path.parent.mkdir(parents=True, exist_ok=True)
    arrays: dict[str, np.ndarray] = {}
    durations: dict[str, float] = {}
    results = pooled_results(list(range(total)), workers, (backbone, params, split, seed, size))
    if progress:
        from tqdm import tqdm

        results = tqdm(results, total=total, desc=f"features {split}", unit="video")
    started = time.perf_counter()
    for vid, features, duration in results:
        arrays[vid] = features
        durations[vid] = duration
    elapsed = time.perf_counter() - started
    write_atomically(path, lambda out: np.savez(out, **arrays))  # type: ignore[arg-type]
    sidecar = {
        "backbone": backbone,
        "backbone_params": params,
        "step": float(model.step),
        "dim": int(model.dim),
        "split": split,
        "seed": seed,
        "size": list(size),
        "videos": total,
        "seconds_to_build": round(elapsed, 1),
        "durations": durations,
    }
    write_text_atomically(path.with_suffix(".json"), json.dumps(sidecar, indent=1))
    return path


def load_store(path: str | Path) -> dict[str, VideoFeatures]:
    """Read a store written by ``build_shapes_store``: video id -> VideoFeatures with (T, C) float32 features."""
    path = Path(path)
    sidecar_path = path.with_suffix(".json")
    if not path.is_file() or not sidecar_path.is_file():
        raise FileNotFoundError(f"feature store {path} or its sidecar {sidecar_path.name} is missing")
    meta = json.loads(sidecar_path.read_text())
    store: dict[str, VideoFeatures] = {}
    with np.load(path) as data:
        for vid in data.files:
            store[vid] = VideoFeatures(
                features=data[vid].astype(np.float32),
                step=float(meta["step"]),
                duration=float(meta["durations"][vid]),
                backbone=meta["backbone"],
                backbone_params=dict(meta["backbone_params"]),
                source=vid,
            )
    return store


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description="Render a Shapes-STA split in memory and store its features.")
    parser.add_argument("--split", required=True, choices=("train", "val", "test"))
    parser.add_argument("--seed", type=int, default=None, help="split seed (default: the split's own)")
    parser.add_argument("--videos", type=int, default=None, help="only the first N videos")
    parser.add_argument("--backbone", default="default")
    parser.add_argument("--size", type=int, nargs=2, default=(80, 60), metavar=("W", "H"))
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--out", default="data_cache/features")
    parser.add_argument(
        "--param", action="append", default=[], metavar="KEY=VALUE", help="backbone param (JSON), e.g. edge_floor=0.04"
    )
    args = parser.parse_args(argv)
    params = parse_key_values(args.param, "--param")
    path = build_shapes_store(
        args.split, args.seed, args.videos, args.backbone, tuple(args.size), args.workers, args.out, params, True
    )
    meta = json.loads(path.with_suffix(".json").read_text())
    print(f"wrote {path} ({meta['videos']} videos, {meta['seconds_to_build']} s)")


if __name__ == "__main__":
    main()
