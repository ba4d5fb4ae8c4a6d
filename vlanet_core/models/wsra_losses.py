"""WSRA's three losses (eqs. 3, 4-5, 6-7) and the top/last-K sampling of section 3.2.1, as pure functions.

Every loss has the logistic pair-weighting form log(1 + sum exp(tau * (negative - positive + m))) of the paper
(temperature ``tau`` = 1 in the paper, margin ``m`` unstated there). Each function states its input shapes; none
holds parameters, so each can be checked on hand-made tensors (tests/test_wsra_equations.py).
"""

from __future__ import annotations

import torch
import torch.nn.functional as F


def log_one_plus_sum_exp(terms: torch.Tensor, mask: torch.Tensor) -> torch.Tensor:
    """log(1 + sum_l exp(terms[..., l])) over the entries where ``mask`` is True, computed stably.

    ``terms`` and ``mask`` (N, L); returns (N,). A row with no True entry gives log(1) = 0.
    """
    masked = terms.masked_fill(~mask, float("-inf"))
    zero = torch.zeros_like(masked[..., :1])  # the "1 +" inside the log, as exp(0)
    return torch.logsumexp(torch.cat([zero, masked], dim=-1), dim=-1)


def video_level_loss(positive: torch.Tensor, negative: torch.Tensor, margin: float, tau: float) -> torch.Tensor:
    """Eq. 3: L_video = log[1 + sum_i exp(tau (s_n^i - s_p^i + m))], one term per pair of the batch.

    ``positive`` (B,) s_p^i = phi(v_f^i, t^i); ``negative`` (B,) s_n^i = phi(v_b^i, t^i). Returns a scalar.
    """
    terms = tau * (negative - positive + margin)
    return log_one_plus_sum_exp(terms[None, :], torch.ones_like(terms, dtype=torch.bool)[None, :])[0]


def snippet_referring_weights(scores: torch.Tensor, candidate_mask: torch.Tensor) -> torch.Tensor:
    """Eq. 4: beta_t^{j,s} = exp(phi(v_t^j, t^s)) / sum_i exp(phi(v_t^j, t^i)), a softmax over sentences.

    ``scores`` (B, T, S) phi of snippet t of video j with candidate sentence s; ``candidate_mask`` (B, S) bool,
    the sentences in video j's softmax. Returns (B, T, S), 0 outside the candidates.
    """
    logits = scores.masked_fill(~candidate_mask[:, None, :], float("-inf"))
    return torch.nan_to_num(torch.softmax(logits, dim=-1), nan=0.0)


def snippet_level_loss(
    scores: torch.Tensor,
    positive_index: torch.Tensor,
    candidate_mask: torch.Tensor,
    negative_mask: torch.Tensor,
    step_mask: torch.Tensor,
    margin: float,
    tau: float,
    detach_weights: bool = True,
) -> torch.Tensor:
    """Eq. 5 for every video: L_snippet = log[1 + sum_t sum_{t-} exp(tau (beta_t^+ s_n^t - beta_t^- s_p^t + m))].

    - ``scores`` (B, T, S): phi(v_t^j, t^s) for each video j, snippet t and candidate sentence s.
    - ``positive_index`` (B,) long: the candidate that is video j's own sentence t^+ (s_p^t = phi(v_t, t^+)).
    - ``candidate_mask`` (B, S) bool: the sentences of eq. 4's softmax (the positive included).
    - ``negative_mask`` (B, S) bool: the sampled negatives t^- (s_n^t = phi(v_t, t^-)).
    - ``step_mask`` (B, T) bool: valid snippets.

    beta^+ is the weight of the positive sentence and beta^- the weight of the negative one, crossed as written
    in eq. 5 (beta^+ scales s_n, beta^- scales s_p). The paper sums over t only, with one t^- per snippet; with
    several sampled negatives each (t, t^-) pair is one term inside the same log. ``detach_weights`` treats the
    betas as pair weights (no gradient through them), the reading of the pair-weighting framework the paper
    cites; the gradient then pushes s_p up with weight beta^- and s_n down with weight beta^+.
    Returns (B,) one loss per video (0 for a video without negatives).
    """
    beta = snippet_referring_weights(scores, candidate_mask)
    if detach_weights:
        beta = beta.detach()
    index = positive_index.view(-1, 1, 1).expand(-1, scores.shape[1], 1)
    s_pos = scores.gather(-1, index)  # (B, T, 1)
    beta_pos = beta.gather(-1, index)  # (B, T, 1)
    terms = tau * (beta_pos * scores - beta * s_pos + margin)  # (B, T, S): scores play s_n, beta plays beta^-
    mask = step_mask[:, :, None] & negative_mask[:, None, :]
    batch = scores.shape[0]
    return log_one_plus_sum_exp(terms.reshape(batch, -1), mask.reshape(batch, -1))


