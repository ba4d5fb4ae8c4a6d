"""A bounded, thread-safe cache of VideoFeatures keyed by what the file holds, not what it is called.

Key: ``blake2b(file bytes) + backbone name + JSON of the backbone's params`` (sorted keys; the params already
hold the decode rate and the input size). So the same clip uploaded twice under two names is decoded once, a file
edited in place is decoded again, and two backbones (or one backbone with other settings) never share an entry.
Only features are kept, never frames: at the default backbone a 30-s clip is 61 x 640 float32 = 156 KB, so the
512 MB default holds about 3000 clips.

- Memory: least recently used entries go first once the feature arrays' bytes pass ``max_bytes``.
- Disk (``folder``, optional): every entry is also written as ``<blake2b(key)>.npz`` (atomically: a temporary
  file then a rename, so a reader in another thread or process never sees half a file), and read back on a memory
  miss, e.g. after a restart. The files' modification time is their recency: a hit touches the file, and once the
  folder's ``.npz`` files pass ``max_disk_bytes`` the oldest are deleted. A file that cannot be read, or that
  holds another key, is a miss.
- Entries are copies both ways: a caller that edits the features it got (or gave) cannot corrupt the cache.
"""

from __future__ import annotations

import hashlib
import json
import os
import threading
from collections import OrderedDict
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from vlanet_core.atomic_write import write_atomically
from vlanet_core.features.types import VideoFeatures

HASH_CHUNK = 1 << 20  # bytes read per step while hashing: flat memory for any file size
DEFAULT_MAX_BYTES = 512 * 2**20  # about 3000 default-backbone clips of 30 s
DEFAULT_MAX_DISK_BYTES = 2 * 2**30  # disk is cheaper than memory; still bounded so a server never fills its disk


def file_digest(path: str | os.PathLike[str]) -> str:
    """Hex blake2b (32 bytes) of the file's content, read in ``HASH_CHUNK`` steps. FileNotFoundError if absent."""
    digest = hashlib.blake2b(digest_size=32)
    buffer = bytearray(HASH_CHUNK)
    view = memoryview(buffer)
    with open(path, "rb") as handle:
        while True:
            count = handle.readinto(buffer)
            if not count:
                break
            digest.update(view[:count])
    return digest.hexdigest()


def feature_key(digest: str, backbone_name: str, backbone_params: dict[str, Any]) -> str:
    """The cache key of a content digest under a backbone: 'digest|name|{sorted JSON params}'."""
    params = json.dumps(backbone_params, sort_keys=True, separators=(",", ":"), default=str)
    return f"{digest}|{backbone_name}|{params}"


@dataclass(frozen=True)
class CacheStats:
    hits: int  # answered from memory or disk
    misses: int
    disk_hits: int  # the part of ``hits`` read back from the folder
    entries: int  # in memory
    bytes: int  # feature bytes in memory


def _copy(features: VideoFeatures) -> VideoFeatures:
    return VideoFeatures(
        features=np.array(features.features, dtype=np.float32, copy=True),
        step=float(features.step),
        duration=float(features.duration),
        backbone=features.backbone,
        backbone_params=json.loads(json.dumps(features.backbone_params, default=str)),
        source=features.source,
    )


