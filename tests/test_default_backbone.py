"""The ``default`` backbone carries colour, position, motion direction, scale, shape, rotation and visibility."""

from __future__ import annotations

import json
import math

import cv2
import numpy as np
import pytest

from vlanet_core.features.default_backbone import DefaultBackbone
from vlanet_core.features.types import DecodedVideo
from vlanet_core.registry import BACKBONES

W, H, FPS = 160, 120, 10.0
RED, BLUE, GREEN = (230, 30, 30), (30, 30, 230), (30, 200, 30)


@pytest.fixture(scope="module")
def backbone() -> DefaultBackbone:
    return BACKBONES.create("default")


def _clip(draw, seconds: float = 3.0, background=(60, 60, 60), noise: float = 0.0) -> DecodedVideo:
    """Frames made by ``draw(frame, t)`` on a plain background (RGB), sampled at FPS."""
    times = np.arange(int(seconds * FPS)) / FPS
    rng = np.random.default_rng(0)
    frames = []
    for t in times:
        frame = np.empty((H, W, 3), np.uint8)
        frame[:] = background
        draw(frame, t)
        if noise:
            frame = np.clip(frame + rng.normal(0, noise, frame.shape), 0, 255).astype(np.uint8)
        frames.append(frame)
    return DecodedVideo(frames=np.stack(frames), timestamps=times, duration=seconds, native_fps=FPS)


def _column(backbone, name: str) -> int:
    return backbone.feature_names().index(name)


def _values(backbone, video, name: str) -> np.ndarray:
    return backbone.extract(video).features[:, _column(backbone, name)]


def _square(frame, cx, cy, r, colour, angle=0.0):
    box = cv2.boxPoints(((float(cx), float(cy)), (2.0 * r, 2.0 * r), float(angle)))
    cv2.fillPoly(frame, [np.round(box).astype(np.int32)], colour)


def _triangle(frame, cx, cy, r, colour):
    points = [(cx + r * math.sin(a), cy - r * math.cos(a)) for a in (0, 2 * math.pi / 3, 4 * math.pi / 3)]
    cv2.fillPoly(frame, [np.round(points).astype(np.int32)], colour)


def test_registry_params_round_trip(backbone):
    params = json.loads(json.dumps(backbone.params()))
    again = BACKBONES.create("default", **params)
    assert again.params() == backbone.params()
    assert again.dim == backbone.dim == len(backbone.feature_names())
    assert 300 <= backbone.dim <= 1000
    assert (backbone.sample_fps, backbone.step, backbone.input_size) == (10.0, 0.5, (80, 60))


def test_shape_and_time_grid(backbone):
    video = _clip(lambda f, t: cv2.circle(f, (80, 60), 10, RED, -1), seconds=2.3)
    out = backbone.extract(video)
    assert out.features.shape == (5, backbone.dim) and out.features.dtype == np.float32  # ceil(2.3 / 0.5)
    assert np.isfinite(out.features).all()
    assert out.step == 0.5 and out.duration == pytest.approx(2.3) and out.backbone == "default"


def test_single_frame_and_gaps(backbone):
    one = DecodedVideo(np.full((1, 60, 80, 3), 90, np.uint8), np.zeros(1), 0.1)
    assert backbone.extract(one).features.shape == (1, backbone.dim)
    sparse = DecodedVideo(np.full((3, 60, 80, 3), 90, np.uint8), np.array([0.0, 1.5, 3.0]), 3.2)
    features = backbone.extract(sparse).features  # steps without a frame copy the nearest one
    assert features.shape[0] == 7 and np.isfinite(features).all()


def test_colour_goes_to_its_bin(backbone):
    red = backbone.extract(_clip(lambda f, t: cv2.circle(f, (80, 60), 15, RED, -1))).features.mean(0)
    blue = backbone.extract(_clip(lambda f, t: cv2.circle(f, (80, 60), 15, BLUE, -1))).features.mean(0)
    red_mass, blue_mass = _column(backbone, "mean:hue000:mass"), _column(backbone, "mean:hue240:mass")
    assert red[red_mass] > 0.1 and red[blue_mass] < 0.01
    assert blue[blue_mass] > 0.1 and blue[red_mass] < 0.01


