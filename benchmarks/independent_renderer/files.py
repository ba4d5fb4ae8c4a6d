"""Video files (mp4v through OpenCV, H.264 through imageio-ffmpeg's FFmpeg) and the Charades-STA style annotation
files of a set of scenes."""

from __future__ import annotations

import json
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import cv2
import numpy as np

from benchmarks.ffmpeg_writer import write_h264
from benchmarks.independent_renderer.render import render_frames
from benchmarks.independent_renderer.sample import sample_scene
from benchmarks.independent_renderer.tables import REF_H, REF_W


def write_video(frames: np.ndarray, path: str | Path, fps: float = 10.0, codec: str = "mp4v") -> None:
    """Write frames of shape (T, H, W, 3) uint8 RGB to a video file with cv2.VideoWriter, or, for ``codec="h264"``
    (which OpenCV's wheel does not write), with the FFmpeg of ``imageio-ffmpeg`` (libx264, yuv420p, its default
    quality, as most tools write H.264)."""
    if frames.ndim != 4 or frames.shape[-1] != 3:
        raise ValueError(f"frames must have shape (T, H, W, 3), got {frames.shape}")
    h, w = int(frames.shape[1]), int(frames.shape[2])
    if codec == "h264":
        write_h264(frames, path, fps)  # the one file-writing helper shared with the project's benchmarks
        return
    writer = cv2.VideoWriter(str(path), cv2.VideoWriter_fourcc(*codec), float(fps), (w, h))
    if not writer.isOpened():
        raise RuntimeError(f"cv2.VideoWriter could not open {path!s} with codec {codec!r} ({w}x{h} @ {fps} fps)")
    try:
        for frame in frames:
            writer.write(cv2.cvtColor(np.ascontiguousarray(frame, dtype=np.uint8), cv2.COLOR_RGB2BGR))
    finally:
        writer.release()


def annotation_rows(scene: dict[str, Any]) -> list[str]:
    """Charades-STA rows ``<vid> <start> <end>##<sentence>`` of one scene."""
    return [
        f"{scene['vid']} {float(e['start']):.1f} {float(e['end']):.1f}##{s}"
        for e in scene["events"]
        for s in e["sentences"]
    ]


def write_scenes(
    out_dir: str | Path,
    scenes: Sequence[dict[str, Any]],
    size: tuple[int, int] = (REF_W, REF_H),
    fps: float = 10.0,
    codec: str = "mp4v",
) -> list[dict[str, Any]]:
    """Render and write the given scenes: ``<vid>.mp4``, ``<split>.txt``, ``<split>.json`` and ``scenes.json``."""
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    rows: dict[str, list[str]] = {}
    meta: dict[str, dict[str, dict[str, Any]]] = {}
    for scene in scenes:
        write_video(render_frames(scene, size=size, fps=fps), out / f"{scene['vid']}.mp4", fps=fps, codec=codec)
        split = str(scene.get("split", "scenes"))
        rows.setdefault(split, []).extend(annotation_rows(scene))
        meta.setdefault(split, {})[scene["vid"]] = {
            "duration": scene["duration"],
            "fps": float(fps),
            "width": int(size[0]),
            "height": int(size[1]),
        }
    for split, lines in rows.items():
        (out / f"{split}.txt").write_text("".join(line + "\n" for line in lines), encoding="utf-8")
        (out / f"{split}.json").write_text(json.dumps(meta[split], indent=1), encoding="utf-8")
    (out / "scenes.json").write_text(json.dumps(list(scenes), indent=1), encoding="utf-8")
    return list(scenes)


def write_split(
    out_dir: str | Path,
    split: str,
    seed: int,
    count: int,
    size: tuple[int, int] = (REF_W, REF_H),
    fps: float = 10.0,
    codec: str = "mp4v",
) -> list[dict[str, Any]]:
    """Sample scenes 0..count-1 of a split and write them with ``write_scenes``; returns the scenes."""
    scenes = [sample_scene(split, i, seed) for i in range(count)]
    return write_scenes(out_dir, scenes, size=size, fps=fps, codec=codec)
