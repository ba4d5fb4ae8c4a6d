"""WSRA's building blocks: the cross-modal scoring function phi and the referring attention of eqs. 1-2.

Paper: "Weakly-Supervised Referring Attention" (WSRA), section 3.1. Notation used in the docstrings:
B videos, T snippets, M words, S candidate sentences, d the joint embedding size, C / E the visual / word input sizes.
"""

from __future__ import annotations

import torch
from torch import nn


def masked_mean(values: torch.Tensor, mask: torch.Tensor, dim: int) -> torch.Tensor:
    """Mean of ``values`` over ``dim`` where ``mask`` is True.

    ``values`` (..., L, D) with ``dim`` the L axis, ``mask`` (..., L) bool. An all-False row gives zeros (the count
    is clamped to 1) rather than NaN, so a padded, absent negative sentence cannot poison a batch.
    """
    weights = mask.to(values.dtype).unsqueeze(-1)
    total = (values * weights).sum(dim=dim)
    count = weights.sum(dim=dim).clamp(min=1.0)
    return total / count


class CrossModalScorer(nn.Module):
    """phi(v, t) = Sigmoid(FC(Cat(v, t))) (section 3.1), in (0, 1).

    ``FC`` is a small MLP, Linear(2d -> hidden) -> ReLU -> Linear(hidden -> 1): a single linear layer on a
    concatenation is additive, w_v.v + w_t.t, so its softmax over snippets could not depend on the query at all.
    The first layer is applied to v and t separately and the two halves are added (identical to a Linear on the
    concatenation), which lets ``forward`` broadcast: v (B, T, 1, d) against t (1, 1, S, d) scores every
    (snippet, sentence) pair without materialising the (B, T, S, 2d) concatenation.

    ``with_product`` (not in the paper, off by default) adds v * t to the concatenation, a multiplicative cue that
    an MLP on Cat(v, t) can only approximate with its ReLUs.
    """

    def __init__(self, dim: int, hidden: int, with_product: bool = False, dropout: float = 0.0) -> None:
        super().__init__()
        self.video_in = nn.Linear(dim, hidden)
        self.text_in = nn.Linear(dim, hidden, bias=False)  # one bias is enough: the two halves are summed
        self.product_in = nn.Linear(dim, hidden, bias=False) if with_product else None
        self.head = nn.Sequential(nn.ReLU(), nn.Dropout(dropout), nn.Linear(hidden, 1))

    def forward(self, video: torch.Tensor, text: torch.Tensor) -> torch.Tensor:
        """Scores in (0, 1): ``video`` (..., d) and ``text`` (..., d) broadcast together; returns the broadcast shape
        without the last axis."""
        hidden = self.video_in(video) + self.text_in(text)
        if self.product_in is not None:
            hidden = hidden + self.product_in(video * text)
        return torch.sigmoid(self.head(hidden).squeeze(-1))


def referring_weights(scores: torch.Tensor, mask: torch.Tensor, temperature: float = 1.0) -> torch.Tensor:
    """Eq. 2: alpha_t = exp(phi(v_t, t)) / sum_i exp(phi(v_i, t)), a softmax over the valid snippets.

    ``scores`` (B, T) phi values, ``mask`` (B, T) bool. Padded steps get weight 0. ``temperature`` divides the
    scores before the softmax (1.0 is the paper; the scores live in (0, 1), so at 1.0 the weights stay within a
    factor e of uniform). Returns (B, T), each row summing to 1 over its valid steps.
    """
    logits = (scores / temperature).masked_fill(~mask, float("-inf"))
    alpha = torch.softmax(logits, dim=-1)
    return torch.nan_to_num(alpha, nan=0.0)  # an all-padded row (never in a real batch) stays finite


def foreground_background(
    video: torch.Tensor, alpha: torch.Tensor, mask: torch.Tensor
) -> tuple[torch.Tensor, torch.Tensor]:
    """Eq. 1: v_f = sum_t alpha_t v_t and v_b = 1 / (T - 1) sum_t (1 - alpha_t) v_t.

    ``video`` (B, T, d) embedded snippets, ``alpha`` (B, T) from ``referring_weights``, ``mask`` (B, T) bool.
    T is each video's own number of valid steps; padded steps count in neither sum. Since the alphas sum to 1,
    the background weights (1 - alpha_t) / (T - 1) also sum to 1, so v_b is an average like v_f. A one-step video
    has no background: T - 1 is clamped to 1, which gives v_b = 0 there. Returns (v_f, v_b), each (B, d).
    """
    valid = mask.to(video.dtype)
    steps = valid.sum(dim=1, keepdim=True)  # (B, 1)
    fore = torch.einsum("bt,btd->bd", alpha * valid, video)
    back_weights = (1.0 - alpha) * valid / (steps - 1.0).clamp(min=1.0)
    back = torch.einsum("bt,btd->bd", back_weights, video)
    return fore, back


def background_weights(alpha: torch.Tensor, mask: torch.Tensor) -> torch.Tensor:
    """The weights eq. 1 gives each step in v_b: (1 - alpha_t) / (T - 1) on valid steps, 0 on padding; (B, T)."""
    valid = mask.to(alpha.dtype)
    steps = valid.sum(dim=-1, keepdim=True)
    return (1.0 - alpha) * valid / (steps - 1.0).clamp(min=1.0)


class SnippetEncoder(nn.Module):
    """Visual features (B, T, C) -> joint-space snippets v_t (B, T, d).

    The paper embeds each snippet on its own (an FC on I3D features): ``kernel=1``. A larger odd ``kernel`` makes
    it a 1-D convolution over time (not in the paper) for slow actions whose single steps are ambiguous. Padded
    steps are zeroed before the convolution so they cannot leak into real ones, and after it.
    """

    def __init__(self, in_dim: int, dim: int, kernel: int = 1, dropout: float = 0.0) -> None:
        super().__init__()
        if kernel < 1 or kernel % 2 == 0:
            raise ValueError(f"temporal kernel must be a positive odd number, got {kernel}")
        self.conv = nn.Conv1d(in_dim, dim, kernel_size=kernel, padding=kernel // 2)
        self.out = nn.Sequential(nn.ReLU(), nn.Dropout(dropout))

    def forward(self, video: torch.Tensor, mask: torch.Tensor) -> torch.Tensor:
        keep = mask.unsqueeze(-1).to(video.dtype)
        x = self.conv((video * keep).transpose(1, 2)).transpose(1, 2)  # (B, T, d)
        return self.out(x) * keep
