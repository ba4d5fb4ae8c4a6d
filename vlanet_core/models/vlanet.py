"""VLANet (Ma et al., ECCV 2020): weakly supervised moment retrieval by Surrogate Proposal Selection and Cascaded
Cross-modal Attention, trained with a contrastive loss on (video, sentence) pairs.

Equations -> code:

- eq. 1, Q = [w_1 ... w_M], unit GRU states: ``encode_query``; w_M is the state at the last *real* word (with
  ``query_rnn="bidirectional"``, beyond the paper and used by the shipped checkpoint, both directions' summaries).
- eq. 2, proposal features p_lk: ``encode_proposals`` (mean of the steps' features, FC to D, L2 norm). The FC is
  applied per step before the mean (a linear map commutes with the mean, so this is exact) and the means come from
  cumulative sums over time.
- eqs. 3-6, surrogate selection: ``score_pairs`` (cosines p_lk . w_M, argmax over scales, gather: only the
  surrogate's feature enters the graph, so only surrogates receive gradients).
- eqs. 7-13, CCA: ``vlanet_cascade.CascadedCrossAttention``; eq. 14: ``loss``.

Choice for negative pairs (eq. 14 writes ``E(v_comp, Q-)``): by default (``negative_vcomp="recompute"``) a negative
pair is scored by the same function as a positive one, ``c(V, Q-)``, with v_comp recomputed by the cascade driven
by Q-. The model is then asked "is there a moment of V that Q- describes?" and must answer no. On Shapes-STA a hard
negative names the same object with another action, and the object is on screen the whole video; an attention
spread over the video finds the object for Q- as well as for Q+, so the hinge only falls when the attention
isolates the steps where the *named action* happens. With v_comp fixed by Q+ ("positive"), the negative term can
instead be lowered by moving v_comp anywhere away from Q- (e.g. onto a static stretch), which does not demand
localisation; that option is kept for comparison. Both sides are contrasted: the video with other sentences
(other videos' and text-only hard negatives) and the sentence with other videos (always recomputed).
"""

from __future__ import annotations

from functools import lru_cache

import numpy as np
import torch
import torch.nn.functional as F
from torch import nn
from torch.nn.utils.rnn import pack_padded_sequence, pad_packed_sequence

from vlanet_core.errors import EmptyQueryError, FeatureSizeError
from vlanet_core.models.base import ModelOutput, MomentModel, WeakBatch
from vlanet_core.models.vlanet_cascade import CascadedCrossAttention, CascadeOutput
from vlanet_core.models.vlanet_config import VLANetConfig
from vlanet_core.models.vlanet_readout import (
    build_stages,
    localisation_inputs,
    localisation_weights,
    spread_surrogate_scores,
    time_stage,
    word_time_map,
)
from vlanet_core.proposals import relative_windows, segment_groups
from vlanet_core.registry import MODELS


@lru_cache(maxsize=512)
def _groups(num_steps: int, stride: int, windows: tuple[int, ...]) -> np.ndarray:
    return segment_groups(num_steps, stride, windows)


