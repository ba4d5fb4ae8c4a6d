"""The built-in text encoders, registered in ``TEXT_ENCODERS`` (the registry imports this module).

- "glove": 50-d GloVe 6B word vectors, known words only (``glove.GloveEncoder``).
- "minilm": 384-d all-MiniLM-L6-v2 wordpiece features averaged over its blocks (``minilm.MiniLMEncoder``).
- "clip-text": CLIP token features + sentence embedding as the last row (``clip_text.ClipTextEncoder``).
"""

from __future__ import annotations

from vlanet_core.registry import TEXT_ENCODERS
from vlanet_core.text.clip_text import ClipTextEncoder
from vlanet_core.text.glove import GloveEncoder
from vlanet_core.text.minilm import MiniLMEncoder
from vlanet_core.text.types import EncodedText

TEXT_ENCODERS.register("glove")(GloveEncoder)
TEXT_ENCODERS.register("minilm")(MiniLMEncoder)
TEXT_ENCODERS.register("clip-text")(ClipTextEncoder)

__all__ = ["ClipTextEncoder", "EncodedText", "GloveEncoder", "MiniLMEncoder"]
