"""The WSRA model end to end on random inputs: masks, negatives, backward, inference output, errors, checkpoints."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from vlanet_core.checkpoint import load_checkpoint, save_checkpoint
from vlanet_core.errors import EmptyQueryError, FeatureSizeError
from vlanet_core.models.base import WeakBatch
from vlanet_core.models.wsra import WSRA, WSRAConfig
from vlanet_core.registry import MODELS

C, E = 6, 4


def _config(**kw) -> WSRAConfig:
    base = dict(feature_dim=C, word_dim=E, embed_dim=16, scorer_hidden=16, dropout=0.0)
    base.update(kw)
    return WSRAConfig(**base)


def _random_batch(seed: int, negatives: int = 0, ids: list[int] | None = None) -> WeakBatch:
    g = torch.Generator().manual_seed(seed)
    lengths, words = [9, 4, 12, 1, 7], [3, 1, 5, 2, 4]
    b, t, m = len(lengths), max(lengths), max(words)
    video_mask = torch.arange(t)[None, :] < torch.tensor(lengths)[:, None]
    word_mask = torch.arange(m)[None, :] < torch.tensor(words)[:, None]
    video = torch.randn(b, t, C, generator=g) * video_mask[..., None]
    text = torch.randn(b, m, E, generator=g) * word_mask[..., None]
    batch = WeakBatch(video, video_mask, text, word_mask, torch.tensor(ids if ids is not None else [0, 1, 1, 2, 3]))
    if negatives:
        batch.neg_words = torch.randn(b, negatives, m, E, generator=g)
        batch.neg_word_mask = torch.ones(b, negatives, m, dtype=torch.bool)
        batch.neg_word_mask[:, :, 2:] = False
        batch.neg_valid = torch.ones(b, negatives, dtype=torch.bool)
        batch.neg_valid[0, -1] = False
    return batch


def test_registered_as_weak_model():
    assert MODELS.get("wsra") is WSRA
    assert MODELS.meta("wsra")["weak"] is True
    assert WSRA.weak and WSRA.config_class is WSRAConfig
    assert WSRAConfig().word_dim == 384


@pytest.mark.parametrize("negatives", [0, 3])
@pytest.mark.parametrize(
    "options",
    [
        {},
        {"scorer_product": True, "temporal_kernel": 3, "share_scorer": True},
        {"snippet_reduction": "mean"},
        {"video_negatives": True},
        {"video_negatives": True, "share_scorer": True, "use_snippet_loss": False},
    ],
)
def test_loss_is_finite_and_backpropagates(negatives, options):
    torch.manual_seed(0)
    model = WSRA(_config(**options))
    out = model.loss(_random_batch(1, negatives))
    assert set(out) == {"loss", "video", "snippet", "batch"}
    assert torch.isfinite(out["loss"]) and out["loss"].ndim == 0
    out["loss"].backward()
    grads = [p.grad for p in model.parameters() if p.grad is not None]
    assert grads and all(torch.isfinite(g).all() for g in grads)


def test_padding_does_not_change_the_loss():
    torch.manual_seed(0)
    model = WSRA(_config(temporal_kernel=3))
    batch = _random_batch(2, negatives=2)
    reference = model.loss(batch)
    noisy = _random_batch(2, negatives=2)
    noisy.video = noisy.video + 50.0 * (~noisy.video_mask)[..., None]
    noisy.words = noisy.words + 50.0 * (~noisy.word_mask)[..., None]
    noisy.neg_words = noisy.neg_words + 50.0 * (~noisy.neg_word_mask)[..., None]
    noisy.neg_words[0, -1] = 99.0  # an invalid negative counts nowhere
    changed = model.loss(noisy)
    for key in reference:
        assert torch.allclose(reference[key], changed[key], atol=1e-5), key


def test_pairs_of_one_video_are_never_negatives():
    torch.manual_seed(0)
    model = WSRA(_config())
    out = model.loss(_random_batch(3, ids=[7, 7, 7, 7, 7]))
    assert float(out["snippet"]) == 0.0  # no other video, no text-only negative: nothing to contrast
    assert float(out["batch"]) == 0.0  # and no pseudo-positive from another video
    with_text_negatives = model.loss(_random_batch(3, negatives=2, ids=[7, 7, 7, 7, 7]))
    assert float(with_text_negatives["snippet"]) > 0.0


def test_wrong_feature_sizes_raise():
    model = WSRA(_config())
    batch = _random_batch(0)
    batch.video = torch.randn(5, 12, C + 1)
    with pytest.raises(FeatureSizeError):
        model.loss(batch)
    with pytest.raises(FeatureSizeError):
        model.infer(torch.randn(10, C), torch.randn(2, E + 2), ["a", "b"])


@pytest.mark.parametrize("steps", [1, 2, 7, 33, 80])
def test_infer_outputs_valid_fractions_and_stages(steps):
    torch.manual_seed(0)
    model = WSRA(_config())
    model.train()
    out = model.infer(torch.randn(steps, C), torch.randn(3, E), ["a", "red", "circle"])
    assert model.training  # infer restores the mode it found
    p = out.proposals
    assert p.ndim == 2 and p.shape[1] == 2 and p.shape[0] == out.scores.shape[0] >= 1
    assert np.all(p[:, 0] <= p[:, 1]) and np.all(p >= 0.0) and np.all(p <= 1.0)
    assert np.all(np.isfinite(out.scores))
    assert out.word_time.shape == (3, steps)
    assert np.allclose(out.word_time.sum(axis=1), 1.0)
    names = [s.name for s in out.stages]
    assert names == ["referring attention", "foreground / background", "word x time"]
    alpha, pooling, word_time = (s.weights for s in out.stages)
    assert alpha.shape == (steps,) and np.isclose(alpha.sum(), 1.0)
    assert pooling.shape == (2, steps) and np.allclose(pooling[0], alpha)
    assert word_time.shape == (3, steps) and out.stages[2].rows == ["a", "red", "circle"]
    assert len(out.stages[0].rows) == steps
    if steps > 1:
        assert np.isclose(pooling[1].sum(), 1.0)
    for stage in out.stages:
        stage.to_dict()  # JSON-ready


def test_infer_default_windows_are_the_paper_scales():
    model = WSRA(_config())
    out = model.infer(torch.randn(50, C), torch.randn(2, E), ["a", "b"])
    lengths = np.unique(np.round((out.proposals[:, 1] - out.proposals[:, 0]) * 50).astype(int))
    assert lengths.tolist() == [10, 15, 20, 25]


def test_infer_rejects_bad_queries():
    model = WSRA(_config())
    with pytest.raises(EmptyQueryError):
        model.infer(torch.randn(10, C), torch.zeros(0, E), [])
    with pytest.raises(ValueError):
        model.infer(torch.randn(10, C), torch.randn(2, E), ["only-one"])
    with pytest.raises(ValueError):
        model.infer(torch.zeros(0, C), torch.randn(1, E), ["a"])


@pytest.mark.parametrize("share", [False, True])
def test_checkpoint_round_trip(tmp_path, share):
    torch.manual_seed(0)
    model = WSRA(_config(share_scorer=share, window_scales=[0.25, 0.5]))
    save_checkpoint(model, tmp_path / "wsra", name="wsra", backbone={"name": "x", "params": {}},
                    text_encoder={"name": "glove", "params": {}}, trained_on="test")  # fmt: skip
    loaded, _ = load_checkpoint(tmp_path / "wsra")
    assert isinstance(loaded, WSRA) and loaded.config == model.config
    video, words = torch.randn(20, C), torch.randn(2, E)
    a, b = model.infer(video, words, ["x", "y"]), loaded.infer(video, words, ["x", "y"])
    assert np.allclose(a.scores, b.scores) and np.allclose(a.proposals, b.proposals)


def test_video_negatives_only_add_terms_to_eq3():
    """The option keeps eq. 3's background terms and adds one term per sampled negative inside the same log,
    so with the same weights its video loss is strictly larger; without negatives at all it is eq. 3 exactly."""
    torch.manual_seed(0)
    plain = WSRA(_config(share_scorer=True))
    extra = WSRA(_config(share_scorer=True, video_negatives=True))
    extra.load_state_dict(plain.state_dict())
    plain.eval(), extra.eval()
    batch = _random_batch(3, negatives=2)
    assert extra.loss(batch)["video"] > plain.loss(batch)["video"] + 1e-4
    single = _random_batch(3, negatives=0, ids=[0, 0, 0, 0, 0])  # one video: no sentence is a negative
    assert torch.allclose(extra.loss(single)["video"], plain.loss(single)["video"], atol=1e-6)
