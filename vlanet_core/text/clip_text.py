"""CLIP's text tower ("clip-text"): token features in CLIP's joint image-text space, plus the sentence embedding.

Rows, for "a person opens the door":
    tokens  = ["a", "person", "opens", "the", "door", "<sentence>"]
    vectors = (6, E): one row per BPE token (CLIP's start and end tokens excluded), then the sentence row.

- Token rows: CLIP's final-layer-normed last hidden state of each token, multiplied by the text projection
  (``project=True``, default; E = projection_dim, 512 for ViT-B/32). CLIP trained the projection only on the end
  token, but the tokens share that token's space (same last layer, same layer norm), and projecting them is what
  lets "clip-zeroshot" compare a single word with a frame embedding for its word x time map. With
  ``project=False`` the rows are the unprojected hidden states (E = text hidden size) for models that learn
  their own mapping.
- The last row, labelled ``SENTENCE_TOKEN``, is the feature of the end token, i.e. CLIP's sentence embedding
  (``get_text_features``) when ``project=True``. It is a row and not a separate field so that it travels through
  ``MomentModel.infer(video, words, tokens)`` unchanged; a model that wants only the words drops the last row.

CLIP lowercases and byte-level-BPE-encodes any text, so it has no unknown words with a real CLIP vocabulary.
A query longer than CLIP's 77 positions raises QueryTooLongError rather than being silently truncated.
"""

from __future__ import annotations

from typing import Any

import torch

from vlanet_core.text.tokenize import DEFAULT_MAX_WORDS
from vlanet_core.text.transformer_base import TransformerTextEncoder, load_or_explain

DEFAULT_CLIP_MODEL = "openai/clip-vit-base-patch32"  # the smallest OpenAI CLIP; ViT-B/32, 512-d joint space
SENTENCE_TOKEN = "<sentence>"


class ClipTextEncoder(TransformerTextEncoder):
    """Sentence -> (M + 1, E) CLIP token features with the sentence embedding as the last row (see module doc).

    ``model``: hub id or local folder holding a CLIPModel (config + weights) and its tokenizer.
    """

    name = "clip-text"
    sentence_token = SENTENCE_TOKEN

    def __init__(
        self,
        model: str = DEFAULT_CLIP_MODEL,
        max_words: int = DEFAULT_MAX_WORDS,
        project: bool = True,
        batch_size: int = 32,
        device: str | None = None,
    ) -> None:
        super().__init__(model, max_words, batch_size, device)
        self.project = bool(project)
        self._dim: int | None = None

    @property
    def dim(self) -> int:
        if self._dim is None:  # the config alone, so asking the size does not load the weights
            from transformers import CLIPConfig

            config = load_or_explain(CLIPConfig, self.model, "CLIP config")
            self._dim = int(config.projection_dim if self.project else config.text_config.hidden_size)
        return self._dim

    def params(self) -> dict[str, Any]:
        return {"model": self.model, "max_words": self.max_words, "project": self.project}

    def _load(self) -> tuple[Any, Any]:
        from transformers import CLIPModel, CLIPTokenizer

        tokenizer = load_or_explain(CLIPTokenizer, self.model, "CLIP tokenizer")
        clip = load_or_explain(CLIPModel, self.model, "CLIP model")
        # Keep only the text tower and its projection: the vision tower is the "clip" backbone's business.
        text = torch.nn.ModuleDict({"text_model": clip.text_model, "text_projection": clip.text_projection})
        text.config = clip.config  # type: ignore[assignment]
        return tokenizer, text.to(self.device).eval()

    def _max_tokens(self, model: Any) -> int:
        return int(model.config.text_config.max_position_embeddings)

    def _display(self, piece: str) -> str:
        return piece.replace("</w>", "")  # BPE marks a word's last piece with </w>

    def _token_features(self, model: Any, input_ids: torch.Tensor, attention_mask: torch.Tensor) -> torch.Tensor:
        hidden = model["text_model"](input_ids=input_ids, attention_mask=attention_mask).last_hidden_state
        # (B, L, H) after CLIP's final layer norm; the end token's row projected is get_text_features' output.
        return model["text_projection"](hidden) if self.project else hidden  # (B, L, E)