class FeatureCache:
    """``get(key) -> VideoFeatures | None``, ``put(key, features)``, ``key_for(path, backbone)``; see module doc.

    - ``max_bytes``: bound on the feature arrays held in memory (default 512 MB); an entry larger than the bound
      is not kept in memory (it still goes to disk).
    - ``folder``: where to mirror entries as .npz, or None for memory only.
    - ``max_disk_bytes``: bound on the folder's .npz files (default 2 GB).
    """

    def __init__(
        self,
        max_bytes: int = DEFAULT_MAX_BYTES,
        folder: str | os.PathLike[str] | None = None,
        max_disk_bytes: int = DEFAULT_MAX_DISK_BYTES,
    ) -> None:
        if max_bytes < 0 or max_disk_bytes < 0:
            raise ValueError(f"cache bounds must be >= 0 bytes, got {max_bytes} and {max_disk_bytes}")
        self.max_bytes = int(max_bytes)
        self.max_disk_bytes = int(max_disk_bytes)
        self.folder = None if folder is None else Path(folder)
        if self.folder is not None:
            self.folder.mkdir(parents=True, exist_ok=True)
        self._entries: OrderedDict[str, VideoFeatures] = OrderedDict()  # oldest first
        self._bytes = 0
        self._lock = threading.Lock()
        self.hits = 0
        self.misses = 0
        self.disk_hits = 0

    # --- keys ----------------------------------------------------------------------------------------------------
    @staticmethod
    def key_for(path: str | os.PathLike[str], backbone: Any) -> str:
        """Key of the file at ``path`` under ``backbone`` (its ``.name`` and ``.params()``); hashes the whole file."""
        return feature_key(file_digest(path), str(backbone.name), backbone.params())

    # --- lookups ---------------------------------------------------------------------------------------------------
    def get(self, key: str) -> VideoFeatures | None:
        """A copy of the features stored under ``key`` (memory first, then disk), or None."""
        with self._lock:
            found = self._entries.get(key)
            if found is not None:
                self._entries.move_to_end(key)
                self.hits += 1
                return _copy(found)
        loaded = self._read_disk(key)
        with self._lock:
            if loaded is None:
                self.misses += 1
                return None
            self.hits += 1
            self.disk_hits += 1
            self._remember(key, loaded)
        return _copy(loaded)

    def put(self, key: str, features: VideoFeatures) -> None:
        """Store a copy of ``features`` under ``key`` (replacing any older entry), evicting the least recent."""
        kept = _copy(features)
        with self._lock:
            self._remember(key, kept)
        if self.folder is not None:
            self._write_disk(key, kept)

    def __contains__(self, key: str) -> bool:
        with self._lock:
            return key in self._entries

    def __len__(self) -> int:
        with self._lock:
            return len(self._entries)

    @property
    def nbytes(self) -> int:
        """Feature bytes held in memory."""
        with self._lock:
            return self._bytes

    def stats(self) -> CacheStats:
        with self._lock:
            return CacheStats(self.hits, self.misses, self.disk_hits, len(self._entries), self._bytes)

    def clear(self) -> None:
        """Forget the memory entries (the disk mirror stays)."""
        with self._lock:
            self._entries.clear()
            self._bytes = 0

    # --- memory (call with the lock held) --------------------------------------------------------------------------
    def _remember(self, key: str, features: VideoFeatures) -> None:
        old = self._entries.pop(key, None)
        if old is not None:
            self._bytes -= old.features.nbytes
        size = features.features.nbytes
        if size > self.max_bytes:
            return
        self._entries[key] = features
        self._bytes += size
        while self._bytes > self.max_bytes:
            _, evicted = self._entries.popitem(last=False)
            self._bytes -= evicted.features.nbytes

    # --- disk ------------------------------------------------------------------------------------------------------
    def _file_of(self, key: str) -> Path:
        assert self.folder is not None
        return self.folder / f"{hashlib.blake2b(key.encode(), digest_size=20).hexdigest()}.npz"

    def _read_disk(self, key: str) -> VideoFeatures | None:
        if self.folder is None:
            return None
        path = self._file_of(key)
        try:
            with np.load(path, allow_pickle=False) as data:
                if str(data["key"]) != key:  # a digest collision or a foreign file: not ours
                    return None
                meta = json.loads(str(data["meta"]))
                features = np.asarray(data["features"], dtype=np.float32)
            os.utime(path)  # recency for the disk bound
        except (OSError, ValueError, KeyError, json.JSONDecodeError):  # absent, half-deleted, or not our format
            return None
        return VideoFeatures(features=features, **meta)

    def _write_disk(self, key: str, features: VideoFeatures) -> None:
        assert self.folder is not None
        if features.features.nbytes > self.max_disk_bytes:
            return
        meta = {
            "step": features.step,
            "duration": features.duration,
            "backbone": features.backbone,
            "backbone_params": features.backbone_params,
            "source": features.source,
        }
        try:
            write_atomically(
                self._file_of(key),
                lambda out: np.savez(
                    out, key=np.array(key), meta=np.array(json.dumps(meta)), features=features.features
                ),
            )
        except OSError:  # a full or read-only disk costs the mirror, never the answer
            return
        self._prune_disk()

    def _prune_disk(self) -> None:
        """Delete the least recently used .npz files until the folder is within ``max_disk_bytes``."""
        assert self.folder is not None
        files = []
        for path in self.folder.glob("*.npz"):
            try:
                info = path.stat()
            except OSError:  # deleted meanwhile by another thread or process
                continue
            files.append((info.st_mtime_ns, info.st_size, path))
        total = sum(size for _, size, _ in files)
        for _, size, path in sorted(files, key=lambda item: item[0]):
            if total <= self.max_disk_bytes:
                break
            path.unlink(missing_ok=True)
            total -= size


__all__ = ["CacheStats", "FeatureCache", "feature_key", "file_digest"]