@pytest.mark.parametrize("axis, value", [(0, "cx"), (1, "cy")])
def test_motion_direction_gives_opposite_slopes(backbone, axis, value):
    def moving(sign):
        def draw(frame, t):
            shift = int(sign * (t - 1.5) * 20)
            centre = (80 + shift, 60) if axis == 0 else (80, 60 + shift)
            cv2.circle(frame, centre, 10, RED, -1)

        return _clip(draw, noise=3.0)

    forward = _values(backbone, moving(+1), f"slope:hue000:{value}")
    backward = _values(backbone, moving(-1), f"slope:hue000:{value}")
    assert forward.mean() > 0.1 and backward.mean() < -0.1
    assert (np.sign(forward[1:-1]) == 1).all() and (np.sign(backward[1:-1]) == -1).all()
    still = _values(backbone, _clip(lambda f, t: cv2.circle(f, (80, 60), 10, RED, -1), noise=3.0), "slope:hue000:cx")
    assert np.abs(still).max() < 0.2 * abs(forward.mean())


def test_position_is_in_the_centroid(backbone):
    left = _values(backbone, _clip(lambda f, t: cv2.circle(f, (30, 30), 10, GREEN, -1)), "mean:hue120:cx")
    right = _values(backbone, _clip(lambda f, t: cv2.circle(f, (130, 30), 10, GREEN, -1)), "mean:hue120:cx")
    assert left.mean() < -0.3 and right.mean() > 0.3


def test_growth_raises_mass_and_spread(backbone):
    video = _clip(lambda f, t: cv2.circle(f, (80, 60), int(8 + 6 * t), BLUE, -1))
    assert _values(backbone, video, "slope:hue240:mass").mean() > 0.05
    assert _values(backbone, video, "slope:hue240:sx").mean() > 0.02


def test_fading_and_blinking(backbone):
    def fade(frame, t):
        alpha = min(t / 3.0, 1.0)
        layer = frame.copy()
        cv2.circle(layer, (80, 60), 15, RED, -1)
        frame[:] = np.round(frame * (1 - alpha) + layer * alpha).astype(np.uint8)

    def blink(frame, t):
        if math.floor(4 * t) % 2 == 0:
            cv2.circle(frame, (80, 60), 15, RED, -1)

    steady = _clip(lambda f, t: cv2.circle(f, (80, 60), 15, RED, -1))
    assert _values(backbone, _clip(fade), "slope:hue000:mass").mean() > 0.1
    blink_rate = _values(backbone, _clip(blink), "rate:hue000:mass")
    steady_rate = _values(backbone, steady, "rate:hue000:mass")
    assert blink_rate.min() > 5 * steady_rate.max() + 0.05


def test_shapes_have_distinct_harmonics(backbone):
    def harmonics(draw):
        features = backbone.extract(_clip(draw)).features.mean(0)
        h2 = math.hypot(
            features[_column(backbone, "mean:hue000:h2_cos")], features[_column(backbone, "mean:hue000:h2_sin")]
        )
        h3 = math.hypot(
            features[_column(backbone, "mean:hue000:h3_cos")], features[_column(backbone, "mean:hue000:h3_sin")]
        )
        return h2, h3

    circle = harmonics(lambda f, t: cv2.circle(f, (80, 60), 22, RED, -1))
    square = harmonics(lambda f, t: _square(f, 80, 60, 20, RED))
    triangle = harmonics(lambda f, t: _triangle(f, 80, 60, 24, RED))
    assert square[0] > 2 * circle[0] and square[0] > 2 * triangle[0]
    assert triangle[1] > 2 * circle[1] and triangle[1] > 2 * square[1]


