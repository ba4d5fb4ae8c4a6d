"""What the transformer text encoders ("minilm", "clip-text") share: checks, batching, [UNK] reporting, caching.

Flow for a batch of sentences: the shared checks of ``tokenize.query_words`` (empty, too many words) -> the
model's own fast tokenizer (padding to the longest sentence) -> one forward pass per ``batch_size`` sentences ->
per sentence, the rows of its real wordpieces. Special tokens ([CLS]/[SEP], CLIP's start/end tokens) are not
rows; wordpieces that are the tokenizer's unknown token are not rows either: the words they come from are listed
in ``EncodedText.unknown``, as GloVe lists its unknown words.

Loaded (tokenizer, model) pairs are kept in a small LRU keyed by (encoder class, model source, device), so
creating the same encoder twice, or once per request, loads the weights once.
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from pathlib import Path
from typing import Any, ClassVar

import numpy as np
import torch

from vlanet_core.device import pick_device
from vlanet_core.errors import QueryTooLongError, UnknownWordsError
from vlanet_core.text.tokenize import DEFAULT_MAX_WORDS, query_words
from vlanet_core.text.types import EncodedText

_MAX_LOADED = 4  # a few encoders side by side (the app compares models); each holds up to ~600 MB of weights
_loaded: OrderedDict[tuple[str, str, str], tuple[Any, Any]] = OrderedDict()
_loaded_lock = threading.Lock()


def hf_kwargs(source: str) -> dict[str, Any]:
    """``from_pretrained`` keywords: a local folder never touches the network; a hub id uses the local cache first."""
    return {"local_files_only": True} if Path(source).is_dir() else {}


def load_or_explain(loader: Any, source: str, what: str, **kwargs: Any) -> Any:
    """``loader.from_pretrained(source)`` with an error that says what to do when the files are not there."""
    try:
        return loader.from_pretrained(source, **hf_kwargs(source), **kwargs)
    except (OSError, ValueError) as err:  # missing files: OSError; a folder without a usable config: ValueError
        raise FileNotFoundError(
            f"cannot load the {what} from {source!r}: it is neither a model folder nor a Hugging Face hub id in the "
            f"local cache (and the hub could not be reached). Download it once, or pass a local folder. ({err})"
        ) from err


class TransformerTextEncoder:
    """Base class; subclasses set ``name`` and implement ``_load``, ``_token_features``, ``_max_tokens``, ``dim``.

    ``sentence_token``: when set, one more row labelled with it is appended to each sentence: the feature of the
    sentence's last real position (CLIP's end token, whose projection is the CLIP sentence embedding).
    """

    name: ClassVar[str] = ""
    sentence_token: ClassVar[str | None] = None

    def __init__(self, model: str, max_words: int = DEFAULT_MAX_WORDS, batch_size: int = 32, device: str | None = None):
        if int(max_words) < 1 or int(batch_size) < 1:
            raise ValueError(f"max_words and batch_size must be >= 1, got {max_words}, {batch_size}")
        self.model = str(model)
        self.max_words = int(max_words)
        self.batch_size = int(batch_size)  # a runtime choice like the device: not part of params()
        self.device = pick_device(device)

    # --- what subclasses provide -------------------------------------------------------------------------------
    def _load(self) -> tuple[Any, Any]:
        """(fast tokenizer, model in eval mode on ``self.device``)."""
        raise NotImplementedError

    def _token_features(self, model: Any, input_ids: torch.Tensor, attention_mask: torch.Tensor) -> torch.Tensor:
        """(B, L) ids and mask -> (B, L, E) float features, one per position."""
        raise NotImplementedError

    def _max_tokens(self, model: Any) -> int:
        """Longest sequence (special tokens included) the model accepts."""
        raise NotImplementedError

    def _display(self, piece: str) -> str:
        """How a wordpiece is shown as a row label."""
        return piece

    def params(self) -> dict[str, Any]:
        return {"model": self.model, "max_words": self.max_words}

    # --- shared ------------------------------------------------------------------------------------------------
    def loaded(self) -> tuple[Any, Any]:
        """The (tokenizer, model) pair, loaded on first use and shared through the module's LRU."""
        key = (type(self).__qualname__, self.model, str(self.device))
        with _loaded_lock:  # two requests creating the same encoder must not load the weights twice
            if key in _loaded:
                _loaded.move_to_end(key)
                return _loaded[key]
            pair = self._load()
            _loaded[key] = pair
            while len(_loaded) > _MAX_LOADED:
                _loaded.popitem(last=False)
            return pair

    def encode(self, sentence: str) -> EncodedText:
        return self.encode_many([sentence])[0]

    def encode_many(self, sentences: list[str]) -> list[EncodedText]:
        """Encode each sentence; raises on the first bad one (EmptyQueryError, QueryTooLongError, UnknownWordsError)."""
        texts = [query_words(sentence, self.max_words, require_words=False)[0] for sentence in sentences]
        tokenizer, model = self.loaded()
        results: list[EncodedText] = []
        for start in range(0, len(texts), self.batch_size):
            results.extend(self._encode_batch(texts[start : start + self.batch_size], tokenizer, model))
        return results

    @torch.inference_mode()
    def _encode_batch(self, texts: list[str], tokenizer: Any, model: Any) -> list[EncodedText]:
        batch = tokenizer(texts, padding=True, truncation=False, return_tensors="pt")
        input_ids, attention_mask = batch["input_ids"], batch["attention_mask"]
        lengths = attention_mask.sum(dim=1)
        limit = self._max_tokens(model)
        if int(lengths.max()) > limit:
            worst = int(lengths.argmax())
            raise QueryTooLongError(f"the query {texts[worst][:60]!r}... has {int(lengths[worst])} tokens; {limit} max")
        hidden = self._token_features(model, input_ids.to(self.device), attention_mask.to(self.device))
        features: np.ndarray = hidden.float().cpu().numpy()  # (B, L, E)
        unk_id = tokenizer.unk_token_id
        results = []
        for i, text in enumerate(texts):
            word_ids = batch.word_ids(i)
            length = int(lengths[i])
            pieces = tokenizer.convert_ids_to_tokens(input_ids[i, :length].tolist())
            keep: list[int] = []
            unknown: list[str] = []
            for pos in range(length):
                if word_ids[pos] is None:  # [CLS], [SEP], <|startoftext|>, <|endoftext|>
                    continue
                if int(input_ids[i, pos]) == unk_id:
                    span = batch.word_to_chars(i, word_ids[pos])
                    word = text[span.start : span.end]
                    if word not in unknown:
                        unknown.append(word)
                    continue
                keep.append(pos)
            if not keep:
                raise UnknownWordsError(f"no word of the query is known to {self.name}: {', '.join(unknown)}", unknown)
            tokens = [self._display(pieces[pos]) for pos in keep]
            vectors = features[i, keep]
            if self.sentence_token is not None:
                tokens.append(self.sentence_token)
                vectors = np.concatenate([vectors, features[i, length - 1 : length]], axis=0)
            results.append(EncodedText(tokens=tokens, vectors=vectors, unknown=unknown))
        return results

    def __repr__(self) -> str:
        return f"{type(self).__name__}({', '.join(f'{k}={v!r}' for k, v in self.params().items())})"
