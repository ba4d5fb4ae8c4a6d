"""CI-MHA: self-attention + cross interaction multi-head attention, start/end + moment segmentation (fully supervised).

Equation -> code (paper numbering):
- eqs. 1-2 (encoders): ``video_in`` (linear projection of the precomputed features) and ``query_lstm`` (Bi-LSTM over
  the word vectors, as the paper's GloVe -> Bi-LSTM query encoder).
- eqs. 3-4 (self-attention with skip): ``_self_interaction``.
- eqs. 5-6 (feed-forward, learned positional encoding on the video): ``video_ff`` + ``positions``, ``query_ff``.
- eqs. 7-9 (cross interaction both ways, concatenation): ``_cross_interaction``.
- eqs. 10-14 (conditioned Bi-LSTMs, MLPs on [h, s], softmax over time): ``_start_end``.
- eqs. 15-16 (moment segmentation): ``segment_mlp``; losses in ``cimha_parts``.

Choices where the paper is silent or inconsistent:
- Eqs. 7 and 8 as printed give outputs of different lengths (query length for eq. 7, video length for eq. 8), which
  eq. 9 cannot concatenate per time step, and eqs. 10-15 need one vector per time step. We keep both directions on
  the time axis: eq. 7 ("query-enriched video", the one-way "MHA" variant) is frames attending to words,
  ``MHA(Q=v^, K=V=q^)``; eq. 8 ("video-enriched query") is words attending to frames, ``MHA(Q=q^, K=V=v^)``, whose
  (M, T) weights are ``word_time``; each frame then reads those video-enriched words back with a parameter-free
  scaled dot-product attention, so the result lives on the time axis.
- A LayerNorm follows eqs. 3-4 and 5-6 (the paper has none); it keeps the sums of skip connections at one scale.
- Eqs. 7-8 get a skip connection + LayerNorm, as in the ViLBERT co-attention layer the paper builds on
  (``cross_residual``): ``v_q = LN(v^ + MHA(Q=v^, K=V=q^))``, ``q_ctx = LN(q^ + MHA(Q=q^, K=V=v^))``. Without
  it ``v_q`` is only a convex mix of word vectors: no frame content reaches eqs. 10-15 except through which words
  a frame attends to, and training on Shapes-STA crawled near the uniform start/end NLL (200 train videos,
  200 Adam steps: val mIoU 0.40 without the skip, 0.45 with it; train NLL 5.6 -> 4.1).
- The learned positional table starts at N(0, 0.02) as BERT's, which the paper cites (``position_init_std``);
  ``nn.Embedding``'s default N(0, 1) gives each position a norm of ~sqrt(D) against a feed-forward output of norm
  ~1, so after eq. 5's LayerNorm the video embedding starts as mostly position noise. Measured effect on the
  200-video loop: neutral (within noise); kept for the reason above. 0 keeps the N(0, 1) default.
- Standardised input features are clamped to +-``input_clip`` (6): the default backbone's sparse motion dimensions
  reach 60 standard deviations and saturate the first attention softmax.
- Learned positions cover ``max_positions`` steps; a longer video gets the table linearly interpolated.
- Loss = NLL(start) + NLL(end) + ``segment_weight`` * BCE(inside), BCE averaged over real steps.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
import torch
import torch.nn.functional as F
from torch import nn

from vlanet_core.errors import FeatureSizeError
from vlanet_core.models import cimha_parts as parts
from vlanet_core.models.base import ModelOutput, MomentModel, SupervisedBatch
from vlanet_core.registry import MODELS
from vlanet_core.results import AttentionStage


@dataclass
class CIMHAConfig:
    """Everything that rebuilds a CI-MHA model (JSON-serialisable)."""

    feature_dim: int = 1024  # visual feature size C (I3D's 1024 in the paper); set from the backbone
    word_dim: int = 50  # GloVe 6B 50d, the project's default text vectors
    hidden_dim: int = 128  # the paper uses 512 for Charades; 128 is enough for small data and trains fast on CPU
    num_heads: int = 4  # hidden_dim must divide by it
    dropout: float = 0.1  # light regularisation, the paper gives none
    max_positions: int = 256  # learned positional table size (the paper caps videos at 128 steps)
    bidirectional_fusion: bool = True  # False = the paper's one-way "MHA" ablation (eq. 7 only)
    use_segmentation: bool = True  # False = the "w/o MS" ablation (no moment segmentation task)
    segment_weight: float = 1.0  # weight of the segmentation BCE against the start/end NLL (paper: equal)
    num_proposals: int = 100  # (start, end) pairs returned by infer, best first
    max_moment_fraction: float | None = None  # longest span at inference as a fraction of the video; None = any
    position_init_std: float = 0.02  # BERT's init; nn.Embedding's N(0, 1) drowns the video content (see above)
    cross_residual: bool = True  # ViLBERT-style skip + LayerNorm around eqs. 7-8 (see above)
    input_clip: float = 6.0  # clamp standardised features to +-6: sparse dims reach 60 sigma and saturate attention

    def __post_init__(self) -> None:
        if self.hidden_dim % self.num_heads or self.hidden_dim % 2:
            raise ValueError(f"hidden_dim {self.hidden_dim} must be even and divisible by num_heads {self.num_heads}")


class FeedForward(nn.Module):
    """Position-wise two-layer MLP (eqs. 5-6): (..., D) -> (..., D)."""

    def __init__(self, dim: int, dropout: float) -> None:
        super().__init__()
        self.net = nn.Sequential(nn.Linear(dim, 2 * dim), nn.ReLU(), nn.Dropout(dropout), nn.Linear(2 * dim, dim))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.net(x)


def _mlp(in_dim: int, hidden: int, dropout: float) -> nn.Module:
    return nn.Sequential(nn.Linear(in_dim, hidden), nn.ReLU(), nn.Dropout(dropout), nn.Linear(hidden, 1))


def _run_lstm(lstm: nn.LSTM, x: torch.Tensor, lengths: torch.Tensor) -> torch.Tensor:
    """Bi-LSTM over padded (B, L, D_in) with real ``lengths`` (B,) -> (B, L, 2H), zeros on padding."""
    packed = nn.utils.rnn.pack_padded_sequence(x, lengths.cpu().clamp(min=1), batch_first=True, enforce_sorted=False)
    out, _ = lstm(packed)
    out, _ = nn.utils.rnn.pad_packed_sequence(out, batch_first=True, total_length=x.shape[1])
    return out


@MODELS.register("cimha", weak=False)
class CIMHA(MomentModel):
    """Fully supervised CI-MHA; ``loss`` takes a SupervisedBatch (``spans`` (B, 2) fractions)."""

    weak = False
    config_class = CIMHAConfig

    def __init__(self, config: CIMHAConfig) -> None:
        super().__init__(config)
        d, h, p = config.hidden_dim, config.num_heads, config.dropout
        self.video_in = nn.Sequential(nn.Linear(config.feature_dim, d), nn.Dropout(p))
        self.query_lstm = nn.LSTM(config.word_dim, d // 2, batch_first=True, bidirectional=True)
        self.video_self = nn.MultiheadAttention(d, h, dropout=p, batch_first=True)
        self.query_self = nn.MultiheadAttention(d, h, dropout=p, batch_first=True)
        self.video_norm, self.query_norm = nn.LayerNorm(d), nn.LayerNorm(d)
        self.video_ff, self.query_ff = FeedForward(d, p), FeedForward(d, p)
        self.positions = nn.Embedding(config.max_positions, d)
        if config.position_init_std > 0:
            nn.init.normal_(self.positions.weight, std=config.position_init_std)
        self.cross_v_norm, self.cross_q_norm = nn.LayerNorm(d), nn.LayerNorm(d)
        self.video_hat_norm, self.query_hat_norm = nn.LayerNorm(d), nn.LayerNorm(d)
        self.frames_to_words = nn.MultiheadAttention(d, h, dropout=p, batch_first=True)  # eq. 7
        self.words_to_frames = nn.MultiheadAttention(d, h, dropout=p, batch_first=True)  # eq. 8
        fused = 2 * d if config.bidirectional_fusion else d  # eq. 9
        self.start_lstm = nn.LSTM(fused, d // 2, batch_first=True, bidirectional=True)  # eq. 10
        self.end_lstm = nn.LSTM(d, d // 2, batch_first=True, bidirectional=True)  # eq. 11
        self.start_mlp = _mlp(d + fused, d, p)  # eq. 12
        self.end_mlp = _mlp(d + fused, d, p)  # eq. 13
        self.segment_mlp = _mlp(fused, d, p) if config.use_segmentation else None  # eq. 15

    # ----- forward pieces -------------------------------------------------------------------------------------
    def _check(self, video: torch.Tensor, words: torch.Tensor) -> None:
        if video.shape[-1] != self.config.feature_dim:
            raise FeatureSizeError(
                f"CI-MHA was built for {self.config.feature_dim}-d video features, got {video.shape[-1]}-d"
            )
        if words.shape[-1] != self.config.word_dim:
            raise FeatureSizeError(f"CI-MHA was built for {self.config.word_dim}-d word vectors, got {words.shape[-1]}")
        if video.shape[-2] == 0 or words.shape[-2] == 0:
            raise FeatureSizeError("CI-MHA needs at least one video step and one word")

    def _position_table(self, steps: int) -> torch.Tensor:
        """(steps, D) learned positions; interpolated when the video is longer than the table."""
        table = self.positions.weight
        if steps <= table.shape[0]:
            return table[:steps]
        return F.interpolate(table.T[None], size=steps, mode="linear", align_corners=True)[0].T

    def _self_interaction(self, v0, q0, video_mask, word_mask):
        """Eqs. 3-4 (+ LayerNorm): (B, T, D), (B, M, D) and their self-attention weights."""
        v_att, v_w = self.video_self(v0, v0, v0, key_padding_mask=~video_mask)
        q_att, q_w = self.query_self(q0, q0, q0, key_padding_mask=~word_mask)
        return self.video_norm(v_att + v0), self.query_norm(q_att + q0), v_w, q_w

    def _cross_interaction(self, v_hat, q_hat, video_mask, word_mask):
        """Eqs. 7-9: fused s (B, T, 2D or D) and the cross weights (frames->words (B,T,M), words->frames (B,M,T))."""
        v_q, f2w = self.frames_to_words(v_hat, q_hat, q_hat, key_padding_mask=~word_mask)  # eq. 7
        if self.config.cross_residual:
            v_q = self.cross_v_norm(v_q + v_hat)
        if not self.config.bidirectional_fusion:
            return v_q, f2w, None
        q_ctx, w2f = self.words_to_frames(q_hat, v_hat, v_hat, key_padding_mask=~video_mask)  # eq. 8
        if self.config.cross_residual:
            q_ctx = self.cross_q_norm(q_ctx + q_hat)
        # parameter-free read-back: frame t gathers the video-enriched words that match it
        logits = v_hat @ q_ctx.transpose(1, 2) / math.sqrt(v_hat.shape[-1])  # (B, T, M)
        q_v = torch.softmax(logits.masked_fill(~word_mask[:, None, :], float("-inf")), dim=-1) @ q_ctx
        return torch.cat([v_q, q_v], dim=-1), f2w, w2f  # eq. 9

    def _start_end(self, s, video_mask):
        """Eqs. 10-13: start / end logits (B, T) over the time axis."""
        lengths = video_mask.sum(1)
        h_start = _run_lstm(self.start_lstm, s, lengths)  # eq. 10
        h_end = _run_lstm(self.end_lstm, h_start, lengths)  # eq. 11: conditioned on the start states
        start = self.start_mlp(torch.cat([h_start, s], dim=-1)).squeeze(-1)  # eq. 12
        end = self.end_mlp(torch.cat([h_end, s], dim=-1)).squeeze(-1)  # eq. 13
        return start, end

    def scores(self, video, video_mask, words, word_mask) -> dict[str, torch.Tensor | None]:
        """Scores for a padded batch.

        Inputs: ``video`` (B, T, C), ``video_mask`` (B, T) bool, ``words`` (B, M, E), ``word_mask`` (B, M) bool.
        Returns: ``start_logits`` / ``end_logits`` (B, T) (padding -inf only after eq. 14's softmax),
        ``inside_logits`` (B, T) or None, and attention maps ``video_self`` (B, T, T), ``query_self`` (B, M, M),
        ``frames_to_words`` (B, T, M), ``words_to_frames`` (B, M, T) or None.
        """
        self._check(video, words)
        video_mask, word_mask = video_mask.bool(), word_mask.bool()
        _, steps, _ = video.shape
        if self.config.input_clip > 0:
            video = video.clamp(-self.config.input_clip, self.config.input_clip)
        v0 = self.video_in(video)  # eq. 1: (B, T, D)
        q0 = _run_lstm(self.query_lstm, words, word_mask.sum(1))  # eq. 2: (B, M, D)
        v, q, v_w, q_w = self._self_interaction(v0, q0, video_mask, word_mask)
        v_hat = self.video_hat_norm(self.video_ff(v) + self._position_table(steps)[None])  # eq. 5
        q_hat = self.query_hat_norm(self.query_ff(q))  # eq. 6
        s, f2w, w2f = self._cross_interaction(v_hat, q_hat, video_mask, word_mask)
        start, end = self._start_end(s, video_mask)
        inside = self.segment_mlp(s).squeeze(-1) if self.segment_mlp is not None else None  # eq. 15
        return {
            "start_logits": start,
            "end_logits": end,
            "inside_logits": inside,
            "video_self": v_w,
            "query_self": q_w,
            "frames_to_words": f2w,
            "words_to_frames": w2f,
        }

    # ----- training and inference -----------------------------------------------------------------------------
    def loss(self, batch: SupervisedBatch) -> dict[str, torch.Tensor]:  # type: ignore[override]
        """``loss`` = NLL(start) + NLL(end) + segment_weight * BCE(inside); also ``nll`` and ``bce`` for logs."""
        if not isinstance(batch, SupervisedBatch) or batch.spans.shape != (batch.video.shape[0], 2):
            raise TypeError("CI-MHA is fully supervised: its loss needs a SupervisedBatch with spans (B, 2)")
        out = self.scores(batch.video, batch.video_mask, batch.words, batch.word_mask)
        mask = batch.video_mask.bool()
        start_idx, end_idx = parts.span_targets(batch.spans.float(), mask.sum(1))
        start_logits, end_logits, inside_logits = out["start_logits"], out["end_logits"], out["inside_logits"]
        assert start_logits is not None and end_logits is not None
        nll = parts.start_end_nll(start_logits, end_logits, mask, start_idx, end_idx)
        bce = torch.zeros((), device=nll.device)
        if inside_logits is not None:
            labels = parts.inside_labels(start_idx, end_idx, mask.shape[1])
            bce = parts.segmentation_bce(inside_logits, labels, mask)
        return {"loss": nll + self.config.segment_weight * bce, "nll": nll.detach(), "bce": bce.detach()}

    @torch.no_grad()
    def infer(self, video: torch.Tensor, words: torch.Tensor, tokens: list[str]) -> ModelOutput:
        """Top (start <= end) pairs for one video (T, C) and query (M, E); score = P_start * P_end (eq. 14)."""
        self._check(video, words)
        param = next(self.parameters())
        video = video.to(param.device, param.dtype)
        words = words.to(param.device, param.dtype)
        steps, count = video.shape[0], words.shape[0]
        video_mask = torch.ones(1, steps, dtype=torch.bool, device=param.device)
        word_mask = torch.ones(1, count, dtype=torch.bool, device=param.device)
        out = self.scores(video[None], video_mask, words[None], word_mask)
        start_logits, end_logits, f2w_all = out["start_logits"], out["end_logits"], out["frames_to_words"]
        assert start_logits is not None and end_logits is not None and f2w_all is not None
        p_start = torch.softmax(start_logits[0], dim=-1)
        p_end = torch.softmax(end_logits[0], dim=-1)
        frac = self.config.max_moment_fraction
        max_steps = None if frac is None else max(1, math.ceil(frac * steps))
        pairs, scores = parts.best_pairs(p_start, p_end, self.config.num_proposals, max_steps)
        proposals = parts.steps_to_fractions(pairs, steps).cpu().numpy()
        f2w = f2w_all[0].cpu().numpy()  # (T, M)
        w2f_all = out["words_to_frames"]
        w2f = None if w2f_all is None else w2f_all[0].cpu().numpy()
        word_time = w2f if w2f is not None else f2w.T
        return ModelOutput(
            proposals=proposals,
            scores=scores.double().cpu().numpy(),
            word_time=np.asarray(word_time, dtype=np.float32),
            stages=self._stages(out, tokens, steps, p_start, p_end),
        )

    def _stages(self, out, tokens: list[str], steps: int, p_start, p_end) -> list[AttentionStage]:
        """Every attention map of one inference, time axes labelled in feature steps."""
        times = [str(i) for i in range(steps)]
        first = lambda key: out[key][0].cpu().numpy()  # noqa: E731
        stages = [
            AttentionStage("video self-attention", first("video_self"), times, times, ("time", "time"),
                           "Eq. 4: each step (row) attends to every step of the video."),
            AttentionStage("query self-attention", first("query_self"), list(tokens), list(tokens), ("word", "word"),
                           "Eq. 3: each word (row) attends to the other words."),
            AttentionStage("frames -> words", first("frames_to_words"), times, list(tokens), ("time", "word"),
                           "Eq. 7: query-enriched video; each step (row) gathers the words it matches."),
        ]  # fmt: skip
        if out["words_to_frames"] is not None:
            stages.append(
                AttentionStage("words -> frames", first("words_to_frames"), list(tokens), times, ("word", "time"),
                               "Eq. 8: video-enriched query; each word (row) gathers the steps it matches.")
            )  # fmt: skip
        rows = [p_start.cpu().numpy(), p_end.cpu().numpy()]
        names = ["P_start", "P_end"]
        if out["inside_logits"] is not None:
            rows.append(torch.sigmoid(out["inside_logits"][0]).cpu().numpy())
            names.append("P_in")
        stages.append(
            AttentionStage("start / end / inside", np.stack(rows), names, times, ("output", "time"),
                           "Eqs. 14-15: start and end distributions over time, and each step's inside probability.")
        )  # fmt: skip
        return stages
