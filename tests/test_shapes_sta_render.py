"""Shapes-STA rendering: determinism, shape geometry, anti-aliasing and the semantics of every action."""

from __future__ import annotations

import dataclasses
import math

import cv2
import numpy as np
import pytest

from vlanet_core.data.shapes import (
    EventSpec,
    ObjectSpec,
    ShapesVideo,
    frame_count,
    iter_frames,
    render_frames,
    render_video,
    video_spec,
)
from vlanet_core.data.shapes.noise import standard_normal_quantiles
from vlanet_core.data.shapes.render import coverage

BACKGROUND = (40, 40, 40)
WHITE = 240


def one_object(shape: str = "circle", events=(), x=160.0, y=120.0, radius=20.0, duration=10.0, sigma=0.0):
    """A hand-made video with one white object (no noise by default)."""
    return ShapesVideo(
        vid="test_99999",
        split="test",
        index=99999,
        seed=2,
        duration=duration,
        background=BACKGROUND,
        noise_sigma=sigma,
        objects=(ObjectSpec("white", shape, radius, x, y),),
        events=tuple(events),
    )


def event(action: str, start: float, end: float, **extra) -> EventSpec:
    return EventSpec(object_index=0, action=action, start=start, end=end, **extra)


def mass(frames: np.ndarray) -> np.ndarray:
    """(N,) covered pixels of the white object per frame (red channel above the background)."""
    return (frames[..., 0].astype(np.float64) - BACKGROUND[0]).sum(axis=(1, 2)) / (WHITE - BACKGROUND[0])


def centroid_x(frames: np.ndarray) -> np.ndarray:
    weight = frames[..., 0].astype(np.float64) - BACKGROUND[0]
    return (weight.sum(axis=1) * (np.arange(frames.shape[2]) + 0.5)).sum(axis=1) / weight.sum(axis=(1, 2))


def test_render_shapes_and_timestamps():
    spec = video_spec("test", 0)
    video = render_video(spec, size=(80, 60), fps=10.0)
    n = frame_count(spec.duration, 10.0)
    assert n == round(spec.duration * 10)
    assert video.frames.shape == (n, 60, 80, 3) and video.frames.dtype == np.uint8
    np.testing.assert_allclose(video.timestamps, np.arange(n) / 10.0)
    assert video.duration == spec.duration and video.native_fps == 10.0 and video.source == spec.vid
    assert frame_count(spec.duration, 4.0) == math.floor(spec.duration * 4.0 + 1e-6)


def test_same_spec_same_frames_other_seed_other_frames():
    a = render_video(video_spec("val", 2), size=(64, 48)).frames
    b = render_video(video_spec("val", 2), size=(64, 48)).frames
    c = render_video(video_spec("val", 2, seed=42), size=(64, 48)).frames
    np.testing.assert_array_equal(a, b)
    assert a.shape != c.shape or not np.array_equal(a, c)


def test_blocks_join_into_the_whole_video():
    spec = video_spec("test", 5)
    whole = render_video(spec, size=(48, 36), fps=7.0).frames
    np.testing.assert_array_equal(np.concatenate(list(iter_frames(spec, (48, 36), 7.0))), whole)


@pytest.mark.parametrize(("shape", "area"), [("circle", math.pi), ("square", 4.0), ("triangle", 3 * math.sqrt(3) / 4)])
@pytest.mark.parametrize("angle", [0.0, 37.0])
def test_coverage_sums_to_the_shape_area(shape, area, angle):
    xs = np.arange(100, dtype=np.float32) + 0.5 - 50.3
    radius = np.full((1, 1, 1), 17.0, dtype=np.float32)
    cov = coverage(shape, xs[None, None, :], (xs - 0.4)[None, :, None], radius, np.full((1, 1, 1), angle))
    assert cov.sum() == pytest.approx(area * 17.0**2, rel=0.01)


def test_triangle_points_up_and_square_is_axis_aligned_at_rest():
    frames = render_frames(one_object("triangle", radius=40.0), np.zeros(1), (320, 240))[0, :, :, 0]
    rows = np.flatnonzero((frames > 140).any(axis=1))
    widths = (frames[rows] > 140).sum(axis=1)
    assert widths[0] < widths[-1]  # narrow on top, wide at the bottom
    assert rows[0] == pytest.approx(120 - 40, abs=1) and rows[-1] == pytest.approx(120 + 20, abs=1)
    square = render_frames(one_object("square", radius=30.0), np.zeros(1), (320, 240))[0, :, :, 0] > 140
    assert square[90:150, 130:190].all() and square.sum() == 60 * 60


def test_rendering_small_approximates_area_downscaling():
    spec = dataclasses.replace(video_spec("test", 8), noise_sigma=0.0)
    times = np.arange(0.0, spec.duration, 1.3)
    big = render_frames(spec, times, (320, 240))
    small = render_frames(spec, times, (80, 60))
    for b, s in zip(big, small):
        shrunk = cv2.resize(b, (80, 60), interpolation=cv2.INTER_AREA).astype(np.int16)
        difference = np.abs(shrunk - s.astype(np.int16))
        assert difference.mean() < 1.0 and np.percentile(difference, 99.5) < 40


