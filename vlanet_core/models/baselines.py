"""Three query-blind baselines that every trained model must beat: "random", "whole-video" and "prior-only".

None reads the query or the video (Otani et al., BMVC 2020, "Uncovering hidden challenges in query-based video
moment retrieval", show how far such baselines go on Charades-STA). All are ``trainable = False``: the trainer
skips them; "prior-only" is *fitted* instead (``PriorOnlyBaseline.fit``) from train-split spans, which are
times, so it is a fully supervised (``weak = False``) baseline. ``feature_dim`` / ``word_dim`` are kept in the
configs only so that every model is built the same way; they are ignored.

Spans are fractions of the video (the feature sequence), as every model returns them.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import torch
from numpy.typing import ArrayLike, NDArray

from vlanet_core.models.base import ModelOutput, MomentModel
from vlanet_core.registry import MODELS


@dataclass
class RandomBaselineConfig:
    feature_dim: int = 1024  # ignored: the baseline never looks at the video
    word_dim: int = 50  # ignored: the baseline never looks at the query
    num_proposals: int = 10  # enough for R@5 to survive the predictor's NMS
    seed: int = 0  # spans are a pure function of (seed, number of calls so far)


@MODELS.register("random", weak=True)
class RandomBaseline(MomentModel):
    """Uniformly random spans: start, end ~ U[0, 1] each, redrawn until start < end (Otani et al.'s protocol).

    The generator is seeded from ``config.seed`` when the model is built and advances with every ``infer`` call;
    its state is not saved in a checkpoint (a reloaded model starts the sequence again).
    """

    weak = True
    trainable = False
    config_class = RandomBaselineConfig

    def __init__(self, config: RandomBaselineConfig) -> None:
        super().__init__(config)
        self.rng = np.random.default_rng(config.seed)

    @staticmethod
    def sample_fractions(rng: np.random.Generator, shape: tuple[int, ...]) -> NDArray[np.float64]:
        """(*shape, 2) spans, each (start, end) ~ U[0, 1]^2 redrawn until start < end.

        Rejection, not sorting, so the draw is literally the published one (both give the uniform law on the
        triangle start < end); vectorised: only the rejected pairs are redrawn.
        """
        spans = rng.random((*shape, 2))
        bad = spans[..., 0] >= spans[..., 1]
        while bad.any():
            spans[bad] = rng.random((int(bad.sum()), 2))
            bad = spans[..., 0] >= spans[..., 1]
        return spans

    @torch.no_grad()
    def infer(self, video: torch.Tensor, words: torch.Tensor, tokens: list[str]) -> ModelOutput:
        """``num_proposals`` random spans; scores fall with the draw order so the first draw ranks first."""
        n = self.config.num_proposals
        proposals = self.sample_fractions(self.rng, (n,))
        scores = np.linspace(1.0, 0.0, n, endpoint=False)
        return ModelOutput(proposals=proposals, scores=scores)


@dataclass
class WholeVideoConfig:
    feature_dim: int = 1024  # ignored
    word_dim: int = 50  # ignored


@MODELS.register("whole-video", weak=True)
class WholeVideoBaseline(MomentModel):
    """One proposal, the whole video ``[0, 1]`` (Yuan et al.: R@1 IoU>=0.7 is 0 on Charades-STA)."""

    weak = True
    trainable = False
    config_class = WholeVideoConfig

    @torch.no_grad()
    def infer(self, video: torch.Tensor, words: torch.Tensor, tokens: list[str]) -> ModelOutput:
        return ModelOutput(proposals=np.array([[0.0, 1.0]]), scores=np.array([1.0]))


@dataclass
class PriorOnlyConfig:
    feature_dim: int = 1024  # ignored
    word_dim: int = 50  # ignored
    bins: int = 20  # 5% of the video per bin: fine enough for IoU 0.7, coarse enough that cells are well filled
    num_proposals: int = 50  # most probable cells returned; the predictor's NMS picks diverse ones among them


@MODELS.register("prior-only", weak=False)
class PriorOnlyBaseline(MomentModel):
    """A 2-D histogram of (start, end) fractions of the train spans; always answers its most frequent cells.

    Buffers (saved in ``model.safetensors``), each (bins, bins) float32, row = start bin, column = end bin:
    ``counts`` (train spans per cell), ``start_sum`` / ``end_sum`` (sums of their fractions). A cell's proposal
    is the mean span of the train spans in it (better than the cell centre, and never empty on the diagonal);
    an empty cell proposes its centre. Unfitted (all counts 0), every cell with start <= end ranks equal.
    """

    weak = False
    trainable = False
    config_class = PriorOnlyConfig
    counts: torch.Tensor
    start_sum: torch.Tensor
    end_sum: torch.Tensor

    def __init__(self, config: PriorOnlyConfig) -> None:
        super().__init__(config)
        b = config.bins
        self.register_buffer("counts", torch.zeros(b, b))
        self.register_buffer("start_sum", torch.zeros(b, b))
        self.register_buffer("end_sum", torch.zeros(b, b))

    @classmethod
    def fit(cls, spans_fractions: ArrayLike, config: PriorOnlyConfig | None = None) -> PriorOnlyBaseline:
        """A model whose histogram holds ``spans_fractions`` (N, 2), values in [0, 1] (clipped), start <= end."""
        model = cls(config or PriorOnlyConfig())
        model.add_spans(spans_fractions)
        return model

    def add_spans(self, spans_fractions: ArrayLike) -> None:
        """Add spans (N, 2) fractions to the histogram (fit in several passes, e.g. several files)."""
        spans = np.clip(np.asarray(spans_fractions, dtype=np.float64).reshape(-1, 2), 0.0, 1.0)
        if np.any(spans[:, 0] > spans[:, 1]):
            raise ValueError("prior-only: a span starts after it ends")
        b = self.config.bins
        cells = np.minimum((spans * b).astype(np.int64), b - 1)  # (N, 2); a span ending at 1.0 goes to the last bin
        flat = cells[:, 0] * b + cells[:, 1]
        for buffer, weights in ((self.counts, None), (self.start_sum, spans[:, 0]), (self.end_sum, spans[:, 1])):
            added = np.bincount(flat, weights=weights, minlength=b * b).reshape(b, b)
            buffer += torch.as_tensor(added, dtype=buffer.dtype)

    def ranked_cells(self) -> tuple[NDArray[np.float64], NDArray[np.float64]]:
        """All cells with start bin <= end bin: (K, 2) proposals and (K,) probabilities, most probable first."""
        b = self.config.bins
        rows, cols = np.triu_indices(b)
        counts = self.counts.cpu().numpy().astype(np.float64)[rows, cols]
        with np.errstate(invalid="ignore", divide="ignore"):
            mean_start = self.start_sum.cpu().numpy()[rows, cols] / counts
            mean_end = self.end_sum.cpu().numpy()[rows, cols] / counts
        centre = np.stack([(rows + 0.5) / b, (cols + 0.5) / b], axis=1)
        centre[rows == cols] = np.stack([rows, rows + 1], axis=1)[rows == cols] / b  # a diagonal cell: its bin
        proposals = np.where(counts[:, None] > 0, np.stack([mean_start, mean_end], axis=1), centre)
        total = counts.sum()
        probs = counts / total if total > 0 else np.full(len(counts), 1.0 / len(counts))
        order = np.argsort(-probs, kind="stable")
        return proposals[order], probs[order]

    @torch.no_grad()
    def infer(self, video: torch.Tensor, words: torch.Tensor, tokens: list[str]) -> ModelOutput:
        """The ``num_proposals`` most probable cells (fewer when fewer are non-empty), scores = probabilities."""
        proposals, probs = self.ranked_cells()
        keep = probs > 0 if probs.max() > 0 else np.ones(len(probs), dtype=bool)
        n = self.config.num_proposals
        return ModelOutput(proposals=proposals[keep][:n], scores=probs[keep][:n])
