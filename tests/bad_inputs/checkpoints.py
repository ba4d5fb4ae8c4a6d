"""Tiny untrained checkpoints for the bad-input tests: the real ``Predictor`` path, in milliseconds per call.

``whole-video`` is the query-blind baseline (no attention, no proposals to learn); ``vlanet-test`` is VLANet with
random weights, so odd clips (one feature step, a 1x1 frame) reach a model with proposals and attention.
Both use the ``default`` pixel backbone and GloVe, as the shipped Shapes-STA checkpoints do.
"""

from __future__ import annotations

from pathlib import Path


def write_test_checkpoints(root: Path) -> Path:
    """Write ``root/whole-video`` and ``root/vlanet-test`` with ``save_checkpoint``; returns ``root``."""
    import torch

    import vlanet_core.features.backbones  # noqa: F401 - registers "default"
    import vlanet_core.models  # noqa: F401 - registers the models
    import vlanet_core.text.encoders  # noqa: F401 - registers "glove"
    from vlanet_core.checkpoint import save_checkpoint
    from vlanet_core.models.baselines import WholeVideoBaseline, WholeVideoConfig
    from vlanet_core.models.vlanet import VLANet
    from vlanet_core.models.vlanet_config import VLANetConfig
    from vlanet_core.registry import BACKBONES

    torch.manual_seed(0)
    backbone = BACKBONES.create("default")
    spec = dict(
        backbone={"name": "default", "params": backbone.params()},
        text_encoder={"name": "glove", "params": {}},
        trained_on="nothing (untrained test weights)",
    )
    save_checkpoint(
        WholeVideoBaseline(WholeVideoConfig(feature_dim=backbone.dim)), root / "whole-video", name="whole-video", **spec
    )
    save_checkpoint(
        VLANet(VLANetConfig(feature_dim=backbone.dim, word_dim=50)), root / "vlanet-test", name="vlanet", **spec
    )
    return root
