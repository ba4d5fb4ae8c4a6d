"""The "clip" backbone on a tiny random CLIP: per-step pooling, normalisation, shapes, registry round trip."""

import math

import numpy as np
import pytest
import torch

from tests.tiny_clip import PROJECTION_DIM, tiny_clip_folder
from vlanet_core.errors import NoFramesError
from vlanet_core.features.clip_backbone import ClipBackbone, pool_steps
from vlanet_core.features.types import DecodedVideo
from vlanet_core.registry import BACKBONES

torch.set_num_threads(1)


@pytest.fixture(scope="session")
def clip_folder(tmp_path_factory):
    return tiny_clip_folder(tmp_path_factory)


def random_video(num_frames=7, fps=2.0, size=(40, 56), seed=0):
    rng = np.random.default_rng(seed)
    frames = rng.integers(0, 256, size=(num_frames, *size, 3), dtype=np.uint8)
    timestamps = np.arange(num_frames) / fps
    return DecodedVideo(frames=frames, timestamps=timestamps, duration=num_frames / fps, native_fps=fps, source="x.mp4")


def test_pool_steps_means_and_normalises():
    emb = np.array([[1, 0], [0, 1], [3, 4], [0, 2]], dtype=np.float32)
    times = np.array([0.1, 0.6, 1.2, 1.9])
    pooled = pool_steps(emb, times, duration=2.0, step=1.0)
    assert pooled.shape == (2, 2)
    np.testing.assert_allclose(pooled[0], [np.sqrt(0.5), np.sqrt(0.5)], atol=1e-6)  # mean of (1,0), (0,1)
    np.testing.assert_allclose(pooled[1], np.array([3, 6]) / np.linalg.norm([3, 6]), atol=1e-6)


def test_pool_steps_fills_empty_steps_with_nearest_frame():
    emb = np.array([[1, 0], [0, 1]], dtype=np.float32)
    pooled = pool_steps(emb, np.array([0.0, 3.5]), duration=4.0, step=1.0)  # steps 1 and 2 hold no frame
    np.testing.assert_allclose(pooled, [[1, 0], [1, 0], [0, 1], [0, 1]], atol=1e-6)
    assert pool_steps(emb, np.array([0.0, 0.2]), duration=0.3, step=1.0).shape == (1, 2)  # shorter than a step


def test_extract_shapes_and_unit_rows(clip_folder):
    backbone = BACKBONES.create("clip", model=str(clip_folder), step=1.0, sample_fps=2.0, batch_size=3)
    video = random_video(num_frames=7, fps=2.0)  # 3.5 s
    feats = backbone.extract(video)
    assert backbone.dim == PROJECTION_DIM
    assert feats.features.shape == (math.ceil(3.5), PROJECTION_DIM) and feats.features.dtype == np.float32
    np.testing.assert_allclose(np.linalg.norm(feats.features, axis=1), 1.0, atol=1e-5)
    assert feats.step == 1.0 and feats.duration == 3.5 and feats.backbone == "clip"
    assert feats.backbone_params == backbone.params()


def test_matches_clip_image_features(clip_folder):
    from transformers import CLIPImageProcessor, CLIPModel

    model = CLIPModel.from_pretrained(clip_folder, local_files_only=True).eval()
    processor = CLIPImageProcessor.from_pretrained(clip_folder, local_files_only=True)
    video = random_video(num_frames=4, fps=1.0, seed=1)
    with torch.no_grad():
        pixels = processor(images=list(video.frames), return_tensors="pt")["pixel_values"]
        expected = model.visual_projection(model.vision_model(pixel_values=pixels).pooler_output)
    expected = torch.nn.functional.normalize(expected, dim=-1).numpy()
    backbone = ClipBackbone(model=str(clip_folder), batch_size=3, device="cpu")
    np.testing.assert_allclose(backbone.embed_frames(video.frames), expected, atol=1e-5)  # batches of 3 + 1
    np.testing.assert_allclose(backbone.extract(video).features, expected, atol=1e-5)  # one frame per 1 s step


def test_params_round_trip(clip_folder):
    backbone = ClipBackbone(model=str(clip_folder), sample_fps=0.5, step=2.0, input_size=(320, 240))
    again = BACKBONES.create("clip", **backbone.params())
    assert again.params() == backbone.params()
    assert again.input_size == (320, 240) and again.sample_fps == 0.5 and again.step == 2.0
    assert ClipBackbone().params()["model"] == "openai/clip-vit-base-patch32"


def test_bad_input(clip_folder):
    backbone = ClipBackbone(model=str(clip_folder))
    empty = DecodedVideo(frames=np.zeros((0, 8, 8, 3), np.uint8), timestamps=np.zeros(0), duration=1.0)
    with pytest.raises(NoFramesError):
        backbone.extract(empty)
    with pytest.raises(ValueError):
        ClipBackbone(step=0)
