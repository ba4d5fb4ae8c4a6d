"""Every registered model, built from its config class, on random input: the day a model is registered, it is tested."""

import numpy as np
import pytest
import torch

from vlanet_core.checkpoint import build_model, load_checkpoint, save_checkpoint
from vlanet_core.models.base import SupervisedBatch, WeakBatch
from vlanet_core.registry import MODELS

C, E = 24, 16


def random_batch(weak: bool, b: int = 4) -> WeakBatch:
    g = torch.Generator().manual_seed(0)
    lengths, words = [30, 22, 41, 35][:b], [5, 7, 3, 6][:b]
    t, m = max(lengths), max(words)
    video_mask = torch.arange(t)[None] < torch.tensor(lengths)[:, None]
    word_mask = torch.arange(m)[None] < torch.tensor(words)[:, None]
    fields = dict(
        video=torch.randn(b, t, C, generator=g) * video_mask[..., None],
        video_mask=video_mask,
        words=torch.randn(b, m, E, generator=g) * word_mask[..., None],
        word_mask=word_mask,
        video_ids=torch.arange(b),
        neg_words=torch.randn(b, 2, m, E, generator=g),
        neg_word_mask=word_mask[:, None, :].expand(b, 2, m).clone(),
        neg_valid=torch.ones(b, 2, dtype=torch.bool),
    )
    if weak:
        return WeakBatch(**fields)
    return SupervisedBatch(**fields, spans=torch.tensor([[0.1, 0.4], [0.5, 0.9], [0.0, 0.2], [0.3, 0.6]][:b]))


def make(name: str):
    return build_model(name, {"feature_dim": C, "word_dim": E})


@pytest.mark.parametrize("name", [n for n in MODELS.names() if n != "clip-zeroshot"])
def test_model_on_random_input(name, tmp_path):
    torch.manual_seed(0)
    model = make(name)
    if model.trainable:
        model.train()
        parts = model.loss(random_batch(model.weak))
        assert torch.isfinite(parts["loss"]), parts
        parts["loss"].backward()
        assert any(p.grad is not None for p in model.parameters())
    model.eval()
    for t in (1, 7, 40):
        out = model.infer(torch.randn(t, C), torch.randn(5, E), ["w1", "w2", "w3", "w4", "w5"])
        props = np.asarray(out.proposals)
        assert props.ndim == 2 and props.shape[1] == 2 and props.shape[0] >= 1
        assert np.all(props[:, 0] <= props[:, 1] + 1e-9)
        assert np.all((props >= -1e-6) & (props <= 1 + 1e-6))
        assert np.asarray(out.scores).shape == (props.shape[0],)
        assert np.all(np.isfinite(out.scores))
        if out.word_time is not None:
            assert np.asarray(out.word_time).shape == (5, t)
    save_checkpoint(
        model,
        tmp_path / name,
        name=name,
        backbone={"name": "default", "params": {}},
        text_encoder={"name": "glove", "params": {}},
        trained_on="random test",
    )
    reloaded, config = load_checkpoint(tmp_path / name)
    for key, value in model.state_dict().items():
        assert torch.equal(reloaded.state_dict()[key], value)
