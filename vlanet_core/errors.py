"""Typed errors with messages a user can act on. The app turns each into a ``gr.Error`` without a stack trace."""

from __future__ import annotations


class VMRError(Exception):
    """Base class of every error this library raises on bad input."""


class VideoError(VMRError):
    """A video file could not be used."""


class NotAVideoError(VideoError):
    """The file is not a video (an image, text, audio only, a zero-byte file...)."""


class CorruptVideoError(VideoError):
    """The file looks like a video but is corrupt or truncated."""


class NoFramesError(VideoError):
    """The video holds no decodable frame."""


class VideoTooLongError(VideoError):
    """The video is longer than the configured limit."""


class VideoTooLargeError(VideoError):
    """The file, or its frames, are larger than the configured limit."""


class QueryError(VMRError):
    """A query could not be used."""


class EmptyQueryError(QueryError):
    """The query is empty or only whitespace."""


class QueryTooLongError(QueryError):
    """The query has more words than the limit."""


class UnknownWordsError(QueryError):
    """No word of the query is known to the text encoder; ``words`` lists them."""

    def __init__(self, message: str, words: list[str]) -> None:
        super().__init__(message)
        self.words = words


class AnnotationError(VMRError):
    """A malformed annotation or prediction file; the message names the file and line."""


class CheckpointError(VMRError):
    """A checkpoint folder is missing files, or its weights do not match its config."""


class FeatureSizeError(VMRError):
    """Features have a size the model was not built for."""
