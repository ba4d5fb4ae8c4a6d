"""Hard negative sentences built from the text alone, never from times.

A video-level contrast against other videos' sentences can be won by an object's presence alone (Shapes-STA's
"pitfalls"). Sentences that keep most words of the positive and change one slot ("the red circle" + another
action, another colour for the same action) can only be told apart by *when* something happens, which is what
pushes the attention to localise.

The rule is generic, with no knowledge of any sentence template: take another sentence ``u`` of the training
corpus and a position ``i``; either replace word ``i`` by ``u[i]`` (word swap) or replace the tail from ``i`` by
``u[i:]`` (tail swap). A candidate is rejected when it equals the sentence itself or any sentence annotated for the
same video (so it is not a known positive), or when the changed words are all frequent function words (in more
than ``function_word_share`` of the corpus sentences: "the" -> "a" would make a paraphrase, not a negative).
Known limit: a tail swap can produce an unseen paraphrase of the positive ("moves left" for "moves to the left");
that label noise is small (about one tail swap in ten on Shapes-STA) and the margin loss tolerates it.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence

import numpy as np

from vlanet_core.text.tokenize import split_words as tokenize

Words = tuple[str, ...]


class NegativeSampler:
    """Builds ``n`` text-only negatives per sentence, deterministic for a given numpy Generator."""

    def __init__(self, corpus: Sequence[str], function_word_share: float = 0.3) -> None:
        self.corpus: list[Words] = [tuple(tokenize(s)) for s in corpus]
        self.corpus = [w for w in self.corpus if w]
        if not self.corpus:
            raise ValueError("NegativeSampler needs a non-empty corpus")
        doc_freq = Counter(w for words in self.corpus for w in set(words))
        limit = function_word_share * len(self.corpus)
        self.function_words = {w for w, c in doc_freq.items() if c > limit}

    def sample(self, sentence: str, positives: Sequence[str], n: int, rng: np.random.Generator) -> list[str]:
        """Up to ``n`` distinct negatives of ``sentence``; ``positives`` are all sentences of the same video."""
        words = tuple(tokenize(sentence))
        banned = {tuple(tokenize(p)) for p in positives} | {words}
        found: list[str] = []
        seen: set[Words] = set()
        for _ in range(20 * max(n, 1)):
            if len(found) >= n or not words:
                break
            cand = self._candidate(words, rng)
            if cand is None or cand in banned or cand in seen:
                continue
            seen.add(cand)
            found.append(" ".join(cand))
        return found

    def _candidate(self, words: Words, rng: np.random.Generator) -> Words | None:
        other = self.corpus[int(rng.integers(len(self.corpus)))]
        limit = min(len(words), len(other))
        if limit == 0:
            return None
        i = int(rng.integers(limit))
        if rng.random() < 0.5:
            cand = words[:i] + (other[i],) + words[i + 1 :]
            changed = {words[i], other[i]}
        else:
            cand = words[:i] + other[i:]
            changed = set(words[i:]) ^ set(other[i:])
        if changed and changed <= self.function_words:
            return None
        return cand
