"""VLANet: each equation on small inputs, masks, the loss, inference outputs, registry and config round trip."""

from __future__ import annotations

import json
from dataclasses import asdict, replace

import numpy as np
import pytest
import torch
import torch.nn.functional as F

from vlanet_core.errors import EmptyQueryError, FeatureSizeError
from vlanet_core.models.base import WeakBatch
from vlanet_core.models.vlanet import VLANet
from vlanet_core.models.vlanet_config import VLANetConfig
from vlanet_core.registry import MODELS

C, E = 12, 50
SMALL = VLANetConfig(feature_dim=C, word_dim=E, hidden_dim=16, proj_dim=8, stride_steps=2, window_steps=(3, 5, 8))


def _model(**changes) -> VLANet:
    torch.manual_seed(0)
    return VLANet(replace(SMALL, **changes)).eval()


def _batch(lengths=(30, 17, 24, 9), word_lengths=(4, 2, 6, 3), hard=0, seed=0) -> WeakBatch:
    g = torch.Generator().manual_seed(seed)
    b, t, m = len(lengths), max(lengths), max(word_lengths)
    video_mask = torch.arange(t)[None] < torch.tensor(lengths)[:, None]
    word_mask = torch.arange(m)[None] < torch.tensor(word_lengths)[:, None]
    batch = WeakBatch(
        video=torch.randn(b, t, C, generator=g) * video_mask[..., None],
        video_mask=video_mask,
        words=torch.randn(b, m, E, generator=g) * word_mask[..., None],
        word_mask=word_mask,
        video_ids=torch.tensor([0, 0] + list(range(1, b - 1))),  # pairs 0 and 1 share a video
    )
    if hard:
        batch.neg_words = torch.randn(b, hard, 5, E, generator=g)
        batch.neg_word_mask = torch.arange(5)[None, None] < torch.randint(1, 6, (b, hard, 1), generator=g)
        batch.neg_valid = torch.ones(b, hard, dtype=torch.bool)
        batch.neg_valid[0, -1] = False
    return batch


def test_registered_as_weak():
    assert MODELS.get("vlanet") is VLANet
    assert MODELS.meta("vlanet")["weak"] is True and VLANet.weak


def test_config_round_trips_through_json():
    config = VLANetConfig(window_fractions=(0.1, 0.3))
    again = VLANetConfig(**json.loads(json.dumps(asdict(config))))
    assert again == config and again.num_scales == 2
    with pytest.raises(ValueError, match="negative_vcomp"):
        VLANetConfig(negative_vcomp="nope")


def test_query_states_unit_norm_and_last_real_state():
    model = _model()
    batch = _batch()
    states, last = model.encode_query(batch.words, batch.word_mask)
    norms = states.norm(dim=-1)
    torch.testing.assert_close(norms[batch.word_mask], torch.ones(int(batch.word_mask.sum())))
    assert torch.all(norms[~batch.word_mask] == 0)
    for i, n in enumerate(batch.word_mask.sum(1).tolist()):  # same as running the sentence alone
        alone, alone_last = model.encode_query(batch.words[i : i + 1, :n], batch.word_mask[i : i + 1, :n])
        torch.testing.assert_close(last[i], alone_last[0])
        torch.testing.assert_close(last[i], states[i, n - 1])


def test_bidirectional_query_states_see_the_whole_sentence():
    model = _model(query_rnn="bidirectional")
    batch = _batch()
    states, last = model.encode_query(batch.words, batch.word_mask)
    assert states.shape[-1] == 16 and torch.all(states.norm(dim=-1)[~batch.word_mask] == 0)
    half = 8
    for i, n in enumerate(batch.word_mask.sum(1).tolist()):  # padding changes nothing; w_M joins both summaries
        raw, _ = model.gru(batch.words[i : i + 1, :n])  # (1, n, 16): forward half, then backward half
        torch.testing.assert_close(states[i, :n], F.normalize(raw[0], dim=-1))
        manual = F.normalize(torch.cat([raw[0, n - 1, :half], raw[0, 0, half:]]), dim=0)
        torch.testing.assert_close(last[i], manual)
    changed = batch.words.clone()
    changed[2, 5] += 1.0  # the last word of sentence 2 (6 words): every state moves, not only the last
    moved, _ = model.encode_query(changed, batch.word_mask)
    assert torch.all((moved[2, :6] - states[2, :6]).norm(dim=-1) > 1e-4)
    forward_only = _model()
    ahead, _ = forward_only.encode_query(batch.words, batch.word_mask)
    ahead_moved, _ = forward_only.encode_query(changed, batch.word_mask)
    torch.testing.assert_close(ahead_moved[2, :5], ahead[2, :5])  # eq. 1's GRU: earlier states cannot see it
    with pytest.raises(ValueError, match="even hidden_dim"):
        VLANetConfig(hidden_dim=15, query_rnn="bidirectional")


