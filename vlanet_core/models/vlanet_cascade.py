"""VLANet's Cascaded Cross-modal Attention (Sec. 3.4, eqs. 9-13) on a batch of (video, query) pairs.

Order of operations, each a Dense Attention with its own W1, W2:

1. self-attention (``use_self_attn``): ``V <- A(V, V)`` (eq. 9), ``Q <- A(Q, Q)`` (eq. 10);
2. ``cross_steps`` times (``use_cross_attn``): ``V <- A(V, Q)`` (eq. 11) then ``Q <- A(Q, V)`` (eq. 12), the second
   using the V just updated ("in series");
3. ``final_q2v``: one more ``V <- A(V, Q)``: the introduction's cascade ends with the attended query attending the
   attended video, so the V that is pooled, and read for localisation, has seen the final Q;
4. ``v_comp = sum_k V_k`` over real proposals, ``c = E(v_comp, Q)`` (eq. 13) with its own VLA function.

Because every step scales the rows of V (``diag(weights) V``), ``v_comp`` is a sum of the surrogate features, each
weighted by the product of all the V attention weights it received: that product is what localisation reads.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import torch
from torch import nn

from vlanet_core.models.layers import AlignmentEnergy, DenseAttention


@dataclass
class CascadeOutput:
    """For P pairs: ``score`` (P,) = c; ``v_comp`` (P, D); final ``video`` (P, K, D) and ``query`` (P, M, D);
    ``video_weights`` / ``query_weights``: (name, (P, K) or (P, M) weights) per attention step, in order."""

    score: torch.Tensor
    v_comp: torch.Tensor
    video: torch.Tensor
    query: torch.Tensor
    video_weights: list[tuple[str, torch.Tensor]] = field(default_factory=list)
    query_weights: list[tuple[str, torch.Tensor]] = field(default_factory=list)


class CascadedCrossAttention(nn.Module):
    """CCA module; ``query_self`` is exposed so a query's Q2Q (independent of the video) is computed once."""

    def __init__(
        self,
        dim: int,
        proj_dim: int,
        cross_steps: int,
        use_self_attn: bool = True,
        use_cross_attn: bool = True,
        final_q2v: bool = True,
        rescale: bool = True,
        score_reduce: str = "mean",
        learn_temperature: bool = False,
        normalize_inputs: bool = True,
        share_vla: bool = False,
        temperature_init: float = 1.0,
    ) -> None:
        super().__init__()
        self.score_reduce = score_reduce
        self.use_self_attn = use_self_attn
        self.use_cross_attn = use_cross_attn
        self.final_q2v = final_q2v and use_cross_attn
        steps = cross_steps if use_cross_attn else 0

        def make() -> DenseAttention:
            return DenseAttention(dim, proj_dim, "sum", rescale, learn_temperature, normalize_inputs, temperature_init)

        self.v2v = make() if use_self_attn else None
        self.q2q = make() if use_self_attn else None
        self.video_by_query = nn.ModuleList(make() for _ in range(steps))
        self.query_by_video = nn.ModuleList(make() for _ in range(steps))
        self.last_video_by_query = make() if self.final_q2v else None
        # share_vla: eq. 13 scores with "the VLA function defined above", read as the very E (same W1, W2) that
        # weighed the proposals in the last query-to-video attention. The proposals that attention favours are then
        # exactly those that raise c, so the contrast of eq. 14 rewards attending the matching moment; with a
        # separate E the two can drift apart and a diluted whole-video average can still win the contrast.
        self.share_vla = share_vla and self._last_q2v() is not None
        reduce = "sum" if score_reduce == "attention" else score_reduce  # attention: weighted in ``_score``
        self.similarity = None if self.share_vla else AlignmentEnergy(dim, proj_dim, reduce, normalize_inputs)

    def _last_q2v(self) -> DenseAttention | None:
        if self.last_video_by_query is not None:
            return self.last_video_by_query
        last = self.video_by_query[-1] if len(self.video_by_query) else None
        return last if isinstance(last, DenseAttention) else None

    def _score(
        self,
        v_comp: torch.Tensor,
        query: torch.Tensor,
        query_mask: torch.Tensor,
        word_weights: torch.Tensor | None = None,
    ) -> torch.Tensor:
        """``c = E(v_comp, Q)`` (P,), eq. 13, with the eq. 13 VLA function or the shared one (``share_vla``).

        ``score_reduce="attention"`` weighs each word's term by ``word_weights`` (P, M) (the attended query's
        weights, summing to 1 over real words); without them it falls back to the mean over words."""
        shared = self._last_q2v()
        energy = self.similarity if self.similarity is not None else shared.energy if shared is not None else None
        assert energy is not None  # share_vla is only on when there is a last query-to-video attention
        terms = energy.pairwise(v_comp.unsqueeze(1), query)[:, 0] * query_mask.to(v_comp.dtype)  # (P, M)
        if self.score_reduce == "attention" and word_weights is not None:
            return (terms * word_weights).sum(-1)
        if self.score_reduce == "sum":
            return terms.sum(-1)
        return terms.sum(-1) / query_mask.sum(-1).clamp(min=1).to(terms.dtype)

    def query_self(self, query: torch.Tensor, query_mask: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor | None]:
        """Eq. 10 on (B, M, D): the attended query and its (B, M) weights (None when self-attention is off)."""
        if self.q2q is None:
            return query, None
        return self.q2q(query, query, query_mask, query_mask)

    def forward(
        self,
        video: torch.Tensor,
        video_mask: torch.Tensor,
        query: torch.Tensor,
        query_mask: torch.Tensor,
        query_self_weights: torch.Tensor | None = None,
    ) -> CascadeOutput:
        """``video`` (P, K, D) surrogates; ``query`` (P, M, D) already through ``query_self``; masks (P, K) / (P, M).

        ``query_self_weights`` (P, M), when given, is only recorded for the inspector.
        """
        v_weights: list[tuple[str, torch.Tensor]] = []
        q_weights: list[tuple[str, torch.Tensor]] = []
        if query_self_weights is not None:
            q_weights.append(("Q2Q self-attention", query_self_weights))
        if self.v2v is not None:
            video, w = self.v2v(video, video, video_mask, video_mask)
            v_weights.append(("V2V self-attention", w))
        word_weights = None  # the attended query's word weights: the last of eq. 12 (None without cross-attention)
        for step, (attend_video, attend_query) in enumerate(zip(self.video_by_query, self.query_by_video), start=1):
            video, w = attend_video(video, query, video_mask, query_mask)
            v_weights.append((f"cross {step}: video attended by query", w))
            query, word_weights = attend_query(query, video, query_mask, video_mask)
            q_weights.append((f"cross {step}: query attended by video", word_weights))
        if self.last_video_by_query is not None:
            video, w = self.last_video_by_query(video, query, video_mask, query_mask)
            v_weights.append(("final: video attended by query", w))
        video = video * video_mask.unsqueeze(-1).to(video.dtype)
        v_comp = video.sum(dim=1)  # (P, D), the paper's "sum of all elements of V"
        score = self._score(v_comp, query, query_mask, word_weights)  # (P,) eq. 13
        return CascadeOutput(score, v_comp, video, query, v_weights, q_weights)

    def score_with(self, v_comp: torch.Tensor, query: torch.Tensor, query_mask: torch.Tensor) -> torch.Tensor:
        """``E(v_comp, Q)`` for given ``v_comp`` (P, D) and ``query`` (P, M, D): (P,)."""
        return self._score(v_comp, query, query_mask)
