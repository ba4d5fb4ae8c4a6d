"""Charades-STA and Shapes-STA: ``<vid> <start> <end>##<sentence>`` text rows plus a table of durations.

The text file holds no durations, so they come from a second file (``load_durations``):

- ``charades.json`` (``{vid: {"duration": s, ...}}``, VSLNet's release), or a Shapes-STA ``<split>.json``
  (``{vid: {"duration", "fps", "width", "height"}}``): the same reader, only ``duration`` is used;
- the Charades CSVs (``Charades_v1_train.csv`` / ``Charades_v1_test.csv``, column ``length``, seconds).

When no durations are given, ``default_durations_file`` looks beside the text file: ``charades.json``, then the
two Charades CSVs (merged), and for Shapes-STA ``<split>.json``. Both sources agree on every Charades video.
Row rules (clip, drop, raise) are those of ``vlanet_core.data.rows``.
"""

from __future__ import annotations

import csv
import json
from collections.abc import Mapping
from pathlib import Path

from vlanet_core.data.records import Annotation, ReadSummary
from vlanet_core.data.rows import RowRules, parse_number
from vlanet_core.errors import AnnotationError

CHARADES_CSVS = ("Charades_v1_train.csv", "Charades_v1_test.csv")
Durations = Mapping[str, float]


def _durations_from_json(path: Path) -> dict[str, float]:
    try:
        table = json.loads(path.read_text())
    except json.JSONDecodeError as err:
        raise AnnotationError(f"{path}:{err.lineno}: not valid JSON ({err.msg})") from None
    if not isinstance(table, dict):
        raise AnnotationError(f"{path}: expected an object {{vid: {{'duration': seconds}}}}")
    out: dict[str, float] = {}
    for vid, info in table.items():
        if not isinstance(info, dict) or "duration" not in info:
            raise AnnotationError(f"{path}: video {vid!r} has no 'duration'")
        out[str(vid)] = parse_number(info["duration"], f"{path} ({vid})", "duration")
    return out


def _durations_from_csv(path: Path) -> dict[str, float]:
    out: dict[str, float] = {}
    with path.open(newline="") as handle:
        reader = csv.DictReader(handle)
        if reader.fieldnames is None or "id" not in reader.fieldnames or "length" not in reader.fieldnames:
            raise AnnotationError(f"{path}: a Charades CSV needs the columns 'id' and 'length'")
        for row in reader:
            out[row["id"]] = parse_number(row["length"], f"{path}:{reader.line_num}", "length")
    return out


def load_durations(*paths: str | Path) -> dict[str, float]:
    """``{vid: seconds}`` from one or more ``.json`` / ``.csv`` duration files (later files win on a clash)."""
    out: dict[str, float] = {}
    for path in map(Path, paths):
        if not path.is_file():
            raise AnnotationError(f"{path}: durations file not found")
        out.update(_durations_from_csv(path) if path.suffix.lower() == ".csv" else _durations_from_json(path))
    return out


def default_durations_file(text_path: str | Path) -> list[Path]:
    """The duration files found beside an annotation text file (see the module docstring); [] when none."""
    text_path = Path(text_path)
    folder = text_path.parent
    for candidate in (folder / "charades.json", text_path.with_suffix(".json")):
        if candidate.is_file():
            return [candidate]
    csvs = [folder / name for name in CHARADES_CSVS if (folder / name).is_file()]
    return csvs


def _resolve_durations(path: Path, durations: Durations | str | Path | None) -> Durations:
    if durations is None:
        found = default_durations_file(path)
        if not found:
            raise AnnotationError(
                f"{path}: no durations given and none found beside it (charades.json, {path.stem}.json or the "
                "Charades CSVs); pass durations=<file or dict>"
            )
        return load_durations(*found)
    if isinstance(durations, (str, Path)):
        return load_durations(durations)
    return durations


def read_sta_text(
    path: str | Path, durations: Durations | str | Path | None = None, strict: bool = False
) -> tuple[list[Annotation], ReadSummary]:
    """Rows ``<vid> <start> <end>##<sentence>`` (seconds); one ``Annotation`` with one span per kept row.

    ``durations``: ``{vid: seconds}``, a durations file, or None to look beside ``path``. A missing ``##``, a
    wrong number of fields before it or an unparsable time raises ``AnnotationError`` (file:line); blank lines
    are skipped and not counted. Everything else follows ``vlanet_core.data.rows``.
    """
    path = Path(path)
    if not path.is_file():
        raise AnnotationError(f"{path}: annotation file not found")
    table = _resolve_durations(path, durations)
    rules = RowRules(str(path), strict=strict)
    out: list[Annotation] = []
    with path.open(encoding="utf-8") as handle:
        for line_no, raw in enumerate(handle, start=1):
            text = raw.rstrip("\r\n")
            if not text.strip():
                continue
            where = rules.where(line_no)
            head, sep, sentence = text.partition("##")
            if not sep:
                raise AnnotationError(f"{where}: no '##' between the times and the sentence: {text[:80]!r}")
            fields = head.split()
            if len(fields) != 3:
                raise AnnotationError(f"{where}: expected '<vid> <start> <end>' before '##', got {head!r}")
            vid = fields[0]
            start = parse_number(fields[1], where, "start")
            end = parse_number(fields[2], where, "end")
            rules.add(out, line_no, vid, table.get(vid), sentence, [(start, end)])
    return out, rules.summary


def read_charades_sta(
    path: str | Path, durations: Durations | str | Path | None = None, strict: bool = False
) -> tuple[list[Annotation], ReadSummary]:
    """Charades-STA (``charades_sta_{train,test}.txt``); durations from ``charades.json`` or the Charades CSVs."""
    return read_sta_text(path, durations, strict)


def read_shapes_sta(
    path: str | Path, durations: Durations | str | Path | None = None, strict: bool = False
) -> tuple[list[Annotation], ReadSummary]:
    """Shapes-STA ``<split>.txt``; durations from the sibling ``<split>.json`` unless given."""
    path = Path(path)
    if durations is None and path.with_suffix(".json").is_file():
        durations = path.with_suffix(".json")
    return read_sta_text(path, durations, strict)
