"""The command line: ``python -m benchmarks.independent_renderer --split test --seed 2 --count 10 --out DIR``, or
``--scenes FILE.json`` to draw given scenes."""

from __future__ import annotations

import argparse
import json
from collections.abc import Sequence
from pathlib import Path

from benchmarks.independent_renderer.files import write_scenes, write_split
from benchmarks.independent_renderer.tables import REF_H, REF_W


def _parse_size(text: str) -> tuple[int, int]:
    w, h = text.lower().split("x")
    return int(w), int(h)


def main(argv: Sequence[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--split", default="test")
    parser.add_argument("--seed", type=int, default=None, help="default: train 0, val 1, test 2, else 0")
    parser.add_argument("--count", type=int, default=10)
    parser.add_argument("--out", required=True)
    parser.add_argument("--size", type=_parse_size, default=(REF_W, REF_H), help="WxH, default 320x240")
    parser.add_argument("--fps", type=float, default=10.0)
    parser.add_argument("--codec", default="mp4v")
    parser.add_argument("--scenes", default=None, help="JSON list of scene dicts to render instead of sampling")
    args = parser.parse_args(argv)
    if args.scenes:
        scenes = json.loads(Path(args.scenes).read_text(encoding="utf-8"))
        write_scenes(args.out, scenes, size=args.size, fps=args.fps, codec=args.codec)
    else:
        seed = args.seed if args.seed is not None else {"train": 0, "val": 1, "test": 2}.get(args.split, 0)
        scenes = write_split(args.out, args.split, seed, args.count, size=args.size, fps=args.fps, codec=args.codec)
    print(f"wrote {len(scenes)} videos to {args.out}")
