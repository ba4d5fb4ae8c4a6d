"""What every annotation reader returns: one ``Annotation`` per (video, sentence) and a ``ReadSummary``.

All times are seconds. ``spans`` holds every annotator's span; ``spans[0]`` is the reference that the
Charades-style metrics (R@k, mIoU) score against. Formats with one annotator per sentence (Charades-STA,
ActivityNet, TACoS, the -CD splits, Shapes-STA) have exactly one span; DiDeMo has one per annotator (see
``vlanet_core.data.didemo`` for its ordering rule).
"""

from __future__ import annotations

from dataclasses import dataclass, field


@dataclass
class Annotation:
    """One sentence about one video.

    - ``vid``: video id as the annotation file spells it (Charades id, ``v_...`` for ActivityNet, file name for
      TACoS and DiDeMo, ``<split>_<index:05d>`` for Shapes-STA).
    - ``duration``: video length in seconds (> 0).
    - ``sentence``: the query, stripped of surrounding whitespace (never empty).
    - ``spans``: ``[(start, end), ...]`` seconds, ``0 <= start < end <= duration``; ``spans[0]`` is the reference.
    - ``line``: 1-based line of the row in a text file, or 1-based index of the sentence in a JSON file
      (counted over the whole file, in file order), so an error report can point at it.
    """

    vid: str
    duration: float
    sentence: str
    spans: list[tuple[float, float]]
    line: int = 0

    @property
    def span(self) -> tuple[float, float]:
        """The reference span (``spans[0]``), seconds."""
        return self.spans[0]

    def fractions(self) -> tuple[float, float]:
        """The reference span as fractions of the video's duration."""
        start, end = self.spans[0]
        return start / self.duration, end / self.duration


@dataclass
class RowIssue:
    """A row a reader changed or left out: where it is and why (``action`` is "clipped" or "dropped")."""

    file: str
    line: int
    action: str
    reason: str

    def __str__(self) -> str:
        return f"{self.file}:{self.line}: {self.action}: {self.reason}"


@dataclass
class ReadSummary:
    """Counts of one read: ``rows`` read = ``kept`` + ``dropped``; ``clipped`` rows are among the kept ones.

    ``issues`` lists every clipped or dropped row with its file, line and reason, so nothing is changed silently.
    """

    file: str
    rows: int = 0
    kept: int = 0
    clipped: int = 0
    dropped: int = 0
    issues: list[RowIssue] = field(default_factory=list)

    def clip(self, line: int, reason: str) -> None:
        self.clipped += 1
        self.issues.append(RowIssue(self.file, line, "clipped", reason))

    def drop(self, line: int, reason: str) -> None:
        self.dropped += 1
        self.issues.append(RowIssue(self.file, line, "dropped", reason))

    def reasons(self, action: str | None = None) -> dict[str, int]:
        """How many rows per reason (the reason's text before the first ':' groups similar rows)."""
        counts: dict[str, int] = {}
        for issue in self.issues:
            if action is None or issue.action == action:
                key = issue.reason.split(":")[0]
                counts[key] = counts.get(key, 0) + 1
        return counts

    def merge(self, other: ReadSummary) -> ReadSummary:
        """Add another read's counts (the union of two files); returns self."""
        self.rows += other.rows
        self.kept += other.kept
        self.clipped += other.clipped
        self.dropped += other.dropped
        self.issues.extend(other.issues)
        return self

    def __str__(self) -> str:
        return f"{self.file}: {self.rows} rows, {self.kept} kept ({self.clipped} clipped), {self.dropped} dropped" + (
            f"; dropped: {self.reasons('dropped')}" if self.dropped else ""
        )
