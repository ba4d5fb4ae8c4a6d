"""A toy weak-grounding task for VLANet's tests: one feature dimension per word lights up only during its event."""

from __future__ import annotations

import numpy as np
import torch

from vlanet_core.models.base import WeakBatch

NUM_WORDS = 10
WORD_DIM = 50
FEATURE_DIM = NUM_WORDS + 4  # one channel per event word plus four noise channels


def vocabulary(seed: int = 0) -> np.ndarray:
    """(NUM_WORDS + 1, 50) word vectors; the last one is the filler word "the"."""
    rng = np.random.default_rng(seed)
    return rng.normal(size=(NUM_WORDS + 1, WORD_DIM)).astype(np.float32)


def toy_video(rng: np.random.Generator) -> tuple[np.ndarray, list[tuple[int, int, int]]]:
    """Features (T, C) and events (word, start, end) in steps; 2-3 events, distinct words, 6-16 steps each."""
    steps = int(rng.integers(30, 61))
    feats = rng.normal(scale=0.3, size=(steps, FEATURE_DIM)).astype(np.float32)
    events = []
    for word in rng.choice(NUM_WORDS, size=int(rng.integers(2, 4)), replace=False):
        length = int(rng.integers(6, 17))
        start = int(rng.integers(0, steps - length + 1))
        feats[start : start + length, word] += 1.0
        events.append((int(word), start, start + length))
    return feats, events


def toy_batch(rng: np.random.Generator, vocab: np.ndarray, size: int, hard: int = 3) -> WeakBatch:
    """``size`` (video, "the <word>") pairs, each from its own video, with ``hard`` absent words as negatives."""
    videos, queries, negatives = [], [], []
    for _ in range(size):
        feats, events = toy_video(rng)
        word, _, _ = events[int(rng.integers(len(events)))]
        absent = [w for w in range(NUM_WORDS) if w not in {e[0] for e in events}]
        videos.append(feats)
        queries.append(vocab[[NUM_WORDS, word]])
        negatives.append(np.stack([vocab[[NUM_WORDS, w]] for w in rng.choice(absent, size=hard, replace=False)]))
    t_max = max(v.shape[0] for v in videos)
    video = np.zeros((size, t_max, FEATURE_DIM), dtype=np.float32)
    mask = np.zeros((size, t_max), dtype=bool)
    for i, v in enumerate(videos):
        video[i, : v.shape[0]] = v
        mask[i, : v.shape[0]] = True
    return WeakBatch(
        video=torch.from_numpy(video),
        video_mask=torch.from_numpy(mask),
        words=torch.from_numpy(np.stack(queries)),
        word_mask=torch.ones(size, 2, dtype=torch.bool),
        video_ids=torch.arange(size),
        neg_words=torch.from_numpy(np.stack(negatives)),
        neg_word_mask=torch.ones(size, hard, 2, dtype=torch.bool),
        neg_valid=torch.ones(size, hard, dtype=torch.bool),
    )
