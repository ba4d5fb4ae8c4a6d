"""VLANet's configuration: every field rebuilds the model and is JSON-serialisable (tuples come back as lists)."""

from __future__ import annotations

from dataclasses import dataclass

_CHOICES = {
    "score_reduce": ("sum", "mean", "attention"),
    "negative_reduction": ("mean", "max"),
    "negative_vcomp": ("recompute", "positive"),
    "localisation": ("all", "cross", "last"),
    "proposal_features": ("mean", "contrast"),
    "query_rnn": ("forward", "bidirectional"),
}


@dataclass
class VLANetConfig:
    """Hyper-parameters of VLANet; defaults fit Shapes-STA features at 0.5 s per step (videos of 30-80 steps,
    events of 5-24 steps). The paper's Charades-STA setting was stride 8 frames and windows (176, 208, 240)
    frames over C3D features taken every 16 frames."""

    feature_dim: int = 512  # visual feature size C; set from the backbone's ``dim``
    word_dim: int = 50  # GloVe 6B 50-d, the paper's word embedding
    hidden_dim: int = 256  # joint space D (GRU hidden size and proposal FC output); the paper does not give D
    dropout: float = 0.1  # on the input features and words; the videos repeat across epochs
    # "forward": eq. 1's GRU. "bidirectional" (beyond the paper): two GRUs of D/2 each, one reading the sentence
    # forwards and one backwards, concatenated, so every word's state has seen the whole sentence; w_M is then the
    # forward state at the last word joined to the backward state at the first (each direction's summary). With
    # the forward GRU the states before "left" and "right" in "... moves to the left/right" are identical, so only
    # w_M can carry the direction, one vote in eq. 13's mean (benchmarks/direction_probe.py, README "VLANet: what
    # it reads, and direction").
    query_rnn: str = "forward"

    # proposals (Sec. 3.2), in feature steps
    stride_steps: int = 2  # 1 s between group starts: boundaries within 1 step of an event's start
    # chosen on val: (12, 24) = 6 and 12 s. Four scales (6, 10, 15, 22), ratios ~1.5 so that every event had a window
    # at IoU >= 0.7, reached val R1@0.5 29.2 after 7 epochs; two scales (8, 16) 36.1 and (12, 24) 40.0 after 5 (the
    # surrogate is picked by its cosine to w_M, which knows little about an event's extent: fewer scales give it
    # fewer wrong lengths to pick, and longer ones suit the longer events). README "VLANet" has the runs.
    window_steps: tuple[int, ...] = (12, 24)
    window_fractions: tuple[float, ...] | None = None  # relative mode: lengths as fractions of the video, overrides

    # "mean": eq. 2, the mean of the proposal's steps. "contrast": that mean minus the mean of the rest of the
    # video. An option beyond the paper: on Shapes-STA most of a video is static, so the eq. 2 mean of every
    # proposal carries the same appearance, and a whole-video average wins the contrast of eq. 14 without any
    # localisation (measured: the attention peak fell inside the moment for 35% of val queries). Contrast features
    # of proposals outside the moment point away from it, so spreading the attention cancels the signal.
    proposal_features: str = "mean"
    # ablations of Table 3
    use_surrogate: bool = True  # False: every K x L proposal goes through CCA ("w/o surrogate")
    use_self_attn: bool = True  # V2V and Q2Q, eqs. 9-10
    use_cross_attn: bool = True  # eqs. 11-12

    # Cascaded Cross-modal Attention (Sec. 3.4)
    # pairs of (V <- A(V,Q), Q <- A(Q,V)); each step has its own W1, W2. Chosen on val (300 videos, shipped settings
    # otherwise): R1@0.5 after 3 epochs 35.0 (1 step), 35.2 (2), 34.9 (3); after 5, 40.0 (1) and 37.3 (2)
    cross_steps: int = 1
    final_q2v: bool = True  # end with V <- A(V,Q): the intro's "Q2V, V2Q, then attended Q to attended V"
    attention_rescale: bool = False  # eq. 8 as written; True: N x softmax keeps V's scale (see DenseAttention)
    normalize_energy_inputs: bool = True  # energies on unit rows: weights compound in v_comp, not in the tanh
    temperature_init: float = 1.0  # starting value of that scale (1: eq. 8 exactly at initialisation)
    learn_temperature: bool = True  # a learned scale on each attention's energies; eq. 7 caps them at +-M words
    proj_dim: int = 128  # width of W1, W2 in every VLA function
    share_vla: bool = False  # eq. 13's E is the last Q2V attention's E (same W1, W2); see vlanet_cascade.py
    score_reduce: str = "mean"  # c = mean_m tanh(.) in [-1, 1]: one margin fits sentences of any length
    # "attention": c = sum_m a_m tanh(.) in [-1, 1], a = the attended query's word weights (eq. 12's last softmax;
    # the mean without cross-attention). Eq. 13 scores the *attended* Q, whose rows eq. 8 scales by those weights;
    # normalising the energy's inputs (``normalize_energy_inputs``) removes that scale, so under the plain mean
    # eq. 12 does not reach c at all and every word has one equal vote: a sentence that differs from another in one
    # word ("left" / "right") can move c by at most 2/M, below the margin for M >= 7, and the direction of a move
    # was never learned (benchmarks/direction_probe.py). The weights give the vote back to the words the video
    # attends. Needs ``negative_vcomp="recompute"``.

    # contrastive loss (eq. 14)
    margin: float = 0.3  # Delta, on c in [-1, 1]
    num_negatives: int = 8  # in-batch negatives sampled per pair and side (0: every other video of the batch)
    negative_reduction: str = "mean"  # average the hinge over negatives, or keep the hardest ("max")
    negative_vcomp: str = "recompute"  # negative pair scored as its own c(V, Q-), or "positive": E(v_comp(V,Q+),Q-)
    weight_query_negatives: float = 1.0  # video with other videos' sentences
    weight_video_negatives: float = 1.0  # sentence with other videos
    weight_hard_negatives: float = 1.0  # video with text-only hard negatives (``neg_words``), when the batch has them
    # Beyond the paper (0: off, eq. 14 alone): when a batch holds a second form of each video (``video_alt``: the
    # clip written with a codec and decoded; ``train --feature-variants ... --set weight_consistency=W``), add W x
    # the symmetric KL divergence between the two forms' localisation (each group's share, as ``localisation``
    # reads it) and between their scale choices (softmax over the L cosines to w_M at
    # ``consistency_temperature``), so the top-1 moment stays put when only the pixels' encoding changes.
    weight_consistency: float = 0.0
    consistency_temperature: float = 0.05
    # Beyond the paper (0: off): when a batch holds each video played backwards (``video_reversed``; ``train --set
    # weight_reversed_negatives=W`` with the default backbone), add W x the hinge of eq. 14 with that reversed video
    # as one more negative of the pair's sentence. It keeps every state the clip passes through (an object that grew
    # is large for the rest of the clip either way) and turns each event into its opposite, so it cannot be beaten
    # by attending to the state an event leaves behind, only to the change. Built from the video alone, never from
    # times. Known noise: an action that reads the same backwards (a blink) gives a negative that cannot be beaten.
    weight_reversed_negatives: float = 0.0

    # inference
    localisation: str = "all"  # which V attention weights rank proposals: product of all, of cross only, last
    # read by the predictor (NMS over the K x L proposals for its top-k). 0.4, chosen on val (300 videos, the
    # forward-GRU model shipped before): R5@0.5 at 0.2 / 0.25 / 0.3 / 0.4 / 0.5: 71.0 / 72.2 / 74.9 / 76.6 / 73.2,
    # R5@0.7 23.6 ... 30.7 / 44.5; R@1 does not depend on it. The R@5 target is at IoU 0.5, and with two
    # window scales the top 5 at 0.5 were mostly one event's nested neighbours. The checkpoint shipped now
    # (bidirectional query, reversed negatives) sets 0.5, chosen the same way (R5@0.5 at 0.4 / 0.5 / 0.6: 77.9 /
    # 83.8 / 83.6)
    nms_threshold: float = 0.4

    def __post_init__(self) -> None:
        self.window_steps = tuple(int(w) for w in self.window_steps)
        if self.window_fractions is not None:
            self.window_fractions = tuple(float(f) for f in self.window_fractions)
        for name, allowed in _CHOICES.items():
            if getattr(self, name) not in allowed:
                raise ValueError(f"VLANetConfig.{name} must be one of {allowed}, got {getattr(self, name)!r}")
        if self.stride_steps < 1:
            raise ValueError(f"VLANetConfig.stride_steps must be >= 1, got {self.stride_steps}")
        if not self.window_steps or min(self.window_steps) < 1:
            raise ValueError(f"VLANetConfig.window_steps must be positive lengths, got {self.window_steps}")
        if self.score_reduce == "attention" and self.negative_vcomp != "recompute":
            raise ValueError("VLANetConfig.score_reduce 'attention' needs negative_vcomp 'recompute' (word weights)")
        if self.query_rnn == "bidirectional" and self.hidden_dim % 2:
            raise ValueError(f"VLANetConfig.query_rnn 'bidirectional' needs an even hidden_dim, got {self.hidden_dim}")
        if self.cross_steps < 0:
            raise ValueError(f"VLANetConfig.cross_steps must be >= 0, got {self.cross_steps}")

    @property
    def num_scales(self) -> int:
        """L: windows per segment group."""
        return len(self.window_fractions) if self.window_fractions is not None else len(self.window_steps)
