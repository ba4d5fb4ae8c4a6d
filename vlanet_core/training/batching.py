"""Pairs and batches. A weak pair is (video index, sentence index): it has no field that could hold a time.

Only ``SupervisedPair`` carries a target span, and only fully supervised models (``MomentModel.weak = False``)
are given those (see ``make_pairs``).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass

import numpy as np
import torch

from vlanet_core.features.time_reversal import reverse_in_time
from vlanet_core.models.base import SupervisedBatch, WeakBatch


@dataclass(frozen=True)
class WeakPair:
    """A (video, sentence) pair by index: all a weakly supervised trainer ever receives."""

    video: int
    sentence: int


@dataclass(frozen=True)
class SupervisedPair(WeakPair):
    """A pair with its target span as fractions of the video's feature sequence (fully supervised models only)."""

    start: float = 0.0
    end: float = 1.0


class TextCache:
    """Encodes each distinct sentence once. ``encode`` returns (M, E) float32 vectors (M >= 1)."""

    def __init__(self, encoder: object) -> None:
        self.encoder = encoder
        self._vectors: dict[str, np.ndarray] = {}

    def encode(self, sentence: str) -> np.ndarray:
        vec = self._vectors.get(sentence)
        if vec is None:
            vec = np.asarray(self.encoder.encode(sentence).vectors, dtype=np.float32)  # type: ignore[attr-defined]
            self._vectors[sentence] = vec
        return vec

    def warm(self, sentences: Sequence[str]) -> None:
        """Encode many sentences at once when the encoder batches (transformers)."""
        todo = [s for s in dict.fromkeys(sentences) if s not in self._vectors]
        many = getattr(self.encoder, "encode_many", None)
        if many is None:
            for s in todo:
                self.encode(s)
            return
        for start in range(0, len(todo), 256):
            chunk = todo[start : start + 256]
            for s, enc in zip(chunk, many(chunk)):
                self._vectors[s] = np.asarray(enc.vectors, dtype=np.float32)


def pad_sequences(arrays: Sequence[np.ndarray]) -> tuple[torch.Tensor, torch.Tensor]:
    """Zero-pad (L_i, D) arrays to (B, max L, D) with a (B, max L) bool mask."""
    length = max(a.shape[0] for a in arrays)
    dim = arrays[0].shape[1]
    out = np.zeros((len(arrays), length, dim), dtype=np.float32)
    mask = np.zeros((len(arrays), length), dtype=bool)
    for i, a in enumerate(arrays):
        out[i, : a.shape[0]] = a
        mask[i, : a.shape[0]] = True
    return torch.from_numpy(out), torch.from_numpy(mask)


