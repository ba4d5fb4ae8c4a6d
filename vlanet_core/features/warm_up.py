"""Compile the feature path's numba loops (or load them from numba's cache) before a request needs them.

The first call of a numba function compiles it: a few seconds on a new machine (less than a second once the machine
code is cached beside the package). A server calls ``start_warm_up`` at start-up so that its first visitor does
not wait for that.
"""

from __future__ import annotations

import logging
import threading
import time

import numpy as np

log = logging.getLogger(__name__)


def warm_up_compiled() -> float:
    """Run the ``default`` backbone's frame sums and the compiled block average once on tiny inputs (each takes the
    numpy / OpenCV path instead where numba is missing). Returns the seconds it took."""
    from vlanet_core.features.area_resize import COMPILED_MIN_BLOCK, area_resize
    from vlanet_core.features.default_backbone import DefaultBackbone

    started = time.perf_counter()
    DefaultBackbone().frame_descriptors(np.zeros((1, 60, 80, 3), dtype=np.uint8))
    side = int(np.ceil(np.sqrt(COMPILED_MIN_BLOCK)))
    area_resize(np.zeros((2 * side, 2 * side, 3), dtype=np.uint8), (2, 2))
    return time.perf_counter() - started


def _warm_up_logged() -> None:
    try:
        log.info("compiled feature loops ready in %.1f s", warm_up_compiled())
    except Exception:  # noqa: BLE001 - a failed warm-up only means the first request compiles instead
        log.exception("warming up the compiled feature loops failed; the first request will compile them")


def start_warm_up() -> threading.Thread:
    """``warm_up_compiled`` in a daemon thread (start-up is not held up)."""
    thread = threading.Thread(target=_warm_up_logged, name="compiled-warm-up", daemon=True)
    thread.start()
    return thread
