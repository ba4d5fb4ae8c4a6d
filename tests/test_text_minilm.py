"""MiniLM encoder: wordpiece rows, layer averaging, batching, [UNK] reporting, shared loading."""

import numpy as np
import pytest
import torch

from vlanet_core.errors import EmptyQueryError, QueryTooLongError, UnknownWordsError
from vlanet_core.registry import TEXT_ENCODERS
from vlanet_core.text.minilm import MiniLMEncoder, bundled_minilm_folder

torch.set_num_threads(1)


@pytest.fixture(scope="module")
def minilm():
    return MiniLMEncoder(device="cpu")


def test_shapes_and_wordpieces(minilm):
    out = minilm.encode("A person opens the door, skateboarding.")
    assert minilm.dim == 384
    assert out.tokens == ["a", "person", "opens", "the", "door", ",", "skate", "##boarding", "."]
    assert out.vectors.shape == (len(out.tokens), 384) and out.vectors.dtype == np.float32
    assert "[CLS]" not in out.tokens and "[SEP]" not in out.tokens
    assert out.unknown == []


def test_rows_are_the_mean_over_blocks(minilm):
    from transformers import AutoModel, AutoTokenizer

    folder = bundled_minilm_folder()
    tokenizer = AutoTokenizer.from_pretrained(folder, local_files_only=True)
    model = AutoModel.from_pretrained(folder, local_files_only=True).eval()
    batch = tokenizer(["open the door"], return_tensors="pt")
    with torch.no_grad():
        hidden = model(**batch, output_hidden_states=True).hidden_states
    assert len(hidden) == 7  # embeddings + 6 blocks
    expected = sum(h[0] for h in hidden[1:]) / 6  # (L, 384)
    out = minilm.encode("open the door")
    np.testing.assert_allclose(out.vectors, expected[1:-1].numpy(), atol=1e-5)  # [CLS] and [SEP] dropped
    with_embeddings = MiniLMEncoder(include_embeddings=True, device="cpu").encode("open the door")
    np.testing.assert_allclose(with_embeddings.vectors, (sum(hidden)[0] / 7)[1:-1].numpy(), atol=1e-5)


def test_batching_matches_one_by_one(minilm):
    sentences = ["a person opens the door", "red circle", "the blue square moves to the left quickly"]
    many = minilm.encode_many(sentences)
    small_batches = MiniLMEncoder(batch_size=2, device="cpu").encode_many(sentences)
    for sentence, batched, other in zip(sentences, many, small_batches):
        alone = minilm.encode(sentence)
        assert batched.tokens == alone.tokens == other.tokens
        np.testing.assert_allclose(batched.vectors, alone.vectors, atol=1e-4)  # padding must not leak in
        np.testing.assert_allclose(other.vectors, alone.vectors, atol=1e-4)


def test_unknown_wordpieces_are_reported(minilm):
    out = minilm.encode("the door \U0001f600 opens")
    assert out.tokens == ["the", "door", "opens"] and out.unknown == ["\U0001f600"]
    with pytest.raises(UnknownWordsError) as info:
        minilm.encode("\U0001f600 \U0001f680")
    assert info.value.words == ["\U0001f600", "\U0001f680"]


def test_shared_checks(minilm):
    with pytest.raises(EmptyQueryError):
        minilm.encode(" \n ")
    with pytest.raises(QueryTooLongError):
        minilm.encode("door " * 51)


def test_loaded_once_and_params_round_trip(minilm):
    again = TEXT_ENCODERS.create("minilm", **minilm.params())
    assert again.params() == minilm.params() == {"max_words": 50, "include_embeddings": False}
    assert again.loaded() is minilm.loaded()  # same (tokenizer, model) object: loaded once per process
    custom = MiniLMEncoder(model=bundled_minilm_folder())
    assert custom.params()["model"] == bundled_minilm_folder()


def test_missing_model_folder_is_explained(tmp_path):
    with pytest.raises(FileNotFoundError, match="cannot load"):
        _ = MiniLMEncoder(model=str(tmp_path)).dim