@MODELS.register("vlanet", weak=True)
class VLANet(MomentModel):
    """VLANet. ``loss(WeakBatch)`` -> {"loss", "loss_query_neg", "loss_video_neg", "loss_hard_neg", "pos_score",
    "neg_score"}; ``infer`` -> ``ModelOutput`` over all K x L segment-group proposals (fractions of the sequence)."""

    weak = True
    trainable = True
    config_class = VLANetConfig

    def __init__(self, config: VLANetConfig) -> None:
        super().__init__(config)
        dim = config.hidden_dim
        self.dropout = nn.Dropout(config.dropout)
        both_ways = config.query_rnn == "bidirectional"  # D/2 per direction: Q stays D-d with no FC
        self.gru = nn.GRU(config.word_dim, dim // 2 if both_ways else dim, batch_first=True, bidirectional=both_ways)
        self.proposal_fc = nn.Linear(config.feature_dim, dim)
        self.cascade = CascadedCrossAttention(
            dim,
            config.proj_dim,
            config.cross_steps,
            use_self_attn=config.use_self_attn,
            use_cross_attn=config.use_cross_attn,
            final_q2v=config.final_q2v,
            rescale=config.attention_rescale,
            score_reduce=config.score_reduce,
            learn_temperature=config.learn_temperature,
            normalize_inputs=config.normalize_energy_inputs,
            share_vla=config.share_vla,
            temperature_init=config.temperature_init,
        )

    # -- inputs ------------------------------------------------------------------------------------------------
    def encode_query(self, words: torch.Tensor, word_mask: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        """Eq. 1: ``words`` (B, M, E), ``word_mask`` (B, M) -> Q (B, M, D) unit rows (0 on padding), w_M (B, D).

        Bidirectional (``query_rnn``): w_M is the unit join of the final states of both directions (the forward
        one at the last real word, the backward one at the first), which ``h_n`` holds for packed sequences."""
        lengths = word_mask.sum(dim=1).clamp(min=1)
        packed = pack_padded_sequence(self.dropout(words), lengths.cpu(), batch_first=True, enforce_sorted=False)
        states, final = self.gru(packed)
        states, _ = pad_packed_sequence(states, batch_first=True, total_length=words.shape[1])  # (B, M, D)
        states = F.normalize(states, dim=-1) * word_mask.unsqueeze(-1).to(states.dtype)
        if self.gru.bidirectional:  # final (2, B, D/2): forward after the last word, backward after the first
            return states, F.normalize(torch.cat([final[0], final[1]], dim=-1), dim=-1)
        last = states[torch.arange(words.shape[0], device=words.device), lengths - 1]  # (B, D)
        return states, last

    def window_lengths(self, num_steps: int) -> tuple[int, ...]:
        """The L window lengths in steps for a video of ``num_steps`` steps (relative mode scales them)."""
        if self.config.window_fractions is not None:
            return tuple(int(w) for w in relative_windows(num_steps, self.config.window_fractions))
        return self.config.window_steps

    def proposal_grid(self, num_steps: list[int], device: torch.device) -> tuple[torch.Tensor, torch.Tensor]:
        """Segment groups of each video: spans (B, K, L, 2) long ``[start, end)`` steps, padded to the longest K,
        and ``group_mask`` (B, K) bool. Padded groups hold the dummy span [0, 1)."""
        grids = [_groups(int(t), self.config.stride_steps, self.window_lengths(int(t))) for t in num_steps]
        k_max = max(g.shape[0] for g in grids)
        spans = np.zeros((len(grids), k_max, self.config.num_scales, 2), dtype=np.int64)
        spans[..., 1] = 1
        mask = np.zeros((len(grids), k_max), dtype=bool)
        for b, grid in enumerate(grids):
            spans[b, : grid.shape[0]] = grid
            mask[b, : grid.shape[0]] = True
        return torch.from_numpy(spans).to(device), torch.from_numpy(mask).to(device)

    def encode_proposals(self, video: torch.Tensor, video_mask: torch.Tensor, spans: torch.Tensor) -> torch.Tensor:
        """Eq. 2: ``video`` (B, T, C), ``spans`` (B, K, L, 2) -> unit proposal features (B, K, L, D)."""
        if video.shape[-1] != self.config.feature_dim:
            raise FeatureSizeError(f"VLANet expects {self.config.feature_dim}-d features, got {video.shape[-1]}-d")
        steps = self.proposal_fc(self.dropout(video)) * video_mask.unsqueeze(-1).to(video.dtype)  # (B, T, D)
        cumsum = F.pad(steps.cumsum(dim=1), (0, 0, 1, 0))  # (B, T + 1, D); cumsum[:, t] = sum of steps < t
        b, k, n_scales, _ = spans.shape
        flat = spans.reshape(b, k * n_scales, 2)
        take = lambda idx: cumsum.gather(1, idx.unsqueeze(-1).expand(-1, -1, cumsum.shape[-1]))  # noqa: E731
        length = (flat[..., 1] - flat[..., 0]).clamp(min=1).unsqueeze(-1).to(steps.dtype)
        inside = take(flat[..., 1]) - take(flat[..., 0])  # (B, K * L, D) sums over each proposal's steps
        mean = inside / length
        if self.config.proposal_features == "contrast":
            # Mean inside minus mean of the rest of the video (see VLANetConfig.proposal_features).
            total = cumsum[:, -1:, :]  # (B, 1, D)
            real = video_mask.sum(dim=1).to(steps.dtype).view(b, 1, 1)
            outside = (total - inside) / (real - length).clamp(min=1)
            mean = mean - outside
        return F.normalize(mean, dim=-1).reshape(b, k, n_scales, -1)

    # -- scoring -----------------------------------------------------------------------------------------------
    def score_pairs(
        self,
        proposals: torch.Tensor,
        group_mask: torch.Tensor,
        query: torch.Tensor,
        query_mask: torch.Tensor,
        last_state: torch.Tensor,
        video_index: torch.Tensor,
        query_index: torch.Tensor,
        query_self_weights: torch.Tensor | None = None,
    ) -> tuple[CascadeOutput, torch.Tensor, torch.Tensor | None]:
        """c for P pairs (video ``video_index[p]``, query ``query_index[p]``).

        ``proposals`` (Bv, K, L, D), ``group_mask`` (Bv, K); ``query`` (Bq, M, D) already through Q2Q,
        ``last_state`` (Bq, D). Returns (cascade output, cosines (P, K, L), chosen scale (P, K) or None when
        ``use_surrogate`` is off and all K x L proposals go through the cascade in group-major order).
        """
        k, n_scales, d = proposals.shape[1:]
        cosine = torch.einsum("vkld,qd->vqkl", proposals, last_state)[video_index, query_index]  # (P, K, L)
        vmask = group_mask[video_index]  # (P, K)
        if self.config.use_surrogate:
            chosen = cosine.argmax(dim=-1)  # (P, K), eq. 4
            groups = torch.arange(k, device=proposals.device)
            video = proposals[video_index[:, None], groups[None, :], chosen]  # (P, K, D), eqs. 5-6
        else:
            chosen = None
            video = proposals[video_index].reshape(len(video_index), k * n_scales, d)
            vmask = vmask.repeat_interleave(n_scales, dim=1)
        q_weights = None if query_self_weights is None else query_self_weights[query_index]
        out = self.cascade(video, vmask, query[query_index], query_mask[query_index], q_weights)
        return out, cosine, chosen

    def similarity(
        self, video: torch.Tensor, video_mask: torch.Tensor, words: torch.Tensor, word_mask: torch.Tensor
    ) -> torch.Tensor:
        """c(V_i, Q_j) for every video i and sentence j of the inputs: (Bv, Bq). Also the speed benchmark's path."""
        spans, group_mask = self.proposal_grid(video_mask.sum(1).tolist(), video.device)
        proposals = self.encode_proposals(video, video_mask, spans)
        query, last = self.encode_query(words, word_mask)
        query, _ = self.cascade.query_self(query, word_mask)
        device = video.device
        vi, qi = torch.meshgrid(
            torch.arange(video.shape[0], device=device), torch.arange(words.shape[0], device=device), indexing="ij"
        )
        out, _, _ = self.score_pairs(proposals, group_mask, query, word_mask, last, vi.reshape(-1), qi.reshape(-1))
        return out.score.reshape(video.shape[0], words.shape[0])

    # -- training ----------------------------------------------------------------------------------------------
    def loss(self, batch: WeakBatch) -> dict[str, torch.Tensor]:
        """Eq. 14 over the batch: hinge ``max(0, margin - c(V, Q+) + c(neg))`` for each positive pair against
        ``num_negatives`` sampled other-video sentences (for the video), other videos (for the sentence) and the
        text-only hard negatives ``neg_words`` (for the video), each averaged or hardest, then weighted."""
        cfg = self.config
        device = batch.video.device
        b = batch.video.shape[0]
        spans, group_mask = self.proposal_grid(batch.video_mask.sum(1).tolist(), device)
        proposals = self.encode_proposals(batch.video, batch.video_mask, spans)

        words, word_mask, hard_valid = batch.words, batch.word_mask, None
        if batch.neg_words is not None and cfg.weight_hard_negatives > 0:
            n_hard, m_neg = batch.neg_words.shape[1], batch.neg_words.shape[2]
            m = max(words.shape[1], m_neg)
            neg_w = batch.neg_words.reshape(b * n_hard, m_neg, -1)
            neg_word_mask = (
                batch.neg_word_mask if batch.neg_word_mask is not None else batch.neg_words.abs().sum(-1) > 0
            )
            neg_m = neg_word_mask.reshape(b * n_hard, m_neg)
            words = torch.cat([_pad_words(words, m), _pad_words(neg_w, m)])
            word_mask = torch.cat([_pad_mask(word_mask, m), _pad_mask(neg_m, m)])
            hard_valid = batch.neg_valid if batch.neg_valid is not None else neg_m.any(-1).reshape(b, n_hard)
            hard_valid = hard_valid & neg_m.any(-1).reshape(b, n_hard)
        query, last = self.encode_query(words, word_mask)
        query, _ = self.cascade.query_self(query, word_mask)

        # which pairs to score: positives, then sampled in-batch negatives on both sides, then hard negatives
        arange = torch.arange(b, device=device)
        other = batch.video_ids[:, None] != batch.video_ids[None, :]  # (B, B)
        q_neg, q_valid = _sample(other, cfg.num_negatives)  # sentence q_neg[i, n] is a negative for video i
        v_neg, v_valid = _sample(other, cfg.num_negatives)  # video v_neg[i, n] is a negative for sentence i
        n_in = q_neg.shape[1]
        video_index = [arange, v_neg.reshape(-1)]
        query_index = [arange, arange.repeat_interleave(n_in)]
        recompute = cfg.negative_vcomp == "recompute"
        if recompute:
            video_index += [arange.repeat_interleave(n_in)]
            query_index += [q_neg.reshape(-1)]
        if hard_valid is not None:
            n_hard = hard_valid.shape[1]
            hard_index = b + torch.arange(b * n_hard, device=device)
            if recompute:
                video_index.append(arange.repeat_interleave(n_hard))
                query_index.append(hard_index)
        out, cosine, _ = self.score_pairs(
            proposals, group_mask, query, word_mask, last, torch.cat(video_index), torch.cat(query_index)
        )
        scores = out.score
        positive = scores[:b]
        video_neg = scores[b : b + b * n_in].reshape(b, n_in)
        if recompute:
            query_neg = scores[b + b * n_in : b + 2 * b * n_in].reshape(b, n_in)
            hard_neg = scores[b + 2 * b * n_in :].reshape(b, -1) if hard_valid is not None else None
        else:  # E(v_comp(V, Q+), Q-) with the negative sentence after Q2Q only
            pos_vcomp = out.v_comp[:b]
            query_neg = self._score_fixed(pos_vcomp, query, word_mask, q_neg)
            hard_neg = None
            if hard_valid is not None:
                hard_index = (b + torch.arange(b * hard_valid.shape[1], device=device)).reshape(b, -1)
                hard_neg = self._score_fixed(pos_vcomp, query, word_mask, hard_index)

        losses = {
            "loss_query_neg": self._hinge(positive, query_neg, q_valid),
            "loss_video_neg": self._hinge(positive, video_neg, v_valid),
        }
        total = cfg.weight_query_negatives * losses["loss_query_neg"]
        total = total + cfg.weight_video_negatives * losses["loss_video_neg"]
        negatives = [query_neg[q_valid], video_neg[v_valid]]
        if hard_neg is not None and hard_valid is not None:
            losses["loss_hard_neg"] = self._hinge(positive, hard_neg, hard_valid)
            total = total + cfg.weight_hard_negatives * losses["loss_hard_neg"]
            negatives.append(hard_neg[hard_valid])
        if cfg.weight_reversed_negatives > 0 and batch.video_reversed is not None:
            reversed_out, _ = self._score_form(
                batch.video_reversed, batch.video_mask, spans, group_mask, (query, word_mask, last), arange
            )
            reversed_neg = reversed_out.score[:, None]  # (B, 1): c(V played backwards, Q+)
            losses["loss_reversed_neg"] = self._hinge(
                positive, reversed_neg, torch.ones_like(reversed_neg, dtype=torch.bool)
            )
            total = total + cfg.weight_reversed_negatives * losses["loss_reversed_neg"]
            negatives.append(reversed_neg.reshape(-1))
        if cfg.weight_consistency > 0 and batch.video_alt is not None and batch.alt_valid is not None:
            rows = batch.alt_valid.nonzero().squeeze(1)
            if len(rows):
                losses["loss_consistency"] = self._consistency(
                    batch.video_alt[rows], batch.video_mask[rows], spans[rows], group_mask[rows], rows,
                    (query, word_mask, last), out, cosine,
                )  # fmt: skip
                total = total + cfg.weight_consistency * losses["loss_consistency"]
        all_neg = torch.cat(negatives)
        losses["loss"] = total
        losses["pos_score"] = positive.detach().mean()
        losses["neg_score"] = all_neg.detach().mean() if all_neg.numel() else positive.new_zeros(())
        return losses

    def _consistency(
        self,
        video_alt: torch.Tensor,
        video_mask: torch.Tensor,
        spans: torch.Tensor,
        group_mask: torch.Tensor,
        rows: torch.Tensor,
        queries: tuple[torch.Tensor, torch.Tensor, torch.Tensor],
        out: CascadeOutput,
        cosine: torch.Tensor,
    ) -> torch.Tensor:
        """Symmetric KL between the positive pairs ``rows`` on their video and on its other form ``video_alt``
        (R, T, C): of the group shares (K) plus of the scale choices (L, averaged over real groups); see
        ``VLANetConfig.weight_consistency``. ``out`` / ``cosine``: the batch's scored pairs, positives first."""
        alt_out, alt_cosine = self._score_form(video_alt, video_mask, spans, group_mask, queries, rows)
        mode = self.config.localisation
        share = _log_share([(n, w[rows]) for n, w in out.video_weights], mode, group_mask)  # (R, K)
        alt_share = _log_share(alt_out.video_weights, mode, group_mask)
        temperature = self.config.consistency_temperature
        scale = F.log_softmax(cosine[rows] / temperature, dim=-1)  # (R, K, L); positives are the first pairs
        alt_scale = F.log_softmax(alt_cosine / temperature, dim=-1)
        share_kl = _symmetric_kl(share, alt_share).sum(-1)  # (R,)
        real = group_mask.to(scale.dtype)
        scale_kl = (_symmetric_kl(scale, alt_scale).sum(-1) * real).sum(-1) / real.sum(-1).clamp(min=1)
        return (share_kl + scale_kl).mean()

    def _score_form(
        self,
        video: torch.Tensor,
        video_mask: torch.Tensor,
        spans: torch.Tensor,
        group_mask: torch.Tensor,
        queries: tuple[torch.Tensor, torch.Tensor, torch.Tensor],
        query_rows: torch.Tensor,
    ) -> tuple[CascadeOutput, torch.Tensor]:
        """Another form of the batch's videos (R, T, C) (the clip decoded from a file, played backwards...), each
        row r scored with sentence ``query_rows[r]`` of ``queries`` = (query, word mask, last state) on the same
        proposal grid: the cascade's output and the cosines (R, K, L)."""
        query, word_mask, last = queries
        proposals = self.encode_proposals(video, video_mask, spans)
        own = torch.arange(len(query_rows), device=query_rows.device)
        out, cosine, _ = self.score_pairs(proposals, group_mask, query, word_mask, last, own, query_rows)
        return out, cosine

    def _score_fixed(
        self, v_comp: torch.Tensor, query: torch.Tensor, mask: torch.Tensor, index: torch.Tensor
    ) -> torch.Tensor:
        b, n = index.shape
        flat = index.reshape(-1)
        return self.cascade.score_with(v_comp.repeat_interleave(n, dim=0), query[flat], mask[flat]).reshape(b, n)

    def _hinge(self, positive: torch.Tensor, negative: torch.Tensor, valid: torch.Tensor) -> torch.Tensor:
        """Mean over pairs with at least one negative of the (mean or max) hinge over their valid negatives."""
        hinge = F.relu(self.config.margin - positive[:, None] + negative) * valid.to(negative.dtype)  # (B, N)
        if self.config.negative_reduction == "max":
            per_row = hinge.max(dim=1).values if hinge.shape[1] else hinge.sum(dim=1)
        else:
            per_row = hinge.sum(dim=1) / valid.sum(dim=1).clamp(min=1)
        rows = valid.any(dim=1)
        if not bool(rows.any()):
            return positive.sum() * 0.0  # keeps the graph, so backward works on a batch without negatives
        return per_row[rows].mean()

    # -- inference ---------------------------------------------------------------------------------------------
    @torch.no_grad()
    def infer(self, video: torch.Tensor, words: torch.Tensor, tokens: list[str]) -> ModelOutput:
        """One query on one video. ``video`` (T, C), ``words`` (M, E), ``tokens`` (M labels).

        Scores: each surrogate's share of v_comp (``localisation_weights``), spread to its siblings by their
        cosine to w_M (``spread_surrogate_scores``); with ``use_surrogate`` off, every proposal's own share.
        ``proposals`` (K * L, 2) in group-major order, fractions of the T steps; ``word_time`` (M, T).
        """
        video, words = self._check_inputs(video, words, tokens)
        num_steps, device = video.shape[0], video.device
        spans, group_mask = self.proposal_grid([num_steps], device)
        proposals = self.encode_proposals(video[None], torch.ones(1, num_steps, dtype=torch.bool, device=device), spans)
        word_mask = torch.ones(1, words.shape[0], dtype=torch.bool, device=device)
        query, last = self.encode_query(words[None], word_mask)
        query, q_self = self.cascade.query_self(query, word_mask)
        zero = torch.zeros(1, dtype=torch.long, device=device)
        out, cosine_t, chosen_t = self.score_pairs(proposals, group_mask, query, word_mask, last, zero, zero, q_self)

        grid = spans[0].cpu().numpy()  # (K, L, 2)
        k, n_scales = grid.shape[:2]
        cosine = cosine_t[0].cpu().numpy()
        v_weights = [(name, w[0].cpu().numpy()) for name, w in out.video_weights]
        q_weights = [(name, w[0].cpu().numpy()) for name, w in out.query_weights]
        share = localisation_weights(v_weights, self.config.localisation)
        if chosen_t is not None:
            chosen = chosen_t[0].cpu().numpy()
            attended = grid[np.arange(k), chosen]  # (K, 2) surrogate spans
            group_score = share if share is not None else (1.0 + cosine[np.arange(k), chosen]) / 2.0
            scores = spread_surrogate_scores(cosine, chosen, group_score).reshape(-1)
        else:
            chosen = None
            attended = grid.reshape(k * n_scales, 2)
            scores = share if share is not None else (1.0 + cosine.reshape(-1)) / 2.0
        video_query = (out.video[0] @ out.query[0].T).cpu().numpy()  # (N, M), Fig. 5 before pooling
        stages = build_stages(
            cosine, chosen, grid[:, 0, 0], grid[0, :, 1] - grid[0, :, 0], attended, tokens, v_weights, q_weights
        )
        if share is not None:
            stages.append(time_stage(share, attended, num_steps))
        return ModelOutput(
            proposals=(grid.reshape(-1, 2) / float(num_steps)).astype(np.float64),
            scores=np.asarray(scores, dtype=np.float64),
            word_time=word_time_map(video_query, attended, num_steps),
            stages=stages,
        )

    def _check_inputs(
        self, video: torch.Tensor, words: torch.Tensor, tokens: list[str]
    ) -> tuple[torch.Tensor, torch.Tensor]:
        param = next(self.parameters())
        video = torch.as_tensor(video, dtype=param.dtype, device=param.device)
        words = torch.as_tensor(words, dtype=param.dtype, device=param.device)
        if video.dim() != 2 or video.shape[0] < 1:
            raise FeatureSizeError(f"VLANet expects video features (T, C) with T >= 1, got {tuple(video.shape)}")
        if video.shape[1] != self.config.feature_dim:
            raise FeatureSizeError(f"VLANet expects {self.config.feature_dim}-d features, got {video.shape[1]}-d")
        if words.dim() != 2 or words.shape[0] == 0:
            raise EmptyQueryError("the query has no word the model can read")
        if words.shape[1] != self.config.word_dim:
            raise FeatureSizeError(f"VLANet expects {self.config.word_dim}-d word vectors, got {words.shape[1]}-d")
        if len(tokens) != words.shape[0]:
            raise ValueError(f"{len(tokens)} tokens for {words.shape[0]} word vectors")
        return video, words


def _log_share(video_weights: list[tuple[str, torch.Tensor]], mode: str, group_mask: torch.Tensor) -> torch.Tensor:
    """``vlanet_readout.localisation_weights`` in torch for training: log of each group's share (P, K) from the
    named (P, K) V attention weights, padded groups at -inf-like 0 share (uniform when ``mode`` picks none)."""
    chosen = localisation_inputs(video_weights, mode)
    logits = torch.zeros_like(group_mask, dtype=chosen[0].dtype if chosen else torch.float32)
    for weights in chosen:
        logits = logits + weights.clamp(min=1e-12).log()
    return F.log_softmax(logits.masked_fill(~group_mask, -1e4), dim=-1)


def _symmetric_kl(log_p: torch.Tensor, log_q: torch.Tensor) -> torch.Tensor:
    """Elementwise terms of KL(p||q) + KL(q||p) over the last axis (sum them): (p - q)(log p - log q) >= 0."""
    return (log_p.exp() - log_q.exp()) * (log_p - log_q)


def _sample(allowed: torch.Tensor, count: int) -> tuple[torch.Tensor, torch.Tensor]:
    """Up to ``count`` random allowed columns per row (0: all): indices (B, n) and validity (B, n)."""
    n = allowed.shape[1] if count <= 0 else min(count, allowed.shape[1])
    keys = torch.rand(allowed.shape, device=allowed.device).masked_fill(~allowed, -1.0)
    top = keys.topk(n, dim=1)
    return top.indices, top.values >= 0


def _pad_words(words: torch.Tensor, length: int) -> torch.Tensor:
    return F.pad(words, (0, 0, 0, length - words.shape[1]))


def _pad_mask(mask: torch.Tensor, length: int) -> torch.Tensor:
    return F.pad(mask, (0, length - mask.shape[1]), value=False)
