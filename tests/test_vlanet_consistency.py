"""VLANet's optional codec-consistency term (``weight_consistency``) and the paired variants that feed it."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from vlanet_core.models.vlanet import _log_share, _symmetric_kl
from vlanet_core.models.vlanet_readout import localisation_weights
from vlanet_core.training.batching import Collator, TextCache, WeakPair

from .test_training_weak import FakeEncoder
from .test_vlanet_model import _batch, _model


def test_log_share_is_the_readouts_localisation_weights_in_torch():
    g = torch.Generator().manual_seed(0)
    weights = [(name, torch.rand(3, 6, generator=g) + 0.01) for name in ("V2V self-attention", "cross 1", "final")]
    mask = torch.ones(3, 6, dtype=torch.bool)
    for mode in ("all", "cross", "last"):
        got = _log_share(weights, mode, mask).exp().numpy()
        for row in range(3):
            want = localisation_weights([(n, w[row].numpy()) for n, w in weights], mode)
            np.testing.assert_allclose(got[row], want, rtol=1e-5)
    mask[0, 4:] = False  # padded groups get no share
    share = _log_share(weights, "all", mask).exp()
    assert float(share[0, 4:].sum()) < 1e-6 and torch.allclose(share.sum(-1), torch.ones(3))


def test_symmetric_kl_is_zero_only_for_equal_distributions():
    p = torch.log_softmax(torch.tensor([[1.0, 2.0, 0.5]]), -1)
    q = torch.log_softmax(torch.tensor([[2.0, 1.0, 0.5]]), -1)
    assert float(_symmetric_kl(p, p).sum()) == 0.0
    want = float((p.exp() * (p - q)).sum() + (q.exp() * (q - p)).sum())
    assert float(_symmetric_kl(p, q).sum()) == pytest.approx(want) and want > 0


def test_consistency_is_zero_for_the_same_video_and_trains_when_forms_differ():
    model = _model(weight_consistency=1.0)
    batch = _batch()
    batch.video_alt = batch.video.clone()
    batch.alt_valid = torch.tensor([True, False, True, True])
    same = model.loss(batch)
    assert float(same["loss_consistency"].detach()) == pytest.approx(0.0, abs=1e-6)
    batch.video_alt = batch.video + 0.5 * torch.randn_like(batch.video) * batch.video_mask[..., None]
    model.train()
    parts = model.loss(batch)
    assert float(parts["loss_consistency"].detach()) > 1e-4
    parts["loss_consistency"].backward()
    assert model.proposal_fc.weight.grad is not None and float(model.proposal_fc.weight.grad.abs().sum()) > 0


def test_without_a_second_form_or_weight_the_loss_is_the_papers():
    batch = _batch()
    assert "loss_consistency" not in _model(weight_consistency=1.0).loss(batch)  # no video_alt
    batch.video_alt, batch.alt_valid = batch.video.clone(), torch.zeros(4, dtype=torch.bool)
    assert "loss_consistency" not in _model(weight_consistency=1.0).loss(batch)  # no row has a second form
    batch.alt_valid[:] = True
    assert "loss_consistency" not in _model().loss(batch)  # weight 0: off


def test_paired_collator_gives_two_different_forms_cut_to_the_same_steps():
    original = np.zeros((6, 2), np.float32)
    variant = np.full((5, 2), 3.0, np.float32)  # a decoded file one step shorter
    lonely = np.ones((4, 2), np.float32)
    collate = Collator([original, lonely], ["a b", "c"], TextCache(FakeEncoder()), variants={0: [variant]},
                       paired_variants=True)  # fmt: skip
    seen = set()
    for seed in range(10):
        batch = collate([WeakPair(0, 0), WeakPair(1, 1)], np.random.default_rng(seed))
        assert batch.video_alt is not None and batch.alt_valid is not None
        assert batch.alt_valid.tolist() == [True, False]
        assert batch.video_mask[0].sum() == 5  # both forms cut to the shorter
        first, second = float(batch.video[0, 0, 0]), float(batch.video_alt[0, 0, 0])
        assert {first, second} == {0.0, 3.0}
        seen.add(first)
        assert torch.equal(batch.video[1], batch.video_alt[1])  # no variant: the same form, not counted
    assert seen == {0.0, 3.0}
