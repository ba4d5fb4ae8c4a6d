"""SCN end to end on random input: every ablation trains a step and infers valid proposals; n_update persists."""

from __future__ import annotations

import json
import os
import time
from dataclasses import asdict

import numpy as np
import pytest
import torch

from vlanet_core.errors import FeatureSizeError
from vlanet_core.models import scn_parts as parts
from vlanet_core.models.base import WeakBatch
from vlanet_core.models.scn import SCN, SCNConfig
from vlanet_core.registry import MODELS

torch.set_num_threads(1)
FEATURES = 12
TOY_STEPS = int(os.environ.get("SCN_TOY_STEPS", 250))


def _batch(seed: int = 0, batch: int = 5, steps: int = 18, words: int = 7) -> WeakBatch:
    gen = torch.Generator().manual_seed(seed)
    video = torch.randn(batch, steps, FEATURES, generator=gen)
    video_mask = torch.ones(batch, steps, dtype=torch.bool)
    word_mask = torch.ones(batch, words, dtype=torch.bool)
    for b in range(batch):  # varying lengths, one full-length row each
        video_mask[b, steps - 3 * b :] = b == 0
        word_mask[b, words - b :] = b == 0
    table = torch.randn(20, 50, generator=gen)  # a small "embedding table": repeated words share vectors
    ids = torch.randint(0, 20, (batch, words), generator=gen)
    vectors = table[ids] * word_mask[..., None]
    return WeakBatch(video * video_mask[..., None], video_mask, vectors, word_mask, torch.arange(batch))


def _small(**overrides) -> SCNConfig:
    return SCNConfig(feature_dim=FEATURES, hidden_dim=32, num_heads=4, num_layers=1, **overrides)


ABLATIONS = [
    {},
    {"use_exploration": False},
    {"use_reward": False},
    {"use_masking": False},
    {"share_params": False},
    {"rank_on_logits": False, "beta": 0.1},
    {"reward_complement": 2.0},
    {"reward_complement": 2.0, "complement_margin": 0.5},
    {"complement_margin": 0.5},
    {"proposal_in_place": True, "reward_complement": 2.0, "complement_margin": 0.5},
    {"reward_complement": 2.0, "whole_clip_completion": 1.0},
]


@pytest.mark.parametrize("overrides", ABLATIONS, ids=lambda o: ",".join(o) or "full")
def test_every_variant_trains_and_infers(overrides):
    torch.manual_seed(0)
    model = SCN(_small(**overrides)).train()
    out = model(_batch())  # the base class's forward(batch) -> loss(batch), for DistributedDataParallel
    assert set(out) >= {"loss", "rec", "rank", "explore_p"}
    assert torch.isfinite(out["loss"])
    out["loss"].backward()
    # the generator learns only through eq. 8, the completion module only through eqs. 6-7
    assert model.score_head.weight.grad.abs().sum() > 0
    assert model.word_out.weight.grad.abs().sum() > 0
    model.eval()
    for steps, count in [(18, 7), (5, 1), (40, 3)]:
        result = model.infer(torch.randn(steps, FEATURES), torch.randn(count, 50), ["w"] * count)
        assert result.proposals.ndim == 2 and result.proposals.shape[1] == 2
        assert result.proposals.shape[0] == result.scores.shape[0] > 0
        assert np.all(result.proposals[:, 0] <= result.proposals[:, 1])
        assert result.proposals.min() >= 0 and result.proposals.max() <= 1 + 1e-9
        assert np.isfinite(result.scores).all() and result.word_time.shape == (count, steps)
        assert {s.name for s in result.stages} >= {"proposal confidence", "textual decoder: words -> frames"}


def _complement_losses(model: SCN, video: torch.Tensor, start: torch.Tensor, end: torch.Tensor) -> torch.Tensor:
    batch = _batch(seed=3, batch=video.shape[0], steps=video.shape[1])
    vocab, ids = parts.batch_vocabulary(batch.words, batch.word_mask)
    mask = torch.ones(video.shape[:2], dtype=torch.bool)
    use = batch.word_mask.clone()
    return model._rest_reconstruction(video, mask, start, end, batch.words, batch.word_mask, vocab, ids, use)


def test_complement_reward_sees_only_the_steps_outside_each_proposal():
    torch.manual_seed(0)
    model = SCN(_small(reward_complement=1.0, dropout=0.0)).eval()
    video = torch.randn(2, 18, FEATURES)
    start, end = torch.tensor([[2, 5], [0, 9]]), torch.tensor([[6, 12], [17, 14]])  # inclusive; [0, 17] = all
    before = _complement_losses(model, video, start, end)
    assert before.shape == (2, 2) and torch.isfinite(before).all()
    inside = video.clone()
    inside[0, 2:7] += 5.0  # inside the first video's first proposal only
    changed = _complement_losses(model, inside, start, end)
    assert torch.allclose(changed[0, 0], before[0, 0], atol=1e-5)  # hidden from its own complement
    assert not torch.allclose(changed[0, 1], before[0, 1], atol=1e-3)  # the second proposal's rest holds them
    # a proposal as long as the clip has no rest: it falls back to the whole clip instead of an empty attention
    whole = torch.tensor([[0, 0]]), torch.tensor([[17, 17]])
    assert torch.isfinite(_complement_losses(model, video[1:], *whole)).all()


