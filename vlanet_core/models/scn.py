"""SCN, the Semantic Completion Network (Lin et al., AAAI 2020): weakly supervised, trained on (video, sentence) only.

Equation -> code (paper numbering):
- eq. 1 ``c = Dec_v(v, Enc_q(q))``: ``generate`` (text encoded by the stack, video decoded against it).
- eq. 2 ``SC_t = sigmoid(W_s c_t + b_s)``: ``score_head``; candidates ``(t - r_k n_v, t)`` in ``scn_parts``.
- eq. 3 ``p = lambda1 exp(-n_update / lambda2)`` + top-K with NMS: ``scn_parts.select_proposals``; ``n_update`` is
  a buffer (saved in checkpoints) that ``loss`` increments once per call in training mode.
- eq. 4 ``f^k = Dec_q(q^, Enc_v(v^k))``: ``complete``; masking in ``scn_parts.choose_masked_words``.
- eq. 5 ``e_i = W_v f_i + b_v``: ``word_out`` then dot products with the vocabulary (see below).
- eqs. 6-7 reconstruction NLL: ``_reconstruction``; rewards from its ranks and eq. 8: ``scn_parts``.
- eq. 9 ``L = 1/K sum_k (L_rec^k + beta L_ran^k)``: ``loss`` (averaged over the batch too).

Choices where the paper is silent, or where this project's data differs:
- Vocabulary. Batches hold GloVe vectors, not word ids, so the vocabulary of eq. 5 is the batch's distinct word
  vectors: energies are ``word_out(f_i) . word_in(w_j)`` for every distinct word ``w_j`` of the batch (output
  weights tied to the input projection), and the target is the true word's index. Works for any vocabulary with
  no id table in the checkpoint; the ranking task is easier with small batches, but the rewards only compare the
  K proposals of one sentence, which all face the same vocabulary.
- Masking without POS tags. A third of the words are replaced by a learned mask vector; words that appear in many
  of the batch's sentences (the, a, to) count as function words and content words are ``mask_content_boost``
  times as likely to be drawn (``scn_parts.content_word_weights``).
- Eqs. 6-7 are written as next-word prediction, but the decoder is bidirectional on the masked sentence, which
  would see the next word; we follow the text ("the negative log-likelihood of each masked word") and score the
  masked positions, averaged over them (a sum would weigh long sentences more). The "w/o mask" ablation is
  the captioning generator the paper compares with: no mask, a causal decoder, next-word prediction.
- Rank loss: eq. 8 is a softmax over the K selected confidences. Over sigmoid outputs in (0, 1) that softmax
  can never come near the reward distribution, so its gradient stays weak (scaled by the sigmoid's slope); by
  default (``rank_on_logits``) it runs on the pre-sigmoid scores, which the sigmoid maps monotonically to the
  confidences, so the ranking is the same. With the paper's choices (sigmoid, beta 0.1) the generator of the
  toy in ``tests/test_scn_model.py`` was still at chance after 400 updates; with logits and beta 1 it learned in
  ~150. Gradients reach the generator only through eq. 8 (the selection is discrete).
- Inference scores every valid candidate with the generator's sigmoid confidence (eq. 2): the completion module
  needs the sentence masked and K forward passes, and its job in the paper is only to train the generator.
  ``word_time`` is the textual decoder's cross-attention (words -> frames) on the whole video, query unmasked.

Shapes-STA recipe (the defaults above stay the paper's; these are ``--set`` values, each one a setting the paper
leaves open or gives for other data). On Shapes-STA an object's colour and shape are visible nearly the whole video,
so only the action / direction words ("moves", "left", "grows", "disappears") can be completed better from the
right span. Diagnosis (1000 train videos, 200 val videos, completion module alone, 600 updates): trained on the
true spans it does learn them (NLL of the masked action words 1.76 on the true span vs 2.22 on a random span of the
same length); trained on random spans it never does (2.02 vs 2.01). Inside full SCN training the reward ranking of
the K proposals hardly followed their IoU with the true span (correlation of -L_rec with IoU 0.01-0.09 over the
first 900 updates), so the generator got next to no signal (shipped model: test R1@0.5 20.7). What raised it:
- ``dropout=0``: the K reconstruction losses of one sentence are compared with each other, and independent dropout
  masks in the K passes add noise of the size of the gaps between them (correlation 0.09-0.14 instead of 0.01-0.07).
- ``function_word_df=0.15, mask_content_boost=10``: the colours (each in about 17% of the sentences), shapes (about
  33%) and "the / a / is / to" become "function words", so the masked words are mostly the rarer action and direction
  words: the nouns and verbs the paper masks more often, for this vocabulary (correlation up to 0.20).
- ``beta=5``: even with oracle rewards (ranks by true IoU) the generator learnt slowly with beta 1 (val R1@0.5
  0.22 after 450 updates); with beta 5 and type-pooled input scaling 0.28.
- input standardisation ``--feature-std-pooling type --feature-min-std 0.01`` (as for WSRA and VLANet), so the
  slow rate channels (grow, shrink, appear, disappear) reach the model as strongly as the motion channels.
Trained with these on all train videos (16 epochs x 200 updates, lambda2=600, lr 1e-3) the best val epoch gave
test R1@0.5 28.2 (R1@0.3 50.3, mIoU 31.4); 17 more epochs from it at lr 5e-4 did not beat its val R1@0.5
(0.318 vs 0.338, on 598 val queries, standard error about 0.02). The generator still prefers the shortest ratio
(72% of val top-1 answers) and barely adapts the length to the event (correlation of predicted and true length 0.05
on val), and only 48% of its centres fall within 0.1 of the video of the true centre.

``reward_complement`` (not in the paper; 0 keeps the paper's rewards): a span inside the event completes the action
words as well as the whole event does, so the paper's rewards cannot ask for the event's extent. With w > 0 the K
proposals are ranked by ``L_rec(proposal) - w * L_rec(rest of the clip)``: the same completion module, run without
gradient on the clip with the proposal's steps hidden, so a proposal that leaves part of the event outside is
ranked down (the idea of the complement as a negative of later weakly supervised work). The module is still trained
on the proposals only (eqs. 6-7). Measured with the previous checkpoint's (w = 0) completion module on 8 random
candidates of each of the first 200 val videos' queries (one-off script): within-query rank correlation of the
reward with the candidates' IoU 0.267 (w = 0) / 0.276 (w = 2); IoU of the best-rewarded candidate 0.296 / 0.322,
and at least 0.5 for 26.8% / 31.4% of the queries (random candidates: mean IoU 0.209).
Trained from scratch with the recipe above and w = 2 (16 x 200 updates of batch 64, seed 0), the best val epoch
(R1@0.5 0.385) scored test R1@0.5 35.0 (R1@0.3 54.9, mIoU 35.1): the checkpoint shipped on 2026-12-07 until
``whole_clip_completion`` (below) replaced it the same day. Without
the term the same command (12 epochs) peaked at 0.324 on val and scored 26.2 on test; the previous checkpoint
(batch 32, 16 epochs, w = 0) 0.338 and 28.2; a second seed with w = 2 (12 epochs) 0.334 and 32.2. That
model's top-1 takes the shortest ratio for 63% of val queries (73% for the previous checkpoint) and its mean length
matches the events' (6.7 s against 6.6 s; 5.4 s before); its centres fall inside the event no more often (55%).

``complement_margin`` (not in the paper; 0 = off): the rewards are only as good as the completion module's sense
of place, and eqs. 6-7 train it on the selected proposals alone, so nothing asks it to complete the words *worse*
from the wrong part of the clip. With m > 0 a hinge ``max(0, m + L_rec(best) - L_rec(rest of the clip))`` on each
sentence's best-ranked proposal (the idea of the hard negative of later weakly supervised work, e.g. contrastive
proposal learning) is added to eq. 9 with weight ``complement_margin_weight``, its gradient reaching the
completion module through both terms; ``reward_complement`` then ranks with a module trained to separate the two.
With the paper's reading of eq. 4 (the proposal's frames cut out, positions from 0) the two are not alike: the rest
is the whole clip with the proposal hidden, at positions the module never reads a proposal at, and the hinge held
from the first updates (0.01-0.06 at m = 0.5 and 0.02-0.12 at m = 1.5 over updates 100-250, against 0.49 at
update 0; so it taught little).
``proposal_in_place`` reads the proposal in the rest's form (the whole clip, every step outside it hidden), and the
hinge then stays active (0.19 after 50 updates at m = 0.5). Neither helped (seed 0, the Shapes-STA recipe with
w = 2 otherwise; val R1@0.5 on 200 val videos): the in-place hinge stalled the generator (19-21 over six epochs),
the in-place reading alone peaked at 34.3 in 16 epochs against the 38.5 of the run it was compared with. Both stay
off by default.

``whole_clip_completion`` (not in the paper; 0 = off): eqs. 6-7 train the completion module only on the K proposals the
generator picks, so early on, and whenever the picks miss the event, it learns to complete the words from frames that do
not show them, and its rewards stay weak (above: trained on random spans it never learns the action words). With w > 0
each sentence's masked words are also completed from its whole clip, read like a proposal (the clip is one), and w x
that L_rec is added to eq. 9. The clip always holds the event, whatever the generator picks, so the module learns where
the words are seen; the rewards still compare the K proposals only. Measured (one-off script, 8 random candidates for
each of the first 200 val videos' 598 queries, one fixed masking; rewards with reward_complement 2): the within-query
rank correlation of the reward with the candidates' IoU is 0.43 with the completion module trained this way (w = 1)
against 0.24 with the one of the checkpoint it replaced (w = 0), and the best-rewarded candidate reaches IoU >= 0.5 for
38.6% of the queries against 32.9% (ranked by L_rec alone: 0.41 against 0.24, and 33.4% against 25.9%). Trained from
scratch with w = 1 and the recipe above otherwise (reward_complement 2, batch 64, seed 0, 16 x 200 updates), val R1@0.5
rose to 45.5 at the last epoch (the run without it peaked at 38.5) and the kept epoch scores test R1@0.5 40.8 (R1@0.3
63.6, mIoU 41.3; the checkpoint before: 35.0, 54.9, 35.1): the checkpoint shipped since 2026-12-07 (evening). w = 3
learnt slower (val 19.4, 22.4, 23.6, 24.4, 26.1 over five epochs; stopped), and w = 1 with ``proposal_in_place`` too
(16.6, 20.1; stopped). A second seed reached val 41.3 and test 36.2 after 12 epochs (33.4 and 32.2 for that seed
without the term) and val 42.3 and test 39.6 after 16: the gain holds across seeds.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import torch
import torch.nn.functional as F
from torch import nn

from vlanet_core.errors import FeatureSizeError
from vlanet_core.models import scn_parts as parts
from vlanet_core.models.base import ModelOutput, MomentModel, WeakBatch
from vlanet_core.models.scn_layers import EncoderDecoderStack, sinusoidal_positions
from vlanet_core.registry import MODELS
from vlanet_core.results import AttentionStage


@dataclass
class SCNConfig:
    """Everything that rebuilds an SCN model (JSON-serialisable). Defaults: the paper's Charades-STA settings
    except the Transformer size (256 / 3 layers in the paper, halved for small data and CPU training) and the
    rank loss (``beta``, ``rank_on_logits``: see the module docstring)."""

    feature_dim: int = 500  # visual feature size C (PCA'd C3D in the paper); set from the backbone
    word_dim: int = 50  # GloVe 6B 50d, the project's default text vectors
    hidden_dim: int = 128  # paper: 256
    num_heads: int = 4  # hidden_dim must divide by it
    num_layers: int = 2  # paper: 3
    dropout: float = 0.1  # the paper gives none; standard Transformer value
    ratios: list[float] = field(default_factory=lambda: [0.167, 0.25, 0.333, 0.5])  # paper's Charades-STA r_k
    top_k: int = 4  # K selected proposals per sentence (paper: 4)
    # the paper gives none; drops near-duplicates, keeps nested proposals of 2x length. Used twice: for the K
    # proposals of training (eq. 3) and, like every model's ``nms_threshold``, by the predictor for its top-k
    nms_threshold: float = 0.5
    lambda1: float = 0.5  # eq. 3 (paper)
    lambda2: float = 2000.0  # eq. 3 (paper), in parameter updates
    beta: float = 1.0  # eq. 9 rank-loss weight; paper 0.1, which left the generator untrained on our toy (see tests)
    mask_ratio: float = 1.0 / 3.0  # share of words masked (paper: one third)
    mask_content_boost: float = 3.0  # how much likelier a content word is to be masked than a function word
    function_word_df: float = 0.3  # a word in more than this share of the batch's sentences is a function word
    share_params: bool = True  # False = "w/o share": separate stacks for generation and completion
    use_exploration: bool = True  # False = "w/o rand": p = 0
    use_reward: bool = True  # False = "w/o reward": one-hot reward for the best proposal
    use_masking: bool = True  # False = "w/o mask": plain captioning (causal decoder, next-word prediction)
    rank_on_logits: bool = True  # eq. 8 on pre-sigmoid scores; False = the paper's sigmoid confidences (learns slower)
    # not in the paper (0 = the paper's rewards): rank each proposal by L_rec(inside) - w * L_rec(rest of the video),
    # so a span that leaves part of the event outside loses reward; see the module docstring
    reward_complement: float = 0.0
    # not in the paper (0 = off): train the completion module to complete the best-rewarded proposal's masked
    # words at least this much better (in NLL) than the rest of its clip does, a hinge weighted by
    # ``complement_margin_weight``; see the module docstring
    complement_margin: float = 0.0
    complement_margin_weight: float = 1.0
    # where eq. 4 reads a proposal: False (default) cuts its frames out (positions restart at 0); True keeps the
    # whole clip with every step outside the proposal hidden from the attention (absolute positions), the same
    # form in which the rest of the clip is read, so the two reconstructions compare like with like
    proposal_in_place: bool = False
    # not in the paper (0 = off): weight of an extra eqs. 6-7 term that completes each sentence's masked words
    # from its whole clip, which always holds the event, so the completion module learns where the words are
    # seen whatever proposals the generator picks; see the module docstring
    whole_clip_completion: float = 0.0

    def __post_init__(self) -> None:
        if self.hidden_dim % self.num_heads or self.hidden_dim % 2:
            raise ValueError(f"hidden_dim {self.hidden_dim} must be even and divisible by num_heads {self.num_heads}")
        if self.top_k < 2:
            raise ValueError("top_k must be at least 2: rewards step from 1 to 0 in steps of 1/(K-1)")
        if self.reward_complement < 0:
            raise ValueError(f"reward_complement must be >= 0, got {self.reward_complement}")
        if self.complement_margin < 0 or self.complement_margin_weight < 0:
            raise ValueError("complement_margin and complement_margin_weight must be >= 0")
        if self.whole_clip_completion < 0:
            raise ValueError(f"whole_clip_completion must be >= 0, got {self.whole_clip_completion}")
        if not self.ratios or not all(0 < r <= 1 for r in self.ratios):
            raise ValueError(f"ratios must be a non-empty list in (0, 1], got {self.ratios}")


@MODELS.register("scn", weak=True)
class SCN(MomentModel):
    """Semantic Completion Network; ``loss`` takes a WeakBatch (only ``video``, ``words`` and their masks)."""

    weak = True
    config_class = SCNConfig
    n_update: torch.Tensor  # () long buffer: parameter updates so far (eq. 3), saved with the weights

    def __init__(self, config: SCNConfig) -> None:
        super().__init__(config)
        d = config.hidden_dim
        self.video_in = nn.Linear(config.feature_dim, d)
        self.word_in = nn.Linear(config.word_dim, d)
        self.modality = nn.Embedding(2, d)  # 0 = video, 1 = text: the shared stack sees both
        self.mask_vector = nn.Parameter(torch.zeros(config.word_dim))  # the "special token" of masked words
        self.drop = nn.Dropout(config.dropout)
        # one stack when shared; a second one only for "w/o share" (never two names for one module: the
        # checkpoint format stores each tensor once)
        self.generator_stack = EncoderDecoderStack(d, config.num_heads, config.num_layers, config.dropout)
        self.completion_stack = (
            None if config.share_params else EncoderDecoderStack(d, config.num_heads, config.num_layers, config.dropout)
        )
        self.score_head = nn.Linear(d, len(config.ratios))  # eq. 2
        self.word_out = nn.Linear(d, d)  # eq. 5's W_v, b_v (into the space of word_in)
        self.register_buffer("n_update", torch.zeros((), dtype=torch.long))

    # ----- embeddings and the two modules ---------------------------------------------------------------------
    def _stack(self, completion: bool) -> EncoderDecoderStack:
        return self.completion_stack if completion and self.completion_stack is not None else self.generator_stack

    def _embed(self, x: torch.Tensor, kind: int) -> torch.Tensor:
        """(B, L, C or E) -> (B, L, D): projection + positions + modality."""
        proj = self.video_in(x) if kind == 0 else self.word_in(x)
        pos = sinusoidal_positions(x.shape[1], proj.shape[-1], device=x.device)
        return self.drop(proj + pos[None] + self.modality.weight[kind])

    def generate(self, video, video_mask, words, word_mask) -> dict[str, torch.Tensor]:
        """Eqs. 1-2. Returns ``logits`` (B, T, n_k) pre-sigmoid confidences, ``query_self`` (B, M, M) and
        ``frames_to_words`` (B, T, M) attention of the last layer."""
        stack = self._stack(completion=False)
        q_enc, q_self, _ = stack(self._embed(words, 1), word_mask)  # Enc_q
        c, _, f2w = stack(self._embed(video, 0), video_mask, q_enc, word_mask)  # Dec_v
        assert f2w is not None  # a decoder always has cross weights
        return {"logits": self.score_head(c), "query_self": q_self, "frames_to_words": f2w}

    def complete(self, video, video_mask, words, word_mask, causal: bool = False):
        """Eq. 4: ``f`` (B, M, D) from (masked) words decoded against the encoded frames, and the words -> frames
        cross-attention (B, M, T')."""
        stack = self._stack(completion=True)
        v_enc, _, _ = stack(self._embed(video, 0), video_mask)  # Enc_v
        f, _, w2f = stack(self._embed(words, 1), word_mask, v_enc, video_mask, causal=causal)  # Dec_q
        assert w2f is not None
        return f, w2f

    # ----- training -------------------------------------------------------------------------------------------
    def _check(self, video: torch.Tensor, words: torch.Tensor) -> None:
        if video.shape[-1] != self.config.feature_dim:
            raise FeatureSizeError(
                f"SCN was built for {self.config.feature_dim}-d video features, got {video.shape[-1]}-d"
            )
        if words.shape[-1] != self.config.word_dim:
            raise FeatureSizeError(f"SCN was built for {self.config.word_dim}-d word vectors, got {words.shape[-1]}")
        if video.shape[-2] == 0 or words.shape[-2] == 0:
            raise FeatureSizeError("SCN needs at least one video step and one word")

    def exploration_p(self) -> float:
        """Eq. 3's current p (0 for the "w/o rand" ablation)."""
        if not self.config.use_exploration:
            return 0.0
        return parts.exploration_probability(int(self.n_update), self.config.lambda1, self.config.lambda2)

    def _select(self, logits, start, end, valid, lengths, p: float) -> torch.Tensor:
        """(B, K) flat indices into the (T * n_k) candidates of each video (eq. 3 + NMS)."""
        conf = torch.sigmoid(logits.detach()).flatten(1).cpu().numpy()
        s, e, ok = start.flatten(1).cpu().numpy(), end.flatten(1).cpu().numpy(), valid.flatten(1).cpu().numpy()
        chosen = []
        for b in range(conf.shape[0]):
            idx = np.flatnonzero(ok[b])
            if idx.size == 0:
                raise FeatureSizeError(f"SCN: video {b} of the batch has no valid candidate (length {int(lengths[b])})")
            spans = np.stack([s[b, idx], e[b, idx] + 1], axis=1).astype(np.float64)
            picks = parts.select_proposals(conf[b, idx], spans, self.config.top_k, p, self.config.nms_threshold)
            chosen.append(idx[picks])
        return torch.as_tensor(np.stack(chosen), dtype=torch.long, device=logits.device)

    def _proposal_frames(self, video, start, end) -> tuple[torch.Tensor, torch.Tensor]:
        """Cut (B, K) proposals out of ``video`` (B, T, C): frames (B*K, L, C) zero-padded and mask (B*K, L)."""
        b, k = start.shape
        lengths = end - start + 1
        span = int(lengths.max())
        offsets = torch.arange(span, device=video.device)
        idx = (start[..., None] + offsets).clamp(max=video.shape[1] - 1)  # (B, K, L)
        mask = offsets < lengths[..., None]
        frames = torch.gather(video, 1, idx.view(b, k * span, 1).expand(-1, -1, video.shape[-1]))
        frames = frames.view(b * k, span, -1) * mask.view(b * k, span, 1)
        return frames, mask.view(b * k, span)

    def _reconstruction(self, f, vocab, targets, use) -> torch.Tensor:
        """Eqs. 5-7: mean NLL of the target words. ``f`` (N, M, D); ``targets`` (N, M) ids; ``use`` (N, M) bool."""
        # scaled like attention logits so the initial energies are O(1) whatever hidden_dim is
        energies = self.word_out(f) @ self.word_in(vocab).T / f.shape[-1] ** 0.5  # (N, M, V)
        nll = F.cross_entropy(energies.transpose(1, 2), targets.clamp(min=0), reduction="none")  # (N, M)
        weights = use.float()
        return (nll * weights).sum(1) / weights.sum(1).clamp(min=1.0)

    def _read_reconstruction(self, frames, frame_mask, shown, word_mask, vocab, targets, use) -> torch.Tensor:
        """Eqs. 4-7 for K readings of each sentence's video: ``frames`` (B*K, L, C) and ``frame_mask`` (B*K, L)
        (sentence b's readings are rows b*K ... b*K + K-1); ``shown`` (B, M, E) the (masked) words, ``targets`` /
        ``use`` (B, M). Returns L_rec (B, K)."""
        k = frames.shape[0] // shown.shape[0]
        f, _ = self.complete(
            frames,
            frame_mask,
            shown.repeat_interleave(k, dim=0),
            word_mask.repeat_interleave(k, dim=0),
            causal=not self.config.use_masking,
        )
        rec = self._reconstruction(f, vocab, targets.repeat_interleave(k, dim=0), use.repeat_interleave(k, dim=0))
        return rec.view(-1, k)

    def _in_place(self, video, visible) -> tuple[torch.Tensor, torch.Tensor]:
        """The whole clip once per reading, ``visible`` (B, K, T) the steps its attention may see (absolute
        positions kept): frames (B*K, T, C) and mask (B*K, T)."""
        b, k, steps = visible.shape
        return video.repeat_interleave(k, dim=0), visible.reshape(b * k, steps)

    def _rest_reconstruction(
        self, video, video_mask, start, end, shown, word_mask, vocab, targets, use
    ) -> torch.Tensor:
        """L_rec (B, K) of the masked words from the rest of each video: the whole clip with the proposal's steps
        hidden from the attention (absolute positions kept). A proposal as long as the clip falls back to the
        whole clip (its contrast is then 0)."""
        rest = video_mask[:, None, :] & ~parts.inside_mask(video_mask, start, end)  # (B, K, T)
        rest = torch.where(rest.any(-1, keepdim=True), rest, video_mask[:, None, :].expand_as(rest))
        return self._read_reconstruction(*self._in_place(video, rest), shown, word_mask, vocab, targets, use)

    def loss(self, batch: WeakBatch) -> dict[str, torch.Tensor]:
        """Eq. 9. Keys: ``loss``; for logs ``rec`` and ``rank`` (batch means), ``explore_p``, ``best_rec``,
        ``margin`` (the complement hinge) and ``whole_rec`` (L_rec from the whole clip; 0 when off)."""
        cfg = self.config
        video, words = batch.video, batch.words
        self._check(video, words)
        video_mask, word_mask = batch.video_mask.bool(), batch.word_mask.bool()
        lengths = video_mask.sum(1)
        steps = video.shape[1]

        logits = self.generate(video, video_mask, words, word_mask)["logits"]  # (B, T, n_k)
        start, end, valid = parts.candidate_spans(lengths, steps, cfg.ratios)
        p = self.exploration_p() if self.training else 0.0
        chosen = self._select(logits, start, end, valid, lengths, p)  # (B, K)
        chosen_logits = logits.flatten(1).gather(1, chosen)
        chosen_start, chosen_end = start.flatten(1).gather(1, chosen), end.flatten(1).gather(1, chosen)
        if cfg.proposal_in_place:
            frames, frame_mask = self._in_place(video, parts.inside_mask(video_mask, chosen_start, chosen_end))
        else:
            frames, frame_mask = self._proposal_frames(video, chosen_start, chosen_end)

        vocab, ids = parts.batch_vocabulary(words, word_mask)
        if cfg.use_masking:
            weights = parts.content_word_weights(ids, word_mask, cfg.function_word_df, cfg.mask_content_boost, 4)
            masked = parts.choose_masked_words(weights, word_mask, cfg.mask_ratio)
            shown = torch.where(masked[..., None], self.mask_vector.to(words.dtype), words)
            targets, use = ids, masked
        else:  # captioning: position i predicts word i + 1 with a causal decoder
            shown = words
            targets = torch.cat([ids[:, 1:], torch.full_like(ids[:, :1], -1)], dim=1)
            use = targets >= 0
        rec = self._read_reconstruction(frames, frame_mask, shown, word_mask, vocab, targets, use)  # (B, K)
        ranked_by = rec.detach()
        margin = torch.zeros((), device=video.device)
        if cfg.reward_complement > 0 or cfg.complement_margin > 0:
            with torch.set_grad_enabled(torch.is_grad_enabled() and cfg.complement_margin > 0):  # only the hinge
                rest = self._rest_reconstruction(video, video_mask, chosen_start, chosen_end, shown, word_mask,
                                                 vocab, targets, use)  # fmt: skip
            ranked_by = ranked_by - cfg.reward_complement * rest.detach()
            if cfg.complement_margin > 0:
                margin = parts.complement_hinge(rec, rest, ranked_by, cfg.complement_margin).mean()
        rewards = parts.rank_rewards(ranked_by, one_hot=not cfg.use_reward)
        scores = chosen_logits if cfg.rank_on_logits else torch.sigmoid(chosen_logits)
        ran = parts.rank_loss(scores, rewards)
        total = (rec + cfg.beta * ran).mean() + cfg.complement_margin_weight * margin
        whole = torch.zeros((), device=video.device)
        if cfg.whole_clip_completion > 0:  # one reading per sentence: the clip itself
            whole = self._read_reconstruction(video, video_mask, shown, word_mask, vocab, targets, use).mean()
            total = total + cfg.whole_clip_completion * whole
        if self.training:
            self.n_update += 1
        return {
            "loss": total,
            "rec": rec.detach().mean(),
            "rank": ran.detach().mean(),
            "best_rec": rec.detach().min(1).values.mean(),
            "margin": margin.detach(),
            "whole_rec": whole.detach(),
            "explore_p": torch.tensor(p),
        }

    # ----- inference ------------------------------------------------------------------------------------------
    @torch.no_grad()
    def infer(self, video: torch.Tensor, words: torch.Tensor, tokens: list[str]) -> ModelOutput:
        """Every valid candidate of one video (T, C) for a query (M, E), scored by eq. 2's confidence."""
        self._check(video, words)
        param = next(self.parameters())
        video = video.to(param.device, param.dtype)[None]
        words = words.to(param.device, param.dtype)[None]
        steps, count = video.shape[1], words.shape[1]
        video_mask = torch.ones(1, steps, dtype=torch.bool, device=param.device)
        word_mask = torch.ones(1, count, dtype=torch.bool, device=param.device)
        gen = self.generate(video, video_mask, words, word_mask)
        conf = torch.sigmoid(gen["logits"][0])  # (T, n_k)
        start, end, valid = parts.candidate_spans(video_mask.sum(1), steps, self.config.ratios)
        start, end, valid = start[0], end[0], valid[0]
        proposals = torch.stack([start[valid].double() / steps, (end[valid].double() + 1) / steps], dim=1)
        _, w2f = self.complete(video, video_mask, words, word_mask)  # words -> frames on the whole video
        word_time = w2f[0].cpu().numpy().astype(np.float32)  # (M, T)
        times = [str(i) for i in range(steps)]
        tokens = list(tokens)
        heat = torch.where(valid, conf, torch.zeros_like(conf)).T.cpu().numpy()  # (n_k, T)
        stages = [
            AttentionStage("text encoder self-attention", gen["query_self"][0].cpu().numpy(), tokens, tokens,
                           ("word", "word"), "Enc_q: each word (row) attends to the other words."),
            AttentionStage("visual decoder: frames -> words", gen["frames_to_words"][0].cpu().numpy(), times, tokens,
                           ("time", "word"), "Dec_v (eq. 1): each step (row) gathers the words it matches."),
            AttentionStage("textual decoder: words -> frames", word_time, tokens, times, ("word", "time"),
                           "Dec_q (eq. 4) on the whole video: each word (row) gathers the steps that complete it."),
            AttentionStage("proposal confidence", heat, [f"ratio {r:g}" for r in self.config.ratios], times,
                           ("ratio", "time"), "Eq. 2: confidence of the candidate of each ratio ending at each step."),
        ]  # fmt: skip
        return ModelOutput(
            proposals=proposals.cpu().numpy(),
            scores=conf[valid].double().cpu().numpy(),
            word_time=word_time,
            stages=stages,
        )
