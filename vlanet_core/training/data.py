"""Training and evaluation data: annotations plus the features of their videos, for one split.

``SplitData`` holds the times (evaluation needs them); ``weak_view`` is what a weakly supervised trainer gets:
features, sentences and (video, sentence) index pairs, with every time left behind.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from vlanet_core.data.records import Annotation, ReadSummary
from vlanet_core.features.types import VideoFeatures
from vlanet_core.training.batching import SupervisedPair, WeakPair


@dataclass
class SplitData:
    """One split: ``features`` by video id, ``annotations`` (with times), the backbone that made the features."""

    name: str
    features: dict[str, VideoFeatures]
    annotations: list[Annotation]
    backbone: dict[str, Any]
    summary: ReadSummary | None = None

    def __post_init__(self) -> None:
        missing = sorted({a.vid for a in self.annotations} - set(self.features))
        if missing:
            raise KeyError(f"{self.name}: no features for {len(missing)} videos, e.g. {missing[:3]}")

    @property
    def feature_dim(self) -> int:
        return int(next(iter(self.features.values())).features.shape[1])


@dataclass
class WeakView:
    """What a weakly supervised trainer sees: no start, no end, no event list."""

    videos: list[np.ndarray]
    sentences: list[str]
    pairs: list[WeakPair]
    video_sentences: dict[int, list[str]] = field(default_factory=dict)
    vids: list[str] = field(default_factory=list)  # video id of each index of ``videos``


def weak_view(split: SplitData) -> WeakView:
    vids = sorted({a.vid for a in split.annotations})
    index = {v: i for i, v in enumerate(vids)}
    videos = [np.asarray(split.features[v].features, dtype=np.float32) for v in vids]
    sentences: list[str] = []
    pairs: list[WeakPair] = []
    video_sentences: dict[int, list[str]] = {}
    for ann in split.annotations:
        pairs.append(WeakPair(video=index[ann.vid], sentence=len(sentences)))
        sentences.append(ann.sentence)
        video_sentences.setdefault(index[ann.vid], []).append(ann.sentence)
    return WeakView(videos, sentences, pairs, video_sentences, vids)


def supervised_view(split: SplitData) -> WeakView:
    """Like ``weak_view`` but each pair carries its reference span as fractions of the feature sequence."""
    view = weak_view(split)
    vids = sorted({a.vid for a in split.annotations})
    pairs: list[WeakPair] = []
    for pair, ann in zip(view.pairs, split.annotations):
        feats = split.features[vids[pair.video]]
        start, end = np.clip(feats.seconds_to_fractions(np.asarray(ann.span)), 0.0, 1.0)
        pairs.append(SupervisedPair(pair.video, pair.sentence, float(start), float(end)))
    view.pairs = pairs
    return view


def shapes_sta_split(
    split: str,
    seed: int | None = None,
    n_videos: int | None = None,
    cache_dir: str | Path = "data_cache",
    workers: int = 2,
    backbone_params: dict[str, Any] | None = None,
) -> SplitData:
    """Shapes-STA ``split``: annotation files written by the generator, features rendered in memory.

    Both are cached under ``cache_dir`` and reused; the features go through the same ``default`` backbone code as
    a decoded file, built with ``backbone_params`` (default: its defaults).
    """
    from vlanet_core.data.shapes_sta import write_annotations
    from vlanet_core.registry import DATASETS

    tag = f"seed{'default' if seed is None else seed}_n{'all' if n_videos is None else n_videos}"
    ann_dir = Path(cache_dir) / "shapes-sta" / tag
    txt = ann_dir / f"{split}.txt"
    if not txt.is_file():
        write_annotations(split, ann_dir, seed=seed, videos=n_videos)
    annotations, summary = DATASETS.get("shapes")(txt)
    features = shapes_features(split, seed, n_videos, Path(cache_dir) / "features", workers, backbone_params)
    first = next(iter(features.values()))
    backbone = {"name": first.backbone, "params": first.backbone_params}
    return SplitData(f"shapes-sta/{split}", features, annotations, backbone, summary)


def shapes_features(
    split: str,
    seed: int | None,
    n_videos: int | None,
    folder: Path,
    workers: int = 2,
    backbone_params: dict[str, Any] | None = None,
) -> dict[str, VideoFeatures]:
    """Features of the first ``n_videos`` of a Shapes-STA split, from a store on disk when one fits.

    A store is reused when its backbone parameters equal those asked for (so a change to the backbone never mixes
    old and new features); a subset is read from the full split's store when it exists.
    """
    from vlanet_core.data.shapes import DEFAULT_SEEDS
    from vlanet_core.features.store import build_shapes_store, load_store, params_tag, store_path
    from vlanet_core.registry import BACKBONES

    backbone = BACKBONES.create("default", **(backbone_params or {}))
    size = tuple(backbone.input_size)
    resolved = DEFAULT_SEEDS[split] if seed is None else int(seed)
    tag = params_tag("default", backbone.params())
    for candidate_n in (n_videos, None):
        path = store_path(folder, split, resolved, "default", size, candidate_n, tag)
        sidecar = path.with_suffix(".json")
        if path.is_file() and sidecar.is_file():
            if json.loads(sidecar.read_text()).get("backbone_params") == json.loads(json.dumps(backbone.params())):
                features = load_store(path)
                if n_videos is None:
                    return features
                wanted = sorted(features)[:n_videos]
                return {vid: features[vid] for vid in wanted}
    path = build_shapes_store(
        split, seed=seed, n_videos=n_videos, workers=workers, out=folder, size=size, backbone_params=backbone.params()
    )
    return load_store(path)


def annotated_split(
    fmt: str, annotations: str | Path, features_dir: str | Path, name: str = "", **reader_kwargs: Any
) -> SplitData:
    """A real dataset (Charades-STA, ActivityNet, TACoS, ...) with ``precomputed`` features, one file per video."""
    from vlanet_core.registry import BACKBONES, DATASETS

    records, summary = DATASETS.get(fmt)(annotations, **reader_kwargs)
    backbone = BACKBONES.create("precomputed", folder=str(features_dir))
    durations = {a.vid: a.duration for a in records}
    features = {vid: backbone.load(vid, duration) for vid, duration in durations.items()}
    return SplitData(name or f"{fmt}", features, records, {"name": "precomputed", "params": backbone.params()}, summary)