def test_whole_clip_completion_adds_the_clip_reading_to_eq_9():
    torch.manual_seed(0)
    plain = SCN(_small(dropout=0.0)).train()
    extra = SCN(_small(dropout=0.0, whole_clip_completion=2.0)).train()
    extra.load_state_dict(plain.state_dict())
    torch.manual_seed(1)
    base = plain.loss(_batch())
    torch.manual_seed(1)
    out = extra.loss(_batch())
    assert float(base["whole_rec"]) == 0.0 and float(out["whole_rec"]) > 0
    assert torch.allclose(out["loss"], base["loss"] + 2.0 * out["whole_rec"], atol=1e-5)
    assert torch.allclose(out["rec"], base["rec"]) and torch.allclose(out["rank"], base["rank"])
    with pytest.raises(ValueError, match="whole_clip_completion"):
        SCNConfig(whole_clip_completion=-1.0)


def test_n_update_counts_training_steps_and_survives_a_checkpoint(tmp_path):
    from vlanet_core.checkpoint import load_checkpoint, save_checkpoint

    model = SCN(_small(lambda2=10.0)).train()
    opt = torch.optim.Adam(model.parameters(), lr=1e-3)
    p_values = []
    for step in range(3):
        out = model.loss(_batch(step))
        p_values.append(float(out["explore_p"]))
        opt.zero_grad()
        out["loss"].backward()
        opt.step()
    assert int(model.n_update) == 3 and p_values[0] > p_values[1] > p_values[2]
    model.eval()
    model.loss(_batch())  # evaluation does not count as an update
    assert int(model.n_update) == 3
    folder = save_checkpoint(
        model, tmp_path / "scn", name="scn", backbone={"name": "x", "params": {}},
        text_encoder={"name": "glove", "params": {}}, trained_on="random",
    )  # fmt: skip
    loaded, _ = load_checkpoint(folder)
    assert int(loaded.n_update) == 3 and loaded.exploration_p() == pytest.approx(model.exploration_p())


def test_sharing_halves_the_transformer_and_config_is_json():
    shared, separate = SCN(_small()), SCN(_small(share_params=False))
    count = lambda m: sum(p.numel() for p in m.parameters())  # noqa: E731
    assert count(separate) > 1.5 * count(shared) - 1000
    config = json.loads(json.dumps(asdict(_small())))
    assert SCN(SCNConfig(**config)).config == _small()
    assert MODELS.get("scn") is SCN and MODELS.meta("scn")["weak"] is True and SCN.weak


def test_bad_inputs_raise_clear_errors():
    model = SCN(_small()).eval()
    with pytest.raises(FeatureSizeError, match="video features"):
        model.infer(torch.randn(5, FEATURES + 1), torch.randn(3, 50), ["a"] * 3)
    with pytest.raises(FeatureSizeError, match="word vectors"):
        model.infer(torch.randn(5, FEATURES), torch.randn(3, 300), ["a"] * 3)
    with pytest.raises(FeatureSizeError):
        model.infer(torch.randn(5, FEATURES), torch.randn(0, 50), [])
    with pytest.raises(ValueError):
        SCNConfig(top_k=1)


def _toy(count: int, gen: torch.Generator, table: torch.Tensor) -> tuple[WeakBatch, list[tuple[float, float]]]:
    """20-step videos with three 5-step events, each carrying one content word's vector; the two-word sentence
    ("the" + word) names one of them. Only a proposal on that event lets the masked word be reconstructed."""
    steps = 20
    video = 0.3 * torch.randn(count, steps, 50, generator=gen)
    sentences, spans = [], []
    for i in range(count):
        first = int(torch.randint(0, 4, (), generator=gen))
        second = first + 6 + int(torch.randint(0, 3, (), generator=gen))
        events = [(first, first + 5), (second, second + 5), (second + 6, min(steps, second + 11))]
        words = (torch.randperm(6, generator=gen)[:3] + 1).tolist()
        for (a, b), word in zip(events, words):
            video[i, a:b] += table[word]
        named = i % 3
        sentences.append(torch.stack([table[0], table[words[named]]]))
        spans.append((events[named][0] / steps, events[named][1] / steps))
    mask = torch.ones(count, steps, dtype=torch.bool)
    batch = WeakBatch(video, mask, torch.stack(sentences), torch.ones(count, 2, dtype=torch.bool), torch.arange(count))
    return batch, spans


def test_generator_learns_from_completion_rewards_alone():
    """Weak training (no times) must lift the generator's top-1 IoU well above chance (about 0.15 here)."""
    from vlanet_core.spans import iou

    began = time.perf_counter()
    gen = torch.Generator().manual_seed(0)
    table = torch.randn(7, 50, generator=gen)  # word 0 = "the"
    train, _ = _toy(256, gen, table)
    test, spans = _toy(60, gen, table)
    torch.manual_seed(0)
    model = SCN(SCNConfig(feature_dim=50, hidden_dim=32, num_layers=1, ratios=[0.25], lambda2=100.0, dropout=0.0))
    opt = torch.optim.Adam(model.parameters(), lr=2e-3)
    for _ in range(TOY_STEPS):
        pick = torch.randint(0, 256, (32,))
        batch = WeakBatch(train.video[pick], train.video_mask[pick], train.words[pick], train.word_mask[pick], pick)
        opt.zero_grad()
        model.loss(batch)["loss"].backward()
        opt.step()
    model.eval()
    ious = []
    for i, target in enumerate(spans):
        out = model.infer(test.video[i], test.words[i], ["the", "word"])
        ious.append(float(iou(out.proposals[int(np.argmax(out.scores))], target)))
    print(f"SCN toy mean top-1 IoU {np.mean(ious):.3f} in {time.perf_counter() - began:.1f} s")
    assert np.mean(ious) > 0.35
