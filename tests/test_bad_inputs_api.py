"""Every case of the bad-input corpus (``tests/bad_inputs/manifest.py``) at the library API: its own typed error,
with a message naming the problem (file, line, words), and the odd-but-valid cases work.

APIs covered: ``decode_video``, ``Predictor.encode_video`` (needs the feature pipeline), ``Predictor.predict``,
the GloVe text encoder, ``read_annotations`` (lenient and strict), the evaluator's ``load_ground_truth`` and
``evaluate_files``. Models are tiny, untrained checkpoints written to tmp_path, so this runs in a few seconds.
"""

from __future__ import annotations

import math
from pathlib import Path

import numpy as np
import pytest

from tests.bad_inputs.make_corpus import make_corpus
from tests.bad_inputs.manifest import (
    CASES,
    FILES,
    GOOD_CLIP,
    GOOD_QUERY,
    TRUTH,
    TRUTH_DURATIONS,
    Case,
    cases,
    check_manifest,
)
from vlanet_core.data.readers import read_annotations
from vlanet_core.errors import VMRError
from vlanet_core.evaluation import evaluate_files, load_ground_truth
from vlanet_core.evaluation.errors import EvaluationInputError
from vlanet_core.features.decode import decode_video

BACKBONE_FPS, BACKBONE_SIZE = 10.0, (80, 60)  # the default backbone's decoding rate and working size


@pytest.fixture(scope="session")
def corpus(tmp_path_factory) -> Path:
    return make_corpus(tmp_path_factory.mktemp("bad_inputs"))


@pytest.fixture(scope="module")
def predictors(tmp_path_factory):
    """{"whole-video": Predictor, "vlanet": Predictor} over untrained checkpoints (default backbone + GloVe)."""
    import torch

    from tests.bad_inputs.checkpoints import write_test_checkpoints
    from vlanet_core.predictor import Predictor

    torch.set_num_threads(1)
    root = write_test_checkpoints(tmp_path_factory.mktemp("bad_inputs_ckpt"))
    return {name: Predictor.from_pretrained(root / name, device="cpu") for name in ("whole-video", "vlanet-test")}


def _assert_names_problem(err: BaseException, case: Case) -> None:
    message = str(err)
    assert message.strip(), f"{case}: empty message"
    assert "Traceback" not in message
    for fragment in case.fragments:
        assert fragment.lower() in message.lower(), f"{case}: {fragment!r} not in {message!r}"


def _pipeline_available() -> bool:
    try:
        import vlanet_core.features.pipeline  # noqa: F401
    except ImportError:
        return False
    return True


# ---- the corpus itself -----------------------------------------------------------------------------------------
def test_corpus_is_complete_and_small(corpus):
    check_manifest()
    assert len(CASES) >= 40
    assert {c.kind for c in CASES} == {"video", "query", "annotation", "prediction"}
    committed = [p for p in FILES.rglob("*") if p.is_file()]
    assert all(p.stat().st_size < 50_000 for p in committed)
    assert sum(p.stat().st_size for p in committed) < 1_000_000
    for case in cases("video"):
        assert case.path(corpus).is_file(), case.name
    generated = [p for p in corpus.iterdir() if p.is_file()]
    assert all(p.stat().st_size < 1_000_000 for p in generated)


# ---- videos ----------------------------------------------------------------------------------------------------
@pytest.mark.parametrize("case", cases("video"), ids=str)
def test_decode_video(case, corpus):
    path = case.path(corpus)
    if case.error is None:
        video = decode_video(path, fps=BACKBONE_FPS, size=BACKBONE_SIZE)
        assert video.frames.ndim == 4 and video.frames.shape[1:] == (60, 80, 3) and len(video.frames) >= 1
        assert video.duration > 0 and np.all(np.diff(video.timestamps) > 0)
        return
    with pytest.raises(case.error) as info:
        decode_video(path, fps=BACKBONE_FPS, size=BACKBONE_SIZE)
    _assert_names_problem(info.value, case)


def test_limits_are_checked_before_decoding(corpus):
    """An over-size file is refused from its size alone, with the limit in the message."""
    from vlanet_core.errors import VideoTooLargeError

    with pytest.raises(VideoTooLargeError, match=r"good_clip.webm is .* MB, above"):
        decode_video(corpus / GOOD_CLIP, max_bytes=1000)


@pytest.mark.slow
@pytest.mark.parametrize("case", cases("video"), ids=str)
def test_predictor_encode_video(case, corpus, predictors):
    if not _pipeline_available():
        pytest.skip("vlanet_core.features.pipeline is not there yet")
    predictor = predictors["whole-video"]
    path = case.path(corpus)
    if case.error is not None:
        with pytest.raises(case.error) as info:
            predictor.encode_video(path)
        _assert_names_problem(info.value, case)
        return
    features = predictor.encode_video(path)
    assert features.features.ndim == 2 and features.features.shape[0] >= 1
    assert np.isfinite(features.features).all() and features.duration > 0
    for model in predictors.values():  # the odd-but-valid clips (1x1, 0.2 s of 4000x3000) must be scored
        result = model.predict(GOOD_QUERY, features, top_k=3)
        assert result.moments
        for moment in result.moments:
            assert 0.0 <= moment.start < moment.end <= features.duration + 1e-6 and math.isfinite(moment.score)


