"""The evaluator's one error type. It subclasses ValueError and names the file and line; it is not
``vlanet_core.errors.AnnotationError`` because this package imports nothing else from vlanet_core."""

from __future__ import annotations


class EvaluationInputError(ValueError):
    """A prediction or annotation file the evaluator cannot use; the message names the file and line."""
