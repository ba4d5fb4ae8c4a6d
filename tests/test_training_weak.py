"""The weak-supervision rule, enforced by types: a weakly supervised model never receives a time."""

from dataclasses import dataclass, fields

import numpy as np
import pytest
import torch

from vlanet_core.data.records import Annotation
from vlanet_core.features.types import VideoFeatures
from vlanet_core.models.base import ModelOutput, MomentModel, SupervisedBatch, WeakBatch
from vlanet_core.training.batching import Collator, SupervisedPair, TextCache, WeakPair
from vlanet_core.training.data import SplitData, supervised_view, weak_view
from vlanet_core.training.trainer import TrainConfig, Trainer, add_input_noise, scheduled_lr


@dataclass
class SpyConfig:
    feature_dim: int = 4
    word_dim: int = 3


class SpyModel(MomentModel):
    """Records what the trainer hands it."""

    config_class = SpyConfig

    def __init__(self, config=SpyConfig(), weak=True):
        super().__init__(config)
        self.weak_flag = weak
        self.lin = torch.nn.Linear(4, 1)
        self.seen: list[object] = []

    @property
    def weak(self):  # type: ignore[override]
        return self.weak_flag

    def loss(self, batch):
        self.seen.append(batch)
        return {"loss": self.lin(batch.video).mean() + 0.0 * batch.words.sum()}

    def infer(self, video, words, tokens):
        return ModelOutput(np.array([[0.0, 1.0]]), np.array([1.0]))


class FakeEncoder:
    dim = 3

    def encode(self, sentence):
        class E:
            vectors = np.ones((len(sentence.split()), 3), dtype=np.float32)

        return E()


def make_split(n_videos=6):
    rng = np.random.default_rng(0)
    feats = {
        f"v{i}": VideoFeatures(rng.normal(size=(10 + i, 4)).astype(np.float32), 0.5, 5.0 + 0.5 * i)
        for i in range(n_videos)
    }
    anns = [
        Annotation(f"v{i}", 5.0 + 0.5 * i, f"sentence number {i} {j}", [(1.0, 2.0 + j)])
        for i in range(n_videos)
        for j in range(2)
    ]
    return SplitData("toy", feats, anns, {"name": "toy", "params": {}})


def test_weak_pairs_hold_no_time():
    view = weak_view(make_split())
    assert {f.name for f in fields(WeakPair)} == {"video", "sentence"}
    assert all(type(p) is WeakPair for p in view.pairs)
    assert len(view.pairs) == 12


def test_weak_trainer_never_receives_a_time(tmp_path):
    split = make_split()
    view = weak_view(split)
    model = SpyModel()
    collate = Collator(view.videos, view.sentences, TextCache(FakeEncoder()))
    Trainer(model, view.pairs, collate, TrainConfig(epochs=2, batch_size=4), tmp_path).fit()
    assert model.seen
    for batch in model.seen:
        assert type(batch) is WeakBatch
        assert not any("span" in f.name or "time" in f.name for f in fields(batch))


def test_weak_model_refuses_supervised_pairs(tmp_path):
    view = supervised_view(make_split())
    collate = Collator(view.videos, view.sentences, TextCache(FakeEncoder()))
    with pytest.raises(TypeError, match="WeakPair"):
        Trainer(SpyModel(), view.pairs, collate, TrainConfig(epochs=1), tmp_path)


def test_supervised_model_gets_spans_as_fractions(tmp_path):
    split = make_split()
    view = supervised_view(split)
    assert all(isinstance(p, SupervisedPair) for p in view.pairs)
    model = SpyModel(weak=False)
    collate = Collator(view.videos, view.sentences, TextCache(FakeEncoder()))
    Trainer(model, view.pairs, collate, TrainConfig(epochs=1, batch_size=4), tmp_path).fit()
    batch = model.seen[0]
    assert type(batch) is SupervisedBatch
    assert torch.all((batch.spans >= 0) & (batch.spans <= 1))


