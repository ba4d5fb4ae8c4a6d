"""CI-MHA's pure pieces: span targets on the feature grid, its two losses, and the best (start, end) pairs.

Feature step ``i`` of a video with ``n`` real steps covers the fractions ``[i / n, (i + 1) / n]``; every function
here uses that grid, so a span predicted as steps ``(i, j)`` is the fractions ``[i / n, (j + 1) / n]``.
"""

from __future__ import annotations

import torch
import torch.nn.functional as F


def span_targets(spans: torch.Tensor, lengths: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
    """Start and end step indices of target spans.

    - ``spans``: (B, 2) float, [start, end] fractions of each video's feature sequence.
    - ``lengths``: (B,) long, real steps per video (>= 1).
    - returns ``(start_idx, end_idx)``: (B,) long each, ``0 <= start_idx <= end_idx < length``: the steps whose
      cells hold the span's start and end (an end exactly on a cell border belongs to the cell before it).
    """
    n = lengths.to(spans.dtype)
    start = torch.floor(spans[:, 0].clamp(0.0, 1.0) * n).long()
    end = torch.ceil(spans[:, 1].clamp(0.0, 1.0) * n).long() - 1
    last = lengths.long() - 1
    start = torch.minimum(start.clamp(min=0), last)
    end = torch.minimum(torch.maximum(end, start), last)
    return start, end


def inside_labels(start_idx: torch.Tensor, end_idx: torch.Tensor, steps: int) -> torch.Tensor:
    """(B, steps) float: 1 on steps ``start_idx..end_idx`` (inclusive), else 0 (the segmentation target)."""
    grid = torch.arange(steps, device=start_idx.device)[None, :]
    return ((grid >= start_idx[:, None]) & (grid <= end_idx[:, None])).float()


def masked_log_softmax(logits: torch.Tensor, mask: torch.Tensor) -> torch.Tensor:
    """Eq. 14 in log space: log-softmax over time (last axis) with padded steps (``mask`` False) at -inf."""
    return torch.log_softmax(logits.masked_fill(~mask, float("-inf")), dim=-1)


def start_end_nll(
    start_logits: torch.Tensor,
    end_logits: torch.Tensor,
    mask: torch.Tensor,
    start_idx: torch.Tensor,
    end_idx: torch.Tensor,
) -> torch.Tensor:
    """Negative log-likelihood of the target start and end steps (one-hot targets), averaged over the batch.

    ``start_logits`` / ``end_logits``: (B, T) scores C_start / C_end; ``mask``: (B, T) bool real steps. The value
    is ``mean_b [-log P_start(s_b) - log P_end(e_b)]``: the two terms are summed, as two one-hot NLLs.
    """
    log_ps = masked_log_softmax(start_logits, mask)
    log_pe = masked_log_softmax(end_logits, mask)
    nll_start = -log_ps.gather(1, start_idx[:, None]).squeeze(1)
    nll_end = -log_pe.gather(1, end_idx[:, None]).squeeze(1)
    return (nll_start + nll_end).mean()


def segmentation_bce(inside_logits: torch.Tensor, labels: torch.Tensor, mask: torch.Tensor) -> torch.Tensor:
    """Eqs. 15-16's loss: binary cross-entropy of P_in(t) against ``labels`` (B, T), mean over real steps only."""
    per_step = F.binary_cross_entropy_with_logits(inside_logits, labels, reduction="none")
    weights = mask.float()
    return (per_step * weights).sum() / weights.sum().clamp(min=1.0)


def best_pairs(
    p_start: torch.Tensor, p_end: torch.Tensor, top: int, max_steps: int | None = None
) -> tuple[torch.Tensor, torch.Tensor]:
    """The ``top`` highest-scoring (start, end) step pairs with ``start <= end`` for one video.

    - ``p_start``, ``p_end``: (T,) probabilities over the real steps.
    - ``max_steps``: longest allowed span in steps (``end - start + 1 <= max_steps``); None: no limit.
    - returns ``(pairs, scores)``: (P, 2) long [start, end] step indices and (P,) ``p_start * p_end``, best first,
      ``P = min(top, number of allowed pairs)``.
    """
    steps = p_start.shape[0]
    joint = p_start[:, None] * p_end[None, :]  # (T, T): rows start, cols end
    idx = torch.arange(steps, device=p_start.device)
    allowed = idx[None, :] >= idx[:, None]
    if max_steps is not None:
        allowed &= (idx[None, :] - idx[:, None]) < max(1, int(max_steps))
    flat = joint.masked_fill(~allowed, -1.0).flatten()
    count = min(int(top), int(allowed.sum()))
    scores, order = torch.topk(flat, count)
    pairs = torch.stack([order // steps, order % steps], dim=1)
    return pairs, scores


def steps_to_fractions(pairs: torch.Tensor, steps: int) -> torch.Tensor:
    """(P, 2) [start, end] step indices -> (P, 2) fractions ``[start / T, (end + 1) / T]``."""
    pairs = pairs.to(torch.float64)
    return torch.stack([pairs[:, 0] / steps, (pairs[:, 1] + 1.0) / steps], dim=1)
