"""The blind baselines: their contracts, and trust tests against published Charades-STA figures."""

from pathlib import Path

import numpy as np
import pytest
import torch

from vlanet_core.checkpoint import load_checkpoint, save_checkpoint
from vlanet_core.evaluation import evaluate_charades_style, recall_at_k
from vlanet_core.models.baseline_table import baseline_metrics, markdown
from vlanet_core.models.baselines import (
    PriorOnlyBaseline,
    PriorOnlyConfig,
    RandomBaseline,
    RandomBaselineConfig,
    WholeVideoBaseline,
    WholeVideoConfig,
)
from vlanet_core.registry import MODELS

DATA = Path(__file__).resolve().parents[1].parent / "shared" / "data" / "charades"
VIDEO, WORDS = torch.zeros(12, 8), torch.zeros(3, 4)


def charades(split: str):
    path = DATA / f"charades_sta_{split}.txt"
    if not path.is_file() or not (DATA / "charades.json").is_file():
        pytest.skip("shared Charades-STA files are absent")
    from vlanet_core.data.readers import read_annotations

    return read_annotations(path, "charades")[0]


def test_registered_and_not_trainable():
    for name, cls in (
        ("random", RandomBaseline),
        ("whole-video", WholeVideoBaseline),
        ("prior-only", PriorOnlyBaseline),
    ):
        assert MODELS.get(name) is cls
        assert cls.trainable is False
        config = cls.config_class()
        assert hasattr(config, "feature_dim") and hasattr(config, "word_dim")


def test_random_spans_are_valid_seeded_and_ranked():
    a = RandomBaseline(RandomBaselineConfig(seed=3, num_proposals=7)).infer(VIDEO, WORDS, ["a", "b", "c"])
    b = RandomBaseline(RandomBaselineConfig(seed=3, num_proposals=7)).infer(VIDEO, WORDS, ["a", "b", "c"])
    np.testing.assert_array_equal(a.proposals, b.proposals)
    assert a.proposals.shape == (7, 2) and np.all(a.proposals[:, 0] < a.proposals[:, 1])
    assert np.all((a.proposals >= 0) & (a.proposals <= 1))
    assert np.all(np.diff(a.scores) < 0)


def test_random_sampler_is_uniform_on_the_triangle():
    spans = RandomBaseline.sample_fractions(np.random.default_rng(0), (200_000,))
    assert np.all(spans[:, 0] < spans[:, 1])
    # start of a uniform point of the triangle start < end has mean 1/3, end 2/3, length 1/3
    np.testing.assert_allclose(spans.mean(axis=0), [1 / 3, 2 / 3], atol=3e-3)


def test_whole_video_is_one_full_span():
    out = WholeVideoBaseline(WholeVideoConfig()).infer(VIDEO, WORDS, [])
    np.testing.assert_array_equal(out.proposals, [[0.0, 1.0]])


def test_prior_fit_ranks_the_most_frequent_cell_first(tmp_path):
    spans = [[0.0, 0.3]] * 5 + [[0.52, 0.98]] * 3 + [[0.1, 0.2]]
    model = PriorOnlyBaseline.fit(spans, PriorOnlyConfig(bins=10, num_proposals=2))
    out = model.infer(VIDEO, WORDS, [])
    np.testing.assert_allclose(out.proposals, [[0.0, 0.3], [0.52, 0.98]])  # mean span of each cell
    np.testing.assert_allclose(out.scores, [5 / 9, 3 / 9])
    folder = save_checkpoint(
        model,
        tmp_path / "prior",
        name="prior-only",
        backbone={"name": "default", "params": {}},
        text_encoder={"name": "glove", "params": {}},
        trained_on="test spans",
    )
    reloaded, config = load_checkpoint(folder)
    assert config["model_config"]["bins"] == 10
    np.testing.assert_allclose(reloaded.infer(VIDEO, WORDS, []).proposals, out.proposals)
    with pytest.raises(ValueError):
        model.add_spans([[0.5, 0.2]])


def test_unfitted_prior_still_answers():
    out = PriorOnlyBaseline(PriorOnlyConfig(bins=4, num_proposals=100)).infer(VIDEO, WORDS, [])
    assert out.proposals.shape == (10, 2) and np.all(out.proposals[:, 0] < out.proposals[:, 1])


def test_uniform_random_matches_otani_on_charades_test():
    """Otani et al. (BMVC 2020): R@1 IoU>=0.5 = 10.77 for uniform random spans, mean of 100 runs."""
    annotations = charades("test")
    gt = np.asarray([a.spans[0] for a in annotations])
    durations = np.asarray([a.duration for a in annotations])
    draws = RandomBaseline.sample_fractions(np.random.default_rng(0), (100, len(gt))) * durations[None, :, None]
    runs = [recall_at_k(draws[r][:, None, :], gt, k=1, iou_threshold=0.5) for r in range(100)]
    assert 100 * np.mean(runs) == pytest.approx(10.77, abs=0.5)


def test_whole_video_r1_at_07_is_zero_on_charades_test():
    """Yuan et al.: predicting the whole video gives R@1 IoU>=0.7 = 0.0 on Charades-STA test."""
    annotations = charades("test")
    out = WholeVideoBaseline(WholeVideoConfig()).infer(VIDEO, WORDS, [])
    preds = np.asarray([out.proposals * a.duration for a in annotations])
    metrics = evaluate_charades_style(preds, np.asarray([a.spans[0] for a in annotations]))
    assert metrics["R1@0.7"] == 0.0


def test_baseline_table_on_charades():
    test, train = charades("test"), charades("train")
    table = baseline_metrics(test[::2], train, runs=5, seed=0)  # every other query keeps the test fast
    assert set(table) == {"random", "whole-video", "prior-only"}
    assert 0.20 < table["prior-only"]["R1@0.5"] < 0.27  # Otani et al.'s prior-only: 22.9
    assert table["whole-video"]["R1@0.7"] == 0.0
    text = markdown(table, runs=5)
    assert text.splitlines()[0].startswith("| baseline | R1@0.3") and "± " in text
