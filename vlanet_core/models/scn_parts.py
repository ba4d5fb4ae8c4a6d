"""SCN's pure pieces: candidate proposals, exploration schedule, top-K selection, word masking, rewards, rank loss.

Feature step ``i`` of a video with ``n`` real steps covers the fractions ``[i / n, (i + 1) / n]``. A candidate at
step ``t`` with ratio ``r`` ends at step ``t`` (inclusive) and spans ``L = max(1, round(r * n))`` steps (eq. 1's
``(t - r * n_v, t)``); candidates that would start before step 0 are invalid rather than clipped, so no two
candidates of one ratio are the same span.
"""

from __future__ import annotations

import math

import numpy as np
import torch

from vlanet_core.spans import iou


def candidate_spans(
    lengths: torch.Tensor, steps: int, ratios: list[float]
) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
    """Every candidate of every video in a batch.

    - ``lengths``: (B,) long, real steps per video; ``steps``: padded length T; ``ratios``: the n_k ratios r_k.
    - returns ``(start, end, valid)``: (B, T, n_k) each; ``start`` / ``end`` are inclusive step indices
      (``end == t``), ``valid`` says the candidate lies inside the real steps.
    """
    device = lengths.device
    n = lengths.long()[:, None, None]  # (B, 1, 1)
    ratio = torch.tensor(ratios, dtype=torch.float64, device=device)[None, None, :]  # (1, 1, n_k)
    span = torch.clamp(torch.round(ratio * n.double()).long(), min=1)  # (B, 1, n_k) steps per candidate
    end = torch.arange(steps, device=device)[None, :, None].expand(n.shape[0], steps, len(ratios))
    start = end - span + 1
    valid = (start >= 0) & (end < n)
    return start.clamp(min=0), end, valid


def exploration_probability(n_update: int, lambda1: float, lambda2: float) -> float:
    """Eq. 3: ``p = lambda1 * exp(-n_update / lambda2)``, the chance of picking the next proposal at random."""
    return float(lambda1) * math.exp(-float(n_update) / float(lambda2))


def select_proposals(
    scores: np.ndarray,
    spans: np.ndarray,
    k: int,
    p: float,
    nms_threshold: float,
    generator: torch.Generator | None = None,
) -> list[int]:
    """Top-K selection with exploration and NMS for one video (Sec. "Proposal Generation Module").

    - ``scores``: (N,) confidences of the valid candidates; ``spans``: (N, 2) their [start, end] (any unit).
    - At each of the ``k`` picks: with probability ``p`` a random remaining candidate, else the best remaining
      one; then candidates with IoU > ``nms_threshold`` with the pick are removed.
    - When NMS leaves nothing, picks continue among the not-yet-chosen candidates; when fewer than ``k``
      candidates exist at all, picks repeat (the K losses stay defined).
    - returns ``k`` indices into ``scores``.
    """
    count = scores.shape[0]
    if count == 0:
        raise ValueError("select_proposals: no valid candidate (is the video shorter than one step?)")
    remaining = np.ones(count, dtype=bool)
    chosen: list[int] = []
    for _ in range(k):
        pool = np.flatnonzero(remaining)
        if pool.size == 0:
            pool = np.setdiff1d(np.arange(count), np.asarray(chosen, dtype=np.int64))
        if pool.size == 0:
            pool = np.arange(count)
        if p > 0 and float(torch.rand((), generator=generator)) < p:
            pick = int(pool[int(torch.randint(pool.size, (), generator=generator))])
        else:
            pick = int(pool[np.argmax(scores[pool])])
        chosen.append(pick)
        remaining &= iou(spans, spans[pick]) <= nms_threshold
        remaining[pick] = False
    return chosen