class Collator:
    """Builds WeakBatch / SupervisedBatch from pairs.

    ``negatives`` > 0 adds that many text-only hard negatives per pair (``neg_words``), drawn by ``make_negatives``
    (sentence index, rng) -> list of sentences.

    ``variants`` (video index -> other (T', C) feature sequences of the same video, e.g. the clip written with a
    codec and decoded; see ``features/variant_store.py``): each time a pair is batched, its video is drawn
    uniformly from the original and its variants with the batch's rng, so training sees every form a clip can
    reach the app in. Variants are features only: they carry no time.

    ``paired_variants``: each pair of a video with variants instead gets two different forms of it, drawn
    uniformly, as ``video`` and ``video_alt`` (both cut to the shorter one's steps: a decoded file may have a
    step more or less), for a consistency loss between a model's answers on the two (``alt_valid`` marks them).

    ``reversal_signs`` (C,): each pair's video (the form drawn for ``video``) is also given played backwards as
    ``video_reversed`` (``features/time_reversal.py``), from its features alone.
    """

    def __init__(
        self,
        videos: Sequence[np.ndarray],
        sentences: Sequence[str],
        text: TextCache,
        negatives: int = 0,
        make_negatives: Callable[[int, np.random.Generator], list[str]] | None = None,
        variants: Mapping[int, Sequence[np.ndarray]] | None = None,
        paired_variants: bool = False,
        reversal_signs: np.ndarray | None = None,
    ) -> None:
        self.videos = videos
        self.variants = variants or {}
        self.paired_variants = paired_variants
        self.sentences = sentences
        self.text = text
        self.negatives = negatives
        self.make_negatives = make_negatives
        self.reversal_signs = reversal_signs

    def __call__(self, pairs: Sequence[WeakPair], rng: np.random.Generator) -> WeakBatch:
        alt: dict[str, torch.Tensor] = {}
        if self.paired_variants:
            forms = [self._two_forms(p.video, rng) for p in pairs]
            chosen = [first for first, _, _ in forms]
            alt["video_alt"], _ = pad_sequences([second for _, second, _ in forms])
            alt["alt_valid"] = torch.tensor([valid for _, _, valid in forms], dtype=torch.bool)
        else:
            chosen = [self._video(p.video, rng) for p in pairs]
        video, video_mask = pad_sequences(chosen)
        if self.reversal_signs is not None:
            alt["video_reversed"], _ = pad_sequences([reverse_in_time(v, self.reversal_signs) for v in chosen])
        words, word_mask = pad_sequences([self.text.encode(self.sentences[p.sentence]) for p in pairs])
        fields: dict[str, torch.Tensor | None] = {
            "video": video,
            "video_mask": video_mask,
            "words": words,
            "word_mask": word_mask,
            "video_ids": torch.tensor([p.video for p in pairs], dtype=torch.long),
            **alt,
        }
        if self.negatives > 0 and self.make_negatives is not None:
            fields.update(self._negatives(pairs, rng, words.shape[-1]))
        if pairs and all(isinstance(p, SupervisedPair) for p in pairs):
            spans = torch.tensor([[p.start, p.end] for p in pairs], dtype=torch.float32)  # type: ignore[attr-defined]
            return SupervisedBatch(**fields, spans=spans)  # type: ignore[arg-type]
        return WeakBatch(**fields)  # type: ignore[arg-type]

    def _forms(self, index: int) -> list[np.ndarray]:
        """Video ``index``'s features: the original first, then its variants."""
        return [self.videos[index], *self.variants.get(index, ())]

    def _video(self, index: int, rng: np.random.Generator) -> np.ndarray:
        forms = self._forms(index)
        return forms[0] if len(forms) == 1 else forms[int(rng.integers(len(forms)))]

    def _two_forms(self, index: int, rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray, bool]:
        """Two different forms of video ``index`` cut to the same steps, and whether there were two."""
        forms = self._forms(index)
        if len(forms) < 2:
            return forms[0], forms[0], False
        first, second = (int(i) for i in rng.choice(len(forms), size=2, replace=False))
        steps = min(len(forms[first]), len(forms[second]))
        return forms[first][:steps], forms[second][:steps], True

    def _negatives(self, pairs: Sequence[WeakPair], rng: np.random.Generator, dim: int) -> dict[str, torch.Tensor]:
        assert self.make_negatives is not None
        n = self.negatives
        per_pair = [self.make_negatives(p.sentence, rng)[:n] for p in pairs]
        encoded = [[self.text.encode(s) for s in negs] for negs in per_pair]
        length = max([e.shape[0] for negs in encoded for e in negs] or [1])
        out = np.zeros((len(pairs), n, length, dim), dtype=np.float32)
        mask = np.zeros((len(pairs), n, length), dtype=bool)
        valid = np.zeros((len(pairs), n), dtype=bool)
        for i, negs in enumerate(encoded):
            for j, e in enumerate(negs):
                out[i, j, : e.shape[0]] = e
                mask[i, j, : e.shape[0]] = True
                valid[i, j] = True
        return {
            "neg_words": torch.from_numpy(out),
            "neg_word_mask": torch.from_numpy(mask),
            "neg_valid": torch.from_numpy(valid),
        }
