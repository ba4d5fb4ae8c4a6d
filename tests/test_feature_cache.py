"""FeatureCache: bounded by feature bytes, least recently used first out, disk mirror, content keys, threads."""

from __future__ import annotations

import hashlib
import threading
from pathlib import Path

import cv2
import numpy as np
import pytest

from vlanet_core.features import pipeline
from vlanet_core.features.cache import FeatureCache, feature_key, file_digest
from vlanet_core.features.default_backbone import DefaultBackbone
from vlanet_core.features.types import VideoFeatures

ENTRY_BYTES = 10 * 8 * 4  # a (10, 8) float32 entry


def _features(value: float, rows: int = 10) -> VideoFeatures:
    return VideoFeatures(
        features=np.full((rows, 8), value, np.float32),
        step=0.5,
        duration=rows * 0.5,
        backbone="default",
        backbone_params={"step": 0.5},
        source=f"clip{value}.mp4",
    )


def _write_clip(path: Path, frames: int = 20, colour=(40, 40, 220)) -> Path:
    writer = cv2.VideoWriter(str(path), cv2.VideoWriter.fourcc(*"mp4v"), 10.0, (64, 48))
    for i in range(frames):
        frame = np.full((48, 64, 3), 60, np.uint8)
        cv2.circle(frame, (8 + 2 * i, 24), 6, colour, -1)
        writer.write(frame)
    writer.release()
    return path


def test_get_returns_a_copy_of_what_was_put():
    cache = FeatureCache()
    cache.put("k", _features(1.0))
    got = cache.get("k")
    assert got is not None and np.all(got.features == 1.0) and got.source == "clip1.0.mp4"
    got.features[:] = 5.0  # the caller's copy, not the cache's
    assert np.all(cache.get("k").features == 1.0)
    assert cache.get("other") is None
    assert (cache.hits, cache.misses) == (2, 1)
    assert cache.stats().entries == 1 and cache.stats().bytes == ENTRY_BYTES


def test_memory_is_bounded_by_bytes_and_evicts_least_recent_first():
    cache = FeatureCache(max_bytes=3 * ENTRY_BYTES)
    for name in "abc":
        cache.put(name, _features(1.0))
    assert cache.get("a") is not None  # a is now the most recent; b the least
    cache.put("d", _features(2.0))
    assert "b" not in cache and all(name in cache for name in "acd")
    assert cache.nbytes == 3 * ENTRY_BYTES
    cache.put("big", _features(3.0, rows=30))  # 3 entries' worth: everything else goes
    assert len(cache) == 1 and "big" in cache
    cache.put("huge", _features(4.0, rows=31))  # above the bound on its own: not kept, others stay
    assert "huge" not in cache and "big" in cache and cache.nbytes == 3 * ENTRY_BYTES


def test_replacing_an_entry_does_not_count_it_twice():
    cache = FeatureCache(max_bytes=2 * ENTRY_BYTES)
    cache.put("a", _features(1.0))
    cache.put("a", _features(2.0))
    cache.put("b", _features(3.0))
    assert len(cache) == 2 and cache.nbytes == 2 * ENTRY_BYTES and cache.get("a").features[0, 0] == 2.0


def test_disk_mirror_round_trip_and_bound(tmp_path):
    first = FeatureCache(folder=tmp_path)
    first.put("key one", _features(1.5))
    again = FeatureCache(folder=tmp_path)  # a restart: memory empty, disk kept
    got = again.get("key one")
    assert got is not None and np.all(got.features == 1.5) and got.step == 0.5 and got.duration == 5.0
    assert got.backbone == "default" and got.backbone_params == {"step": 0.5} and got.source == "clip1.5.mp4"
    assert again.stats().disk_hits == 1 and "key one" in again
    assert again.get("key two") is None
    next(tmp_path.glob("*.npz")).write_bytes(b"not an npz")  # a damaged file is a miss
    assert FeatureCache(folder=tmp_path).get("key one") is None
    bounded = FeatureCache(folder=tmp_path / "small", max_disk_bytes=3000)
    for i in range(6):
        bounded.put(f"k{i}", _features(float(i)))
    files = list((tmp_path / "small").glob("*.npz"))
    assert 1 <= len(files) < 6 and sum(f.stat().st_size for f in files) <= 3000
    assert not list((tmp_path / "small").glob("*.tmp"))


def test_threads_share_one_cache_safely():
    cache = FeatureCache(max_bytes=20 * ENTRY_BYTES)
    errors: list[BaseException] = []

    def work(worker: int) -> None:
        try:
            for i in range(200):
                key = f"k{(worker * 7 + i) % 40}"
                cache.put(key, _features(float(i % 5)))
                got = cache.get(key)
                assert got is None or got.features.shape == (10, 8)
        except BaseException as err:  # pragma: no cover - reported below
            errors.append(err)

    threads = [threading.Thread(target=work, args=(w,)) for w in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert not errors
    assert cache.nbytes <= 20 * ENTRY_BYTES and cache.nbytes == len(cache) * ENTRY_BYTES
    assert cache.hits + cache.misses == 800


def test_key_follows_content_and_backbone_params(tmp_path):
    one = _write_clip(tmp_path / "one.mp4")
    copy = tmp_path / "copy with another name.mp4"
    copy.write_bytes(one.read_bytes())
    other = _write_clip(tmp_path / "other.mp4", colour=(220, 40, 40))
    backbone = DefaultBackbone()
    key = FeatureCache.key_for(one, backbone)
    assert key == FeatureCache.key_for(copy, backbone)  # content, not name
    assert key != FeatureCache.key_for(other, backbone)
    assert key != FeatureCache.key_for(one, DefaultBackbone(sample_fps=5.0))  # params hold the rate
    assert key != FeatureCache.key_for(one, DefaultBackbone(input_size=(40, 30)))
    assert file_digest(one) == file_digest(copy) and len(file_digest(one)) == 64
    assert feature_key("d", "b", {"z": 1, "a": [1, 2]}) == feature_key("d", "b", {"a": [1, 2], "z": 1})
    with pytest.raises(FileNotFoundError):
        file_digest(tmp_path / "missing.mp4")


def test_file_digest_streams_files_larger_than_a_chunk(tmp_path):
    path = tmp_path / "big.bin"
    data = np.random.default_rng(0).integers(0, 256, (1 << 20) * 2 + 123, dtype=np.uint8).tobytes()
    path.write_bytes(data)
    assert file_digest(path) == hashlib.blake2b(data, digest_size=32).hexdigest()


def test_second_encode_of_the_same_content_decodes_nothing(tmp_path, monkeypatch):
    clip = _write_clip(tmp_path / "clip.mp4")
    renamed = tmp_path / "renamed.mp4"
    renamed.write_bytes(clip.read_bytes())
    calls = []
    real_stream = pipeline.stream_video  # the default backbone's (streamed) path
    monkeypatch.setattr(pipeline, "stream_video", lambda *a, **k: calls.append(a) or real_stream(*a, **k))
    cache, backbone = FeatureCache(), DefaultBackbone()
    first = pipeline.encode_video_file(clip, backbone, cache=cache)
    second = pipeline.encode_video_file(renamed, backbone, cache=cache)
    assert len(calls) == 1
    assert np.array_equal(first.features, second.features)
    assert second.source == str(renamed) and first.source == str(clip)
    assert cache.hits == 1 and cache.misses == 1
    pipeline.encode_video_file(clip, DefaultBackbone(sample_fps=5.0), cache=cache)  # other params: decodes
    assert len(calls) == 2