def test_proposal_features_are_unit_means():
    model = _model()
    batch = _batch()
    spans, group_mask = model.proposal_grid(batch.video_mask.sum(1).tolist(), batch.video.device)
    feats = model.encode_proposals(batch.video, batch.video_mask, spans)
    b, k, scales, d = feats.shape
    assert (b, scales, d) == (4, 3, 16) and k == group_mask.sum(1).max()
    for i, kk, ll in [(0, 0, 2), (1, 5, 1), (3, 3, 2), (2, 8, 0)]:
        s, e = spans[i, kk, ll].tolist()
        manual = F.normalize(model.proposal_fc(batch.video[i, s:e].mean(0)), dim=0)
        torch.testing.assert_close(feats[i, kk, ll], manual, atol=1e-5, rtol=1e-5)
        assert e <= batch.video_mask[i].sum()


def test_surrogate_is_argmax_and_only_surrogates_get_gradients():
    model = _model()
    words, word_mask = torch.randn(1, 4, E), torch.ones(1, 4, dtype=torch.bool)
    query, last = model.encode_query(words, word_mask)
    proposals = F.normalize(torch.randn(1, 6, 3, 16), dim=-1).requires_grad_()
    zero = torch.zeros(1, dtype=torch.long)
    out, cosine, chosen = model.score_pairs(proposals, torch.ones(1, 6, dtype=torch.bool), query, word_mask,
                                            last, zero, zero)  # fmt: skip
    manual = torch.einsum("kld,d->kl", proposals[0], last[0])
    torch.testing.assert_close(cosine[0], manual)
    assert torch.equal(chosen[0], manual.argmax(-1))
    out.score.sum().backward()
    touched = proposals.grad[0].abs().sum(-1) > 0  # (K, L)
    expected = torch.zeros(6, 3, dtype=torch.bool)
    expected[torch.arange(6), chosen[0]] = True
    assert torch.equal(touched, expected)


def test_v_comp_is_the_sum_of_final_video_rows():
    model = _model()
    video = torch.randn(2, 5, 16)
    mask = torch.tensor([[True] * 5, [True] * 3 + [False] * 2])
    query, q_mask = torch.randn(2, 4, 16), torch.ones(2, 4, dtype=torch.bool)
    out = model.cascade(video, mask, query, q_mask)
    torch.testing.assert_close(out.v_comp, out.video.sum(1))
    assert torch.all(out.video[1, 3:] == 0)
    torch.testing.assert_close(out.score, model.cascade.score_with(out.v_comp, out.query, q_mask))
    names = [n for n, _ in out.video_weights]
    assert names == ["V2V self-attention", "cross 1: video attended by query", "final: video attended by query"]


def test_padding_does_not_change_scores():
    model = _model()
    batch = _batch()
    together = model.similarity(batch.video, batch.video_mask, batch.words, batch.word_mask)
    for i, t in enumerate(batch.video_mask.sum(1).tolist()):
        for j, m in enumerate(batch.word_mask.sum(1).tolist()):
            alone = model.similarity(batch.video[i : i + 1, :t], batch.video_mask[i : i + 1, :t],
                                     batch.words[j : j + 1, :m], batch.word_mask[j : j + 1, :m])  # fmt: skip
            torch.testing.assert_close(together[i, j], alone[0, 0], atol=1e-5, rtol=1e-4)


