"""Features computed elsewhere ("precomputed"): one file per video in a folder, as the C3D / I3D releases ship them.

Layout: ``<folder>/<vid>.npy`` (T, C), or ``<vid>.npz`` (the array under ``key``, or its only array), or
``<vid>.pt`` (a tensor, or a dict of tensors with the array under ``key``; read with ``torch.load(weights_only=
True)``, so a file cannot run code). Singleton axes after the first are squeezed, so the (T, 1, 1, 1024) I3D
layout reads as (T, 1024). Files are read as given: no L2 normalisation, no resampling.

The step is ``duration / T`` (the release features cover the whole clip at a fixed clip stride we are not told),
or the fixed ``step`` given at construction. ActivityNet's single HDF5 file of C3D features is not read here
(h5py is not a dependency); export it to one ``.npy`` per video first.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np

from vlanet_core.errors import FeatureSizeError, VMRError
from vlanet_core.features.types import DecodedVideo, VideoFeatures

SUFFIXES = (".npy", ".npz", ".pt")  # the order a video's file is looked for in


class MissingFeaturesError(VMRError, FileNotFoundError):
    """No feature file for a video in the precomputed folder (the message names the folder and the video)."""


def _as_2d(array: Any, path: Path) -> np.ndarray:
    array = np.asarray(array, dtype=np.float32)
    if array.ndim > 2:  # (T, 1, 1, C) -> (T, C)
        array = array.reshape(array.shape[0], *[n for n in array.shape[1:] if n != 1])
    if array.ndim != 2 or array.shape[0] == 0 or array.shape[1] == 0:
        raise FeatureSizeError(f"{path}: expected a (T, C) feature array, got shape {array.shape}")
    if not np.isfinite(array).all():
        raise FeatureSizeError(f"{path}: the features hold NaN or infinite values")
    return array


def _pick(arrays: dict[str, Any], key: str | None, path: Path) -> Any:
    if key is not None:
        if key not in arrays:
            raise FeatureSizeError(f"{path}: no array {key!r}; it holds {sorted(arrays)}")
        return arrays[key]
    if len(arrays) != 1:
        raise FeatureSizeError(f"{path}: holds {sorted(arrays)}; say which with key=...")
    return next(iter(arrays.values()))


def read_feature_file(path: str | Path, key: str | None = None) -> np.ndarray:
    """(T, C) float32 features of one ``.npy`` / ``.npz`` / ``.pt`` file."""
    path = Path(path)
    suffix = path.suffix.lower()
    if suffix == ".npy":
        array = np.load(path, allow_pickle=False)
    elif suffix == ".npz":
        with np.load(path, allow_pickle=False) as archive:
            array = _pick({name: archive[name] for name in archive.files}, key, path)
    elif suffix == ".pt":
        import torch

        data = torch.load(path, map_location="cpu", weights_only=True)
        if isinstance(data, dict):
            data = _pick(data, key, path)
        if not isinstance(data, torch.Tensor):
            raise FeatureSizeError(f"{path}: expected a tensor or a dict of tensors, got {type(data).__name__}")
        array = data.detach().float().numpy()
    else:
        raise FeatureSizeError(f"{path}: unsupported feature file type {suffix!r}; use one of {', '.join(SUFFIXES)}")
    return _as_2d(array, path)


class PrecomputedFeatures:
    """Reads ``<folder>/<vid>.{npy,npz,pt}`` as VideoFeatures.

    - ``folder``: where the files are. ``dim``: the feature size C every file must have (FeatureSizeError
      otherwise); None = whatever the files hold (``.dim`` then reads the first file).
    - ``key``: the array's name inside ``.npz`` / ``.pt`` files holding several.
    - ``step``: seconds per feature row; None = ``duration / T`` per video.
    - ``sample_fps``: how densely the pipeline decodes the video before ``extract`` (only its duration and name
      are used, so 1 frame/s keeps decoding cheap).
    """

    name = "precomputed"
    input_size = None

    def __init__(
        self,
        folder: str | Path,
        dim: int | None = None,
        key: str | None = None,
        step: float | None = None,
        sample_fps: float = 1.0,
    ) -> None:
        self.folder = Path(folder)
        self.expected_dim = None if dim is None else int(dim)
        self.key = key
        self.step = None if step is None else float(step)
        self.sample_fps = float(sample_fps)
        if self.step is not None and self.step <= 0:
            raise ValueError(f"step must be > 0 seconds, got {step}")

    @property
    def dim(self) -> int:
        if self.expected_dim is None:
            files = sorted(p for p in self.folder.glob("*") if p.suffix.lower() in SUFFIXES)
            if not files:
                raise MissingFeaturesError(f"{self.folder}: no {'/'.join(SUFFIXES)} feature files")
            self.expected_dim = read_feature_file(files[0], self.key).shape[1]
        return self.expected_dim

    def params(self) -> dict[str, Any]:
        return {"folder": str(self.folder), "dim": self.expected_dim, "key": self.key, "step": self.step}

    def path_of(self, vid: str) -> Path:
        """The feature file of video ``vid``; MissingFeaturesError when there is none."""
        if not vid or Path(vid).name != vid or vid in (".", ".."):  # a video id, never a path out of the folder
            raise MissingFeaturesError(f"{vid!r} is not a video id (no folders, no '..')")
        for suffix in SUFFIXES:
            path = self.folder / f"{vid}{suffix}"
            if path.is_file():
                return path
        raise MissingFeaturesError(f"no features for video {vid!r} in {self.folder} (looked for {vid}.npy/.npz/.pt)")

    def load(self, vid: str, duration: float) -> VideoFeatures:
        """(T, C) features of ``vid`` on a grid of ``duration / T`` seconds (or the fixed ``step``)."""
        if not duration > 0:
            raise ValueError(f"duration must be > 0 seconds, got {duration}")
        path = self.path_of(vid)
        features = read_feature_file(path, self.key)
        if self.expected_dim is not None and features.shape[1] != self.expected_dim:
            raise FeatureSizeError(
                f"{path}: features have size {features.shape[1]}, but {self.expected_dim} was expected "
                f"(a model trained on other features?)"
            )
        step = self.step if self.step is not None else float(duration) / features.shape[0]
        return VideoFeatures(
            features=features,
            step=step,
            duration=float(duration),
            backbone=self.name,
            backbone_params=self.params(),
            source=str(path),
        )

    def extract(self, video: DecodedVideo) -> VideoFeatures:
        """The features of the file named like the video (``video.source``'s stem), on the video's duration."""
        return self.load(Path(video.source).stem, video.duration)

    def __repr__(self) -> str:
        return f"PrecomputedFeatures({', '.join(f'{k}={v!r}' for k, v in self.params().items())})"
