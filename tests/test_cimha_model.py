"""CI-MHA end to end: random batches of varying lengths, ablations, bad inputs, and a toy that it must overfit."""

from __future__ import annotations

import json
from dataclasses import asdict

import numpy as np
import pytest
import torch

from vlanet_core.errors import FeatureSizeError
from vlanet_core.models.base import SupervisedBatch, WeakBatch
from vlanet_core.models.cimha import CIMHA, CIMHAConfig
from vlanet_core.registry import MODELS
from vlanet_core.spans import iou

torch.set_num_threads(1)
FEATURES = 12


def _batch(seed: int = 0, batch: int = 4, steps: int = 15, words: int = 6) -> SupervisedBatch:
    gen = torch.Generator().manual_seed(seed)
    video_mask = torch.ones(batch, steps, dtype=torch.bool)
    word_mask = torch.ones(batch, words, dtype=torch.bool)
    for b in range(1, batch):  # varying lengths
        video_mask[b, steps - 3 * b :] = False
        word_mask[b, words - b :] = False
    spans = torch.rand(batch, 2, generator=gen).sort(1).values
    return SupervisedBatch(
        video=torch.randn(batch, steps, FEATURES, generator=gen) * video_mask[..., None],
        video_mask=video_mask,
        words=torch.randn(batch, words, 50, generator=gen) * word_mask[..., None],
        word_mask=word_mask,
        video_ids=torch.arange(batch),
        spans=spans,
    )


def _small(**overrides) -> CIMHAConfig:
    return CIMHAConfig(feature_dim=FEATURES, hidden_dim=32, num_heads=4, max_positions=20, **overrides)


@pytest.mark.parametrize(
    "overrides",
    [{}, {"bidirectional_fusion": False}, {"use_segmentation": False}, {"max_moment_fraction": 0.3}],
    ids=["full", "one-way", "no-seg", "max-len"],
)
def test_every_variant_trains_and_infers(overrides):
    torch.manual_seed(0)
    model = CIMHA(_small(**overrides)).train()
    out = model(_batch())  # the base class's forward(batch) -> loss(batch), for DistributedDataParallel
    assert torch.isfinite(out["loss"]) and out["loss"] > 0
    out["loss"].backward()
    assert all(torch.isfinite(p.grad).all() for p in model.parameters() if p.grad is not None)
    assert model.start_mlp[0].weight.grad.abs().sum() > 0
    model.eval()
    for steps, count in [(15, 6), (1, 1), (33, 2)]:  # 33 > max_positions: the table is interpolated
        result = model.infer(torch.randn(steps, FEATURES), torch.randn(count, 50), ["w"] * count)
        props = result.proposals
        assert props.shape == (result.scores.shape[0], 2) and len(props) >= 1
        assert np.all(props[:, 0] <= props[:, 1]) and props.min() >= 0 and props.max() <= 1
        assert np.all(np.diff(result.scores) <= 1e-12)  # best first
        assert result.word_time.shape == (count, steps)
        if overrides.get("max_moment_fraction"):
            assert np.all(props[:, 1] - props[:, 0] <= 0.3 + 1.0 / steps + 1e-9)
        names = {s.name for s in result.stages}
        assert {"video self-attention", "frames -> words", "start / end / inside"} <= names
        assert ("words -> frames" in names) == model.config.bidirectional_fusion


def test_padding_does_not_change_the_prediction():
    torch.manual_seed(0)
    model = CIMHA(_small()).eval()
    batch = _batch()
    with torch.no_grad():
        padded = model.scores(batch.video, batch.video_mask, batch.words, batch.word_mask)
        real_t, real_m = int(batch.video_mask[2].sum()), int(batch.word_mask[2].sum())
        alone = model.scores(batch.video[2:3, :real_t], batch.video_mask[2:3, :real_t], batch.words[2:3, :real_m],
                      batch.word_mask[2:3, :real_m])  # fmt: skip
    assert torch.allclose(padded["start_logits"][2, :real_t], alone["start_logits"][0], atol=1e-5)
    assert torch.allclose(padded["inside_logits"][2, :real_t], alone["inside_logits"][0], atol=1e-5)


