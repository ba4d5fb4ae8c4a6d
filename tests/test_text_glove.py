"""GloVe encoder and the shared query tokenisation: known / unknown / empty / too long / markup / unicode."""

import numpy as np
import pytest

from vlanet_core.errors import EmptyQueryError, QueryTooLongError, UnknownWordsError
from vlanet_core.registry import TEXT_ENCODERS
from vlanet_core.text.glove import GloveEncoder, glove_table
from vlanet_core.text.tokenize import normalise_text, query_words, split_words


@pytest.fixture(scope="module")
def glove():
    return GloveEncoder()


def row(word):
    vectors, index = glove_table()
    return np.asarray(vectors[index[word]])


def test_known_words_are_their_table_rows(glove):
    out = glove.encode("A person opens the door.")
    assert out.tokens == ["a", "person", "opens", "the", "door"]
    assert out.vectors.shape == (5, 50) and out.vectors.dtype == np.float32
    assert out.unknown == []
    np.testing.assert_array_equal(out.vectors[1], row("person"))
    assert np.all(np.linalg.norm(out.vectors, axis=1) > 0)  # no zero rows


def test_table_is_loaded_once():
    assert glove_table() is glove_table()
    vectors, index = glove_table()
    assert vectors.shape == (400000, 50) and len(index) == 400000 and index["the"] == 0


def test_unknown_words_are_listed_not_zeroed(glove):
    out = glove.encode("a person zzqxwv opens the qqxyzzy door")
    assert out.tokens == ["a", "person", "opens", "the", "door"]
    assert out.unknown == ["zzqxwv", "qqxyzzy"]
    assert out.vectors.shape == (5, 50)


def test_all_unknown_raises_naming_the_words(glove):
    with pytest.raises(UnknownWordsError) as info:
        glove.encode("zzqxwv qqxyzzy")
    assert info.value.words == ["zzqxwv", "qqxyzzy"]
    assert "zzqxwv" in str(info.value)


@pytest.mark.parametrize("query", ["", "   ", "\n\t ", None, "\u200b\u200b", "\x00"])
def test_empty_queries(glove, query):
    with pytest.raises(EmptyQueryError):
        glove.encode(query)


def test_punctuation_only_is_empty(glove):
    with pytest.raises(EmptyQueryError, match="no words"):
        glove.encode("?!... ---")


def test_non_string_is_a_type_error(glove):
    with pytest.raises(TypeError):
        glove.encode(42)


def test_too_long(glove):
    glove.encode(" ".join(["door"] * 50))
    with pytest.raises(QueryTooLongError, match="51 words"):
        glove.encode(" ".join(["door"] * 51))
    with pytest.raises(QueryTooLongError):
        GloveEncoder(max_words=3).encode("a person opens the door")
    with pytest.raises(QueryTooLongError, match="characters"):
        glove.encode("x" * 100_000)


def test_markup_is_just_text(glove):
    out = glove.encode("<script>alert('door')</script> <b>person</b>")
    assert out.tokens == ["script", "alert", "door", "script", "b", "person", "b"]


def test_unicode_and_control_characters(glove):
    # Full-width letters normalise to ASCII; control and zero-width characters separate words.
    assert glove.encode("\uff24\uff4f\uff4f\uff52").tokens == ["door"]
    assert glove.encode("person\x00opens\u200bthe\x1bdoor").tokens == ["person", "opens", "the", "door"]
    out = glove.encode("café naïve 😀 门")
    assert out.tokens == ["café", "naïve"]
    assert out.unknown == ["门"]  # a CJK word is a word; GloVe 6B just does not have this one
    assert "😀" not in out.tokens + out.unknown  # an emoji is not a word
    assert normalise_text("  a\t\tb \r\n c ") == "a b c"


def test_clitics_and_numbers():
    assert split_words("He doesn't open it, the person's door won't") == [
        "he", "does", "not", "open", "it", "the", "person", "door", "will", "not",
    ]  # fmt: skip
    assert split_words("3.5 seconds, 1,000 times.") == ["3.5", "seconds", "1,000", "times"]
    assert split_words("don\u2019t") == ["do", "not"]


def test_query_words_returns_clean_text():
    assert query_words("  Open\x00the DOOR ") == ("Open the DOOR", ["open", "the", "door"])


def test_registry_round_trip_and_encode_many(glove):
    encoder = TEXT_ENCODERS.create("glove", max_words=7)
    assert encoder.name == "glove" and encoder.dim == 50
    again = TEXT_ENCODERS.create("glove", **encoder.params())
    assert again.params() == encoder.params() == {"max_words": 7}
    many = glove.encode_many(["open the door", "a red circle"])
    assert [m.tokens for m in many] == [["open", "the", "door"], ["a", "red", "circle"]]
