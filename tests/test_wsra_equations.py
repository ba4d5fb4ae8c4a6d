"""WSRA's equations on tensors small enough to check by hand (paper: wsra.txt, eqs. 1-8 and section 3.2.1)."""

from __future__ import annotations

import math

import numpy as np
import pytest
import torch

from vlanet_core.models.base import WeakBatch
from vlanet_core.models.wsra import WSRA, WSRAConfig
from vlanet_core.models.wsra_layers import (
    CrossModalScorer,
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
    snippet_referring_weights,
    top_last_k_split,
    video_level_loss,
)
from vlanet_core.models.wsra_moments import window_attention_scores


def test_masked_mean_ignores_padding_and_empty_rows_are_zero():
    values = torch.tensor([[[1.0, 2.0], [3.0, 4.0], [100.0, 100.0]], [[5.0, 5.0], [6.0, 6.0], [7.0, 7.0]]])
    mask = torch.tensor([[True, True, False], [False, False, False]])
    out = masked_mean(values, mask, dim=1)
    assert torch.allclose(out, torch.tensor([[2.0, 3.0], [0.0, 0.0]]))


def test_scorer_is_sigmoid_of_mlp_on_the_concatenation():
    torch.manual_seed(0)
    scorer = CrossModalScorer(dim=3, hidden=4).eval()
    v, t = torch.randn(5, 3), torch.randn(5, 3)
    first = torch.cat([scorer.video_in.weight, scorer.text_in.weight], dim=1)  # Linear on Cat(v, t)
    hidden = torch.relu(torch.cat([v, t], dim=1) @ first.T + scorer.video_in.bias)
    last = scorer.head[-1]
    expected = torch.sigmoid(hidden @ last.weight.T + last.bias).squeeze(-1)
    assert torch.allclose(scorer(v, t), expected, atol=1e-6)
    # broadcasting scores every (snippet, sentence) pair
    grid = scorer(v[:, None, :], t[None, :, :])
    assert grid.shape == (5, 5)
    assert torch.allclose(torch.diagonal(grid), expected, atol=1e-6)
    assert ((grid > 0) & (grid < 1)).all()


def test_referring_weights_eq2_softmax_over_valid_steps():
    scores = torch.tensor([[0.2, 0.5, 0.9, 0.7]])
    mask = torch.tensor([[True, True, True, False]])
    alpha = referring_weights(scores, mask)
    e = [math.exp(0.2), math.exp(0.5), math.exp(0.9)]
    assert torch.allclose(alpha, torch.tensor([[e[0] / sum(e), e[1] / sum(e), e[2] / sum(e), 0.0]]), atol=1e-6)
    sharper = referring_weights(scores, mask, temperature=0.5)
    assert sharper[0, 2] > alpha[0, 2]


def test_foreground_background_eq1_by_hand():
    video = torch.tensor([[[1.0, 0.0], [0.0, 1.0], [1.0, 1.0], [9.0, 9.0]]])
    alpha = torch.tensor([[0.5, 0.25, 0.25, 0.0]])
    mask = torch.tensor([[True, True, True, False]])  # T = 3 real steps
    fore, back = foreground_background(video, alpha, mask)
    assert torch.allclose(fore, torch.tensor([[0.75, 0.5]]))
    # v_b = 1/(3-1) * (0.5 * [1,0] + 0.75 * [0,1] + 0.75 * [1,1]) = [0.625, 0.75]
    assert torch.allclose(back, torch.tensor([[0.625, 0.75]]))
    weights = background_weights(alpha, mask)
    assert torch.allclose(weights, torch.tensor([[0.25, 0.375, 0.375, 0.0]]))
    assert torch.allclose(weights.sum(), torch.tensor(1.0))


def test_log_one_plus_sum_exp_matches_direct_formula():
    terms = torch.tensor([[0.3, -1.0, 2.0], [5.0, 0.0, 0.0]])
    mask = torch.tensor([[True, False, True], [False, False, False]])
    out = log_one_plus_sum_exp(terms, mask)
    assert torch.allclose(out, torch.tensor([math.log(1 + math.exp(0.3) + math.exp(2.0)), 0.0]))
    big = log_one_plus_sum_exp(torch.tensor([[1000.0]]), torch.tensor([[True]]))
    assert torch.isfinite(big).all() and abs(float(big) - 1000.0) < 1e-3


