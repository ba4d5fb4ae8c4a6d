"""DiDeMo (LocalizingMoments' ``{train,val,test}_data.json``): a list of
``{video, description, times: [[first_seg, last_seg], ...], num_segments, annotation_id, ...}``.

- Videos are cut into 5-s segments (at most 6); a moment is an inclusive range of segment indices, so there are
  21 candidate moments. ``[a, b]`` in segments is ``(5a, 5(b+1))`` in seconds; duration = 5 * num_segments
  (the annotation grid: the real video may end inside its last segment; the file holds no finer length).
- Each sentence has several annotators' moments (usually 4, a few have 5 or 7); every one is kept.
- Ordering rule: ``spans[0]`` is the consensus moment (the one most annotators chose; on a tie, the one chosen
  first in file order), then the other annotators' moments in file order, so ``spans`` is the annotators'
  multiset and the Charades-style metrics score against the consensus. The DiDeMo protocol itself
  (``vlanet_core.evaluation.didemo``) uses all of them.
- ``Annotation.line`` is the 1-based index of the entry in the list.
"""

from __future__ import annotations

from collections import Counter
from pathlib import Path

from vlanet_core.data.records import Annotation, ReadSummary
from vlanet_core.data.rows import RowRules, field_of, parse_number, read_json
from vlanet_core.errors import AnnotationError

SEGMENT_SECONDS = 5.0  # DiDeMo's fixed segment length (Hendricks et al., 2017)


def consensus_first(moments: list[tuple[float, float]]) -> list[tuple[float, float]]:
    """The annotators' moments with the most chosen one first (ties: earliest), the rest in their order.

    >>> consensus_first([(0, 5), (5, 10), (5, 10), (0, 5)])
    [(0, 5), (5, 10), (5, 10), (0, 5)]
    >>> consensus_first([(0, 5), (5, 10), (5, 10)])
    [(5, 10), (0, 5), (5, 10)]
    """
    if not moments:
        return []
    counts = Counter(moments)
    best = max(moments, key=lambda m: (counts[m], -moments.index(m)))
    rest = list(moments)
    rest.remove(best)
    return [best, *rest]


def read_didemo(path: str | Path, strict: bool = False) -> tuple[list[Annotation], ReadSummary]:
    """DiDeMo annotations in seconds, every annotator's moment kept (consensus first)."""
    path = Path(path)
    entries = read_json(path)
    if not isinstance(entries, list):
        raise AnnotationError(f"{path}: expected a list of {{video, description, times, num_segments}}")
    rules = RowRules(str(path), strict=strict)
    out: list[Annotation] = []
    for line, entry in enumerate(entries, start=1):
        where = rules.where(line)
        vid = str(field_of(entry, "video", where))
        sentence = field_of(entry, "description", where)
        if not isinstance(sentence, str):
            raise AnnotationError(f"{where}: 'description' must be text, got {sentence!r}")
        num_segments = parse_number(field_of(entry, "num_segments", where), where, "num_segments")
        times = field_of(entry, "times", where)
        if not isinstance(times, list) or not times:
            raise AnnotationError(f"{where}: 'times' must be a non-empty list of [first, last] segment pairs")
        spans = []
        for pair in times:
            if not isinstance(pair, (list, tuple)) or len(pair) != 2:
                raise AnnotationError(f"{where}: a moment must be a [first, last] segment pair, got {pair!r}")
            first = parse_number(pair[0], where, "first segment")
            last = parse_number(pair[1], where, "last segment")
            # inclusive segment range -> seconds; a reversed pair stays reversed so the rules drop it
            spans.append((first * SEGMENT_SECONDS, (last + 1) * SEGMENT_SECONDS) if first <= last else (first, last))
        rules.add(out, line, vid, num_segments * SEGMENT_SECONDS, sentence, consensus_first(spans))
    return out, rules.summary
