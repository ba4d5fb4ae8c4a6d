"""Zero-shot CLIP retrieval ("clip-zeroshot"): no training, a floor every trained model should beat.

Inputs are the "clip" backbone's features (T, C) -- L2-normalised CLIP image embeddings per step -- and the
"clip-text" encoder's rows (M, E): the projected token features, then the sentence embedding as the last row,
labelled ``SENTENCE_TOKEN`` (see ``vlanet_core.text.clip_text``). C = E = CLIP's projection size.

- Proposals: sliding windows on the step grid, lengths ``window_scales`` x T (rounded, >= 1 step), a start every
  ``window_stride`` x length steps (>= 1), plus the window ending on the last step so the end is always covered.
- Score of a window: cosine similarity between the sentence embedding and the mean of the window's frame
  embeddings, i.e. CLIP's own image-text score applied to the window's average frame. Averaging the normalised
  frames favours windows whose frames all match; a window diluted by unrelated frames scores lower. Every
  sub-window of a perfect match scores as high as the match itself, so this score leans to short windows;
  ``outside_weight`` > 0 subtracts that many times the same cosine for the mean frame outside the window (0 for
  the whole video), which makes leaving matching frames out cost something. Default 0: the plain CLIP score.
- word x time: cosine similarity of each row (every token, and the sentence row) with each step. The token rows
  are projected with CLIP's text projection (trained only on the end token, see ``clip_text``), so single words
  score lower than the sentence but their ranking over time is what the map shows.

Rows without the sentence label (another text encoder) fall back to the normalised mean of the rows as the
sentence, so the model still runs, but only CLIP's own sentence embedding gives meaningful scores.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import torch

from vlanet_core.errors import FeatureSizeError
from vlanet_core.models.base import ModelOutput, MomentModel, WeakBatch
from vlanet_core.registry import MODELS
from vlanet_core.results import AttentionStage
from vlanet_core.text.clip_text import DEFAULT_CLIP_MODEL, SENTENCE_TOKEN


@dataclass
class ClipZeroShotConfig:
    feature_dim: int = 512  # CLIP ViT-B/32's projection size; must equal word_dim (one joint space)
    word_dim: int = 512  # the same projection on the text side
    clip_model: str = DEFAULT_CLIP_MODEL  # hub id or folder the backbone and text encoder must both load
    # Charades-STA moments cover ~10-50% of a video, ActivityNet's 5-100%: a spread over the whole range.
    window_scales: list[float] = field(default_factory=lambda: [0.05, 0.1, 0.2, 0.3, 0.4, 0.5, 0.75, 1.0])
    window_stride: float = 0.25  # start every quarter window: neighbours overlap 75%, enough for IoU 0.7 hits
    outside_weight: float = 0.0  # 0 = CLIP's plain score; 1 = inside minus outside contrast (see module doc)


def sliding_windows(num_steps: int, scales: list[float], stride: float) -> np.ndarray:
    """(P, 2) int [start, end) step windows of lengths ``scales`` x ``num_steps``, unique, sorted.

    >>> sliding_windows(4, [0.5, 1.0], 0.5).tolist()
    [[0, 2], [0, 4], [1, 3], [2, 4]]
    """
    windows: set[tuple[int, int]] = set()
    for scale in scales:
        length = int(min(num_steps, max(1, round(scale * num_steps))))
        hop = max(1, round(stride * length))
        starts = list(range(0, num_steps - length + 1, hop))
        if starts[-1] != num_steps - length:
            starts.append(num_steps - length)
        windows.update((start, start + length) for start in starts)
    return np.array(sorted(windows), dtype=np.int64).reshape(-1, 2)


def window_means(frames: np.ndarray, windows: np.ndarray) -> np.ndarray:
    """(T, C) frames, (P, 2) [start, end) windows -> (P, C) mean frame of each window (via cumulative sums)."""
    cumulative = np.concatenate([np.zeros((1, frames.shape[1])), np.cumsum(frames, axis=0, dtype=np.float64)])
    lengths = (windows[:, 1] - windows[:, 0])[:, None]
    return (cumulative[windows[:, 1]] - cumulative[windows[:, 0]]) / lengths


def _unit(x: np.ndarray) -> np.ndarray:
    return x / np.maximum(np.linalg.norm(x, axis=-1, keepdims=True), 1e-12)


@MODELS.register("clip-zeroshot", weak=True, trainable=False)
class ClipZeroShot(MomentModel):
    """CLIP similarity between the sentence and each window's mean frame; nothing to train, no weights."""

    weak = True
    trainable = False
    config_class = ClipZeroShotConfig

    def __init__(self, config: ClipZeroShotConfig) -> None:
        super().__init__(config)
        if config.feature_dim != config.word_dim:
            raise FeatureSizeError(
                f"clip-zeroshot compares frames and text in one space: feature_dim {config.feature_dim} "
                f"must equal word_dim {config.word_dim}"
            )
        if not config.window_scales or not all(0 < s <= 1 for s in config.window_scales):
            raise ValueError(f"window_scales must be fractions in (0, 1], got {config.window_scales}")
        if not 0 < config.window_stride <= 1:
            raise ValueError(f"window_stride must be in (0, 1], got {config.window_stride}")

    @staticmethod
    def _outside_scores(frames: np.ndarray, windows: np.ndarray, sentence: np.ndarray) -> np.ndarray:
        """(P,) cosine of the mean frame outside each window with the sentence; 0 where nothing is outside."""
        total = frames.sum(axis=0)  # (C,)
        inside = window_means(frames, windows) * (windows[:, 1] - windows[:, 0])[:, None]  # (P, C) sums
        outside = total[None, :] - inside
        has_outside = (windows[:, 1] - windows[:, 0]) < frames.shape[0]
        return np.where(has_outside, _unit(outside) @ sentence, 0.0)

    def loss(self, batch: WeakBatch) -> dict[str, torch.Tensor]:
        raise NotImplementedError("clip-zeroshot is not trained (trainable=False); use it for inference directly")

    @torch.no_grad()
    def infer(self, video: torch.Tensor, words: torch.Tensor, tokens: list[str]) -> ModelOutput:
        """``video`` (T, C) CLIP frame embeddings, ``words`` (M, E) clip-text rows, ``tokens`` (M,) their labels.

        Returns proposals (P, 2) fractions, scores (P,) (cosine similarities in [-1, 1] when ``outside_weight`` is
        0), word_time (M, T) cosines.
        """
        video_np = np.asarray(torch.as_tensor(video).detach().float().cpu(), dtype=np.float64)
        words_np = np.asarray(torch.as_tensor(words).detach().float().cpu(), dtype=np.float64)
        if video_np.ndim != 2 or video_np.shape[0] == 0 or video_np.shape[1] != self.config.feature_dim:
            raise FeatureSizeError(f"video features must be (T >= 1, {self.config.feature_dim}), got {video_np.shape}")
        if words_np.ndim != 2 or words_np.shape[0] == 0 or words_np.shape[1] != self.config.word_dim:
            raise FeatureSizeError(f"word vectors must be (M >= 1, {self.config.word_dim}), got {words_np.shape}")
        if len(tokens) != words_np.shape[0]:
            raise ValueError(f"{len(tokens)} tokens for {words_np.shape[0]} word vectors")

        frames = _unit(video_np)  # (T, C); the backbone normalises already, other features may not be
        rows = _unit(words_np)  # (M, E)
        sentence = rows[-1] if tokens[-1] == SENTENCE_TOKEN else _unit(rows.mean(axis=0))  # (E,)
        steps = frames.shape[0]

        windows = sliding_windows(steps, list(self.config.window_scales), self.config.window_stride)
        scores = _unit(window_means(frames, windows)) @ sentence  # (P,) cosine
        if self.config.outside_weight:
            scores = scores - self.config.outside_weight * self._outside_scores(frames, windows, sentence)
        word_time = rows @ frames.T  # (M, T) cosine
        step_scores = frames @ sentence  # (T,)
        times = [str(i) for i in range(steps)]
        stages = [
            AttentionStage(
                "sentence x time", step_scores, times, None, ("time",),
                "cosine similarity of CLIP's sentence embedding with each step's frame embedding",
            ),
            AttentionStage(
                "word x time", word_time, list(tokens), times, ("word", "time"),
                "cosine similarity of each projected CLIP token feature (last row: the sentence) with each step",
            ),
        ]  # fmt: skip
        return ModelOutput(
            proposals=windows.astype(np.float64) / steps,
            scores=scores.astype(np.float64),
            word_time=word_time.astype(np.float32),
            stages=stages,
        )
