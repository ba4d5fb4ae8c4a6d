"""Write Shapes-STA example clips for the app: browser-playable VP8 WebM files plus ``examples.json``.

    python -m vlanet_core.data.shapes.examples --out assets/examples --count 5

Clips come from the test split (seed 2 by default), never from train, so the app's examples are unseen by the
shipped models. Each entry holds the clip file, one query of the clip and its ground-truth moment in seconds.
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path

from vlanet_core.data.shapes.annotations import annotation_rows
from vlanet_core.data.shapes.sample import video_spec
from vlanet_core.data.shapes.writer import write_video


def pick_examples(count: int, split: str = "test", seed: int | None = None, max_noise: float = 1.5) -> list[int]:
    """The first ``count`` indices of ``split`` whose pixel noise is at most ``max_noise``.

    Noise is what makes these clips large once compressed (4 MB for 30 s at sigma 5, under 1 MB below 1.5);
    every other property of the spec is left to chance, so the examples are a fair sample otherwise.
    """
    picked: list[int] = []
    index = 0
    while len(picked) < count:
        if video_spec(split, index, seed).noise_sigma <= max_noise:
            picked.append(index)
        index += 1
    return picked


def write_examples(out: str | Path, count: int = 5, split: str = "test", seed: int | None = None) -> Path:
    """Write ``count`` clips of ``split`` (see ``pick_examples``) and their ``examples.json``; returns the json."""
    out = Path(out)
    out.mkdir(parents=True, exist_ok=True)
    entries = []
    for index in pick_examples(count, split, seed):
        spec = video_spec(split, index, seed)
        file_name = f"{spec.vid}.webm"
        write_video(spec, out / file_name, codec="vp80")
        for row in annotation_rows(spec):
            entries.append({
                "file": file_name,
                "query": row.sentence,
                "moment": [row.start, row.end],
                "name": f"{spec.vid}: {row.sentence}",
            })
    index_path = out / "examples.json"
    index_path.write_text(json.dumps(entries, indent=1) + "\n")
    return index_path


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--out", default="assets/examples")
    parser.add_argument("--count", type=int, default=5)
    parser.add_argument("--split", default="test")
    parser.add_argument("--seed", type=int, default=None)
    args = parser.parse_args(argv)
    print(write_examples(args.out, args.count, args.split, args.seed))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
