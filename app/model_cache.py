"""One loaded predictor per model name, shared by every request, loaded on first use.

Model names come from the browser, so they are only ever looked up in the table that ``list_checkpoints`` built
at start-up: no string from a request is joined onto a path.

"clip-zeroshot" needs CLIP weights (``VMR_CLIP_MODEL``: a hub id or a local folder). It is offered only once a
background load of it has succeeded; when the variable is unset the load is not tried at all, so start-up never
fetches weights. ``HF_HUB_OFFLINE`` is left to transformers / huggingface_hub, which honour it.
"""

from __future__ import annotations

import logging
import os
import threading
from collections.abc import Callable
from pathlib import Path
from typing import Any

from vlanet_core.checkpoint import list_checkpoints, read_config
from vlanet_core.errors import VMRError

log = logging.getLogger(__name__)

CLIP_MODEL_NAME = "clip-zeroshot"
CLIP_ENV = "VMR_CLIP_MODEL"
# Shown first in the dropdown when present: the paper's model.
PREFERRED_DEFAULT = "vlanet-shapes-sta"

Loader = Callable[[Path], Any]


class UnknownModelError(VMRError):
    """A model name that is not one of the offered checkpoints."""


def default_loader(folder: Path) -> Any:
    """``vlanet_core.Predictor.from_pretrained`` (imported on first use: it pulls in torch and the models)."""
    from vlanet_core import Predictor

    return Predictor.from_pretrained(folder)


class ModelCache:
    """Thread-safe name -> predictor table over the checkpoint folders under ``root``.

    ``loader(folder)`` builds a predictor (tests pass a fake). Each model is loaded at most once, even when two
    requests ask for it at the same moment: a per-name lock makes the second wait for the first.
    """

    def __init__(self, root: str | Path, loader: Loader | None = None) -> None:
        self.root = Path(root)
        self.loader = loader or default_loader
        self._folders: dict[str, Path] = list_checkpoints(self.root)
        self._loaded: dict[str, Any] = {}
        self._locks: dict[str, threading.Lock] = {}
        self._table_lock = threading.Lock()
        # None = not tried yet / in progress, True = loadable, False = failed or not configured.
        self.clip_ok: bool | None = None
        self.clip_error = ""

    # ---- what is offered -------------------------------------------------------------------------------------
    def available(self) -> list[str]:
        """Offered model names, the preferred default first; clip-zeroshot only after its probe succeeded."""
        names = [n for n in self._folders if n != CLIP_MODEL_NAME or self.clip_ok]
        names.sort(key=lambda n: (n != PREFERRED_DEFAULT, n))
        return names

    def resolve(self, name: Any) -> Path:
        """The folder of an offered model; ``UnknownModelError`` for anything else (paths included)."""
        if not isinstance(name, str) or name not in self.available():
            offered = ", ".join(self.available()) or "none"
            raise UnknownModelError(f"Unknown model {str(name)[:80]!r}. Available models: {offered}.")
        return self._folders[name]

    def trained_on(self, name: str) -> str:
        """The checkpoint's ``trained_on`` sentence, read from config.json without loading weights."""
        try:
            return str(read_config(self.resolve(name)).get("trained_on") or "not stated in its checkpoint")
        except VMRError:
            return "unknown"

    # ---- loading ---------------------------------------------------------------------------------------------
    def get(self, name: str) -> Any:
        """The loaded predictor of an offered model (loaded on first call, then reused)."""
        return self._load(name, self.resolve(name))

    def _load(self, name: str, folder: Path) -> Any:
        with self._table_lock:
            if name in self._loaded:
                return self._loaded[name]
            lock = self._locks.setdefault(name, threading.Lock())
        with lock:
            if name not in self._loaded:  # another thread may have loaded it while we waited
                log.info("loading model %s from %s", name, folder)
                self._loaded[name] = self.loader(folder)
            return self._loaded[name]

    def preload(self) -> list[str]:
        """Load every offered model now (on ZeroGPU, models must exist before the first GPU call); returns failures."""
        failed = []
        for name in self.available():
            try:
                self.get(name)
            except Exception as err:  # noqa: BLE001 - a broken checkpoint should not stop the others from loading
                log.warning("could not preload %s: %s", name, err)
                failed.append(name)
        return failed

    def loaded_names(self) -> list[str]:
        with self._table_lock:
            return sorted(self._loaded)

    # ---- clip-zeroshot ---------------------------------------------------------------------------------------
    def probe_clip(self) -> bool:
        """Try to load clip-zeroshot once; sets ``clip_ok``. Never raises."""
        folder = self._folders.get(CLIP_MODEL_NAME)
        if folder is None:
            self.clip_ok, self.clip_error = False, "no clip-zeroshot checkpoint folder"
        elif not os.environ.get(CLIP_ENV, "").strip():
            self.clip_ok, self.clip_error = False, f"{CLIP_ENV} is not set"
        else:
            try:
                self._load(CLIP_MODEL_NAME, folder)
                self.clip_ok = True
            except Exception as err:  # noqa: BLE001 - any failure (no weights, offline, OOM) just hides the model
                self.clip_ok, self.clip_error = False, f"{type(err).__name__}: {err}"
        if not self.clip_ok:
            log.info("clip-zeroshot hidden: %s", self.clip_error)
        return bool(self.clip_ok)

    def start_clip_probe(self) -> threading.Thread | None:
        """Run ``probe_clip`` in a daemon thread (start-up is not held up); None when there is nothing to try."""
        if CLIP_MODEL_NAME not in self._folders or not os.environ.get(CLIP_ENV, "").strip():
            self.probe_clip()  # instant: records why it is hidden
            return None
        thread = threading.Thread(target=self.probe_clip, name="clip-probe", daemon=True)
        thread.start()
        return thread
