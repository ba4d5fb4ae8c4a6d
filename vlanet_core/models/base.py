"""What every model shares: the batches it trains on, the output its inference gives, and its base class.

A weakly supervised trainer only ever builds ``WeakBatch`` (no field can hold a time); ``SupervisedBatch`` adds
the target spans for fully supervised models (CI-MHA). Models work in fractions of the feature sequence;
only the predictor turns them into seconds (``VideoFeatures.fractions_to_seconds``).
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field, fields
from typing import Any, ClassVar

import numpy as np
import torch
from torch import nn

from vlanet_core.results import AttentionStage


@dataclass
class WeakBatch:
    """(video, sentence) pairs and nothing else.

    - ``video``: (B, T, C) float features, zero-padded; ``video_mask``: (B, T) bool, True on real steps.
    - ``words``: (B, M, E) word vectors, zero-padded; ``word_mask``: (B, M) bool, True on real words.
    - ``video_ids``: (B,) long, index of each pair's video, so in-batch negatives skip pairs of the same video.
    - ``neg_words`` / ``neg_word_mask``: optional (B, N, M, E) / (B, N, M) negative sentences built from the
      text alone (another action for the same object, another colour for the same action...).
    - ``neg_valid``: optional (B, N) bool: which of the N negatives exist.
    - ``video_alt`` / ``alt_valid``: optional (B, T, C) another form of each pair's video (the same clip written
      with a codec and decoded, say), with exactly the steps of ``video`` (mask ``video_mask``), and (B,) bool:
      which rows have one. Features only, like ``video``: a consistency loss may compare a model's answers on both.
    - ``video_reversed``: optional (B, T, C) each pair's ``video`` played backwards over its real steps
      (``features/time_reversal.py``), mask ``video_mask``: a negative of the pair's own sentence built from the video
      alone.
    """

    video: torch.Tensor
    video_mask: torch.Tensor
    words: torch.Tensor
    word_mask: torch.Tensor
    video_ids: torch.Tensor
    neg_words: torch.Tensor | None = None
    neg_word_mask: torch.Tensor | None = None
    neg_valid: torch.Tensor | None = None
    video_alt: torch.Tensor | None = None
    alt_valid: torch.Tensor | None = None
    video_reversed: torch.Tensor | None = None

    def to(self, device: torch.device) -> WeakBatch:
        moved = {f.name: _move(getattr(self, f.name), device) for f in fields(self)}
        return type(self)(**moved)


@dataclass
class SupervisedBatch(WeakBatch):
    """A weak batch plus ``spans``: (B, 2) target [start, end] as fractions of the feature sequence."""

    spans: torch.Tensor = field(default_factory=lambda: torch.zeros(0, 2))


def _move(value: Any, device: torch.device) -> Any:
    return value.to(device) if isinstance(value, torch.Tensor) else value


@dataclass
class ModelOutput:
    """What ``MomentModel.infer`` returns for one (video, query).

    - ``proposals``: (P, 2) candidate spans as fractions of the feature sequence, ``start <= end``.
    - ``scores``: (P,) higher is better (any scale; the predictor ranks and runs NMS).
    - ``word_time``: (M, T) word x time attention (rows: the query tokens), or None.
    - ``stages``: attention of every stage for the inspector (time axes labelled in feature steps; the predictor
      relabels them in seconds).
    """

    proposals: np.ndarray
    scores: np.ndarray
    word_time: np.ndarray | None = None
    stages: list[AttentionStage] = field(default_factory=list)


class MomentModel(nn.Module):
    """Base class of every registered model.

    Subclasses set ``weak`` (True: trained on (video, sentence) pairs only), ``config_class`` (a dataclass whose
    fields rebuild the model), and implement ``loss`` and ``infer``.
    """

    weak: ClassVar[bool] = True
    trainable: ClassVar[bool] = True
    config_class: ClassVar[type]

    def __init__(self, config: Any) -> None:
        super().__init__()
        self.config = config
        dim = int(getattr(config, "feature_dim", 0) or 0)
        # Per-dimension input standardisation, fitted on the training videos' features (no times involved) and
        # saved with the weights. Identity until ``set_feature_stats``: hand-made features (the default backbone's)
        # have dimensions whose spread differs by 100x, which stalls optimisers on the raw scale.
        self.feature_mean: torch.Tensor
        self.feature_std: torch.Tensor
        self.register_buffer("feature_mean", torch.zeros(dim))
        self.register_buffer("feature_std", torch.ones(dim))

    def set_feature_stats(self, mean: np.ndarray, scale: np.ndarray) -> None:
        """Use ``(x - mean) / scale`` on every video fed to ``loss`` / ``infer`` from now on.

        ``mean`` and ``scale`` (C,) come from ``training.feature_stats.feature_statistics``, which chooses the scale
        (per channel or per kind of value) and floors it; this method only checks that every scale is positive.
        """
        scale = np.asarray(scale, dtype=np.float64)
        if not np.all(np.isfinite(scale)) or float(scale.min(initial=1.0)) <= 0.0:
            raise ValueError("feature scales must be finite and positive (floor them with feature_statistics)")
        self.feature_mean.copy_(torch.as_tensor(mean, dtype=torch.float32))
        self.feature_std.copy_(torch.as_tensor(scale, dtype=torch.float32))

    def prepare_video(self, video: torch.Tensor, mask: torch.Tensor | None = None) -> torch.Tensor:
        """Standardise (…, T, C) features with the fitted statistics; padded steps (``mask`` False) stay 0."""
        if self.feature_mean.numel() != video.shape[-1]:
            return video
        out = (video - self.feature_mean) / self.feature_std
        return out * mask[..., None].to(out.dtype) if mask is not None else out

    def config_dict(self) -> dict[str, Any]:
        return asdict(self.config)

    def forward(self, batch: WeakBatch) -> dict[str, torch.Tensor]:  # so DistributedDataParallel can wrap it
        return self.loss(batch)

    def loss(self, batch: WeakBatch) -> dict[str, torch.Tensor]:
        """Training losses; key ``"loss"`` is the total that is back-propagated, the others are for logging."""
        raise NotImplementedError

    @torch.no_grad()
    def infer(self, video: torch.Tensor, words: torch.Tensor, tokens: list[str]) -> ModelOutput:
        """One query on one video: ``video`` (T, C), ``words`` (M, E); ``tokens`` label the M words."""
        raise NotImplementedError
