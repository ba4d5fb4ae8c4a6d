"""clip-text encoder on a tiny random CLIP saved to disk: projected token rows + the sentence row."""

import numpy as np
import pytest
import torch

from tests.tiny_clip import MAX_POSITIONS, PROJECTION_DIM, tiny_clip_folder
from vlanet_core.errors import QueryTooLongError, UnknownWordsError
from vlanet_core.registry import TEXT_ENCODERS
from vlanet_core.text.clip_text import SENTENCE_TOKEN, ClipTextEncoder

torch.set_num_threads(1)


@pytest.fixture(scope="session")
def clip_folder(tmp_path_factory):
    return tiny_clip_folder(tmp_path_factory)


@pytest.fixture(scope="module")
def encoder(clip_folder):
    return TEXT_ENCODERS.create("clip-text", model=str(clip_folder))


@pytest.fixture(scope="module")
def reference(clip_folder):
    from transformers import CLIPModel, CLIPTokenizer

    model = CLIPModel.from_pretrained(clip_folder, local_files_only=True).eval()
    return CLIPTokenizer.from_pretrained(clip_folder, local_files_only=True), model


def test_rows_tokens_and_sentence(encoder):
    out = encoder.encode("A person moves the door!")
    assert encoder.dim == PROJECTION_DIM
    assert out.tokens == ["a", "person", "moves", "the", "door", "!", SENTENCE_TOKEN]
    assert out.vectors.shape == (7, PROJECTION_DIM) and out.vectors.dtype == np.float32
    assert out.unknown == []


def test_sentence_row_is_clips_text_embedding(encoder, reference):
    tokenizer, model = reference
    sentences = ["a person opens the door", "red circle moves left"]
    batch = tokenizer(sentences, padding=True, return_tensors="pt")
    with torch.no_grad():
        text = model.text_model(**batch)
        projected = model.text_projection(text.last_hidden_state)  # (B, L, E)
        pooled = model.text_projection(text.pooler_output)  # CLIP's get_text_features
    for i, out in enumerate(encoder.encode_many(sentences)):
        length = int(batch["attention_mask"][i].sum())
        np.testing.assert_allclose(out.vectors[-1], pooled[i].numpy(), atol=1e-5)
        np.testing.assert_allclose(out.vectors[:-1], projected[i, 1 : length - 1].numpy(), atol=1e-5)


def test_unprojected_rows(clip_folder, reference):
    _, model = reference
    encoder = ClipTextEncoder(model=str(clip_folder), project=False)
    out = encoder.encode("the door")
    assert encoder.dim == model.config.text_config.hidden_size == out.vectors.shape[1]


def test_subword_pieces_are_rows(encoder):
    out = encoder.encode("open doors")  # not whole words in the tiny vocabulary: split into BPE pieces
    assert "".join(out.tokens[:-1]) == "opendoors" and len(out.tokens) > 3


def test_unknown_symbols(encoder):
    out = encoder.encode("the door é")  # no byte-level fallback in the tiny vocabulary: é is unknown
    assert out.unknown == ["é"] and out.tokens == ["the", "door", SENTENCE_TOKEN]
    with pytest.raises(UnknownWordsError):
        encoder.encode("é")


def test_too_many_tokens(encoder):
    encoder.encode(" ".join(["door"] * (MAX_POSITIONS - 2)))  # + start and end tokens = the limit
    with pytest.raises(QueryTooLongError, match="tokens"):
        encoder.encode(" ".join(["door"] * (MAX_POSITIONS - 1)))


def test_params_round_trip_and_shared_model(encoder):
    again = TEXT_ENCODERS.create("clip-text", **encoder.params())
    assert again.params() == encoder.params()
    assert set(encoder.params()) == {"model", "max_words", "project"}
    assert again.loaded() is encoder.loaded()
