"""CLIP image embeddings as video features ("clip"): one L2-normalised joint-space vector per time step.

Frames are decoded at ``sample_fps`` (default 1 frame/s: CLIP sees single frames, and consecutive frames one
second apart are already near duplicates for moments of several seconds), each goes through CLIP's own image
processor (resize the short side, centre crop, normalise; read from the model folder) and vision tower with its
projection, i.e. ``CLIPModel.get_image_features``. The frame embeddings are L2-normalised, averaged over each step
of ``step`` seconds (default 1.0 s) and L2-normalised again, so that a dot product with a CLIP sentence embedding
is a cosine similarity ("clip-zeroshot" relies on it).

Steps: T = ceil(duration / step); step t holds the frames with timestamp in [t*step, (t+1)*step). A step no frame
falls in (``sample_fps`` below ``1 / step``, or a frame dropped by the decoder) takes the nearest frame's
embedding, so no row is ever zero.
"""

from __future__ import annotations

import math
import threading
from collections import OrderedDict
from typing import Any

import numpy as np
import torch

from vlanet_core.device import pick_device
from vlanet_core.errors import NoFramesError
from vlanet_core.features.types import DecodedVideo, VideoFeatures
from vlanet_core.text.transformer_base import load_or_explain

DEFAULT_CLIP_MODEL = "openai/clip-vit-base-patch32"  # the smallest OpenAI CLIP; ViT-B/32, 512-d joint space

_MAX_LOADED = 2  # vision towers are ~350 MB (ViT-B/32); two lets the app compare two CLIPs
_loaded: OrderedDict[tuple[str, str], tuple[Any, Any]] = OrderedDict()
_loaded_lock = threading.Lock()


def _load_vision(source: str, device: torch.device) -> tuple[Any, Any]:
    """(image processor, ModuleDict of the vision tower and its projection), cached per (source, device)."""
    key = (source, str(device))
    with _loaded_lock:
        if key in _loaded:
            _loaded.move_to_end(key)
            return _loaded[key]
        from transformers import CLIPImageProcessor, CLIPModel

        processor = load_or_explain(CLIPImageProcessor, source, "CLIP image processor")
        clip = load_or_explain(CLIPModel, source, "CLIP model")
        vision = torch.nn.ModuleDict({"vision_model": clip.vision_model, "visual_projection": clip.visual_projection})
        vision.config = clip.config  # type: ignore[assignment]
        _loaded[key] = (processor, vision.to(device).eval())
        while len(_loaded) > _MAX_LOADED:
            _loaded.popitem(last=False)
        return _loaded[key]


def pool_steps(embeddings: np.ndarray, timestamps: np.ndarray, duration: float, step: float) -> np.ndarray:
    """(N, C) frame embeddings at (N,) seconds -> (T, C) per-step means, L2-normalised, T = ceil(duration / step).

    Steps holding no frame take the embedding of the frame nearest to their centre.
    """
    num_steps = max(1, math.ceil(duration / step - 1e-6))
    index = np.clip(np.floor(np.asarray(timestamps, dtype=np.float64) / step).astype(int), 0, num_steps - 1)
    sums = np.zeros((num_steps, embeddings.shape[1]), dtype=np.float64)
    np.add.at(sums, index, embeddings)
    counts = np.bincount(index, minlength=num_steps)
    empty = np.flatnonzero(counts == 0)
    if empty.size:
        centres = (empty + 0.5) * step
        nearest = np.abs(np.asarray(timestamps)[None, :] - centres[:, None]).argmin(axis=1)
        sums[empty] = embeddings[nearest]
    norms = np.linalg.norm(sums, axis=1, keepdims=True)
    return (sums / np.maximum(norms, 1e-12)).astype(np.float32)


class ClipBackbone:
    """Video frames -> (T, C) CLIP image embeddings per ``step`` seconds, L2-normalised (C = projection_dim).

    ``model``: hub id or local folder holding a CLIPModel and its CLIPImageProcessor.
    ``batch_size``: frames per forward pass (64 ViT-B/32 frames use ~1 GB on GPU); ``device``: None = CUDA if any.
    ``input_size``: optional (W, H) the decoder resizes frames to before CLIP's own resize; None keeps the
    decoded size. A small size (e.g. (320, 240)) bounds decoding memory on long HD videos; CLIP only sees 224 px.
    """

    name = "clip"

    def __init__(
        self,
        model: str = DEFAULT_CLIP_MODEL,
        sample_fps: float = 1.0,
        step: float = 1.0,
        batch_size: int = 64,
        device: str | None = None,
        input_size: tuple[int, int] | list[int] | None = None,
    ) -> None:
        if not (sample_fps > 0 and step > 0 and int(batch_size) >= 1):
            raise ValueError(
                f"sample_fps and step must be > 0, batch_size >= 1; got {sample_fps}, {step}, {batch_size}"
            )
        self.model = str(model)
        self.sample_fps = float(sample_fps)
        self.step = float(step)
        self.batch_size = int(batch_size)
        self.device = pick_device(device)
        self.input_size = None if input_size is None else (int(input_size[0]), int(input_size[1]))
        self._dim: int | None = None

    @property
    def dim(self) -> int:
        if self._dim is None:  # the config alone, so asking the size does not load the weights
            from transformers import CLIPConfig

            self._dim = int(load_or_explain(CLIPConfig, self.model, "CLIP config").projection_dim)
        return self._dim

    def params(self) -> dict[str, Any]:
        """What rebuilds this backbone (device and batch size are runtime choices, left out)."""
        params: dict[str, Any] = {"model": self.model, "sample_fps": self.sample_fps, "step": self.step}
        if self.input_size is not None:
            params["input_size"] = list(self.input_size)
        return params

    @torch.inference_mode()
    def embed_frames(self, frames: np.ndarray) -> np.ndarray:
        """(N, H, W, 3) uint8 RGB -> (N, C) float32 L2-normalised CLIP image embeddings."""
        if frames.ndim != 4 or frames.shape[-1] != 3 or frames.shape[0] == 0:
            raise NoFramesError(f"expected (N, H, W, 3) RGB frames with N >= 1, got shape {frames.shape}")
        processor, vision = _load_vision(self.model, self.device)
        out = []
        for start in range(0, len(frames), self.batch_size):
            chunk = list(frames[start : start + self.batch_size])
            pixels = processor(images=chunk, return_tensors="pt")["pixel_values"].to(self.device)
            pooled = vision["vision_model"](pixel_values=pixels).pooler_output  # (b, hidden)
            embedded = vision["visual_projection"](pooled).float()  # (b, C)
            out.append(torch.nn.functional.normalize(embedded, dim=-1).cpu().numpy())
        return np.concatenate(out, axis=0)

    def extract(self, video: DecodedVideo) -> VideoFeatures:
        """Frames of ``video`` -> VideoFeatures with (ceil(duration / step), C) rows."""
        if video.frames.shape[0] == 0:
            raise NoFramesError(f"{video.source or 'the video'} has no frames to embed")
        embeddings = self.embed_frames(video.frames)
        duration = float(video.duration) if video.duration > 0 else float(np.max(video.timestamps)) + self.step
        features = pool_steps(embeddings, video.timestamps, duration, self.step)
        return VideoFeatures(
            features=features,
            step=self.step,
            duration=duration,
            backbone=self.name,
            backbone_params=self.params(),
            source=video.source,
        )

    def __repr__(self) -> str:
        return f"ClipBackbone({', '.join(f'{k}={v!r}' for k, v in self.params().items())})"
