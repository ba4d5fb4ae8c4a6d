"""The bad-input corpus through the app: each case becomes a readable ``gr.Error`` (no stack trace, the problem
named) at the handlers, and the app served on loopback keeps answering after every bad request.

The models are the real ``Predictor`` over tiny untrained checkpoints (``tests/bad_inputs/checkpoints.py``), so
the errors are the library's own, not a fake's. Skipped until the feature pipeline is importable.
"""

from __future__ import annotations

import html
from pathlib import Path

import gradio as gr
import pytest

from app import handlers
from app.handlers import AppContext
from app.model_cache import ModelCache, default_loader
from app.settings import AppSettings
from tests.bad_inputs.make_corpus import make_corpus
from tests.bad_inputs.manifest import GOOD_CLIP, GOOD_QUERY, Case, cases
from vlanet_core.errors import EmptyQueryError, NoFramesError, QueryTooLongError, UnknownWordsError

pytestmark = pytest.mark.slow

MODEL = "vlanet-test"
# Text that only a leaked stack trace or repr would put in a message.
TRACE_MARKERS = ("Traceback", 'File "', "site-packages", ", line ", "raise ", "Error(")


def _pipeline_available() -> bool:
    try:
        import vlanet_core.features.pipeline  # noqa: F401
    except ImportError:
        return False
    return True


@pytest.fixture(scope="module")
def corpus(tmp_path_factory) -> Path:
    return make_corpus(tmp_path_factory.mktemp("bad_inputs_app"))


@pytest.fixture(scope="module")
def settings(tmp_path_factory) -> AppSettings:
    import torch

    from tests.bad_inputs.checkpoints import write_test_checkpoints

    if not _pipeline_available():
        pytest.skip("vlanet_core.features.pipeline is not there yet")
    torch.set_num_threads(1)
    tmp = tmp_path_factory.mktemp("bad_inputs_app_ckpt")
    root = write_test_checkpoints(tmp / "checkpoints")
    return AppSettings(checkpoint_root=root, examples_dir=tmp / "no-examples", temp_root=tmp / "sessions")


@pytest.fixture(scope="module")
def ctx(settings) -> AppContext:
    return AppContext(settings, ModelCache(settings.checkpoint_root, default_loader), [])


def _assert_clean(message: str, case: Case) -> None:
    assert message.strip(), f"{case}: empty message"
    for marker in TRACE_MARKERS:
        assert marker not in message, f"{case}: {marker!r} in {message!r}"


def app_fragments(case: Case) -> list[tuple[str, ...]]:
    """What the app's message must contain: each tuple is a set of alternatives (one must be present)."""
    if case.kind == "video":
        # the app's own size check (before decoding) says "the uploaded file"; the library names the file
        return [(html.escape(case.file), "the uploaded file"), (case.fragments[1],)]
    if case.error is EmptyQueryError:  # caught by the app's own check, or by the encoder after normalisation
        return [("Type a query", "no usable word")]
    if case.error is QueryTooLongError:
        return [(case.fragments[0],)]
    if case.error is UnknownWordsError:
        return [tuple(html.escape(f) for f in case.fragments)]
    raise AssertionError(f"no app expectation for {case}")


def _assert_names_problem(message: str, case: Case) -> None:
    _assert_clean(message, case)
    for alternatives in app_fragments(case):
        assert any(a.lower() in message.lower() for a in alternatives), f"{case}: none of {alternatives} in {message!r}"


# ---- handlers --------------------------------------------------------------------------------------------------
@pytest.mark.parametrize("case", cases("video"), ids=str)
def test_handler_video(case, ctx, corpus):
    path = case.path(corpus)
    if case.error is None:
        *_, payload, json_path, summary, _, _, session = handlers.retrieve(ctx, str(path), GOOD_QUERY, MODEL, 3, None)
        windows = payload["pred_relevant_windows"]
        assert windows and all(0 <= s < e <= payload["duration"] + 1e-6 for s, e, _ in windows)
        assert Path(json_path).is_file() and Path(json_path).parent == session.folder
        return
    with pytest.raises(gr.Error) as info:
        handlers.retrieve(ctx, str(path), GOOD_QUERY, MODEL, 3, None)
    _assert_names_problem(info.value.message, case)
    if case.error is NoFramesError:
        assert "No frame could be decoded" in info.value.message


