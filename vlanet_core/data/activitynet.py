"""ActivityNet Captions, ActivityNet-CD and Charades-CD: JSON ``{vid: {timestamps, sentences, <duration>}}``.

Timestamps are ``[start, end]`` seconds, one per sentence. ActivityNet (VSLNet's ``train/val_1/val_2.json``) and
ActivityNet-CD keep the length under ``duration``; Charades-CD (Yuan et al.'s splits) under ``video_duration``
(its ``framestamps`` / ``decode_fps`` repeat the same times in frames and are not read). Sentences are stripped
(ActivityNet's start with a space). ``Annotation.line`` is the sentence's 1-based index in file order. Row rules:
``vlanet_core.data.rows`` (e.g. ActivityNet train has 2 rows with start after end and 2 zero-length rows,
dropped; Charades-CD has 3 rows starting after the video's end, dropped).
"""

from __future__ import annotations

from pathlib import Path

from vlanet_core.data.records import Annotation, ReadSummary
from vlanet_core.data.rows import RowRules, field_of, pairs_and_sentences, parse_number, read_json
from vlanet_core.errors import AnnotationError


def read_timestamp_json(
    path: str | Path, duration_key: str, strict: bool = False
) -> tuple[list[Annotation], ReadSummary]:
    """Any ``{vid: {"timestamps": [[s, e], ...], "sentences": [...], duration_key: seconds}}`` file."""
    path = Path(path)
    table = read_json(path)
    if not isinstance(table, dict):
        raise AnnotationError(f"{path}: expected an object {{vid: {{timestamps, sentences, {duration_key}}}}}")
    rules = RowRules(str(path), strict=strict)
    out: list[Annotation] = []
    line = 0
    for vid, entry in table.items():
        where = f"{path} (video {vid})"
        duration = parse_number(field_of(entry, duration_key, where), where, duration_key)
        for pair, sentence in pairs_and_sentences(entry, where):
            line += 1
            start = parse_number(pair[0], rules.where(line), "start")
            end = parse_number(pair[1], rules.where(line), "end")
            rules.add(out, line, str(vid), duration, sentence, [(start, end)])
    return out, rules.summary


def read_activitynet(path: str | Path, strict: bool = False) -> tuple[list[Annotation], ReadSummary]:
    """ActivityNet Captions or ActivityNet-CD (``duration`` key)."""
    return read_timestamp_json(path, "duration", strict)


def read_charades_cd(path: str | Path, strict: bool = False) -> tuple[list[Annotation], ReadSummary]:
    """Charades-CD (``video_duration`` key; times in seconds under ``timestamps``)."""
    return read_timestamp_json(path, "video_duration", strict)