def test_video_level_loss_eq3_by_hand():
    s_p, s_n = torch.tensor([0.8, 0.6]), torch.tensor([0.3, 0.7])
    out = video_level_loss(s_p, s_n, margin=0.1, tau=2.0)
    expected = math.log(1 + math.exp(2.0 * (0.3 - 0.8 + 0.1)) + math.exp(2.0 * (0.7 - 0.6 + 0.1)))
    assert abs(float(out) - expected) < 1e-6


def test_snippet_level_loss_eqs4_5_by_hand():
    # one video, two snippets, three candidate sentences: 0 = its own (t+), 1 = a sampled negative,
    # 2 = in the softmax of eq. 4 but not sampled as a negative (a pseudo-positive, say)
    scores = torch.tensor([[[0.9, 0.4, 0.6], [0.2, 0.7, 0.5]]])
    candidates = torch.tensor([[True, True, True]])
    negatives = torch.tensor([[False, True, False]])
    steps = torch.tensor([[True, True]])
    m, tau = 0.1, 1.5
    beta = snippet_referring_weights(scores, candidates)
    terms = []
    for t in range(2):
        z = sum(math.exp(float(s)) for s in scores[0, t])
        b_pos, b_neg = math.exp(float(scores[0, t, 0])) / z, math.exp(float(scores[0, t, 1])) / z
        assert abs(float(beta[0, t, 0]) - b_pos) < 1e-6
        s_p, s_n = float(scores[0, t, 0]), float(scores[0, t, 1])
        terms.append(math.exp(tau * (b_pos * s_n - b_neg * s_p + m)))
    expected = math.log(1 + sum(terms))
    out = snippet_level_loss(scores, torch.tensor([0]), candidates, negatives, steps, m, tau)
    assert out.shape == (1,) and abs(float(out[0]) - expected) < 1e-6
    # a padded snippet adds no term
    only_first = snippet_level_loss(
        scores, torch.tensor([0]), candidates, negatives, torch.tensor([[True, False]]), m, tau
    )
    assert abs(float(only_first[0]) - math.log(1 + terms[0])) < 1e-6
    # no negative at all: log(1) = 0
    none = snippet_level_loss(scores, torch.tensor([0]), candidates, torch.zeros(1, 3, dtype=torch.bool), steps, m, tau)
    assert float(none[0]) == 0.0


def test_snippet_weights_are_detached_by_default():
    scores = torch.tensor([[[0.9, 0.4], [0.2, 0.7]]], requires_grad=True)
    args = (
        torch.tensor([0]),
        torch.ones(1, 2, dtype=torch.bool),
        torch.tensor([[False, True]]),
        torch.ones(1, 2, dtype=torch.bool),
    )
    snippet_level_loss(scores, *args, margin=0.1, tau=1.0).sum().backward()
    beta = snippet_referring_weights(scores.detach(), torch.ones(1, 2, dtype=torch.bool))
    grad = scores.grad[0]
    # with constant betas, d/ds_p has the sign of -beta^- and d/ds_n the sign of +beta^+
    assert (grad[:, 0] < 0).all() and (grad[:, 1] > 0).all()
    ratio = (grad[:, 1] / -grad[:, 0]).numpy()
    assert np.allclose(ratio, (beta[0, :, 0] / beta[0, :, 1]).numpy(), atol=1e-6)


def test_top_last_k_split_by_hand():
    sim = torch.tensor([[1.0, 0.9, 0.1, 0.5, 0.7, 0.3]])
    cand = torch.tensor([[False, True, True, True, True, True]])
    pseudo, hard = top_last_k_split(sim, cand, top_k=1, last_k=1)
    assert pseudo.tolist() == [[False, True, False, False, False, False]]  # 0.9: pseudo-positive
    assert hard.tolist() == [[False, False, False, True, True, True]]  # 0.1 dropped as easy
    pseudo, hard = top_last_k_split(sim, cand, top_k=2, last_k=2)
    assert pseudo[0].nonzero().flatten().tolist() == [1, 4]
    assert hard[0].nonzero().flatten().tolist() == [3]


def test_top_last_k_split_shrinks_on_few_candidates():
    sim = torch.tensor([[0.0, 0.8, 0.2], [0.0, 0.8, 0.2], [0.0, 0.0, 0.0]])
    cand = torch.tensor([[False, True, True], [False, True, False], [False, False, False]])
    pseudo, hard = top_last_k_split(sim, cand, top_k=3, last_k=3)
    assert pseudo.tolist() == [[False, True, False], [False, False, False], [False, False, False]]
    assert hard.tolist() == [[False, False, True], [False, True, False], [False, False, False]]
    with pytest.raises(ValueError):
        top_last_k_split(sim, cand, top_k=-1, last_k=0)