@pytest.mark.parametrize("case", cases("query"), ids=str)
def test_handler_query(case, ctx, corpus):
    clip = str(corpus / GOOD_CLIP)
    if case.error is None:
        out = handlers.retrieve(ctx, clip, case.query, MODEL, 3, None)
        payload, summary = out[3], out[5]
        assert payload["query"] == case.query.strip() and payload["pred_relevant_windows"]
        assert "<img" not in summary and "<script" not in summary, "the query must be shown escaped"
        return
    with pytest.raises(gr.Error) as info:
        handlers.retrieve(ctx, clip, case.query, MODEL, 3, None)
    _assert_names_problem(info.value.message, case)


def test_markup_query_is_escaped_in_the_summary(ctx, corpus):
    summary = handlers.retrieve(ctx, str(corpus / GOOD_CLIP), "<img src=x onerror=alert(1)>", MODEL, 3, None)[5]
    assert "&lt;img src=x onerror=alert(1)&gt;" in summary


@pytest.mark.parametrize("case", cases("video", failing_only=True)[:6], ids=str)
def test_compare_refuses_bad_videos_too(case, ctx, corpus):
    with pytest.raises(gr.Error) as info:
        handlers.compare(ctx, str(case.path(corpus)), GOOD_QUERY, [MODEL, "whole-video"], None)
    _assert_names_problem(info.value.message, case)


# ---- the served app --------------------------------------------------------------------------------------------
@pytest.fixture(scope="module")
def client(settings, tmp_path_factory):
    from gradio_client import Client

    from app.ui import build_demo, launch_options
    from tests.app_fakes import free_port

    demo = build_demo(settings=settings)
    port = free_port()
    demo.launch(
        server_name="127.0.0.1", server_port=port, prevent_thread_lock=True, quiet=True, **launch_options(settings)
    )
    try:
        downloads = tmp_path_factory.mktemp("bad_inputs_downloads")
        yield Client(f"http://127.0.0.1:{port}/", verbose=False, download_files=str(downloads))
    finally:
        demo.close()


def test_served_app_survives_every_bad_request(client, corpus):
    """Every video and query case through gradio_client; after each one the app still answers, and at the end a
    good request succeeds."""
    from gradio_client import handle_file

    good = handle_file(str(corpus / GOOD_CLIP))
    problems: list[str] = []
    for case in cases("video") + cases("query"):
        video = handle_file(str(case.path(corpus))) if case.kind == "video" else good
        query = GOOD_QUERY if case.kind == "video" else case.query
        try:
            client.predict(video, query, MODEL, 3, api_name="/retrieve")
        except Exception as err:  # noqa: BLE001 - the client raises AppError for a gr.Error
            message = str(err)
            if case.error is None:
                problems.append(f"{case}: expected success, got {message!r}")
            elif any(marker in message for marker in TRACE_MARKERS) or not message.strip():
                problems.append(f"{case}: unclean message {message!r}")
        else:
            if case.error is not None:
                problems.append(f"{case}: expected an error, the request succeeded")
        try:
            assert "trained on" in client.predict(MODEL, api_name="/model_info")
        except Exception as err:  # noqa: BLE001
            problems.append(f"{case}: the app stopped answering ({err!r})")
            break
    result = client.predict(good, GOOD_QUERY, MODEL, 3, api_name="/retrieve")
    assert result[3]["pred_relevant_windows"], "the good request after the corpus must succeed"
    assert not problems, "\n".join(problems)
