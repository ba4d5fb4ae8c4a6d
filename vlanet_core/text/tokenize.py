"""Query text -> clean text -> lowercase words; the checks every text encoder shares (empty, too long).

Choices, where GloVe's own (Stanford PTB) tokeniser would differ:

- Text is NFKC-normalised (full-width letters, ligatures and compatibility digits become plain ones) and every
  control / format character (category C*: NUL, zero-width joiners, bidi marks...) becomes a space, so pasted
  text cannot hide words or glue them together.
- A word is a run of letters (any script) or digits; a number keeps its inner ``.`` / ``,`` ("3.5", "1,000")
  because GloVe has entries for them. Every other character is punctuation and separates words, so markup such
  as ``<script>alert(1)</script>`` is just the words "script", "alert", "1", "script".
- English clitics are split the PTB way but only the meaningful part is kept: "n't" becomes "not" (a query
  "does not open" must keep its negation), "can't" -> "can not", "won't" -> "will not"; possessive and verb
  clitics ("'s", "'re", "'ll", "'d", "'ve", "'m") are dropped: they carry no visual meaning.
"""

from __future__ import annotations

import re
import unicodedata

from vlanet_core.errors import EmptyQueryError, QueryTooLongError

DEFAULT_MAX_WORDS = 50  # Charades-STA / ActivityNet sentences are < 30 words; 50 leaves room, bounds the cost

# Letters (any script, no digits/underscore) with an optional apostrophe clitic, or a number with inner . or ,
_WORD = re.compile(r"[^\W\d_]+(?:['\u2019][^\W\d_]+)?|\d+(?:[.,]\d+)*")
_IRREGULAR_NEGATIONS = {"can't": ["can", "not"], "won't": ["will", "not"], "shan't": ["shall", "not"]}
_DROPPED_CLITICS = ("'s", "'re", "'ll", "'d", "'ve", "'m")


def normalise_text(sentence: object) -> str:
    """NFKC text with control/format characters turned into spaces and runs of whitespace collapsed.

    Raises EmptyQueryError when nothing but whitespace is left (or ``sentence`` is None), TypeError when it is
    not a string.
    """
    if sentence is None:
        raise EmptyQueryError("the query is empty; type a sentence describing the moment")
    if not isinstance(sentence, str):
        raise TypeError(f"a query must be a string, got {type(sentence).__name__}")
    text = unicodedata.normalize("NFKC", sentence)
    text = "".join(" " if unicodedata.category(ch).startswith("C") else ch for ch in text)
    text = " ".join(text.split())
    if not text:
        raise EmptyQueryError("the query is empty; type a sentence describing the moment")
    return text


def split_words(sentence: str) -> list[str]:
    """Lowercase words and numbers of ``sentence`` (punctuation stripped, clitics handled as the module says).

    >>> split_words("A person opens the door, then can't close it (3.5 s)!")
    ['a', 'person', 'opens', 'the', 'door', 'then', 'can', 'not', 'close', 'it', '3.5', 's']
    >>> split_words("<script>alert('x')</script>")
    ['script', 'alert', 'x', 'script']
    """
    words: list[str] = []
    for match in _WORD.finditer(sentence.lower().replace("\u2019", "'")):
        word = match.group()
        if "'" not in word:
            words.append(word)
        elif word in _IRREGULAR_NEGATIONS:
            words.extend(_IRREGULAR_NEGATIONS[word])
        elif word.endswith("n't"):
            words.extend([word[:-3], "not"])
        elif word.endswith(_DROPPED_CLITICS):
            words.append(word[: word.index("'")])
        else:  # o'clock, d'artagnan: keep both halves as words
            words.extend(part for part in word.split("'") if part)
    return words


def query_words(
    sentence: object, max_words: int = DEFAULT_MAX_WORDS, require_words: bool = True
) -> tuple[str, list[str]]:
    """The normalised text and its words, after the checks every encoder shares.

    Raises EmptyQueryError (nothing but whitespace, or with ``require_words`` nothing but punctuation/symbols) or
    QueryTooLongError (more than ``max_words`` words). Transformer encoders pass ``require_words=False``: their
    tokenizers give symbols such as emoji a token (CLIP) or report them as unknown ([UNK] in MiniLM).
    """
    text = normalise_text(sentence)
    # Bounds the work before tokenising: a 50-word sentence is ~300 characters; 40 per word leaves room for URLs.
    if len(text) > 40 * max_words:
        raise QueryTooLongError(f"the query has {len(text)} characters; at most {40 * max_words} are accepted")
    words = split_words(text)
    if not words and require_words:
        raise EmptyQueryError(f"the query {text[:80]!r} has no words, only punctuation")
    if len(words) > max_words:
        raise QueryTooLongError(f"the query has {len(words)} words; at most {max_words} are accepted")
    return text, words
