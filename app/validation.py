"""Input checks and error translation: bad input becomes a readable ``gr.Error``, never a stack trace.

Cheap checks (query, file size) run before any decoding, so a bad query on a long clip fails at once.
Anything the core raises as a ``VMRError`` is shown with its own message; any other exception is logged with
its traceback on the server and shown to the user as a one-line apology naming the error type.
"""

from __future__ import annotations

import html
import logging
import os
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import gradio as gr

from vlanet_core.errors import (
    EmptyQueryError,
    NoFramesError,
    NotAVideoError,
    UnknownWordsError,
    VideoTooLargeError,
    VMRError,
)

log = logging.getLogger(__name__)


def esc(text: object) -> str:
    """HTML-escaped text, for anything a user typed that is shown back."""
    return html.escape(str(text), quote=True)


def user_error(message: str) -> gr.Error:
    """A ``gr.Error`` whose traceback is not printed (the input was bad, the app is fine)."""
    return gr.Error(message, print_exception=False)


def check_query(query: Any, max_words: int) -> str:
    """The stripped query; ``gr.Error`` when it is missing, blank or longer than ``max_words`` words."""
    if not isinstance(query, str) or not query.strip():
        raise user_error(
            "Type a query first: a short sentence describing the moment, e.g. “the red circle moves to the left”."
        )
    words = query.split()
    if len(words) > max_words:
        raise user_error(f"The query has {len(words)} words; the limit is {max_words}. Describe one moment briefly.")
    return query.strip()


def video_path(value: Any) -> str | None:
    """The file path inside a gr.Video / gr.File value (a path string, or a dict from the API)."""
    if isinstance(value, dict):
        value = value.get("video") or value.get("path") or value.get("name")
        if isinstance(value, dict):
            value = value.get("path")
    if isinstance(value, (str, os.PathLike)) and str(value):
        return str(value)
    return None


def check_video(value: Any, max_bytes: int) -> Path:
    """The uploaded file's path; ``gr.Error`` when there is none, it is empty, or it is over ``max_bytes``."""
    raw = video_path(value)
    if raw is None:
        raise user_error("Upload a video clip, or pick one of the examples, first.")
    path = Path(raw)
    if not path.is_file():
        raise user_error("The uploaded file is no longer on the server (sessions expire after an hour); upload again.")
    size = path.stat().st_size
    if size == 0:
        raise user_error(str(NotAVideoError("The uploaded file is empty (0 bytes); it is not a video.")))
    if size > max_bytes:
        message = f"The file is {size / 2**20:.0f} MB; the limit is {max_bytes / 2**20:.0f} MB."
        raise user_error(str(VideoTooLargeError(message)))
    return path


def describe(err: VMRError) -> str:
    """The message shown for a typed core error (user text escaped)."""
    if isinstance(err, UnknownWordsError):
        words = ", ".join(f"“{esc(w)}”" for w in err.words[:20]) or "(none)"
        return f"None of the query's words is known to this model's text encoder: {words}. Try simpler English words."
    if isinstance(err, EmptyQueryError):
        return "The query has no usable word. Type a short English sentence."
    if isinstance(err, NoFramesError):
        return f"No frame could be decoded from this file: {esc(err)}"
    return esc(err) or type(err).__name__


@contextmanager
def guarded(action: str) -> Iterator[None]:
    """Turn every exception raised inside into a ``gr.Error``; ``action`` says what was being done."""
    try:
        yield
    except gr.Error:
        raise
    except VMRError as err:
        raise user_error(describe(err)) from None
    except Exception as err:  # noqa: BLE001 - the app must survive anything; the traceback goes to the server log
        log.exception("unexpected error while %s", action)
        raise user_error(
            f"Something went wrong while {action} ({type(err).__name__}). The app is still running: "
            "try another clip or query."
        ) from None
