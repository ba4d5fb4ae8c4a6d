"""WSRA: Weakly-Supervised Referring Attention for temporal-textual association (paper: wsra.txt).

Training sees (video, sentence) pairs only. A scoring function phi(v, t) = Sigmoid(FC(Cat(v, t))) rates every
snippet against the query; its softmax over time is the referring attention alpha (eq. 2), which pools a
foreground and a background feature (eq. 1). Three losses shape it (eq. 8):
L = 0.1 L_video (eq. 3) + 1 * sum_videos L_snippet (eqs. 4-5) + 0.1 L_batch (eqs. 6-7).
Inference ranks sliding windows by the attention inside them (``wsra_moments``).

What v and t are (section 3): v_t is snippet t's visual feature embedded in a d-dim joint space
(``SnippetEncoder``); t is the query's sentence feature. The paper averages GPT-2 outputs over blocks (and tokens)
into one vector; here the text encoder gives per-word vectors (M, E) (minilm: averaged over layers) and the
sentence feature is their mean over the real words, embedded by a *linear* map, so the sentence embedding is
exactly the mean of the word embeddings and the per-word attention (``word_time``) lives in the same space.

Choices where the paper is silent (each also noted where it is coded):
- Two scoring functions with independent parameters (Fig. 2): ``attention_scorer`` gives alpha (eq. 2) and the
  snippet-level scores of eqs. 4-5 (so that L_snippet alone trains the attention used at inference, as Table 1's
  "L_snippet only" row requires); ``match_scorer`` scores the pooled v_f / v_b against t in eq. 3.
- Negatives of video j: the batch's other sentences, except those of the same video (equal ``video_ids``),
  filtered by top/last-K on the cosine of the frozen sentence features; plus every valid text-only negative
  (``neg_words``), always kept: they differ from the positive by a word or two, so top-K would call them
  pseudo-positives, which they are not by construction.
- The cosines of eqs. 6-7 and of the top/last-K sort use the frozen encoder features (no gradient), as the paper
  measures semantic similarity with the language model.
- Option ``video_negatives`` (off by default = the paper): eq. 3 also contrasts the query's pooled foreground with
  the foreground each sampled negative sentence pools for itself (a multiple-instance contrast across sentences).
  On Shapes-STA (1,000 train videos, 140 steps, 150 val videos) it raised val R1@0.5 from about 27% to 38% when
  L_snippet is averaged over videos (``snippet_reduction="mean"``); see checkpoints/wsra-shapes-sta/config.json.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import torch
from torch import nn

from vlanet_core.errors import EmptyQueryError, FeatureSizeError
from vlanet_core.models.base import ModelOutput, MomentModel, WeakBatch
from vlanet_core.models.wsra_layers import (
    CrossModalScorer,
    SnippetEncoder,
    background_weights,
    foreground_background,
    masked_mean,
    referring_weights,
)
from vlanet_core.models.wsra_losses import (
    batch_level_loss,
    log_one_plus_sum_exp,
    sentence_cosine,
    snippet_level_loss,
    top_last_k_split,
    video_level_loss,
)
from vlanet_core.models.wsra_moments import WINDOW_SCORES, window_attention_scores
from vlanet_core.proposals import sliding_windows
from vlanet_core.registry import MODELS
from vlanet_core.results import AttentionStage


@dataclass
class WSRAConfig:
    """Everything that rebuilds a WSRA model (JSON-serialisable)."""

    feature_dim: int = 512  # visual feature size C; the trainer sets it from the backbone's .dim
    word_dim: int = 384  # text vector size E: "minilm" layer-averaged token features (GloVe would be 50)
    embed_dim: int = 256  # joint space d of v_t and t; the paper does not give it
    scorer_hidden: int = 256  # hidden units of phi's FC; one hidden layer lets Cat(v, t) interact through ReLU
    scorer_product: bool = False  # add v * t to phi's input (not in the paper); off = the paper's Cat(v, t)
    share_scorer: bool = False  # one phi for alpha and eq. 3 (False: two independent ones, as in Fig. 2)
    temporal_kernel: int = 1  # 1 = per-snippet embedding as in the paper; odd k > 1 = k-step temporal context
    dropout: float = 0.1  # on the snippet embedding and phi's hidden layer; small datasets overfit
    attention_temperature: float = 1.0  # alpha = softmax(phi / this); 1.0 is eq. 2 exactly
    margin: float = 0.1  # m of eqs. 3, 5, 7; unstated in the paper; phi and cosines live in [-1, 1]
    tau: float = 1.0  # temperature of eqs. 3, 5, 7; the paper fixes it at 1
    top_k: int = 3  # pseudo-positives removed from the negatives (section 3.2.1: K = 3)
    last_k: int = 3  # easy negatives dropped (K = 3; Fig. 6 found last-K = 2 slightly better on DiDeMo)
    video_weight: float = 0.1  # alpha of eq. 8
    snippet_weight: float = 1.0  # beta of eq. 8
    batch_weight: float = 0.1  # delta of eq. 8
    use_video_loss: bool = True  # Table 1 ablation switches
    use_snippet_loss: bool = True
    use_batch_loss: bool = True
    snippet_reduction: str = "sum"  # eq. 8 sums L_snippet; "mean" over videos keeps its scale batch-size free
    detach_pair_weights: bool = True  # betas of eq. 5 act as pair weights, without gradient through them
    # Not in the paper (off = eq. 3 as written): eq. 3 also contrasts phi(v_f, t+) with phi(v_f^-, t^-), where v_f^-
    # is the foreground the attention pools for each sampled negative sentence t^- (the snippet term's negatives).
    # Eq. 3 alone compares fore and background under the *same* query, which the attention satisfies by pooling
    # anything; across sentences, only the snippets where the event happens tell t+ from its text-only negatives.
    video_negatives: bool = False
    window_scales: list[float] = field(default_factory=lambda: [0.2, 0.3, 0.4, 0.5])  # section 4.2
    window_overlap: float = 0.8  # section 4.2
    window_score: str = "contrast"  # how a window's "attention weight score" is read; see wsra_moments

    def __post_init__(self) -> None:
        if self.feature_dim < 1 or self.word_dim < 1 or self.embed_dim < 1 or self.scorer_hidden < 1:
            raise ValueError("WSRAConfig sizes must be positive")
        if not (self.use_video_loss or self.use_snippet_loss or self.use_batch_loss):
            raise ValueError("WSRAConfig: at least one of the three losses must be on")
        if self.snippet_reduction not in ("sum", "mean"):
            raise ValueError(f"snippet_reduction must be 'sum' or 'mean', got {self.snippet_reduction!r}")
        if self.window_score not in WINDOW_SCORES:
            raise ValueError(f"window_score must be one of {WINDOW_SCORES}, got {self.window_score!r}")
        if self.attention_temperature <= 0 or self.tau <= 0:
            raise ValueError("attention_temperature and tau must be positive")
        self.window_scales = [float(s) for s in self.window_scales]


@MODELS.register("wsra", weak=True)
class WSRA(MomentModel):
    """The WSRA model; ``loss`` returns {"loss", "video", "snippet", "batch"} (the last three unweighted)."""

    weak = True
    trainable = True
    config_class = WSRAConfig

    def __init__(self, config: WSRAConfig) -> None:
        super().__init__(config)
        d = config.embed_dim
        self.snippets = SnippetEncoder(config.feature_dim, d, config.temporal_kernel, config.dropout)
        self.text_embed = nn.Linear(config.word_dim, d)  # linear: embed(mean of words) = mean of embedded words
        self.attention_scorer = CrossModalScorer(d, config.scorer_hidden, config.scorer_product, config.dropout)
        # one module under one name only: safetensors refuses tensors shared between two keys
        self.match_scorer = (
            None
            if config.share_scorer
            else CrossModalScorer(d, config.scorer_hidden, config.scorer_product, config.dropout)
        )

    # ---------------------------------------------------------------- shared forward pieces
    def _check_sizes(self, video: torch.Tensor, words: torch.Tensor) -> None:
        if video.shape[-1] != self.config.feature_dim:
            raise FeatureSizeError(
                f"WSRA was built for {self.config.feature_dim}-d visual features, got {video.shape[-1]}-d"
            )
        if words.shape[-1] != self.config.word_dim:
            raise FeatureSizeError(f"WSRA was built for {self.config.word_dim}-d word vectors, got {words.shape[-1]}-d")

    def attend(
        self, video: torch.Tensor, video_mask: torch.Tensor, sentence: torch.Tensor
    ) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor, torch.Tensor, torch.Tensor]:
        """Eqs. 1-2 for a batch: ``video`` (B, T, C), ``video_mask`` (B, T), ``sentence`` (B, E) raw features.

        Returns (snippets v (B, T, d), query t (B, d), alpha (B, T), v_f (B, d), v_b (B, d)).
        """
        v = self.snippets(video, video_mask)
        t = self.text_embed(sentence)
        phi = self.attention_scorer(v, t[:, None, :])  # (B, T)
        alpha = referring_weights(phi, video_mask, self.config.attention_temperature)
        fore, back = foreground_background(v, alpha, video_mask)
        return v, t, alpha, fore, back

    # ---------------------------------------------------------------- training
    def loss(self, batch: WeakBatch) -> dict[str, torch.Tensor]:
        """Eq. 8 on a ``WeakBatch``; keys: "loss" (weighted total), "video", "snippet", "batch" (detached terms)."""
        cfg = self.config
        self._check_sizes(batch.video, batch.words)
        video_mask = batch.video_mask.bool()
        word_mask = batch.word_mask.bool()
        sentence = masked_mean(batch.words, word_mask, dim=1)  # (B, E) frozen sentence features
        v, t, alpha, fore, back = self.attend(batch.video, video_mask, sentence)
        zero = v.new_zeros(())
        terms = {"video": zero, "snippet": zero, "batch": zero}

        if cfg.use_video_loss and not cfg.video_negatives:  # eq. 3
            match = self.match_scorer if self.match_scorer is not None else self.attention_scorer
            s_pos = match(fore, t)
            s_neg = match(back, t)
            terms["video"] = video_level_loss(s_pos, s_neg, cfg.margin, cfg.tau)

        text_sim = sentence_cosine(sentence, sentence)  # (B, B)
        ids = batch.video_ids.to(text_sim.device)
        other_video = ids[:, None] != ids[None, :]  # same-video sentences are never negatives
        pseudo, hard = top_last_k_split(text_sim, other_video, cfg.top_k, cfg.last_k)

        if cfg.use_snippet_loss or (cfg.use_video_loss and cfg.video_negatives):
            scores, texts, candidates, negatives = self._candidate_scores(batch, v, t, other_video, hard)
            if cfg.use_snippet_loss:  # eqs. 4-5
                terms["snippet"] = self._snippet_term(batch, scores, candidates, negatives)
            if cfg.use_video_loss and cfg.video_negatives:
                terms["video"] = self._video_term_with_negatives(v, t, fore, back, video_mask, scores, texts, negatives)
        if cfg.use_batch_loss:  # eqs. 6-7
            terms["batch"] = batch_level_loss(fore, back, text_sim, pseudo, cfg.margin, cfg.tau)

        total = cfg.video_weight * terms["video"] + cfg.snippet_weight * terms["snippet"]
        total = total + cfg.batch_weight * terms["batch"]
        return {"loss": total, **{name: value.detach() for name, value in terms.items()}}

    def _candidate_scores(
        self, batch: WeakBatch, v: torch.Tensor, t: torch.Tensor, other_video: torch.Tensor, hard: torch.Tensor
    ) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor, torch.Tensor]:
        """phi of every snippet with every candidate sentence of its video.

        Candidates of video j (eq. 4's softmax): its own sentence, the other videos' sentences and its valid
        text-only negatives. Negatives t^- (eq. 5): the hard in-batch ones left by top/last-K, and the text-only
        ones. phi is the attention scorer, so the snippet term trains the attention that inference reads.
        Returns scores (B, T, S), the candidates' embedded texts (B, S, d), candidates (B, S) and negatives (B, S).
        """
        b = v.shape[0]
        scores = self.attention_scorer(v[:, :, None, :], t[None, None, :, :])  # (B, T, B)
        texts = t[None].expand(b, -1, -1)  # (B, B, d): column s is sentence s for every video
        eye = torch.eye(b, dtype=torch.bool, device=v.device)
        candidates = other_video | eye
        negatives = hard & ~eye
        if batch.neg_words is not None and batch.neg_words.shape[1] > 0:
            neg_mask = batch.neg_word_mask.bool() if batch.neg_word_mask is not None else None
            if neg_mask is None:
                neg_mask = torch.ones(batch.neg_words.shape[:3], dtype=torch.bool, device=v.device)
            valid = neg_mask.any(dim=-1)
            if batch.neg_valid is not None:
                valid = valid & batch.neg_valid.bool()
            neg_t = self.text_embed(masked_mean(batch.neg_words, neg_mask, dim=2))  # (B, N, d)
            neg_scores = self.attention_scorer(v[:, :, None, :], neg_t[:, None, :, :])  # (B, T, N)
            scores = torch.cat([scores, neg_scores], dim=-1)
            texts = torch.cat([texts, neg_t], dim=1)
            candidates = torch.cat([candidates, valid], dim=-1)
            negatives = torch.cat([negatives, valid], dim=-1)
        return scores, texts, candidates, negatives

    def _snippet_term(
        self, batch: WeakBatch, scores: torch.Tensor, candidates: torch.Tensor, negatives: torch.Tensor
    ) -> torch.Tensor:
        """Eqs. 4-5 summed (or averaged) over the batch's videos; inputs from ``_candidate_scores``."""
        b = scores.shape[0]
        per_video = snippet_level_loss(
            scores,
            torch.arange(b, device=scores.device),
            candidates,
            negatives,
            batch.video_mask.bool(),
            self.config.margin,
            self.config.tau,
            self.config.detach_pair_weights,
        )
        return per_video.sum() if self.config.snippet_reduction == "sum" else per_video.mean()

    def _video_term_with_negatives(
        self,
        v: torch.Tensor,
        t: torch.Tensor,
        fore: torch.Tensor,
        back: torch.Tensor,
        video_mask: torch.Tensor,
        scores: torch.Tensor,
        texts: torch.Tensor,
        negatives: torch.Tensor,
    ) -> torch.Tensor:
        """Eq. 3 with the sampled negative sentences as extra s_n (option ``video_negatives``).

        ``v`` (B, T, d) snippets, ``t`` (B, d) queries, ``fore`` / ``back`` (B, d) v_f / v_b, ``scores`` (B, T, S)
        phi of every snippet with every candidate, ``texts`` (B, S, d), ``negatives`` (B, S) bool. For each negative
        t^- of video i, eq. 2 with t^- in place of t^i pools its own foreground v_f^-; the terms
        exp(tau (phi(v_f^-, t^-) - phi(v_f^i, t^i) + m)) join eq. 3's sum,
        together with eq. 3's own background terms. Returns a scalar.
        """
        cfg = self.config
        match = self.match_scorer if self.match_scorer is not None else self.attention_scorer
        s_pos = match(fore, t)  # (B,)
        s_back = match(back, t)  # (B,)
        logits = (scores / cfg.attention_temperature).masked_fill(~video_mask[:, :, None], float("-inf"))
        alpha = torch.nan_to_num(torch.softmax(logits, dim=1), nan=0.0)  # (B, T, S): eq. 2 per candidate
        fore_neg = torch.einsum("bts,btd->bsd", alpha, v)  # (B, S, d)
        s_neg = match(fore_neg, texts)  # (B, S)
        terms = cfg.tau * torch.cat([s_back - s_pos, (s_neg - s_pos[:, None]).reshape(-1)]) + cfg.tau * cfg.margin
        mask = torch.cat([torch.ones_like(s_pos, dtype=torch.bool), negatives.reshape(-1)])
        return log_one_plus_sum_exp(terms[None], mask[None])[0]

    # ---------------------------------------------------------------- inference
    @torch.no_grad()
    def infer(self, video: torch.Tensor, words: torch.Tensor, tokens: list[str]) -> ModelOutput:
        """One query on one video: ``video`` (T, C), ``words`` (M, E), ``tokens`` M labels.

        Returns every sliding window (fractions of the feature sequence) scored by ``window_score``;
        ``word_time`` (M, T) is each word's own referring attention (eq. 2 with the word in place of the
        sentence); stages: alpha (T,), the fore/background pooling weights (2, T), the word x time map (M, T).
        """
        if video.ndim != 2 or words.ndim != 2:
            raise ValueError(
                f"infer expects video (T, C) and words (M, E), got {tuple(video.shape)}, {tuple(words.shape)}"
            )
        if words.shape[0] == 0:
            raise EmptyQueryError("the query has no words")
        if video.shape[0] == 0:
            raise ValueError("the video has no feature steps")
        if len(tokens) != words.shape[0]:
            raise ValueError(f"{len(tokens)} tokens for {words.shape[0]} word vectors")
        self._check_sizes(video, words)
        was_training = self.training
        self.eval()
        try:
            return self._infer(video, words, tokens)
        finally:
            self.train(was_training)

    def _infer(self, video: torch.Tensor, words: torch.Tensor, tokens: list[str]) -> ModelOutput:
        cfg = self.config
        device = next(self.parameters()).device
        video = video.to(device=device, dtype=torch.float32)[None]  # (1, T, C)
        words = words.to(device=device, dtype=torch.float32)
        steps = video.shape[1]
        mask = torch.ones(1, steps, dtype=torch.bool, device=device)
        v, _, alpha, _, _ = self.attend(video, mask, words.mean(dim=0, keepdim=True))
        word_phi = self.attention_scorer(v, self.text_embed(words)[:, None, :])  # (M, T)
        word_time = referring_weights(word_phi, mask.expand(words.shape[0], -1), cfg.attention_temperature)

        alpha_np = alpha[0].double().cpu().numpy()
        windows = sliding_windows(steps, cfg.window_scales, cfg.window_overlap)
        scores = window_attention_scores(alpha_np, windows, cfg.window_score)
        times = [str(i) for i in range(steps)]
        pooling = np.stack([alpha_np, background_weights(alpha, mask)[0].double().cpu().numpy()])
        word_time_np = word_time.double().cpu().numpy()
        stages = [
            AttentionStage(
                "referring attention", alpha_np, times, None, ("time",),
                "alpha_t (eq. 2): softmax over time of phi(snippet, sentence); windows are ranked by it",
            ),
            AttentionStage(
                "foreground / background", pooling, ["foreground", "background"], times, ("pool", "time"),
                "weights of v_f (alpha_t) and v_b ((1 - alpha_t) / (T - 1)) in eq. 1",
            ),
            AttentionStage(
                "word x time", word_time_np, list(tokens), times, ("word", "time"),
                "each word's own referring attention over time (eq. 2 with the word as the query)",
            ),
        ]  # fmt: skip
        return ModelOutput(
            proposals=windows.astype(np.float64) / steps,
            scores=scores,
            word_time=word_time_np,
            stages=stages,
        )