def test_resume_gives_the_same_weights_as_an_uninterrupted_run(tmp_path):
    split = make_split()
    view = weak_view(split)

    def run(run_dir, epochs, resume=False):
        torch.manual_seed(0)
        model = SpyModel()
        collate = Collator(view.videos, view.sentences, TextCache(FakeEncoder()))
        Trainer(model, view.pairs, collate, TrainConfig(epochs=epochs, batch_size=4, lr=0.1), run_dir).fit(resume)
        return model.lin.weight.detach().clone()

    full = run(tmp_path / "a", 3)
    run(tmp_path / "b", 2)
    resumed = run(tmp_path / "b", 3, resume=True)
    assert torch.allclose(full, resumed)
    assert (tmp_path / "b" / "log.jsonl").read_text().count('"event": "resume"') == 1


def test_cosine_schedule_sets_each_steps_learning_rate(tmp_path):
    view = weak_view(make_split())
    torch.manual_seed(0)
    model = SpyModel()
    collate = Collator(view.videos, view.sentences, TextCache(FakeEncoder()))
    config = TrainConfig(epochs=3, batch_size=4, lr=0.1, lr_schedule="cosine")
    trainer = Trainer(model, view.pairs, collate, config, tmp_path / "run")
    seen: list[float] = []
    real_step = trainer.optimizer.step

    def step(*args, **kwargs):
        seen.append(trainer.optimizer.param_groups[0]["lr"])
        return real_step(*args, **kwargs)

    trainer.optimizer.step = step  # type: ignore[method-assign]
    trainer.fit()
    steps = len(seen) // 3
    expected = [scheduled_lr(config, epoch, s, steps) for epoch in range(3) for s in range(steps)]
    assert steps >= 1 and seen == pytest.approx(expected)
    assert seen[0] == pytest.approx(0.1) and seen[-1] < 0.02
    assert all(a > b for a, b in zip(seen, seen[1:], strict=False))  # decreasing step by step
    assert torch.isfinite(model.lin.weight).all()
    with pytest.raises(ValueError, match="lr_schedule"):
        Trainer(SpyModel(), view.pairs, collate, TrainConfig(lr_schedule="step"), tmp_path / "other")
    for sigma in (-0.1, float("nan")):  # refused, not silently trained without noise
        with pytest.raises(ValueError, match="input_noise"):
            Trainer(SpyModel(), view.pairs, collate, TrainConfig(input_noise=sigma), tmp_path / "other")


def test_input_noise_touches_real_steps_only_and_every_form_alike():
    video = torch.zeros(2, 5, 3)
    mask = torch.tensor([[True, True, True, False, False], [True] * 5])
    words, word_mask = torch.zeros(2, 2, 4), torch.ones(2, 2, dtype=torch.bool)
    batch = WeakBatch(video.clone(), mask, words, word_mask, torch.arange(2))
    batch.video_alt = torch.ones(2, 5, 3) * mask[..., None]
    batch.video_reversed = torch.zeros(2, 5, 3)
    add_input_noise(batch, 0.5, np.random.default_rng(0))
    noise = batch.video
    assert torch.all(noise[0, 3:] == 0)  # padding stays 0
    assert torch.all(noise[mask] != 0) and 0.2 < float(noise[mask].std()) < 0.9
    assert torch.allclose(batch.video_alt - torch.ones(2, 5, 3) * mask[..., None], noise)  # the same draw
    assert torch.allclose(batch.video_reversed[0, :3], noise[0, :3].flip(0))  # reversed within the real steps
    assert torch.allclose(batch.video_reversed[1], noise[1].flip(0))
    assert torch.all(batch.video_reversed[0, 3:] == 0)


def test_trainer_adds_input_noise_only_when_asked(tmp_path):
    view = weak_view(make_split())

    def first_video(noise):
        torch.manual_seed(0)
        model = SpyModel()
        collate = Collator(view.videos, view.sentences, TextCache(FakeEncoder()))
        config = TrainConfig(epochs=1, batch_size=4, input_noise=noise)
        Trainer(model, view.pairs, collate, config, tmp_path / f"run{noise}").fit()
        return model.seen[0].video, model.seen[0].video_mask

    clean, mask = first_video(0.0)
    noisy, _ = first_video(0.3)
    difference = (noisy - clean)[mask]
    assert torch.all((noisy - clean)[~mask] == 0)
    assert 0.15 < float(difference.std()) < 0.45
