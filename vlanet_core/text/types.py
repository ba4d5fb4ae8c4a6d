"""What every text encoder returns for one sentence."""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np


@dataclass
class EncodedText:
    """One encoded sentence.

    - ``tokens``: (M,) labels of the rows of ``vectors`` (words for GloVe, wordpieces for transformers); the
      app shows them as the rows of the word x time map.
    - ``vectors``: (M, E) float32, one row per token.
    - ``unknown``: words of the query the encoder could not represent (left out of ``tokens``), so the app can
      say which words were ignored instead of silently encoding them as zeros.
    """

    tokens: list[str]
    vectors: np.ndarray
    unknown: list[str] = field(default_factory=list)

    def __post_init__(self) -> None:
        self.vectors = np.asarray(self.vectors, dtype=np.float32)
        if self.vectors.ndim != 2 or self.vectors.shape[0] != len(self.tokens):
            raise ValueError(f"vectors must be (M, E) with M = {len(self.tokens)} tokens, got {self.vectors.shape}")

    @property
    def dim(self) -> int:
        """E, the size of one token vector."""
        return int(self.vectors.shape[1])

    def __len__(self) -> int:
        return len(self.tokens)
