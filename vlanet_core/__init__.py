"""vlanet_core: weakly supervised video moment retrieval (VLANet, WSRA, SCN) and a fully supervised reference
(CI-MHA), with decoding, features, proposals, training, evaluation and a predictor API."""

from __future__ import annotations

from typing import Any

from vlanet_core.results import AttentionStage, Moment, RetrievalResult

__all__ = ["AttentionStage", "Moment", "Predictor", "RetrievalResult"]


def __getattr__(name: str) -> Any:
    # Lazy: importing the package must not import torch models, decoders or transformers.
    if name == "Predictor":
        from vlanet_core.predictor import Predictor

        return Predictor
    raise AttributeError(name)
