"""The app's periodic return of freed heap memory to the OS (``app/memory_trim.py``)."""

from __future__ import annotations

import threading
import time

import pytest

from app import memory_trim
from app.memory_trim import glibc_malloc_trim, start_malloc_trim


@pytest.fixture(autouse=True)
def no_running_thread(monkeypatch):
    """Each test starts from a process with no trimming thread (the module keeps one per process)."""
    monkeypatch.setattr(memory_trim, "_thread", None)


def test_trims_every_interval_and_keeps_one_thread():
    calls: list[float] = []
    stop = threading.Event()
    thread = start_malloc_trim(0.02, trim=lambda: calls.append(time.monotonic()) or 1, stop=stop)
    assert thread is not None and thread.daemon and thread.name == "malloc-trim"
    assert start_malloc_trim(0.02, trim=lambda: 0) is thread  # a second demo in the process starts nothing
    deadline = time.monotonic() + 5.0
    while len(calls) < 3 and time.monotonic() < deadline:
        time.sleep(0.01)
    assert len(calls) >= 3
    stop.set()
    thread.join(timeout=2.0)
    assert not thread.is_alive()


def test_off_when_interval_is_zero_or_no_trim_exists(monkeypatch):
    assert start_malloc_trim(0.0, trim=lambda: 1) is None
    assert start_malloc_trim(-1.0, trim=lambda: 1) is None
    monkeypatch.setattr(memory_trim, "glibc_malloc_trim", lambda: None)
    assert start_malloc_trim(10.0) is None


def test_glibc_trim_runs_here_or_is_absent():
    trim = glibc_malloc_trim()
    if trim is None:
        pytest.skip("this C library has no malloc_trim (not glibc)")
    assert trim() in (0, 1)


def test_settings_read_the_interval_from_the_environment(monkeypatch):
    from app.settings import AppSettings

    assert AppSettings().malloc_trim_s == 10.0
    monkeypatch.setenv("VMR_MALLOC_TRIM_S", "0")
    assert AppSettings().malloc_trim_s == 0.0
