"""The start-up warm-up of the compiled feature loops: runs in the background, and a failure only logs."""

from __future__ import annotations

import logging
import subprocess
import sys
from pathlib import Path

import pytest

from vlanet_core.features import warm_up

REPO = Path(__file__).resolve().parents[1]


def test_warm_up_compiles_both_loops():
    """In a fresh process (nothing compiled yet), the warm-up leaves both numba functions with a compiled
    signature: what a first request would otherwise have to compile."""
    pytest.importorskip("numba")
    code = (
        "from vlanet_core.features import area_resize_compiled as a, default_kernel_compiled as d, warm_up\n"
        "assert not d.frame_sums.signatures and not a.block_average.signatures\n"
        "warm_up.warm_up_compiled()\n"
        "assert d.frame_sums.signatures and a.block_average.signatures\n"
    )
    done = subprocess.run([sys.executable, "-c", code], cwd=REPO, capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr[-2000:]


def test_start_warm_up_is_a_daemon_thread_that_finishes():
    thread = warm_up.start_warm_up()
    assert thread.daemon
    thread.join(timeout=300)
    assert not thread.is_alive()


def test_a_failed_warm_up_is_logged_not_raised(monkeypatch, caplog):
    def broken() -> float:
        raise RuntimeError("no compiler here")

    monkeypatch.setattr(warm_up, "warm_up_compiled", broken)
    with caplog.at_level(logging.ERROR, logger="vlanet_core.features.warm_up"):
        warm_up._warm_up_logged()
    assert "first request will compile" in caplog.text