def test_hinge_is_zero_beyond_the_margin():
    model = _model(margin=0.3)
    positive = torch.tensor([1.0, 0.5])
    negative = torch.tensor([[0.6, 0.65], [0.1, 0.9]])  # 0.9 is not a valid negative
    valid = torch.tensor([[True, True], [True, False]])
    assert model._hinge(positive, negative, valid).item() == 0.0
    negative = torch.tensor([[0.8, 0.9], [0.3, 0.9]])  # row 0: hinges 0.1 and 0.2 -> mean 0.15; row 1: 0.1
    torch.testing.assert_close(model._hinge(positive, negative, valid), torch.tensor(0.125))
    hardest = _model(margin=0.3, negative_reduction="max")
    torch.testing.assert_close(hardest._hinge(positive, negative, valid), torch.tensor(0.15))


@pytest.mark.parametrize(
    "changes",
    [
        {},
        {"negative_vcomp": "positive"},
        {"negative_reduction": "max", "num_negatives": 0},
        {"use_surrogate": False},
        {"use_self_attn": False},
        {"use_cross_attn": False},
        {"use_self_attn": False, "use_cross_attn": False},
        {"cross_steps": 3, "final_q2v": False, "attention_rescale": False, "learn_temperature": False},
        {"window_fractions": (0.2, 0.5), "score_reduce": "sum"},
    ],
)
@pytest.mark.parametrize("hard", [0, 3])
def test_loss_finite_and_backward(changes, hard):
    model = _model(**changes).train()
    out = model.loss(_batch(hard=hard))
    assert torch.isfinite(out["loss"]) and out["loss"].item() >= 0
    assert ("loss_hard_neg" in out) == bool(hard)
    out["loss"].backward()
    grads = [p.grad for p in model.parameters() if p.grad is not None]
    assert grads and all(torch.isfinite(g).all() for g in grads)


def test_batch_of_one_video_has_no_negatives_but_backward_works():
    model = _model().train()
    batch = _batch(lengths=(20, 20), word_lengths=(3, 4))
    batch.video_ids = torch.tensor([7, 7])
    out = model.loss(batch)
    assert out["loss"].item() == 0.0
    out["loss"].backward()


@pytest.mark.parametrize("changes", [{}, {"use_surrogate": False}, {"window_fractions": (0.15, 0.4)}])
@pytest.mark.parametrize("steps", [1, 4, 37])
def test_infer_outputs(changes, steps):
    model = _model(**changes)
    out = model.infer(torch.randn(steps, C), torch.randn(5, E), ["a", "b", "c", "d", "e"])
    k = model.proposal_grid([steps], torch.device("cpu"))[0].shape[1]
    assert out.proposals.shape == (k * 3 if not changes.get("window_fractions") else k * 2, 2)
    assert out.scores.shape == (out.proposals.shape[0],) and np.isfinite(out.scores).all()
    assert np.all((0 <= out.proposals) & (out.proposals <= 1))
    assert np.all(out.proposals[:, 0] < out.proposals[:, 1])
    assert out.word_time.shape == (5, steps) and np.isfinite(out.word_time).all()
    names = [s.name for s in out.stages]
    assert names[0] == "proposal-query cosine" and "localisation over time" in names
    for stage in out.stages:
        assert len(stage.rows) == stage.weights.shape[0]
        if stage.weights.ndim == 2:
            assert len(stage.cols) == stage.weights.shape[1]


def test_surrogate_scores_highest_in_its_group():
    model = _model()
    out = model.infer(torch.randn(40, C), torch.randn(4, E), list("abcd"))
    stages = {s.name: s.weights for s in out.stages}
    chosen = stages["surrogate selection"].argmax(1)
    scores = out.scores.reshape(-1, 3)
    assert np.all(scores.argmax(1) == chosen) or np.allclose(scores.max(1), scores[np.arange(len(chosen)), chosen])
    share = stages["final: video attended by query"]
    assert share.shape == (len(chosen),)


def test_bad_inputs_raise_typed_errors():
    model = _model()
    with pytest.raises(FeatureSizeError, match="12-d"):
        model.infer(torch.randn(10, C + 1), torch.randn(3, E), list("abc"))
    with pytest.raises(FeatureSizeError):
        model.infer(torch.randn(10, C), torch.randn(3, E + 1), list("abc"))
    with pytest.raises(EmptyQueryError):
        model.infer(torch.randn(10, C), torch.zeros(0, E), [])
