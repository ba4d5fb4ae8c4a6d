"""The start-up warm-up of the compiled feature loops: runs in the background, and a failure only logs."""

from __future__ import annotations

import logging

from vlanet_core.features import warm_up


def test_warm_up_runs_both_loops_and_reports_its_time():
    assert warm_up.warm_up_compiled() >= 0.0


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