def test_spin_shows_in_harmonic_rates(backbone):
    spin = _clip(lambda f, t: _square(f, 80, 60, 20, RED, angle=60.0 * t))
    still = _clip(lambda f, t: _square(f, 80, 60, 20, RED))
    spin_rate = _values(backbone, spin, "rate:hue000:h2_cos") + _values(backbone, spin, "rate:hue000:h2_sin")
    still_rate = _values(backbone, still, "rate:hue000:h2_cos") + _values(backbone, still, "rate:hue000:h2_sin")
    assert spin_rate.mean() > 5 * still_rate.mean() + 0.02


def test_frame_size_does_not_change_features(backbone):
    video = _clip(lambda f, t: cv2.circle(f, (40 + int(20 * t), 60), 14, GREEN, -1), noise=2.0)
    small = DecodedVideo(
        np.stack([cv2.resize(f, (80, 60), interpolation=cv2.INTER_AREA) for f in video.frames]),
        video.timestamps,
        video.duration,
    )
    a, b = backbone.extract(video).features, backbone.extract(small).features
    cosine = (a * b).sum(1) / (np.linalg.norm(a, axis=1) * np.linalg.norm(b, axis=1))
    assert cosine.min() > 0.999


def test_bad_frames_are_refused(backbone):
    with pytest.raises(ValueError):
        backbone.extract(DecodedVideo(np.zeros((0, 60, 80, 3), np.uint8), np.zeros(0), 0.0))
    with pytest.raises(ValueError):
        backbone.extract(DecodedVideo(np.zeros((2, 60, 80), np.uint8), np.zeros(2), 0.2))
    with pytest.raises(ValueError):
        backbone.extract(DecodedVideo(np.zeros((2, 60, 80, 3), np.uint8), np.zeros(3), 0.2))


def test_edge_floor_drops_noise_edges_and_keeps_outlines():
    """``edge_floor``: pixel noise on a flat background leaves no edge energy, a shape's outline keeps its edges and
    its shape signature (the square's 4-fold harmonic)."""
    floored = BACKBONES.create("default", edge_floor=0.04)
    plain = BACKBONES.create("default")
    assert floored.params()["edge_floor"] == 0.04 and plain.params()["edge_floor"] == 0.0
    noise_only = _clip(lambda f, t: None, noise=6.0)
    grey_energy = _column(plain, "mean:grey0:edge_density")
    noisy_energy = plain.extract(noise_only).features[:, grey_energy].mean()
    assert noisy_energy > 0.0
    assert floored.extract(noise_only).features[:, grey_energy].max() < 1e-3 * noisy_energy  # a stray pixel or two
    square = _clip(lambda f, t: _square(f, 80, 60, 20, RED), noise=6.0)
    h2 = _column(plain, "mean:hue000:h2_cos")
    with_floor, without = floored.extract(square).features[:, h2], plain.extract(square).features[:, h2]
    assert abs(with_floor.mean()) > 0.5 * abs(without.mean()) > 0.0


def test_edge_floor_subtracts_from_each_edge_strength():
    """A vertical step of known contrast: the floored strength is exactly the plain one minus the floor."""
    frame = np.full((60, 80, 3), 60, np.uint8)
    frame[:, 40:] = 60 + 51  # 51 levels: central difference (51 / 255) / 2 = 0.1 per channel, over 3 channels
    plain = BACKBONES.create("default")._sums
    floored = BACKBONES.create("default", edge_floor=0.04)._sums
    energy = 5 + 12  # the edge-strength row of the per-bin sums (after 5 blob rows and 12 grid cells)
    a, b = plain(frame[None])[0, :, energy].sum(), floored(frame[None])[0, :, energy].sum()
    strength = 0.1 * math.sqrt(3.0)  # per edge pixel: sqrt(sum over R, G, B of gx^2)
    pixels = 2 * 60  # two columns of edge pixels (central differences straddle the step), every row
    assert a == pytest.approx(strength * pixels, rel=1e-3)
    assert b == pytest.approx((strength - 0.04) * pixels, rel=1e-3)