def test_needs_spans_and_right_sizes():
    model = CIMHA(_small())
    weak = _batch()
    with pytest.raises(TypeError, match="SupervisedBatch"):
        model.loss(WeakBatch(weak.video, weak.video_mask, weak.words, weak.word_mask, weak.video_ids))
    with pytest.raises(FeatureSizeError, match="video features"):
        model.infer(torch.randn(5, FEATURES + 2), torch.randn(2, 50), ["a", "b"])
    with pytest.raises(FeatureSizeError, match="word vectors"):
        model.infer(torch.randn(5, FEATURES), torch.randn(2, 384), ["a", "b"])
    config = json.loads(json.dumps(asdict(_small())))
    assert CIMHA(CIMHAConfig(**config)).config == _small()
    assert MODELS.get("cimha") is CIMHA and MODELS.meta("cimha")["weak"] is False and not CIMHA.weak


def _toy(count: int, seed: int) -> tuple[SupervisedBatch, list[tuple[float, float]]]:
    """Videos where each of 3 query words marks its own segment with its own feature; the query names one."""
    gen = torch.Generator().manual_seed(seed)
    steps, classes = 20, 3
    words = torch.randn(classes, 50, generator=gen)
    video = 0.3 * torch.randn(count, steps, FEATURES, generator=gen)
    spans, which = [], []
    for i in range(count):
        edges = sorted(torch.randperm(steps - 1, generator=gen)[: 2 * classes - 1].add(1).tolist() + [steps])
        cells = [(0, edges[0])] + list(zip(edges[:-1], edges[1:]))
        order = torch.randperm(len(cells), generator=gen).tolist()
        for c in range(classes):
            s, e = cells[order[c]]
            video[i, s:e, c] += 2.0
        c = i % classes
        s, e = cells[order[c]]
        spans.append((s / steps, e / steps))
        which.append(c)
    targets = torch.tensor(spans)
    batch = SupervisedBatch(
        video=video,
        video_mask=torch.ones(count, steps, dtype=torch.bool),
        words=words[torch.tensor(which)][:, None, :],
        word_mask=torch.ones(count, 1, dtype=torch.bool),
        video_ids=torch.arange(count),
        spans=targets,
    )
    return batch, spans


def test_overfits_a_toy_quickly():
    torch.manual_seed(0)
    batch, spans = _toy(24, seed=3)
    model = CIMHA(_small(dropout=0.0))
    opt = torch.optim.Adam(model.parameters(), lr=3e-3)
    for _ in range(150):
        opt.zero_grad()
        out = model.loss(batch)
        out["loss"].backward()
        opt.step()
    model.eval()
    ious = []
    for i, target in enumerate(spans):
        result = model.infer(batch.video[i], batch.words[i], ["w"])
        ious.append(float(iou(result.proposals[0], target)))
    print(f"toy mean top-1 IoU {np.mean(ious):.3f}")
    assert np.mean(ious) > 0.8, f"mean top-1 IoU {np.mean(ious):.2f}, loss {float(out['loss']):.3f}"


def test_cross_skip_carries_frame_content_to_the_fused_features():
    """With one query word, eq. 7 alone gives every frame the same vector; the skip keeps each frame's content."""
    torch.manual_seed(0)
    video, words = torch.randn(1, 10, 32), torch.randn(1, 1, 32)
    vmask, wmask = torch.ones(1, 10, dtype=torch.bool), torch.ones(1, 1, dtype=torch.bool)
    for residual, varies in [(False, False), (True, True)]:
        model = CIMHA(_small(cross_residual=residual, bidirectional_fusion=False)).eval()
        with torch.no_grad():
            fused, _, _ = model._cross_interaction(video, words, vmask, wmask)
        spread = float(fused[0].std(0).max())
        assert (spread > 1e-3) == varies, (residual, spread)


def test_positions_start_small_and_inputs_are_clamped():
    torch.manual_seed(0)
    model = CIMHA(_small()).eval()
    assert float(model.positions.weight.std()) < 0.05  # BERT-like N(0, 0.02), not nn.Embedding's N(0, 1)
    assert float(CIMHA(_small(position_init_std=0.0)).positions.weight.std()) > 0.5
    video, words = torch.randn(12, FEATURES), torch.randn(3, 50)
    video[4, 2] = 50.0
    clipped = video.clone()
    clipped[4, 2] = model.config.input_clip
    a = model.infer(video, words, ["a", "b", "c"])
    b = model.infer(clipped, words, ["a", "b", "c"])
    assert np.allclose(a.scores, b.scores) and np.allclose(a.proposals, b.proposals)
