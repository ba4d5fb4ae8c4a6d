"""Imports every visual backbone module and registers it in ``BACKBONES`` (the registry imports this module)."""

from __future__ import annotations

from vlanet_core.features.clip_backbone import ClipBackbone
from vlanet_core.features.default_backbone import DefaultBackbone
from vlanet_core.features.precomputed import PrecomputedFeatures
from vlanet_core.registry import BACKBONES

BACKBONES.register("default", downloads=False)(DefaultBackbone)
BACKBONES.register("clip", downloads=True)(ClipBackbone)  # a hub id downloads once unless given a folder
BACKBONES.register("precomputed", downloads=False)(PrecomputedFeatures)
