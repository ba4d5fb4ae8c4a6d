"""clip-zeroshot: window maths, a planted moment is found, and the tiny CLIP end to end (backbone + text + model)."""

import numpy as np
import pytest
import torch

from tests.tiny_clip import PROJECTION_DIM, tiny_clip_folder
from vlanet_core.checkpoint import build_model
from vlanet_core.errors import FeatureSizeError
from vlanet_core.features.types import DecodedVideo
from vlanet_core.models.base import WeakBatch
from vlanet_core.models.clip_zeroshot import ClipZeroShot, ClipZeroShotConfig, sliding_windows, window_means
from vlanet_core.registry import BACKBONES, MODELS, TEXT_ENCODERS
from vlanet_core.text.clip_text import SENTENCE_TOKEN

torch.set_num_threads(1)
D = 8


@pytest.fixture(scope="session")
def clip_folder(tmp_path_factory):
    return tiny_clip_folder(tmp_path_factory)


def unit(x):
    return x / np.linalg.norm(x, axis=-1, keepdims=True)


@pytest.mark.parametrize("steps", [1, 2, 7, 40, 123])
def test_sliding_windows_cover_the_grid(steps):
    windows = sliding_windows(steps, [0.05, 0.1, 0.3, 0.5, 1.0], 0.25)
    assert windows.ndim == 2 and windows.shape[1] == 2 and len(windows) >= 1
    assert np.all(windows[:, 0] >= 0) and np.all(windows[:, 1] <= steps) and np.all(windows[:, 1] > windows[:, 0])
    assert len({tuple(w) for w in windows.tolist()}) == len(windows)
    assert [0, steps] in windows.tolist()  # scale 1.0 is the whole video
    for scale in (0.3, 0.5):  # every scale reaches the last step
        length = max(1, round(scale * steps))
        assert [steps - length, steps] in windows.tolist()


def test_window_means_match_a_loop():
    rng = np.random.default_rng(0)
    frames = rng.normal(size=(9, 3))
    windows = sliding_windows(9, [0.2, 0.5, 1.0], 0.5)
    expected = np.stack([frames[s:e].mean(axis=0) for s, e in windows])
    np.testing.assert_allclose(window_means(frames, windows), expected, atol=1e-12)


def test_planted_moment_wins():
    rng = np.random.default_rng(1)
    steps = 20
    sentence = unit(rng.normal(size=D))
    video = rng.normal(size=(steps, D))
    video = unit(video - np.outer(video @ sentence, sentence))  # background frames orthogonal to the sentence
    video[5:10] = sentence  # the moment: steps [5, 10)
    words = np.stack([unit(rng.normal(size=D)), unit(rng.normal(size=D)), sentence])
    tokens = ["red", "door", SENTENCE_TOKEN]
    config = ClipZeroShotConfig(feature_dim=D, word_dim=D, window_scales=[0.1, 0.25, 0.5], window_stride=0.2)
    out = ClipZeroShot(config).infer(torch.tensor(video), torch.tensor(words), tokens)
    best = out.proposals[int(np.argmax(out.scores))]
    assert 5 / 20 <= best[0] < best[1] <= 10 / 20  # plain cosine: any window inside the moment scores 1
    assert np.max(out.scores) == pytest.approx(1.0)
    config.outside_weight = 1.0  # contrast with the outside: only the whole moment is best
    contrast = ClipZeroShot(config).infer(torch.tensor(video), torch.tensor(words), tokens)
    np.testing.assert_allclose(contrast.proposals[int(np.argmax(contrast.scores))], [5 / 20, 10 / 20])
    assert out.word_time.shape == (3, steps)
    np.testing.assert_allclose(out.word_time[2, 5:10], 1.0, atol=1e-6)  # sentence row x its frames
    assert {s.name for s in out.stages} == {"sentence x time", "word x time"}
    assert np.all(np.abs(out.scores) <= 1 + 1e-9)


def test_without_sentence_row_uses_mean_of_rows():
    rng = np.random.default_rng(2)
    words = unit(rng.normal(size=(3, D)))
    video = unit(rng.normal(size=(6, D)))
    video[0:3] = unit(words.mean(axis=0))
    model = ClipZeroShot(ClipZeroShotConfig(feature_dim=D, word_dim=D, window_scales=[0.5]))
    out = model.infer(torch.tensor(video), torch.tensor(words), ["a", "b", "c"])
    np.testing.assert_allclose(out.proposals[int(np.argmax(out.scores))], [0.0, 0.5])


def test_errors_and_flags():
    with pytest.raises(FeatureSizeError):
        ClipZeroShot(ClipZeroShotConfig(feature_dim=512, word_dim=384))
    model = ClipZeroShot(ClipZeroShotConfig(feature_dim=D, word_dim=D))
    with pytest.raises(FeatureSizeError):
        model.infer(torch.zeros(5, D + 1), torch.ones(2, D), ["a", "b"])
    with pytest.raises(FeatureSizeError):
        model.infer(torch.ones(5, D), torch.ones(2, D + 1), ["a", "b"])
    with pytest.raises(ValueError):
        model.infer(torch.ones(5, D), torch.ones(2, D), ["a"])
    assert model.trainable is False and model.weak is True and list(model.parameters()) == []
    assert MODELS.meta("clip-zeroshot") == {"weak": True, "trainable": False}
    empty = WeakBatch(torch.zeros(1, 2, D), torch.ones(1, 2, dtype=torch.bool), torch.zeros(1, 1, D),
                      torch.ones(1, 1, dtype=torch.bool), torch.zeros(1, dtype=torch.long))  # fmt: skip
    with pytest.raises(NotImplementedError, match="not trained"):
        model.loss(empty)


def test_end_to_end_with_tiny_clip(clip_folder):
    backbone = BACKBONES.create("clip", model=str(clip_folder), step=1.0, sample_fps=2.0)
    encoder = TEXT_ENCODERS.create("clip-text", model=str(clip_folder))
    model = build_model("clip-zeroshot", {"feature_dim": backbone.dim, "word_dim": encoder.dim,
                                          "clip_model": str(clip_folder)})  # fmt: skip
    assert model.config_dict()["clip_model"] == str(clip_folder)

    rng = np.random.default_rng(0)
    frames = rng.integers(0, 256, size=(12, 48, 64, 3), dtype=np.uint8)
    video = DecodedVideo(frames=frames, timestamps=np.arange(12) / 2.0, duration=6.0, source="random.mp4")
    feats = backbone.extract(video)
    text = encoder.encode("a red circle moves left")
    assert feats.features.shape == (6, PROJECTION_DIM) and text.vectors.shape[1] == PROJECTION_DIM
    out = model.infer(torch.from_numpy(feats.features), torch.from_numpy(text.vectors), text.tokens)

    assert out.proposals.shape[1] == 2 and np.all(out.proposals[:, 0] < out.proposals[:, 1])
    assert np.all((out.proposals >= 0) & (out.proposals <= 1)) and np.all(np.isfinite(out.scores))
    assert out.word_time.shape == (len(text.tokens), 6)
    # scores are CLIP's cosine similarity of each window's mean frame with the sentence embedding
    sentence = unit(text.vectors[-1])
    windows = np.rint(out.proposals * 6).astype(int)
    expected = [unit(feats.features[s:e].mean(axis=0)) @ sentence for s, e in windows]
    np.testing.assert_allclose(out.scores, expected, atol=1e-5)
