"""Per-user data: one ``Session`` per browser tab, held in a ``gr.State`` (never in module globals).

A session owns a private temp folder (moment clips, downloadable JSON) that is removed when Gradio deletes the
state (tab closed, or ``time_to_live`` passed) and, as a fallback, by ``sweep_stale_sessions`` when a new session
starts. It keeps no clip features: the predictors' process-wide cache (bounded in bytes, keyed by content) holds
them once for every user, so a second query on the same clip decodes nothing (``handlers._features``).
"""

from __future__ import annotations

import hashlib
import shutil
import time
import uuid
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from vlanet_core.results import RetrievalResult

_HASH_CHUNK = 1 << 20


def file_sha256(path: str | Path) -> str:
    """Hex SHA-256 of a file's bytes, read in 1 MiB chunks."""
    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        for chunk in iter(lambda: handle.read(_HASH_CHUNK), b""):
            digest.update(chunk)
    return digest.hexdigest()


@dataclass
class LastRun:
    """The last Retrieve run, read by the inspector and the "drop a word" tool."""

    video_path: str
    video_sha: str
    query: str
    model: str
    top_k: int
    result: RetrievalResult
    ground_truth: tuple[float, float] | None = None


@dataclass
class Session:
    """One user's private data. ``folder`` is created lazily and only ever written by this session."""

    root: Path
    session_id: str = field(default_factory=lambda: uuid.uuid4().hex)
    last: LastRun | None = None
    created: float = field(default_factory=time.time)

    @property
    def folder(self) -> Path:
        path = self.root / self.session_id
        path.mkdir(parents=True, exist_ok=True)
        return path

    def cleanup(self) -> None:
        """Remove the session folder and forget the last run (safe to call twice)."""
        shutil.rmtree(self.root / self.session_id, ignore_errors=True)
        self.last = None


def delete_session(value: Any) -> None:
    """``gr.State(delete_callback=...)``: Gradio calls it with the state's value when the state expires."""
    if isinstance(value, Session):
        value.cleanup()


def sweep_stale_sessions(root: Path, max_age_s: float, now: float | None = None) -> int:
    """Delete session folders under ``root`` not modified for ``max_age_s`` seconds; returns how many went."""
    if not root.is_dir():
        return 0
    now = time.time() if now is None else now
    removed = 0
    for child in root.iterdir():
        try:
            newest = max([child.stat().st_mtime] + [p.stat().st_mtime for p in child.rglob("*")])
        except OSError:
            continue  # another worker removed it meanwhile
        if now - newest > max_age_s:
            shutil.rmtree(child, ignore_errors=True)
            removed += 1
    return removed


def ensure_session(value: Any, root: Path, max_age_s: float) -> Session:
    """The session held in a ``gr.State``; a new one (and a sweep of stale folders) when the state is empty."""
    if isinstance(value, Session):
        return value
    sweep_stale_sessions(root, max_age_s)
    return Session(root=root)
