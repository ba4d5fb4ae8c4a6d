"""The app-wide budget of every session's cached clip features (``app/feature_budget.py``, ``app/session.py``)."""

from __future__ import annotations

import gc

import numpy as np

from app.feature_budget import FeatureBudget
from app.session import MAX_CACHED_FEATURES, Session, ensure_session
from vlanet_core.features.types import VideoFeatures


def features(steps: int) -> VideoFeatures:
    """Features of ``steps`` x 256 float32 = steps KB."""
    return VideoFeatures(np.zeros((steps, 256), np.float32), step=0.5, duration=steps * 0.5, source="clip")


def test_least_recently_used_entry_of_any_session_goes_first(tmp_path):
    budget = FeatureBudget(max_bytes=3 * 100 * 1024)
    alice, bob = Session(root=tmp_path, budget=budget), Session(root=tmp_path, budget=budget)
    alice.store_features("a1", "bb", features(100))
    bob.store_features("b1", "bb", features(100))
    alice.store_features("a2", "bb", features(100))
    assert budget.total == 300 * 1024
    assert alice.cached_features("a1", "bb") is not None  # a1 is now the most recently used
    bob.store_features("b2", "bb", features(100))  # over budget: bob's b1 is the oldest
    assert bob.cached_features("b1", "bb") is None and bob.cached_features("b2", "bb") is not None
    assert alice.cached_features("a1", "bb") is not None and alice.cached_features("a2", "bb") is not None
    assert budget.total == 300 * 1024


def test_an_entry_larger_than_the_budget_stays_and_pushes_out_the_rest(tmp_path):
    budget = FeatureBudget(max_bytes=150 * 1024)
    alice, bob = Session(root=tmp_path, budget=budget), Session(root=tmp_path, budget=budget)
    alice.store_features("a1", "bb", features(100))
    bob.store_features("long", "bb", features(400))  # the clip being asked about now is always kept
    assert alice.cached_features("a1", "bb") is None and bob.cached_features("long", "bb") is not None
    assert budget.total == 400 * 1024


def test_cleanup_per_session_eviction_and_garbage_collection_release_bytes(tmp_path):
    budget = FeatureBudget(max_bytes=10**9)
    alice = Session(root=tmp_path, budget=budget)
    for i in range(MAX_CACHED_FEATURES + 2):
        alice.store_features(f"a{i}", "bb", features(10))
    assert budget.total == MAX_CACHED_FEATURES * 10 * 1024  # the per-session cap released what it dropped
    alice.cleanup()
    assert budget.total == 0
    bob = Session(root=tmp_path, budget=budget)
    bob.store_features("b", "bb", features(10))
    del bob
    gc.collect()
    carol = Session(root=tmp_path, budget=budget)
    carol.store_features("c", "bb", features(20))  # a session Gradio dropped without cleanup stops counting
    assert budget.total == 20 * 1024


def test_sessions_made_by_the_app_share_its_budget(tmp_path):
    budget = FeatureBudget(max_bytes=1024)
    first = ensure_session(None, tmp_path / "s", 3600, budget)
    second = ensure_session(None, tmp_path / "s", 3600, budget)
    assert first.budget is budget and second.budget is budget and ensure_session(first, tmp_path, 1, None) is first
    assert Session(root=tmp_path).budget is None  # a bare session counts only its own entries
