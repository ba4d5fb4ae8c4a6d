"""Generate the Shapes-STA benchmark (/work/shared/specs/shapes-sta.md).

    python -m vlanet_core.data.shapes_sta --split test --out data/shapes_sta
    python -m vlanet_core.data.shapes_sta --split val --out DIR --write-videos 3 --fps 10 --size 320x240 --codec mp4v
    python -m vlanet_core.data.shapes_sta --split train --out DIR --benchmark 100 --bench-size 80x60

Writes ``DIR/<split>.txt`` and ``DIR/<split>.json``, and the first K videos as ``DIR/videos/<vid>.mp4|.webm``.
``--benchmark N`` renders N videos in memory and prints videos/s and the time the whole split would take.
"""

from __future__ import annotations

import argparse
import sys
import time
from collections.abc import Sequence
from pathlib import Path

from tqdm import tqdm

from vlanet_core.data.shapes import (
    CODEC_SUFFIX,
    DEFAULT_FPS,
    DEFAULT_SIZE,
    DEFAULT_SIZES,
    SPLITS,
    CodecUnavailableError,
    load_split,
    render_video,
    write_annotation_files,
    write_video,
)


def write_annotations(
    split: str,
    out: str | Path,
    seed: int | None = None,
    videos: int | None = None,
    fps: float = DEFAULT_FPS,
    size: tuple[int, int] = DEFAULT_SIZE,
) -> tuple[Path, Path]:
    """Write ``out/<split>.txt`` and ``out/<split>.json`` for the first ``videos`` videos (default: the whole split)
    generated with ``seed`` (default: the split's); returns both paths. What the CLI does without ``--write-videos``.
    """
    specs, _ = load_split(split, seed, videos)
    return write_annotation_files(out, split, specs, fps, size)


def parse_size(text: str) -> tuple[int, int]:
    """``"320x240"`` -> (320, 240)."""
    try:
        width, height = (int(part) for part in text.lower().split("x"))
    except ValueError:
        raise argparse.ArgumentTypeError(f"size must look like 320x240, got {text!r}") from None
    if width < 8 or height < 8:
        raise argparse.ArgumentTypeError(f"size must be at least 8x8, got {text!r}")
    return width, height


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="python -m vlanet_core.data.shapes_sta", description=__doc__.split("\n")[0])
    parser.add_argument("--split", required=True, choices=SPLITS)
    parser.add_argument("--out", required=True, type=Path, help="folder for <split>.txt, <split>.json, videos/")
    parser.add_argument("--seed", type=int, default=None, help="split seed (default: train 0, val 1, test 2)")
    parser.add_argument("--videos", type=int, default=None, help="videos in the split (default: 5000/500/1500)")
    parser.add_argument("--write-videos", type=int, default=0, metavar="K", help="also write the first K videos")
    parser.add_argument("--fps", type=float, default=DEFAULT_FPS)
    parser.add_argument("--size", type=parse_size, default=(320, 240), metavar="WxH")
    parser.add_argument("--codec", choices=sorted(CODEC_SUFFIX), default="mp4v")
    parser.add_argument("--benchmark", type=int, default=0, metavar="N", help="time rendering N videos in memory")
    parser.add_argument("--bench-size", type=parse_size, default=(80, 60), metavar="WxH")
    return parser


def benchmark(videos: list, size: tuple[int, int], fps: float, split_size: int) -> str:
    """Render ``videos`` in memory; a line with videos/s and the extrapolated time for ``split_size`` videos."""
    begin, begin_cpu = time.perf_counter(), time.process_time()
    frames = 0
    for video in tqdm(videos, desc=f"render {size[0]}x{size[1]}"):
        frames += len(render_video(video, size, fps).frames)
    seconds, cpu_seconds = time.perf_counter() - begin, time.process_time() - begin_cpu
    rate = len(videos) / seconds
    return (
        f"rendered {len(videos)} videos ({frames} frames) at {size[0]}x{size[1]}, {fps:g} fps in {seconds:.2f} s: "
        f"{rate:.1f} videos/s, {frames / seconds:.0f} frames/s on one process; "
        f"{split_size} videos would take {split_size / rate:.0f} s "
        f"({split_size * cpu_seconds / max(len(videos), 1):.0f} s of CPU time)"
    )


def main(argv: Sequence[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    count = DEFAULT_SIZES[args.split] if args.videos is None else args.videos
    if count < 0 or args.write_videos < 0 or args.benchmark < 0 or not args.fps > 0:
        print("error: --videos, --write-videos and --benchmark must be >= 0 and --fps > 0", file=sys.stderr)
        return 2
    videos, rows = load_split(args.split, args.seed, count, progress=True)
    txt_path, json_path = write_annotation_files(args.out, args.split, videos, args.fps, args.size)
    print(f"wrote {len(rows)} sentences of {len(videos)} videos to {txt_path} and {json_path}")
    to_write = videos[: args.write_videos]
    try:
        for video in tqdm(to_write, desc="videos", disable=not to_write):
            write_video(
                video, args.out / "videos" / f"{video.vid}{CODEC_SUFFIX[args.codec]}", args.fps, args.size, args.codec
            )
    except CodecUnavailableError as error:
        print(f"error: {error}", file=sys.stderr)
        return 1
    if to_write:
        print(f"wrote {len(to_write)} videos ({args.codec}, {args.size[0]}x{args.size[1]}) to {args.out / 'videos'}")
    if args.benchmark:
        print(benchmark(videos[: args.benchmark], args.bench_size, args.fps, count))
    return 0


if __name__ == "__main__":
    sys.exit(main())
