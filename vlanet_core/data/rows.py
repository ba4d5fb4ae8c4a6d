"""The rules every annotation reader applies to a row, in one place so all formats treat bad rows alike.

Three kinds of trouble, three fates (never silent):

1. The file is broken (a number that does not parse, NaN or infinity, a missing ``##`` or key, invalid JSON):
   ``AnnotationError`` naming file and line, always. Guessing what a broken row meant would hide a real bug.
2. A row is well formed but unusable: empty sentence, unknown video (no duration), non-positive duration,
   start after end, zero-length span, span wholly outside ``[0, duration]``. The row is **dropped** and listed in
   the ``ReadSummary`` (reason + line); with ``strict=True`` it raises ``AnnotationError`` instead.
3. A span sticks out of the video (end past the duration, start before 0): it is **clipped** to
   ``[0, duration]`` and listed. This is the known quirk of the public files (1,802 train / 562 test Charades-STA
   rows end after the video) and every published evaluation clips them, so clipping never raises, even in strict
   mode.
"""

from __future__ import annotations

import json
import math
from typing import Any

from vlanet_core.data.records import Annotation, ReadSummary
from vlanet_core.errors import AnnotationError


def parse_number(text: Any, where: str, what: str) -> float:
    """A finite float from a string or number; ``AnnotationError`` naming ``where`` (file:line) otherwise."""
    if isinstance(text, bool):  # json true/false are ints to Python; they are not times
        raise AnnotationError(f"{where}: {what} is {text!r}, not a number")
    try:
        value = float(text)
    except (TypeError, ValueError):
        raise AnnotationError(f"{where}: {what} {text!r} is not a number") from None
    if not math.isfinite(value):
        raise AnnotationError(f"{where}: {what} is {value}, not a finite number")
    return value


class RowRules:
    """Applies the rules above to rows of one file and keeps its ``ReadSummary``."""

    def __init__(self, file: str, strict: bool = False) -> None:
        self.file = file
        self.strict = strict
        self.summary = ReadSummary(file=file)

    def where(self, line: int) -> str:
        return f"{self.file}:{line}"

    def drop(self, line: int, reason: str) -> None:
        """Count a well-formed but unusable row (or raise in strict mode)."""
        if self.strict:
            raise AnnotationError(f"{self.where(line)}: {reason}")
        self.summary.drop(line, reason)

    @staticmethod
    def check_span(start: float, end: float, duration: float) -> tuple[tuple[float, float] | None, str]:
        """``(span clipped to [0, duration], "")``, ``(clipped span, why it was clipped)`` or ``(None, why not)``."""
        if start > end:
            return None, f"start after end: {start!r} > {end!r}"
        if start == end:
            return None, f"zero-length span: {start!r} == {end!r}"
        clipped = (max(start, 0.0), min(end, duration))
        if clipped[1] <= clipped[0]:
            return None, f"span outside the video: [{start!r}, {end!r}] vs duration {duration!r}"
        if clipped != (start, end):
            return clipped, f"span past the video: [{start!r}, {end!r}] clipped to [0, {duration!r}]"
        return clipped, ""

    def video_ok(self, line: int, vid: str, duration: float | None) -> bool:
        """True when the video has a usable duration; otherwise the row is dropped (or raised)."""
        if duration is None:
            self.drop(line, f"unknown video: no duration for {vid!r}")
            return False
        if not duration > 0:
            self.drop(line, f"non-positive duration: {duration!r} for {vid!r}")
            return False
        return True

    def add(
        self,
        out: list[Annotation],
        line: int,
        vid: str,
        duration: float | None,
        sentence: str,
        spans: list[tuple[float, float]],
    ) -> None:
        """Check one row (all its annotators' spans, seconds) and append it to ``out`` when usable.

        A row with several spans (DiDeMo) is kept when at least one span survives; the others are left out
        and the row is counted as clipped, with the reason.
        """
        self.summary.rows += 1
        sentence = sentence.strip()
        if not sentence:
            self.drop(line, "empty sentence")
            return
        if not self.video_ok(line, vid, duration):
            return
        assert duration is not None
        kept: list[tuple[float, float]] = []
        problems: list[str] = []
        notes: list[str] = []
        for a, b in spans:
            span, why = self.check_span(a, b, duration)
            if span is None:
                problems.append(why)
            else:
                kept.append(span)
                if why:
                    notes.append(why)
        if not kept:
            self.drop(line, problems[0] if problems else "no span")
            return
        if problems and self.strict:
            raise AnnotationError(f"{self.where(line)}: " + "; ".join(problems))
        if problems:  # several annotators, some unusable: keep the rest, say so
            notes.append("annotator span left out: " + "; ".join(problems))
        if notes:
            self.summary.clip(line, "; ".join(notes))
        self.summary.kept += 1
        out.append(Annotation(vid=vid, duration=float(duration), sentence=sentence, spans=kept, line=line))


def read_json(path: Any) -> Any:
    """Parsed JSON of ``path``; ``AnnotationError`` naming the file (and line) when missing or invalid."""
    from pathlib import Path

    path = Path(path)
    if not path.is_file():
        raise AnnotationError(f"{path}: annotation file not found")
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except json.JSONDecodeError as err:
        raise AnnotationError(f"{path}:{err.lineno}: not valid JSON ({err.msg})") from None


def field_of(entry: Any, key: str, where: str) -> Any:
    """``entry[key]`` of a JSON object, or ``AnnotationError`` naming ``where`` and the missing key."""
    if not isinstance(entry, dict):
        raise AnnotationError(f"{where}: expected an object, got {type(entry).__name__}")
    if key not in entry:
        raise AnnotationError(f"{where}: missing key {key!r}")
    return entry[key]


def pairs_and_sentences(entry: Any, where: str, times_key: str = "timestamps") -> list[tuple[Any, str]]:
    """Zip ``entry[times_key]`` (pairs) with ``entry["sentences"]``, checking both are lists of equal length."""
    times = field_of(entry, times_key, where)
    sentences = field_of(entry, "sentences", where)
    if not isinstance(times, list) or not isinstance(sentences, list) or len(times) != len(sentences):
        raise AnnotationError(f"{where}: {times_key!r} and 'sentences' must be lists of the same length")
    out = []
    for pair, sentence in zip(times, sentences):
        if not isinstance(pair, (list, tuple)) or len(pair) != 2:
            raise AnnotationError(f"{where}: a timestamp must be a [start, end] pair, got {pair!r}")
        if not isinstance(sentence, str):
            raise AnnotationError(f"{where}: a sentence must be text, got {sentence!r}")
        out.append((pair, sentence))
    return out
