"""Hand freed heap memory back to the OS every few seconds (glibc's ``malloc_trim``), so a long-running app's
resident memory tracks what it holds rather than what it once held.

Why: each request allocates and frees tens of MB (the upload, decoded frames, Plotly JSON) in Gradio's worker
threads, each with its own glibc arena. glibc keeps freed pages inside those arenas, so the served app's resident
memory crept up by 5-10 MB per 100 requests under the load test although no Python object was kept (the handlers
alone, in one process, grow by 2-3 MB over 900 calls and then stop). ``malloc_trim(0)`` releases the free pages of
every arena. Measured with ``benchmarks/load_test.py --users 20`` (nine models): over 1,200 requests the resident
memory grew by 114 MB without it and by none with a trim every 10 s (it moves up and down by about 30 MB); over
2,000, by 160 MB against 50 MB; p50 / p95 latency unchanged (README, "Speed and memory").

Where the C library has no ``malloc_trim`` (macOS, musl), nothing is started.
"""

from __future__ import annotations

import ctypes
import ctypes.util
import logging
import threading
from collections.abc import Callable

log = logging.getLogger(__name__)

_lock = threading.Lock()
_thread: threading.Thread | None = None


def glibc_malloc_trim() -> Callable[[], int] | None:
    """``malloc_trim(0)`` of this process's C library as a callable returning 1 when memory was released, 0 when
    not; None when the library has no such function."""
    name = ctypes.util.find_library("c")
    try:
        libc = ctypes.CDLL(name)
        trim = libc.malloc_trim
    except (OSError, AttributeError, TypeError):
        return None
    trim.argtypes = [ctypes.c_size_t]
    trim.restype = ctypes.c_int
    return lambda: int(trim(0))


def start_malloc_trim(
    interval_s: float, trim: Callable[[], int] | None = None, stop: threading.Event | None = None
) -> threading.Thread | None:
    """Start the one trimming thread of this process (a daemon) calling ``trim`` (default: glibc's) every
    ``interval_s`` seconds; later calls return the running thread. None when ``interval_s <= 0`` or no trim
    function exists. ``stop`` (tests) ends the thread when set."""
    global _thread
    if not interval_s > 0:
        return None
    with _lock:
        if _thread is not None and _thread.is_alive():
            return _thread
        trim = trim or glibc_malloc_trim()
        if trim is None:
            log.info("no malloc_trim in this C library: freed memory stays with the allocator")
            return None
        wait = stop or threading.Event()

        def loop() -> None:
            while not wait.wait(interval_s):
                trim()

        _thread = threading.Thread(target=loop, name="malloc-trim", daemon=True)
        _thread.start()
        return _thread
