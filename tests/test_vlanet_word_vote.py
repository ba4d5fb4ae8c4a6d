"""VLANet's optional word-weighted score (``score_reduce="attention"``): eq. 13 with the attended query's weights."""

from __future__ import annotations

import pytest
import torch

from vlanet_core.models.vlanet_config import VLANetConfig

from .test_vlanet_model import _batch, _model


def _energy_terms(cascade, v_comp, query, mask):
    attention = cascade._last_q2v() if cascade.similarity is None else None
    pairwise = attention.energy.pairwise if attention is not None else cascade.similarity.pairwise
    return pairwise(v_comp.unsqueeze(1), query)[:, 0] * mask


@pytest.mark.parametrize("share_vla", [True, False])
def test_score_is_the_word_weighted_sum_of_the_energy_terms(share_vla):
    model = _model(score_reduce="attention", share_vla=share_vla)
    g = torch.Generator().manual_seed(1)
    v_comp, query = (
        torch.randn(3, model.config.hidden_dim, generator=g),
        torch.randn(3, 5, model.config.hidden_dim, generator=g),
    )
    mask = torch.tensor([[1, 1, 1, 1, 1], [1, 1, 1, 0, 0], [1, 0, 0, 0, 0]], dtype=torch.bool)
    weights = torch.softmax(torch.randn(3, 5, generator=g).masked_fill(~mask, -1e9), -1)
    terms = _energy_terms(model.cascade, v_comp, query, mask)
    got = model.cascade._score(v_comp, query, mask, weights)
    torch.testing.assert_close(got, (terms * weights).sum(-1))
    mean = terms.sum(-1) / mask.sum(-1)
    torch.testing.assert_close(model.cascade._score(v_comp, query, mask), mean)  # no weights: the mean
    assert not torch.allclose(got, mean)
    one_hot = torch.zeros(3, 5)
    one_hot[:, 0] = 1.0  # all the vote on the first word: its term alone
    torch.testing.assert_close(model.cascade._score(v_comp, query, mask, one_hot), terms[:, 0])


def test_the_query_attention_of_eq_12_reaches_the_score_only_through_the_word_vote():
    """With normalised energy inputs the rows eq. 12 scales are renormalised downstream, so under the plain mean
    its W1, W2 get (numerically) no gradient from the loss; with the word vote they do."""
    grads = {}
    for reduce in ("mean", "attention"):
        model = _model(score_reduce=reduce, share_vla=False)
        model.train()
        parts = model.loss(_batch())
        assert torch.isfinite(parts["loss"])
        parts["loss"].backward()
        grads[reduce] = float(model.cascade.query_by_video[-1].energy.w1.weight.grad.abs().sum())
    assert grads["mean"] < 1e-5 < 1e-2 < grads["attention"]


def test_word_vote_needs_each_negative_scored_with_its_own_attention():
    with pytest.raises(ValueError, match="recompute"):
        VLANetConfig(score_reduce="attention", negative_vcomp="positive")
