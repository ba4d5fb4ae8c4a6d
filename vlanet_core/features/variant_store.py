"""Feature stores of Shapes-STA videos as a user's file would give them: rendered at full size, optionally written
with a codec and decoded again, then run through the app's own path (``encode_video_file``).

The training store (``store.py``) renders at the backbone's 80x60 working size, which is cheap but differs from an
uploaded clip in two ways the models notice: the pixel noise of an 80x60 render is not averaged by the area resize
of a 320x240 frame, and a codec removes noise and draws block edges. A *variant* store holds the features of the
same videos the way a file reaches the app, so a trainer can show a model both (``--feature-variants`` in
``training/train.py``) and its answer stays put when the same clip arrives compressed (issue: codec robustness).

Variants (``VARIANTS``):
- ``render320``: rendered in memory at 320x240 and area-resized by the backbone (the robustness benchmark's
  in-memory reference);
- ``mp4v``, ``webm``: rendered at 320x240, written with that codec (webm: VP8, else VP9), decoded by the app's
  decoder and features computed exactly as for an upload.

Files: ``<out>/variants_<split>_s<seed>_<variant>_<backbone tag>_n<N>.npz`` (one (T, C) float16 array per video
id, like the training store) and its ``.json`` sidecar with the backbone params and durations.

CLI: ``python -m vlanet_core.features.variant_store --split train --videos 800 --variant mp4v [--param k=v]``.
"""

from __future__ import annotations

import argparse
import json
import tempfile
import time
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from vlanet_core.atomic_write import write_atomically, write_text_atomically
from vlanet_core.key_values import parse_key_values

VARIANTS = ("render320", "mp4v", "webm")
FILE_SIZE = (320, 240)  # Shapes-STA's reference frame size: what another renderer or a phone clip would give
WEBM_CODECS = ("vp80", "vp90")
_STATE: dict[str, Any] = {}


def variant_path(out: str | Path, split: str, seed: int, variant: str, tag: str, n_videos: int) -> Path:
    """Where ``build_variant_store`` writes (``tag``: ``store.params_tag`` of the backbone, '' for defaults)."""
    return Path(out) / f"variants_{split}_s{seed}_{variant}_default{tag}_n{n_videos}.npz"


def variant_codec(variant: str) -> str | None:
    """The OpenCV fourcc a variant writes with: ``mp4v``, or for ``webm`` the first of ``WEBM_CODECS`` (VP8, else
    VP9) this OpenCV build writes; None for ``render320`` (no file). ValueError when this build writes none."""
    from vlanet_core.data.shapes.writer import available_codecs

    if variant == "render320":
        return None
    working = set(available_codecs())
    wanted = (variant,) if variant == "mp4v" else WEBM_CODECS
    codec = next((c for c in wanted if c in working), None)
    if codec is None:
        raise ValueError(f"variant {variant!r}: this OpenCV build writes none of {wanted}")
    return codec


def _init(backbone_params: dict[str, Any], split: str, seed: int, variant: str, folder: str) -> None:
    import cv2

    cv2.setNumThreads(1)
    from vlanet_core.registry import BACKBONES

    _STATE.update(
        backbone=BACKBONES.create("default", **backbone_params),
        split=split,
        seed=seed,
        codec=variant_codec(variant),
        folder=Path(folder),
    )


def _encode(index: int) -> tuple[str, np.ndarray, float]:
    """Video ``index`` through the worker's variant: (vid, (T, C) float16 features, duration in seconds)."""
    from vlanet_core.data.shapes import render_video, video_spec, write_video
    from vlanet_core.data.shapes.writer import CODEC_SUFFIX
    from vlanet_core.features.pipeline import encode_video_file

    spec = video_spec(_STATE["split"], index, _STATE["seed"])
    backbone, codec = _STATE["backbone"], _STATE["codec"]
    if codec is None:
        features = backbone.extract(render_video(spec, size=FILE_SIZE, fps=backbone.sample_fps))
    else:
        path = _STATE["folder"] / f"{spec.vid}{CODEC_SUFFIX[codec]}"
        try:
            write_video(spec, path, size=FILE_SIZE, codec=codec)
            features = encode_video_file(path, backbone)
        finally:
            path.unlink(missing_ok=True)
    return spec.vid, features.features.astype(np.float16), float(features.duration)


