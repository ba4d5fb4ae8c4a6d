"""Example clips: ``assets/examples/examples.json`` lists each clip file, its query and ground-truth moment.

Format (a list, or ``{"examples": [...]}``)::

    [{"file": "red_circle_moves_left.webm", "query": "the red circle moves to the left", "moment": [3.0, 7.5],
      "name": "red circle moves left"}]

``file`` is relative to the json's folder (``video`` is accepted too); ``moment`` (seconds, optional, also
``ground_truth`` / ``span``) is the reference span; ``name`` defaults to the file stem. A missing folder, a
missing or broken json, or an entry whose clip is absent gives fewer examples, never an error: the app must
start before the clips are generated.

Ground truth is looked up by the clip's content hash and the query, so it shows whether the user clicked the
example or uploaded the same file again, and never for a different query.
"""

from __future__ import annotations

import json
import logging
import math
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from app.session import file_sha256

log = logging.getLogger(__name__)
EXAMPLES_FILE = "examples.json"


@dataclass(frozen=True)
class Example:
    """One example clip: its file, the query to try, and the reference moment in seconds (or None)."""

    name: str
    video: Path
    query: str
    moment: tuple[float, float] | None
    sha256: str


def normalise_query(query: str) -> str:
    """Lower case with single spaces and no surrounding punctuation, for matching a query to an example."""
    return re.sub(r"\s+", " ", query.strip().lower()).strip(" .!?")


def _parse_moment(raw: Any) -> tuple[float, float] | None:
    if raw is None:
        return None
    try:
        start, end = (float(v) for v in raw)
    except (TypeError, ValueError):
        return None
    if not (math.isfinite(start) and math.isfinite(end)) or start < 0 or end <= start:
        return None
    return (start, end)


def load_examples(folder: str | Path) -> list[Example]:
    """The usable examples under ``folder`` (an empty list when there are none)."""
    folder = Path(folder)
    index = folder / EXAMPLES_FILE
    if not index.is_file():
        return []
    try:
        raw = json.loads(index.read_text())
    except (OSError, json.JSONDecodeError) as err:
        log.warning("ignoring %s: %s", index, err)
        return []
    entries = raw.get("examples", []) if isinstance(raw, dict) else raw
    if not isinstance(entries, list):
        return []
    examples: list[Example] = []
    root = folder.resolve()
    for entry in entries:
        if not isinstance(entry, dict):
            continue
        file_name = entry.get("file") or entry.get("video")
        query = entry.get("query")
        if not isinstance(file_name, str) or not isinstance(query, str) or not query.strip():
            continue
        video = (folder / file_name).resolve()
        if root not in video.parents or not video.is_file():  # keep examples inside their folder
            log.warning("example clip %s is missing; skipped", file_name)
            continue
        moment = _parse_moment(entry.get("moment", entry.get("ground_truth", entry.get("span"))))
        name = str(entry.get("name") or video.stem)
        examples.append(Example(name, video, query.strip(), moment, file_sha256(video)))
    return examples


def find_ground_truth(examples: list[Example], video_sha: str, query: str) -> tuple[float, float] | None:
    """The reference moment of the example with this clip and this query, if there is one."""
    wanted = normalise_query(query)
    for example in examples:
        if example.sha256 == video_sha and normalise_query(example.query) == wanted:
            return example.moment
    return None