def batch_vocabulary(words: torch.Tensor, word_mask: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
    """The distinct word vectors of a batch as a vocabulary.

    - ``words``: (B, M, E); ``word_mask``: (B, M) bool.
    - returns ``(vocab, ids)``: (V, E) distinct real word vectors, and (B, M) long ids into ``vocab`` (-1 on
      padding). Two words are the same word when their vectors are exactly equal (a fixed embedding table).
    """
    flat = words[word_mask]  # (N, E)
    vocab, inverse = torch.unique(flat, dim=0, return_inverse=True)
    ids = torch.full(word_mask.shape, -1, dtype=torch.long, device=words.device)
    ids[word_mask] = inverse
    return vocab, ids


def content_word_weights(
    ids: torch.Tensor, word_mask: torch.Tensor, function_df: float, boost: float, min_batch: int
) -> torch.Tensor:
    """(B, M) masking weights: ``boost`` for likely content words, 1 for likely function words, 0 on padding.

    The batch holds only word vectors, no tags, so a word counts as a function word ("the", "a", "is", "to")
    when it occurs in more than ``function_df`` of the batch's sentences: nouns and verbs are spread over many
    different words, determiners and prepositions are not. Batches smaller than ``min_batch`` are too small to
    count, and every word gets weight 1.
    """
    batch = ids.shape[0]
    weights = word_mask.float()
    if batch < min_batch:
        return weights
    vocab_size = int(ids.max().item()) + 1 if word_mask.any() else 0
    presence = torch.zeros(batch, vocab_size + 1, device=ids.device)
    presence.scatter_(1, torch.where(word_mask, ids, vocab_size), 1.0)  # padding goes to the extra column
    doc_freq = presence[:, :vocab_size].mean(0)  # (V,) fraction of sentences holding each word
    frequent = doc_freq[ids.clamp(min=0)] > function_df
    return torch.where(frequent, weights, weights * boost)


def choose_masked_words(
    weights: torch.Tensor, word_mask: torch.Tensor, ratio: float, generator: torch.Generator | None = None
) -> torch.Tensor:
    """(B, M) bool: ``max(1, round(ratio * n_words))`` words per sentence, drawn without replacement with
    probability proportional to ``weights`` (Gumbel top-k: one batched draw, no Python loop)."""
    count = torch.clamp(torch.round(word_mask.sum(1).double() * ratio).long(), min=1)  # (B,)
    uniform = torch.rand(weights.shape, generator=generator, device=weights.device)  # generator on that device
    gumbel = -torch.log(-torch.log(uniform.clamp(1e-12, 1 - 1e-12)))
    keys = torch.log(weights.clamp(min=1e-12)) + gumbel
    keys = keys.masked_fill(~word_mask, float("-inf"))
    rank = keys.argsort(dim=1, descending=True).argsort(dim=1)  # 0 = first drawn
    return (rank < count[:, None]) & word_mask


def rank_rewards(rec_losses: torch.Tensor, one_hot: bool = False) -> torch.Tensor:
    """Rewards from reconstruction ranks (Sec. "Rank Loss").

    ``rec_losses``: (B, K). The proposal with the lowest loss gets 1, the next ``1 - 1/(K-1)``, ... the worst 0.
    ``one_hot`` (the "w/o reward" ablation): 1 for the best proposal, 0 for the others. Returns (B, K), no grad.
    """
    k = rec_losses.shape[1]
    rank = rec_losses.detach().argsort(dim=1).argsort(dim=1).to(rec_losses.dtype)  # 0 = lowest loss
    if one_hot:
        return (rank == 0).to(rec_losses.dtype)
    return 1.0 - rank / max(k - 1, 1)


def rank_loss(scores: torch.Tensor, rewards: torch.Tensor) -> torch.Tensor:
    """Eq. 8 per proposal: ``L_ran^k = -R^k log(exp(S^k) / sum_i exp(S^i))``; (B, K) scores and rewards -> (B, K)."""
    return -rewards * torch.log_softmax(scores, dim=1)


def complement_hinge(rec: torch.Tensor, rest: torch.Tensor, ranked_by: torch.Tensor, margin: float) -> torch.Tensor:
    """(B,) ``max(0, margin + L_rec(best) - L_rec(rest of the clip without best))`` for each sentence's
    best-ranked proposal (lowest ``ranked_by``); ``rec``, ``rest``, ``ranked_by``: (B, K). Gradient flows into
    ``rec`` and ``rest`` (the completion module), none through the choice of the best."""
    best = ranked_by.detach().argmin(dim=1, keepdim=True)  # (B, 1)
    return torch.relu(margin + rec.gather(1, best) - rest.gather(1, best)).squeeze(1)


def inside_mask(video_mask: torch.Tensor, start: torch.Tensor, end: torch.Tensor) -> torch.Tensor:
    """(B, K, T) bool: the real steps of each video (``video_mask`` (B, T)) inside each proposal ``[start, end]``
    (B, K, inclusive step indices)."""
    steps = torch.arange(video_mask.shape[1], device=video_mask.device)
    inside = (steps >= start[..., None]) & (steps <= end[..., None])
    return inside & video_mask[:, None, :]