def test_appear_disappear_opacity():
    spec = one_object(events=[event("appear", 2.0, 4.0), event("disappear", 6.0, 8.0)])
    m = mass(render_video(spec, size=(320, 240)).frames)
    full = math.pi * (20.0 * 1.0) ** 2
    assert np.all(m[:21] < 1.0)  # invisible up to and at the start
    assert m[30] == pytest.approx(0.5 * full, rel=0.02)  # opacity = p
    assert np.all(np.abs(m[40:61] - full) < 0.01 * full)
    assert np.all(m[80:] < 1.0)


def test_move_left_moves_the_centroid_and_the_state_persists():
    spec = one_object(events=[event("move_left", 2.0, 6.0, distance=100.0)])
    frames = render_video(spec, size=(320, 240)).frames
    cx = centroid_x(frames)
    assert np.all(np.abs(cx[:21] - 160.0) < 0.05)
    assert np.all(np.diff(cx[20:61]) < 0)
    assert cx[40] == pytest.approx(110.0, abs=0.05)
    assert np.all(np.abs(cx[60:] - 60.0) < 0.05)
    small = centroid_x(render_video(spec, size=(80, 60)).frames)  # positions scale with the frame
    assert small[-1] == pytest.approx(15.0, abs=0.05)


def test_vertical_moves_go_the_right_way():
    up = render_frames(one_object(events=[event("move_up", 1.0, 2.0, distance=60.0)]), np.array([3.0]), (320, 240))
    rows = np.flatnonzero((up[0, :, :, 0] > 140).any(axis=1))
    assert (rows[0] + rows[-1] + 1) / 2 == pytest.approx(60.0, abs=1.0)


def test_blink_alternates_every_quarter_second():
    spec = one_object(events=[event("blink", 2.0, 5.0)])
    m = mass(render_video(spec, size=(160, 120), fps=40.0).frames)  # 10 frames per quarter second
    full = math.pi * 10.0**2
    quarters = [m[80 + 10 * q : 90 + 10 * q] for q in range(12)]
    for q, values in enumerate(quarters):
        if q % 2 == 0:
            assert np.all(np.abs(values - full) < 0.02 * full)
        else:
            assert np.all(values < 0.5)
    assert np.all(np.abs(m[200:] - full) < 0.02 * full)  # visible after the event


@pytest.mark.parametrize(("action", "factor"), [("grow", 1.7), ("shrink", 0.55)])
def test_grow_and_shrink_scale_the_radius(action, factor):
    spec = one_object(events=[event(action, 1.0, 3.0)])
    m = mass(render_frames(spec, np.array([0.0, 2.0, 3.0, 9.9]), (320, 240)))
    full = math.pi * 20.0**2
    assert m[0] == pytest.approx(full, rel=0.01)
    assert m[1] == pytest.approx(full * (1 + (factor - 1) / 2) ** 2, rel=0.01)
    assert m[2] == pytest.approx(full * factor**2, rel=0.01) and m[3] == pytest.approx(m[2], rel=1e-6)


def test_spin_rotates_about_the_centre():
    spec = one_object("triangle", events=[event("spin", 1.0, 5.0, turns=1)], radius=30.0)
    frames = render_frames(spec, np.array([0.0, 3.0, 5.0, 6.0]), (320, 240))[..., 0]
    rest, half, done, after = frames
    np.testing.assert_array_equal(half, rest[::-1, :])  # 180 degrees about (160, 120) flips the rows
    np.testing.assert_array_equal(done, rest)
    np.testing.assert_array_equal(after, rest)


def test_drawing_order_puts_later_objects_on_top():
    spec = dataclasses.replace(
        one_object(),
        objects=(ObjectSpec("red", "circle", 20.0, 160.0, 120.0), ObjectSpec("blue", "square", 10.0, 160.0, 120.0)),
    )
    frame = render_frames(spec, np.zeros(1), (320, 240))[0]
    assert tuple(frame[120, 160]) == (50, 90, 230) and tuple(frame[120, 175]) == (220, 40, 40)


def test_noise_has_the_video_sigma():
    frames = render_video(one_object(sigma=5.0, duration=2.0), size=(80, 60)).frames
    corner = frames[:, :10, :10].astype(np.float64)
    assert corner.mean() == pytest.approx(40.0, abs=0.3)
    assert corner.std() == pytest.approx(5.0, rel=0.05)
    z = standard_normal_quantiles()
    assert z.mean() == pytest.approx(0.0, abs=1e-9) and z.std() == pytest.approx(1.0, abs=1e-3)
    assert np.all(np.diff(z) > 0)


def test_another_noise_stream_redraws_only_the_noise():
    noisy = one_object(sigma=5.0, duration=2.0)
    a = render_video(noisy, size=(80, 60)).frames.astype(np.int16)
    b = render_video(noisy, size=(80, 60), noise_stream=99).frames.astype(np.int16)
    assert not np.array_equal(a, b)
    assert abs((a - b).mean()) < 0.5 and (a - b).std() == pytest.approx(5.0 * math.sqrt(2.0), rel=0.1)
    clean = one_object(sigma=0.0, duration=2.0)  # no noise: nothing to redraw
    np.testing.assert_array_equal(
        render_video(clean, size=(80, 60)).frames, render_video(clean, size=(80, 60), noise_stream=99).frames
    )


def test_bad_size_and_fps_raise():
    with pytest.raises(ValueError):
        render_video(one_object(), size=(4, 4))
    with pytest.raises(ValueError):
        render_video(one_object(), fps=0.0)
