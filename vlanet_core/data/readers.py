"""The dataset registry: every annotation format by name, each a reader ``(path, ..., strict=False)``.

``DATASETS.get(name)(path)`` (or ``DATASETS.create(name, path=...)``) returns ``(list[Annotation],
ReadSummary)``, times in seconds. ``read_annotations(path, name)`` is the same with a name check. The rules for
bad rows (raise / drop / clip) are documented in ``vlanet_core.data.rows``.

| name | reader | file |
|---|---|---|
| charades | read_charades_sta | ``VID start end##sentence`` + durations (charades.json or Charades CSVs) |
| charades-cd | read_charades_cd | Charades-CD JSON (``video_duration``) |
| activitynet | read_activitynet | ActivityNet Captions JSON (``duration``) |
| activitynet-cd | read_activitynet | ActivityNet-CD JSON (same layout as ActivityNet) |
| tacos | read_tacos | TACoS JSON (frames + fps) |
| didemo | read_didemo | DiDeMo list JSON (5-s segments, several annotators) |
| shapes | read_shapes_sta | Shapes-STA ``<split>.txt`` + ``<split>.json`` |
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from vlanet_core.data.activitynet import read_activitynet, read_charades_cd
from vlanet_core.data.charades import read_charades_sta, read_shapes_sta
from vlanet_core.data.didemo import read_didemo
from vlanet_core.data.records import Annotation, ReadSummary
from vlanet_core.data.tacos import read_tacos
from vlanet_core.registry import DATASETS

DATASETS.register("charades", file="charades_sta_{split}.txt", durations=True)(read_charades_sta)
DATASETS.register("charades-cd", file="charades_{split}.json", durations=False)(read_charades_cd)
DATASETS.register("activitynet", file="{split}.json", durations=False)(read_activitynet)
DATASETS.register("activitynet-cd", file="anet_{split}.json", durations=False)(read_activitynet)
DATASETS.register("tacos", file="{split}.json", durations=False)(read_tacos)
DATASETS.register("didemo", file="{split}_data.json", durations=False)(read_didemo)
DATASETS.register("shapes", file="{split}.txt", durations=True)(read_shapes_sta)


def read_annotations(path: str | Path, name: str, **kwargs: Any) -> tuple[list[Annotation], ReadSummary]:
    """Read ``path`` with the reader registered as ``name`` (``durations=`` only for charades / shapes)."""
    return DATASETS.get(name)(path, **kwargs)


__all__ = ["Annotation", "ReadSummary", "read_annotations"]
