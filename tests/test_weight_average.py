"""The moving average of the weights (``TrainConfig.ema_decay``): its update, and that validation, saving and
resuming see the average while training continues from the raw weights."""

import pytest
import torch

from tests.test_training_weak import FakeEncoder, SpyModel, make_split
from vlanet_core.training.batching import Collator, TextCache
from vlanet_core.training.data import weak_view
from vlanet_core.training.trainer import TrainConfig, Trainer
from vlanet_core.training.weight_average import WeightAverage


def test_update_follows_the_moving_average_formula_and_skips_buffers():
    model = torch.nn.Linear(2, 1)
    model.register_buffer("count", torch.zeros(()))
    average = WeightAverage(model, decay=0.75)
    start = model.weight.detach().clone()
    with torch.no_grad():
        model.weight.add_(4.0)
    average.update(model)
    assert torch.allclose(average.average["weight"], start + 1.0)  # 0.75 * w0 + 0.25 * (w0 + 4)
    assert set(average.average) == {"weight", "bias"}


def test_applied_holds_the_average_inside_and_restores_the_raw_weights_after():
    model = torch.nn.Linear(2, 1)
    average = WeightAverage(model, decay=0.5)
    with torch.no_grad():
        model.weight.fill_(2.0)
    average.update(model)
    expected = average.average["weight"].clone()
    with average.applied(model):
        assert torch.equal(model.weight, expected)
    assert torch.all(model.weight == 2.0)
    with pytest.raises(RuntimeError), average.applied(model):  # restored on an error too
        raise RuntimeError("validation failed")
    assert torch.all(model.weight == 2.0)


@pytest.mark.parametrize("decay", [-0.1, 1.0, float("nan")])
def test_a_decay_outside_zero_one_is_refused(decay):
    with pytest.raises(ValueError, match="ema_decay"):
        WeightAverage(torch.nn.Linear(1, 1), decay)


@pytest.mark.parametrize("decay", [-0.1, float("nan")])
def test_the_trainer_refuses_a_decay_it_would_otherwise_treat_as_off(tmp_path, decay):
    view = weak_view(make_split())
    collate = Collator(view.videos, view.sentences, TextCache(FakeEncoder()))
    with pytest.raises(ValueError, match="ema_decay"):
        Trainer(SpyModel(), view.pairs, collate, TrainConfig(ema_decay=decay), tmp_path / "run")


def _run(tmp_path, name, epochs, ema, seen, resume=False):
    view = weak_view(make_split())
    torch.manual_seed(0)
    model = SpyModel()
    collate = Collator(view.videos, view.sentences, TextCache(FakeEncoder()))

    def validate(m):
        seen.append(m.lin.weight.detach().clone())
        return {"R1@0.5": float(len(seen))}  # rises every epoch: each one is the best so far

    saved = []
    config = TrainConfig(epochs=epochs, batch_size=4, lr=0.1, ema_decay=ema)
    trainer = Trainer(model, view.pairs, collate, config, tmp_path / name, validate=validate,
                      on_best=lambda m, _: saved.append(m.lin.weight.detach().clone()))  # fmt: skip
    trainer.fit(resume)
    return trainer, model, saved


def test_trainer_validates_and_saves_the_average_and_trains_on_the_raw_weights(tmp_path):
    seen: list[torch.Tensor] = []
    trainer, model, saved = _run(tmp_path, "ema", 2, 0.9, seen)
    assert trainer.average is not None
    assert torch.equal(seen[-1], trainer.average.average["lin.weight"])  # validation saw the average
    assert torch.equal(saved[-1], seen[-1])  # and the checkpoint holds it
    assert not torch.equal(model.lin.weight, seen[-1])  # the model itself went back to the raw weights
    plain: list[torch.Tensor] = []
    _, raw_model, _ = _run(tmp_path, "plain", 2, 0.0, plain)
    assert torch.equal(raw_model.lin.weight, model.lin.weight)  # the average never feeds back into training
    assert torch.equal(plain[-1], raw_model.lin.weight)  # off: validation sees the raw weights


def test_resume_restores_the_average(tmp_path):
    full, partial = [], []
    trainer_full, _, _ = _run(tmp_path, "full", 3, 0.9, full)
    _run(tmp_path, "resumed", 2, 0.9, partial)
    resumed, _, _ = _run(tmp_path, "resumed", 3, 0.9, partial, resume=True)
    assert torch.allclose(resumed.average.average["lin.weight"], trainer_full.average.average["lin.weight"])
    _run(tmp_path, "plain", 1, 0.0, [])
    with pytest.raises(ValueError, match="without ema_decay"):  # a state saved without an average
        _run(tmp_path, "plain", 2, 0.9, [], resume=True)