def test_batch_level_loss_eqs6_7_by_hand():
    fore = torch.tensor([[1.0, 0.0], [1.0, 1.0], [0.0, 1.0]])
    back = torch.tensor([[0.0, 1.0], [1.0, 0.0], [1.0, 1.0]])
    text = torch.tensor([[1.0, 0.0], [0.8, 0.6], [0.0, 1.0]])
    sim = sentence_cosine(text, text)
    assert torch.allclose(sim[0, 1], torch.tensor(0.8))
    pseudo = torch.zeros(3, 3, dtype=torch.bool)
    pseudo[0, 1] = True  # t_1 is t_0's pseudo-positive
    pseudo[2, 1] = True
    m, tau = 0.1, 1.0
    total = 1.0
    for i, p in ((0, 1), (2, 1)):
        gamma = math.exp(float(sim[i, p])) / sum(math.exp(float(s)) for s in sim[i])
        s_p = float(torch.cosine_similarity(fore[i], fore[p], dim=0))
        s_n = float(torch.cosine_similarity(back[i], fore[p], dim=0))
        total += math.exp(tau * gamma * (s_n - s_p + m))
    out = batch_level_loss(fore, back, sim, pseudo, m, tau)
    assert abs(float(out) - math.log(total)) < 1e-6
    assert float(batch_level_loss(fore, back, sim, torch.zeros(3, 3, dtype=torch.bool), m, tau)) == 0.0


def test_window_scores_by_hand():
    alpha = np.array([0.1, 0.4, 0.4, 0.1])
    windows = np.array([[1, 3], [0, 2], [0, 1]])
    assert np.allclose(window_attention_scores(alpha, windows, "sum"), [0.8, 0.5, 0.1])
    assert np.allclose(window_attention_scores(alpha, windows, "mean"), [0.4, 0.25, 0.1])
    assert np.allclose(window_attention_scores(alpha, windows, "contrast"), [0.3, 0.0, 0.1 - 0.9 / 3])
    with pytest.raises(ValueError):
        window_attention_scores(alpha, windows, "max")


def _batch(seed: int = 0) -> WeakBatch:
    g = torch.Generator().manual_seed(seed)
    b, t, m = 6, 7, 4
    video_mask = torch.ones(b, t, dtype=torch.bool)
    video_mask[1, 5:] = False
    word_mask = torch.ones(b, m, dtype=torch.bool)
    word_mask[2, 2:] = False
    return WeakBatch(
        torch.randn(b, t, 5, generator=g), video_mask, torch.randn(b, m, 3, generator=g), word_mask,
        torch.tensor([0, 0, 1, 2, 3, 4]),
    )  # fmt: skip


def _config(**kw) -> WSRAConfig:
    return WSRAConfig(feature_dim=5, word_dim=3, embed_dim=8, scorer_hidden=8, dropout=0.0, top_k=1, last_k=1, **kw)


def test_eq8_weighting_and_ablation_flags():
    torch.manual_seed(0)
    full = WSRA(_config())
    batch = _batch()
    out = full.loss(batch)
    expected = 0.1 * out["video"] + 1.0 * out["snippet"] + 0.1 * out["batch"]
    assert torch.allclose(out["loss"], expected, atol=1e-6)
    assert all(float(out[k]) > 0 for k in ("video", "snippet", "batch"))
    for flag, term in (("use_video_loss", "video"), ("use_snippet_loss", "snippet"), ("use_batch_loss", "batch")):
        ablated = WSRA(_config(**{flag: False}))
        ablated.load_state_dict(full.state_dict())
        part = ablated.loss(batch)
        assert float(part[term]) == 0.0
        kept = [k for k in ("video", "snippet", "batch") if k != term]
        for k in kept:
            assert torch.allclose(part[k], out[k], atol=1e-6)
        weights = {"video": 0.1, "snippet": 1.0, "batch": 0.1}
        assert torch.allclose(part["loss"], sum(weights[k] * part[k] for k in kept), atol=1e-6)
    reweighted = WSRA(_config(video_weight=1.0, snippet_weight=0.5, batch_weight=2.0))
    reweighted.load_state_dict(full.state_dict())
    r = reweighted.loss(batch)
    assert torch.allclose(r["loss"], out["video"] + 0.5 * out["snippet"] + 2.0 * out["batch"], atol=1e-5)
    with pytest.raises(ValueError):
        _config(use_video_loss=False, use_snippet_loss=False, use_batch_loss=False)
