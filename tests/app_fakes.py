"""Test helpers for the app: a tiny clip written with cv2, fake checkpoints, and a fake predictor.

The fake follows the ``vlanet_core.Predictor`` API (``from_pretrained``, ``name``, ``trained_on``, ``config``,
``encode_video(path, progress)``, ``predict(query, video, top_k, vid)``) and raises the same typed errors, so the
app's handlers can be tested before, and independently of, the real models.
"""

from __future__ import annotations

import json
import re
import time
from pathlib import Path

import cv2
import numpy as np

from app.session import file_sha256
from vlanet_core.errors import (
    EmptyQueryError,
    NoFramesError,
    NotAVideoError,
    QueryTooLongError,
    UnknownWordsError,
    VideoTooLongError,
)
from vlanet_core.features.types import VideoFeatures
from vlanet_core.results import AttentionStage, Moment, RetrievalResult

VOCAB = {
    "the",
    "a",
    "red",
    "blue",
    "green",
    "circle",
    "square",
    "triangle",
    "jumps",
    "moves",
    "spins",
    "left",
    "right",
    "script",
    "alert",
    "b",
    "bold",
    "then",
    "and",
}


def make_clip(path: Path, seconds: float = 4.0, fps: float = 10.0, size: tuple[int, int] = (64, 48)) -> Path:
    """A small clip: a red square moving left to right on grey. ``.webm`` -> VP8, else mp4v."""
    fourcc = "VP80" if path.suffix == ".webm" else "mp4v"
    writer = cv2.VideoWriter(str(path), cv2.VideoWriter_fourcc(*fourcc), fps, size)
    width, height = size
    for i in range(int(seconds * fps)):
        frame = np.full((height, width, 3), 128, np.uint8)
        x = int(i / (seconds * fps) * (width - 12))
        frame[height // 2 - 6 : height // 2 + 6, x : x + 12] = (0, 0, 255)
        writer.write(frame)
    writer.release()
    return path


def write_fake_checkpoint(root: Path, name: str, trained_on: str = "Shapes-STA train split (synthetic)") -> Path:
    folder = root / name
    folder.mkdir(parents=True, exist_ok=True)
    config = {
        "model": name,
        "model_config": {},
        "backbone": {"name": "fake", "params": {}},
        "text_encoder": {"name": "fake", "params": {}},
        "trained_on": trained_on,
    }
    (folder / "config.json").write_text(json.dumps(config))
    return folder


class FakePredictor:
    """Deterministic stand-in for ``vlanet_core.Predictor`` (numpy only)."""

    encode_calls = 0  # class-wide, so tests can see whether a clip was decoded again
    lookup_calls = 0  # class-wide: how often a clip's content was hashed to look it up

    def __init__(self, name: str, config: dict) -> None:
        self.name = name
        self.config = config
        self.trained_on = config.get("trained_on", "")
        self.encoded: dict[str, VideoFeatures] = {}  # by content, as the real predictor's process-wide cache

    def encode_video_noting_reuse(self, path: str, progress=None) -> tuple[VideoFeatures, bool]:
        type(self).lookup_calls += 1
        found = self.encoded.get(file_sha256(path))
        return (found, True) if found is not None else (self.encode_video(path, progress), False)

    @classmethod
    def from_pretrained(cls, folder: str | Path, device: str | None = None) -> FakePredictor:
        folder = Path(folder)
        return cls(folder.name, json.loads((folder / "config.json").read_text()))

    def encode_video(self, path: str, progress=None) -> VideoFeatures:
        type(self).encode_calls += 1
        capture = cv2.VideoCapture(str(path))
        if not capture.isOpened():
            raise NotAVideoError(f"{Path(path).name} is not a video file")
        fps = capture.get(cv2.CAP_PROP_FPS) or 10.0
        frames = []
        while True:
            ok, frame = capture.read()
            if not ok:
                break
            frames.append(frame.mean(axis=(0, 1)))
        capture.release()
        if not frames:
            raise NoFramesError(f"{Path(path).name}: no decodable frame")
        duration = len(frames) / fps
        if duration > 600:
            raise VideoTooLongError(f"{duration:.0f} s is over the 600 s limit")
        if progress is not None:
            progress(1.0, "done")
        step = 0.5
        steps = max(1, int(np.ceil(duration / step)))
        per_step = np.array_split(np.asarray(frames, np.float32), steps)
        feats = np.stack([chunk.mean(axis=0) if len(chunk) else np.zeros(3, np.float32) for chunk in per_step])
        features = VideoFeatures(
            features=feats.astype(np.float32), step=step, duration=duration, backbone="fake", source=str(path)
        )
        self.encoded[file_sha256(path)] = features
        return features

    def predict(self, query: str, video: VideoFeatures, top_k: int = 5, vid: str | None = None) -> RetrievalResult:
        started = time.perf_counter()
        words = re.findall(r"[a-z]+", query.lower())
        if not words:
            raise EmptyQueryError("the query has no word")
        if len(query.split()) > 50:
            raise QueryTooLongError("over 50 words")
        tokens = [w for w in words if w in VOCAB]
        unknown = [w for w in words if w not in VOCAB]
        if not tokens:
            raise UnknownWordsError("no known word", unknown)
        steps = video.num_steps
        seed = sum(ord(c) for c in " ".join(tokens)) + len(self.name)
        rng = np.random.default_rng(seed)
        spans = [(a, b) for a in range(steps) for b in range(a + 1, steps + 1) if b - a <= max(2, steps // 2)]
        fractions = np.array(spans, dtype=float) / steps
        scores = rng.random(len(spans))
        seconds = video.fractions_to_seconds(fractions)
        proposals = [Moment(float(s), float(e), float(c)) for (s, e), c in zip(seconds, scores)]
        ranked = sorted(proposals, key=lambda m: -m.score)[:top_k]
        word_time = rng.random((len(tokens), steps))
        word_time /= word_time.sum(axis=1, keepdims=True)
        times = [f"{t:.1f}s" for t in video.times]
        stages = [
            AttentionStage("word x time", word_time, tokens, times, ("word", "time"), "fake word attention"),
            AttentionStage(
                "proposal scores",
                scores,
                [f"{s:.1f}-{e:.1f}" for s, e in seconds],
                None,
                ("proposal",),
                "fake 1-D stage",
            ),
        ]
        return RetrievalResult(
            vid=vid or "clip",
            query=query,
            model=self.name,
            duration=video.duration,
            moments=ranked,
            proposals=proposals,
            tokens=tokens,
            times=video.times,
            word_time=word_time,
            stages=stages,
            unknown_words=unknown,
            latency_s=time.perf_counter() - started,
        )


def fake_loader(folder: Path) -> FakePredictor:
    return FakePredictor.from_pretrained(folder)


def write_examples(
    folder: Path,
    clip_name: str = "ex.webm",
    query: str = "the red square moves right",
    moment: tuple[float, float] = (1.0, 3.0),
) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    make_clip(folder / clip_name)
    entries = [{"file": clip_name, "query": query, "moment": list(moment), "name": "red square"}]
    (folder / "examples.json").write_text(json.dumps(entries))
    return folder


def free_port() -> int:
    import socket

    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def build_test_demo(tmp_path: Path, models: tuple[str, ...] = ("vlanet-shapes-sta", "random", "wsra-shapes-sta")):
    """A demo over fake checkpoints and one example clip, with sessions under ``tmp_path``."""
    import dataclasses

    from app.settings import AppSettings
    from app.ui import build_demo

    root = tmp_path / "checkpoints"
    for name in models:
        write_fake_checkpoint(root, name)
    settings = dataclasses.replace(AppSettings(), temp_root=tmp_path / "sessions")
    return build_demo(
        checkpoint_root=root, examples_dir=write_examples(tmp_path / "examples"), loader=fake_loader, settings=settings
    )


def real_backend_checkpoints(root: Path) -> Path | None:
    """Checkpoints of real (untrained / query-blind) models saved with ``save_checkpoint``; None when the core's
    predictor path (decoding, backbone, GloVe) is not importable yet."""
    try:
        import vlanet_core.features.backbones  # noqa: F401
        import vlanet_core.features.pipeline  # noqa: F401
        import vlanet_core.models  # noqa: F401
        import vlanet_core.text.encoders  # noqa: F401
        from vlanet_core.checkpoint import save_checkpoint
        from vlanet_core.models.baselines import WholeVideoBaseline, WholeVideoConfig
        from vlanet_core.models.vlanet import VLANet
        from vlanet_core.models.vlanet_config import VLANetConfig
        from vlanet_core.registry import BACKBONES, TEXT_ENCODERS

        backbone = BACKBONES.create("default")
        TEXT_ENCODERS.create("glove")
    except Exception:  # noqa: BLE001 - any missing piece means "not yet"
        return None
    import torch

    torch.manual_seed(0)
    spec = dict(
        backbone={"name": "default", "params": backbone.params()},
        text_encoder={"name": "glove", "params": {}},
        trained_on="nothing (untrained test weights)",
    )
    save_checkpoint(
        VLANet(VLANetConfig(feature_dim=backbone.dim, word_dim=50)), root / "vlanet-test", name="vlanet", **spec
    )
    save_checkpoint(
        WholeVideoBaseline(WholeVideoConfig(feature_dim=backbone.dim)), root / "whole-video", name="whole-video", **spec
    )
    return root
