"""Annotation rows of Shapes-STA and the Charades-STA-format files (``<split>.txt`` and ``<split>.json``)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import NamedTuple

from tqdm import tqdm

from vlanet_core.atomic_write import write_text_atomically
from vlanet_core.data.records import Annotation
from vlanet_core.data.shapes.sample import resolve_seed, video_spec
from vlanet_core.data.shapes.spec import DEFAULT_FPS, DEFAULT_SIZE, DEFAULT_SIZES, ShapesVideo


class SentenceRow(NamedTuple):
    """One query of one event: the video, the moment in seconds (one decimal) and the sentence."""

    vid: str
    start: float
    end: float
    sentence: str
    duration: float


def annotation_rows(video: ShapesVideo) -> list[SentenceRow]:
    """One row per sentence, events in time order."""
    return [
        SentenceRow(video.vid, round(event.start, 1), round(event.end, 1), text, round(video.duration, 1))
        for event in video.events
        for text in event.sentences
    ]


def to_annotations(rows: list[SentenceRow]) -> list[Annotation]:
    """The rows as ``vlanet_core.data.records.Annotation`` (one span each; ``line`` = 1-based row number)."""
    return [
        Annotation(vid=row.vid, duration=row.duration, sentence=row.sentence, spans=[(row.start, row.end)], line=i)
        for i, row in enumerate(rows, start=1)
    ]


def load_split(
    split: str, seed: int | None = None, n: int | None = None, progress: bool = False
) -> tuple[list[ShapesVideo], list[SentenceRow]]:
    """The first ``n`` videos of ``split`` (default: the whole split) and their sentence rows."""
    seed = resolve_seed(split, seed)
    count = DEFAULT_SIZES[split] if n is None else int(n)
    if count < 0:
        raise ValueError(f"the number of videos must be >= 0, got {count}")
    videos = [video_spec(split, i, seed) for i in tqdm(range(count), desc=f"{split} specs", disable=not progress)]
    rows = [row for video in videos for row in annotation_rows(video)]
    return videos, rows


def txt_line(row: SentenceRow) -> str:
    """``<vid> <start> <end>##<sentence>`` with times to one decimal."""
    return f"{row.vid} {row.start:.1f} {row.end:.1f}##{row.sentence}"


def write_annotation_files(
    folder: str | Path,
    split: str,
    videos: list[ShapesVideo],
    fps: float = DEFAULT_FPS,
    size: tuple[int, int] = DEFAULT_SIZE,
) -> tuple[Path, Path]:
    """Write ``<split>.txt`` and ``<split>.json`` into ``folder``; returns both paths."""
    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    txt_path, json_path = folder / f"{split}.txt", folder / f"{split}.json"
    lines = [txt_line(row) for video in videos for row in annotation_rows(video)]
    write_text_atomically(txt_path, "".join(line + "\n" for line in lines))
    entries = [
        f"{json.dumps(video.vid)}: "
        + json.dumps(
            {"duration": round(video.duration, 1), "fps": float(fps), "width": int(size[0]), "height": int(size[1])}
        )
        for video in videos
    ]  # one video per line: readable and diff-friendly
    write_text_atomically(json_path, "{\n" + ",\n".join(entries) + "\n}\n")
    return txt_path, json_path
