"""The predictor API the app and outside scripts depend on.

    p = Predictor.from_pretrained("checkpoints/vlanet-shapes-sta")
    video = p.encode_video("clip.mp4")              # decode + features, cached by content hash
    result = p.predict("the red circle moves to the left", video, top_k=5)
    result.moments, result.to_json()

The predictor owns the only conversion from the model's fractions of the feature sequence to seconds, the
ranking (NMS, top-k) and the relabelling of attention axes in seconds.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np
import torch

from vlanet_core.checkpoint import build_model, load_checkpoint
from vlanet_core.device import pick_device
from vlanet_core.errors import CheckpointError, FeatureSizeError
from vlanet_core.features.types import DecodedVideo, VideoFeatures
from vlanet_core.models.base import ModelOutput, MomentModel
from vlanet_core.registry import BACKBONES, TEXT_ENCODERS
from vlanet_core.results import AttentionStage, Moment, RetrievalResult
from vlanet_core.spans import nms

TIME_AXES = ("time", "step")
DEFAULT_NMS = 0.5

_shared_cache: Any = None
_shared_cache_lock = threading.Lock()


def shared_feature_cache() -> Any:
    """One bounded feature cache per process, keyed by content hash + backbone + params (no per-user data)."""
    global _shared_cache
    with _shared_cache_lock:
        if _shared_cache is None:
            from vlanet_core.features.cache import FeatureCache

            _shared_cache = FeatureCache()
        return _shared_cache


class Predictor:
    """A loaded model with its visual backbone and text encoder.

    ``config`` is the checkpoint's config.json as a dict (``model``, ``model_config``, ``backbone``,
    ``text_encoder``, ``trained_on``, ``extra``).
    """

    def __init__(self, model: MomentModel, config: dict[str, Any], device: torch.device, name: str = "") -> None:
        self.model = model.eval()
        self.config = config
        self.device = device
        self.name = name or config["model"]
        backbone_cfg = config["backbone"]
        text_cfg = config["text_encoder"]
        self.backbone = BACKBONES.create(backbone_cfg["name"], **backbone_cfg.get("params", {}))
        self.text_encoder = TEXT_ENCODERS.create(text_cfg["name"], **text_cfg.get("params", {}))
        self._lock = threading.Lock()  # torch modules are not re-entrant across threads for hooks/state

    @property
    def trained_on(self) -> str:
        return str(self.config.get("trained_on", "unknown data"))

    @classmethod
    def from_pretrained(cls, folder: str | Path, device: str | torch.device | None = None) -> Predictor:
        """Load a checkpoint folder (config.json + model.safetensors)."""
        dev = pick_device(str(device) if device is not None else None)
        model, config = load_checkpoint(folder, device=dev)
        return cls(model, config, dev, name=Path(folder).name)

    @classmethod
    def from_config(cls, config: dict[str, Any], device: str | torch.device | None = None, name: str = "") -> Predictor:
        """Build an untrained or training-free model (baselines, clip-zeroshot) straight from a config dict."""
        dev = pick_device(str(device) if device is not None else None)
        model = build_model(config["model"], config["model_config"]).to(dev)
        return cls(model, config, dev, name=name)

    def with_model_settings(self, settings: dict[str, Any], name: str | None = None) -> Predictor:
        """The same weights under other values of the model config's inference-time settings (VLANet's
        ``stride_steps``, ``use_surrogate``, ``localisation``...): a new Predictor; ``self`` is unchanged.

        Raises CheckpointError for a key the config does not have, a value it refuses, or a setting that changes
        the shape of the weights (``hidden_dim``...), which no trained checkpoint can take."""
        model_config = {**self.config["model_config"], **settings}
        try:
            model = build_model(self.config["model"], model_config)
        except ValueError as err:
            raise CheckpointError(f"model {self.name!r}: {err}") from err
        try:
            model.load_state_dict(self.model.state_dict())
        except RuntimeError as err:
            raise CheckpointError(f"model {self.name!r}: settings {settings} change its weights: {err}") from err
        label = ",".join(f"{key}={value}" for key, value in settings.items())
        config = {**self.config, "model_config": model_config}
        return Predictor(model.to(self.device), config, self.device, name=name or f"{self.name}[{label}]")

    def encode_video(
        self, video: str | Path | DecodedVideo, progress: Callable[[float, str], None] | None = None
    ) -> VideoFeatures:
        """Decode a file (or take frames already decoded) and compute the backbone's features; cached by content."""
        return self.encode_video_noting_reuse(video, progress)[0]

    def encode_video_noting_reuse(
        self, video: str | Path | DecodedVideo, progress: Callable[[float, str], None] | None = None
    ) -> tuple[VideoFeatures, bool]:
        """``encode_video``'s features, and whether the process's feature cache already held them (nothing was
        decoded; frames already decoded are never cached)."""
        if isinstance(video, DecodedVideo):
            return self.backbone.extract(video), False
        from vlanet_core.features.pipeline import encode_video_file_noting_reuse

        return encode_video_file_noting_reuse(video, self.backbone, cache=shared_feature_cache(), progress=progress)

    @property
    def nms_threshold(self) -> float:
        """The IoU above which a lower-scored proposal is dropped from the top-k: the model config's
        ``nms_threshold`` where it has one (VLANet's is chosen on val), else ``DEFAULT_NMS``."""
        return float(getattr(self.model.config, "nms_threshold", DEFAULT_NMS))

    def encode_query(self, query: str) -> Any:
        """The text encoder's EncodedText (raises EmptyQueryError / QueryTooLongError / UnknownWordsError)."""
        return self.text_encoder.encode(query)

    def predict(
        self,
        query: str,
        video: VideoFeatures,
        top_k: int = 5,
        vid: str | None = None,
        nms_threshold: float | None = None,
    ) -> RetrievalResult:
        """Rank the moments of ``video`` for ``query``; ``top_k`` moments after NMS, best first, in seconds.

        ``nms_threshold``: None uses the model's own (``self.nms_threshold``), chosen with the model on val.
        """
        start_time = time.perf_counter()
        text = self.encode_query(query)
        expected = int(self.model.config.feature_dim)
        if video.features.ndim != 2 or video.features.shape[1] != expected:
            raise FeatureSizeError(
                f"model {self.name!r} expects {expected}-d features from backbone "
                f"{self.config['backbone']['name']!r}, got shape {tuple(video.features.shape)}"
            )
        feats = torch.from_numpy(np.ascontiguousarray(video.features, dtype=np.float32)).to(self.device)
        words = torch.from_numpy(np.ascontiguousarray(text.vectors, dtype=np.float32)).to(self.device)
        with self._lock, torch.no_grad():
            out = self.model.infer(self.model.prepare_video(feats), words, list(text.tokens))
        threshold = self.nms_threshold if nms_threshold is None else float(nms_threshold)
        result = self._to_result(out, video, query, text, vid, top_k, threshold)
        result.latency_s = time.perf_counter() - start_time
        return result

    def _to_result(
        self,
        out: ModelOutput,
        video: VideoFeatures,
        query: str,
        text: Any,
        vid: str | None,
        top_k: int,
        nms_threshold: float,
    ) -> RetrievalResult:
        spans = video.fractions_to_seconds(np.asarray(out.proposals, dtype=np.float64).reshape(-1, 2))
        scores = np.nan_to_num(np.asarray(out.scores, dtype=np.float64).reshape(-1), nan=-1e9)
        keep = nms(spans, scores, threshold=nms_threshold, top_k=max(1, int(top_k)))
        moments = [Moment(float(spans[i, 0]), float(spans[i, 1]), float(scores[i])) for i in keep]
        proposals = [Moment(float(s[0]), float(s[1]), float(c)) for s, c in zip(spans, scores)]
        times = video.times
        return RetrievalResult(
            vid=vid or (Path(video.source).stem if video.source else "video"),
            query=query,
            model=self.name,
            duration=float(video.duration),
            moments=moments,
            proposals=proposals,
            tokens=list(text.tokens),
            times=times,
            word_time=None if out.word_time is None else np.asarray(out.word_time, dtype=np.float32),
            stages=_label_time_axes(out.stages, times, video.step),
            unknown_words=list(text.unknown),
        )


