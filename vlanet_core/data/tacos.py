"""TACoS (VSLNet's ``train/val/test.json``): ``{vid: {timestamps (frames), sentences, fps, num_frames}}``.

Times are frame indices; seconds = frame / fps and duration = num_frames / fps. Rows ending after the last
frame (43 in train, 5 in test) are clipped (``vlanet_core.data.rows``). ``Annotation.line`` is the sentence's
1-based index in file order.
"""

from __future__ import annotations

from pathlib import Path

from vlanet_core.data.records import Annotation, ReadSummary
from vlanet_core.data.rows import RowRules, field_of, pairs_and_sentences, parse_number, read_json
from vlanet_core.errors import AnnotationError


def read_tacos(path: str | Path, strict: bool = False) -> tuple[list[Annotation], ReadSummary]:
    """TACoS annotations in seconds (one span per sentence)."""
    path = Path(path)
    table = read_json(path)
    if not isinstance(table, dict):
        raise AnnotationError(f"{path}: expected an object {{vid: {{timestamps, sentences, fps, num_frames}}}}")
    rules = RowRules(str(path), strict=strict)
    out: list[Annotation] = []
    line = 0
    for vid, entry in table.items():
        where = f"{path} (video {vid})"
        fps = parse_number(field_of(entry, "fps", where), where, "fps")
        if fps <= 0:
            raise AnnotationError(f"{where}: fps must be positive, got {fps:.10g}")
        num_frames = parse_number(field_of(entry, "num_frames", where), where, "num_frames")
        for pair, sentence in pairs_and_sentences(entry, where):
            line += 1
            start = parse_number(pair[0], rules.where(line), "start frame") / fps
            end = parse_number(pair[1], rules.where(line), "end frame") / fps
            rules.add(out, line, str(vid), num_frames / fps, sentence, [(start, end)])
    return out, rules.summary