# ---- queries ---------------------------------------------------------------------------------------------------
@pytest.fixture(scope="module")
def good_features(corpus, predictors):
    predictor = predictors["vlanet-test"]
    decoded = decode_video(corpus / GOOD_CLIP, fps=predictor.backbone.sample_fps, size=predictor.backbone.input_size)
    return predictor.encode_video(decoded)  # a DecodedVideo needs no pipeline


@pytest.mark.parametrize("case", cases("query"), ids=str)
def test_text_encoder(case):
    from vlanet_core.registry import TEXT_ENCODERS
    from vlanet_core.text import encoders  # noqa: F401 - registers "glove"

    encoder = TEXT_ENCODERS.create("glove")
    if case.error is None:
        text = encoder.encode(case.query)
        assert text.tokens and text.vectors.shape == (len(text.tokens), 50)
        assert all(t.isprintable() and t.strip() == t and t for t in text.tokens)
        return
    with pytest.raises(case.error) as info:
        encoder.encode(case.query)
    _assert_names_problem(info.value, case)


@pytest.mark.parametrize("case", cases("query"), ids=str)
@pytest.mark.parametrize("model", ["vlanet-test", "whole-video"])
def test_predictor_predict(case, model, predictors, good_features):
    predictor = predictors[model]
    if case.error is None:
        result = predictor.predict(case.query, good_features, top_k=3)
        assert result.moments and result.query == case.query
        assert result.to_json()["pred_relevant_windows"]
        return
    with pytest.raises(case.error) as info:
        predictor.predict(case.query, good_features, top_k=3)
    assert isinstance(info.value, VMRError)
    _assert_names_problem(info.value, case)


def test_unknown_words_error_lists_the_words(predictors, good_features):
    from vlanet_core.errors import UnknownWordsError

    with pytest.raises(UnknownWordsError) as info:
        predictors["vlanet-test"].predict("blorpfizz qwxzkvv", good_features)
    assert info.value.words == ["blorpfizz", "qwxzkvv"]


# ---- annotations -----------------------------------------------------------------------------------------------
def _durations(case) -> dict:
    """Charades-format fixtures take their durations from a synthetic file named explicitly (not charades.json)."""
    return {"durations": case.path().parent / "durations.json"} if case.reader == "charades" else {}


@pytest.mark.parametrize("case", cases("annotation"), ids=str)
def test_annotation_reader(case):
    path = case.path()
    if case.dropped:  # lenient: the good row is kept, the bad one dropped and listed with its line and reason
        annotations, summary = read_annotations(path, case.reader, **_durations(case))
        assert [a.line for a in annotations] == [1] and summary.dropped == 1 and summary.rows == 2
        issue = summary.issues[0]
        assert issue.line == 2 and issue.action == "dropped"
        assert case.fragments[1].lower() in issue.reason.lower() and case.fragments[0] in str(issue)
    with pytest.raises(case.error) as info:
        read_annotations(path, case.reader, strict=True, **_durations(case))
    _assert_names_problem(info.value, case)
    if not case.dropped:  # broken files raise in the default mode too
        with pytest.raises(case.error) as info:
            read_annotations(path, case.reader, **_durations(case))
        _assert_names_problem(info.value, case)


@pytest.mark.parametrize("case", cases("annotation"), ids=str)
def test_evaluator_ground_truth(case):
    """The evaluator's own loader applies the same rules: drop the unusable row, raise on a broken file."""
    path = case.path()
    if case.dropped:
        truth = load_ground_truth(path, case.reader, **_durations(case))
        assert len(truth.items) == 1 and truth.dropped == 1
        return
    with pytest.raises(EvaluationInputError) as info:
        load_ground_truth(path, case.reader, **_durations(case))
    assert path.name in str(info.value) and "Traceback" not in str(info.value)


# ---- prediction rows -------------------------------------------------------------------------------------------
@pytest.mark.parametrize("case", cases("prediction"), ids=str)
def test_prediction_rows(case):
    with pytest.raises(case.error) as info:
        evaluate_files(case.path(), TRUTH, "charades", TRUTH_DURATIONS, allow_missing=True)
    _assert_names_problem(info.value, case)


def test_the_good_row_alone_scores(tmp_path):
    """Line 1 of every prediction file is good: the evaluator's refusal is about line 2 only."""
    rows = (FILES / "predictions" / "nan_window.jsonl").read_text().splitlines()[:1]
    path = tmp_path / "good.jsonl"
    path.write_text(rows[0] + "\n")
    metrics = evaluate_files(path, TRUTH, "charades", TRUTH_DURATIONS, allow_missing=True)
    assert metrics["n"] == 2 and metrics["R1@0.5"] == pytest.approx(0.5)