def top_last_k_split(
    similarity: torch.Tensor, candidate_mask: torch.Tensor, top_k: int, last_k: int
) -> tuple[torch.Tensor, torch.Tensor]:
    """Top/last-K sampling (section 3.2.1): split each row's candidates into pseudo-positives and hard negatives.

    ``similarity`` (B, S) text similarity of video j's query with each candidate sentence; ``candidate_mask``
    (B, S) bool, the sentences that may be negatives (other videos' sentences). Per row the candidates are sorted
    by similarity, best first; the first ``top_k`` are pseudo-positives (too similar to be negatives; eq. 6 uses
    them), the last ``last_k`` are easy negatives (dropped), the rest are the hard negatives. With few candidates
    (n <= top_k + last_k) both ends shrink, the top first, so that one hard negative is left whenever n >= 1:
    k_top = min(top_k, n - 1) and k_last = min(last_k, n - 1 - k_top). Ties keep the column order.
    Returns (pseudo_positive, hard_negative), both (B, S) bool and disjoint.
    """
    if top_k < 0 or last_k < 0:
        raise ValueError(f"top_k and last_k must be >= 0, got {top_k}, {last_k}")
    sort_key = similarity.masked_fill(~candidate_mask, float("-inf"))
    order = torch.argsort(sort_key, dim=-1, descending=True, stable=True)
    rank = torch.empty_like(order)
    positions = torch.arange(order.shape[-1], device=order.device).expand_as(order)
    rank.scatter_(-1, order, positions)  # rank[j, s]: place of candidate s in row j's sorted list
    count = candidate_mask.sum(dim=-1, keepdim=True)  # (B, 1)
    spare = (count - 1).clamp(min=0)
    k_top = spare.clamp(max=top_k)
    k_last = (spare - k_top).clamp(max=last_k)
    pseudo = candidate_mask & (rank < k_top)
    easy = candidate_mask & (rank >= count - k_last)
    hard = candidate_mask & ~pseudo & ~easy
    return pseudo, hard


def sentence_cosine(queries: torch.Tensor, sentences: torch.Tensor) -> torch.Tensor:
    """Cosine similarity matrix (B, S) between sentence features ``queries`` (B, E) and ``sentences`` (S, E)."""
    return F.normalize(queries, dim=-1, eps=1e-8) @ F.normalize(sentences, dim=-1, eps=1e-8).T


def batch_level_loss(
    foreground: torch.Tensor,
    background: torch.Tensor,
    text_similarity: torch.Tensor,
    pseudo_positive: torch.Tensor,
    margin: float,
    tau: float,
) -> torch.Tensor:
    """Eqs. 6-7: L_batch = log[1 + sum_i sum_{+} exp(tau gamma_i (s_n^i - s_p^i + m))].

    - ``foreground`` / ``background`` (B, d): v_f^i and v_b^i of eq. 1 for each pair of the batch.
    - ``text_similarity`` (B, B): cos(t_i, t_j) between the batch's queries.
    - ``pseudo_positive`` (B, B) bool: row i marks the pairs whose query is a pseudo-positive of t_i.

    gamma_i = exp(cos(t_i, t^+)) / sum_j exp(cos(t_i, t_j)) over all B queries of the batch (eq. 6);
    s_p^i = cos(v_f^i, v_f^+) and s_n^i = cos(v_b^i, v_f^+) with v_f^+ the foreground of the pseudo-positive's
    video (for its own query). The paper names one t^+ per video; every pseudo-positive of the top-K set gives
    one term, each with its own gamma. gamma depends on the frozen text features only. Returns a scalar.
    """
    gamma = torch.softmax(text_similarity, dim=-1)  # (B, B)
    fore = F.normalize(foreground, dim=-1, eps=1e-8)
    back = F.normalize(background, dim=-1, eps=1e-8)
    s_pos = fore @ fore.T  # (B, B): cos(v_f^i, v_f^+)
    s_neg = back @ fore.T  # (B, B): cos(v_b^i, v_f^+)
    terms = tau * gamma * (s_neg - s_pos + margin)
    return log_one_plus_sum_exp(terms.reshape(1, -1), pseudo_positive.reshape(1, -1))[0]