def _label_time_axes(stages: list[AttentionStage], times: np.ndarray, step: float) -> list[AttentionStage]:
    """Relabel in seconds: axes named "time"/"step" get each step's time; labels "a-b" (a span in feature steps,
    as models label proposals) become "a*step-b*step s". The step labels are formatted once and each distinct
    span label once for all stages (on a 10-min clip the stages hold tens of thousands of labels)."""
    labels = [f"{t:.1f}s" for t in times]
    spans: dict[str, str] = {}

    def relabel(axis_name: str, current: list[str]) -> list[str]:
        if axis_name in TIME_AXES and len(current) == len(labels):
            return list(labels)  # a list per stage, as before: no two stages share one
        out = []
        for label in current:
            new = spans.get(label)
            if new is None:
                new = spans[label] = _span_label(label, step)
            out.append(new)
        return out

    relabelled = []
    for stage in stages:
        rows, cols = stage.rows, stage.cols
        if len(stage.axis) >= 1:
            rows = relabel(stage.axis[0], rows)
        if len(stage.axis) >= 2 and cols is not None:
            cols = relabel(stage.axis[1], cols)
        relabelled.append(AttentionStage(stage.name, stage.weights, rows, cols, stage.axis, stage.description))
    return relabelled


def _span_label(label: str, step: float) -> str:
    start, sep, end = label.partition("-")
    if sep and start.isdigit() and end.isdigit():
        return f"{int(start) * step:.1f}-{int(end) * step:.1f}s"
    return label