def build_variant_store(
    split: str,
    n_videos: int,
    variant: str,
    seed: int | None = None,
    workers: int = 2,
    out: str | Path = "data_cache/features",
    backbone_params: dict[str, Any] | None = None,
    progress: bool = False,
) -> Path:
    """Features of the first ``n_videos`` of ``split`` through ``variant`` (see module doc); returns the .npz."""
    from vlanet_core.data.shapes import DEFAULT_SEEDS
    from vlanet_core.features.store import params_tag, pooled_results
    from vlanet_core.registry import BACKBONES

    if variant not in VARIANTS:
        raise ValueError(f"unknown variant {variant!r}; choose one of {', '.join(VARIANTS)}")
    if split not in DEFAULT_SEEDS:
        raise ValueError(f"unknown Shapes-STA split {split!r}; choose one of {', '.join(DEFAULT_SEEDS)}")
    if n_videos <= 0:
        raise ValueError(f"n_videos must be positive, got {n_videos}")
    variant_codec(variant)  # fail before any worker starts
    seed = DEFAULT_SEEDS[split] if seed is None else int(seed)
    params = BACKBONES.create("default", **(backbone_params or {})).params()
    path = variant_path(out, split, seed, variant, params_tag("default", params), n_videos)
    path.parent.mkdir(parents=True, exist_ok=True)
    arrays: dict[str, np.ndarray] = {}
    durations: dict[str, float] = {}
    started = time.perf_counter()
    with tempfile.TemporaryDirectory(prefix="vmr-variants-") as folder:
        results = pooled_results(range(n_videos), workers, (params, split, seed, variant, folder), _init, _encode)
        if progress:
            from tqdm import tqdm

            results = tqdm(results, total=n_videos, desc=f"{variant} {split}", unit="video")
        for vid, features, duration in results:
            arrays[vid] = features
            durations[vid] = duration
    write_atomically(path, lambda f: np.savez(f, **arrays))  # type: ignore[arg-type]
    sidecar = {
        "backbone": "default",
        "backbone_params": params,
        "variant": variant,
        "split": split,
        "seed": seed,
        "videos": n_videos,
        "file_size": list(FILE_SIZE),
        "seconds_to_build": round(time.perf_counter() - started, 1),
        "durations": durations,
    }
    write_text_atomically(path.with_suffix(".json"), json.dumps(sidecar, indent=1))
    return path


@dataclass(frozen=True)
class VariantStore:
    """A loaded variant store: ``variant`` (one of ``VARIANTS``, from the sidecar) and {vid: (T, C) float32}."""

    variant: str
    features: dict[str, np.ndarray]


def load_variant_store(path: str | Path, backbone_params: dict[str, Any]) -> VariantStore:
    """A variant store and the variant its sidecar names, refused when its backbone params are not
    ``backbone_params`` or the sidecar names no known variant."""
    path = Path(path)
    sidecar = json.loads(path.with_suffix(".json").read_text())
    if sidecar.get("backbone_params") != json.loads(json.dumps(backbone_params)):
        built = sidecar.get("backbone_params")
        raise ValueError(f"{path} was built with backbone params {built}, not {backbone_params}")
    variant = sidecar.get("variant")
    if variant not in VARIANTS:
        raise ValueError(f"{path}: its sidecar names variant {variant!r}, not one of {', '.join(VARIANTS)}")
    with np.load(path) as data:
        return VariantStore(variant, {vid: data[vid].astype(np.float32) for vid in data.files})


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--split", default="train")
    parser.add_argument("--videos", type=int, required=True, help="the first N videos of the split")
    parser.add_argument("--variant", required=True, choices=VARIANTS)
    parser.add_argument("--seed", type=int)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--out", default="data_cache/features")
    parser.add_argument("--param", action="append", default=[], help="default backbone setting k=v (repeatable)")
    args = parser.parse_args(argv)
    params = parse_key_values(args.param, "--param")
    path = build_variant_store(
        args.split, args.videos, args.variant, args.seed, args.workers, args.out, params, progress=True
    )
    print(path)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
