"""The app's limits and locations, read once from the environment; every default has its reason beside it.

Environment variables (all optional):
- ``VMR_CHECKPOINTS``: folder of checkpoint folders (default: ``checkpoints/`` beside ``app/``).
- ``VMR_EXAMPLES``: folder holding ``examples.json`` and the example clips (default: ``assets/examples/``).
- ``VMR_MAX_UPLOAD_MB``, ``VMR_MAX_VIDEO_SECONDS``, ``VMR_CONCURRENCY``, ``VMR_MALLOC_TRIM_S``: see ``AppSettings``.
"""

from __future__ import annotations

import os
import tempfile
from dataclasses import dataclass, field
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parents[1]


def _env_float(name: str, default: float) -> float:
    raw = os.environ.get(name, "").strip()
    try:
        return float(raw) if raw else default
    except ValueError:
        return default


def _env_path(name: str, default: Path) -> Path:
    raw = os.environ.get(name, "").strip()
    return Path(raw) if raw else default


@dataclass(frozen=True)
class AppSettings:
    """Limits that keep one user's request from taking the app down for everyone."""

    checkpoint_root: Path = field(default_factory=lambda: _env_path("VMR_CHECKPOINTS", REPO_ROOT / "checkpoints"))
    examples_dir: Path = field(default_factory=lambda: _env_path("VMR_EXAMPLES", REPO_ROOT / "assets" / "examples"))
    # 200 MB holds ten minutes of 480p video; larger uploads are refused by the server before they reach a handler.
    max_upload_mb: float = field(default_factory=lambda: _env_float("VMR_MAX_UPLOAD_MB", 200.0))
    # Ten minutes matches the decoder's default limit; longer clips would take minutes of CPU to featurise.
    max_video_seconds: float = field(default_factory=lambda: _env_float("VMR_MAX_VIDEO_SECONDS", 600.0))
    # The text encoders are trained on short captions; Charades-STA sentences are under 20 words.
    max_query_words: int = 50
    # Two requests at once on a 2-core CPU Space; raise it on a GPU.
    concurrency: int = field(default_factory=lambda: int(_env_float("VMR_CONCURRENCY", 2)))
    # Session files older than this are swept even if the browser never said goodbye.
    session_ttl_s: float = 3600.0
    # The playable moment clips are capped so that writing them stays well under a second per clip.
    clip_max_seconds: float = 60.0
    clip_max_side: int = 320
    clip_max_fps: float = 12.0
    # Seconds between returns of freed heap memory to the OS (``app/memory_trim.py``); 0 turns it off. Without it the
    # served app's resident memory crept up by 5-10 MB per 100 requests; every 10 s costs no measurable latency.
    malloc_trim_s: float = field(default_factory=lambda: _env_float("VMR_MALLOC_TRIM_S", 10.0))
    # Per-session temp folders live here (inside the system temp dir, which Gradio may serve files from).
    temp_root: Path = field(default_factory=lambda: Path(tempfile.gettempdir()) / "vmr-app-sessions")

    @property
    def max_upload_bytes(self) -> int:
        return int(self.max_upload_mb * 1024 * 1024)
