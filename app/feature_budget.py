"""One memory budget for the clip features that all sessions keep, so many users with long clips cannot grow the
app without bound.

Each session keeps the features of its last few clips (``MAX_CACHED_FEATURES``) so that a second query decodes
nothing, and a session lives up to ``session_ttl_s`` (an hour). A 30-s clip's features are 156 KB, a 10-min
clip's 3 MB: measured in one process, a session that ran a 10-min clip held about 4 MB. Bounded per session only,
a few hundred such sessions within the hour would hold gigabytes. The budget counts the feature bytes of every
session and, past ``max_bytes``, makes the least recently used entry of any session forget its features; that
session's next query on the clip decodes it again (correct, only slower).

Sessions are held weakly: a session Gradio dropped without calling its delete callback stops counting once it is
garbage-collected.
"""

from __future__ import annotations

import threading
import weakref
from collections import OrderedDict
from typing import Any, Protocol


class FeatureOwner(Protocol):
    def forget_features(self, key: Any) -> None: ...


class FeatureBudget:
    """Least-recently-used accounting of (owner, key) -> bytes across owners; thread-safe."""

    def __init__(self, max_bytes: int) -> None:
        self.max_bytes = int(max_bytes)
        self._entries: OrderedDict[tuple[int, Any], tuple[weakref.ref, int]] = OrderedDict()
        self._lock = threading.Lock()
        self._dead = False  # set by a weakref callback (maybe inside a locked method): purge on the next call
        self.total = 0

    def charge(self, owner: FeatureOwner, key: Any, nbytes: int) -> None:
        """Count ``nbytes`` for ``owner``'s ``key`` as just used, then evict the least recently used entries of any
        owner (never this one) until the total is within ``max_bytes``."""
        evicted: list[tuple[FeatureOwner, Any]] = []
        with self._lock:
            self._purge()
            entry = (id(owner), key)
            if entry in self._entries:
                self.total -= self._entries.pop(entry)[1]
            self._entries[entry] = (weakref.ref(owner, self._owner_died), int(nbytes))
            self.total += int(nbytes)
            for old in list(self._entries):
                if self.total <= self.max_bytes or old == entry:
                    break
                ref, size = self._entries.pop(old)
                self.total -= size
                victim = ref()
                if victim is not None:
                    evicted.append((victim, old[1]))
        for victim, old_key in evicted:  # outside the lock: the owner may call back into release()
            victim.forget_features(old_key)

    def touch(self, owner: FeatureOwner, key: Any) -> None:
        """Mark ``owner``'s ``key`` as just used."""
        with self._lock:
            self._purge()
            entry = (id(owner), key)
            if entry in self._entries:
                self._entries.move_to_end(entry)

    def release(self, owner: FeatureOwner, key: Any = None) -> None:
        """Stop counting ``owner``'s ``key`` (every key of ``owner`` when ``key`` is None)."""
        with self._lock:
            self._purge()
            for entry in [e for e in self._entries if e[0] == id(owner) and (key is None or e[1] == key)]:
                self.total -= self._entries.pop(entry)[1]

    def _owner_died(self, _ref: weakref.ref) -> None:
        self._dead = True  # no lock here: the collector may run this inside a method that holds it

    def _purge(self) -> None:
        """Drop the entries of owners that were garbage-collected (call with the lock held)."""
        if not self._dead:
            return
        self._dead = False
        for entry in [e for e, (ref, _) in self._entries.items() if ref() is None]:
            self.total -= self._entries.pop(entry)[1]
