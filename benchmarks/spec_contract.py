"""Do the shipped models score a Shapes-STA video that another program rendered as well as one of ours?

    python benchmarks/spec_contract.py --videos 100 [--models NAME ...] [--size 640x480 --fps 25] [--codec h264]
        [--out FILE]

The spec (``../shared/specs/shapes-sta.md``) is a contract: "Other programs render videos from this same text, so a
video they render must be scored as well as one that the project renders". ``independent_renderer/`` beside this
file is such a program, written from the spec's text alone, without reading the project's renderer: its own
sampler, hard-edged shapes drawn with Pillow (the project's renderer anti-aliases), its own spin direction, noise
and rounding. Every video here is written as mp4v (or H.264 with ``--codec h264``; at 320x240, 10 fps unless
``--size`` / ``--fps`` say otherwise: the spec makes both parameters) and read back through the app's decoding
path (``Predictor.encode_video(path)``), as a user's file would be.

Two comparisons, each with every model of ``--models`` (default: the shipped checkpoints and the random and
prior-only baselines, so that the chance figures of the same queries stand beside the models'):

1. ``same_scenes``: the first ``--videos`` test videos of the project's sampler, drawn by the project's renderer and
   by the independent one. Same events, same sentences, same annotations, so any difference in accuracy is the
   renderer's alone; the share of queries whose two top-1 moments are the same (IoU >= 0.99) is reported beside it.
2. ``independent_split``: ``--videos`` videos of the independent program's own test split (its sampler, its
   seed-2 videos), written with its annotation files, which the project's reader (``read_shapes_sta``) loads: a
   second program's benchmark end to end, from sampling to files.

R@1 / R@5 at IoU 0.3 / 0.5 / 0.7 and mIoU in percent, per model and form, and R1@0.5 per action in both
comparisons, since the spec leaves some actions' look open (spin direction, edges of shapes).
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
from collections import defaultdict
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np

REPO = Path(__file__).resolve().parents[1]
if str(REPO) not in sys.path:  # run as a script from anywhere: the package lives beside this folder
    sys.path.insert(0, str(REPO))

from benchmarks import independent_renderer  # noqa: E402
from benchmarks.report_output import emit_report  # noqa: E402
from benchmarks.robustness import SAME_MOMENT_IOU, accuracy  # noqa: E402
from vlanet_core.data.charades import read_shapes_sta  # noqa: E402
from vlanet_core.data.records import Annotation  # noqa: E402
from vlanet_core.data.shapes import annotation_rows, render_video, to_annotations, video_spec, write_video  # noqa: E402
from vlanet_core.data.shapes_sta import parse_size  # noqa: E402
from vlanet_core.predictor import Predictor  # noqa: E402
from vlanet_core.spans import iou  # noqa: E402

SIZE = (320, 240)  # the spec's reference frame and frame rate, the defaults of --size and --fps
FPS = 10.0
SPLIT, SEED = "test", 2  # the spec's default test seed, for both samplers
FORMS = ("ours", "independent")
CODECS = ("mp4v", "h264")  # h264 through the FFmpeg of imageio-ffmpeg, which OpenCV's wheel does not write
DEFAULT_MODELS = (
    "vlanet-shapes-sta",
    "vlanet-all-proposals-shapes-sta",
    "vlanet-3scale-shapes-sta",
    "wsra-shapes-sta",
    "scn-shapes-sta",
    "cimha-shapes-sta",
    "random",
    "prior-only-shapes-sta",
)


def top1(row: dict) -> tuple[float, float]:
    """(start, end) of a prediction row's best window."""
    start, end = row["pred_relevant_windows"][0][:2]
    return float(start), float(end)


def top1_hits(rows: Sequence[dict], annotations: Sequence[Annotation], threshold: float = 0.5) -> np.ndarray:
    """(Q,) bool: whether each row's best window overlaps its annotation's (first) span by IoU >= ``threshold``."""
    return np.asarray(
        [float(iou(np.asarray(top1(row)), np.asarray(a.spans[0]))) >= threshold for row, a in zip(rows, annotations)],
        dtype=bool,
    )


def paired_difference(first: np.ndarray, second: np.ndarray, rounds: int = 2000, seed: int = 0) -> dict[str, float]:
    """Mean of ``second - first`` over paired per-query hits (Q,), in points, with a 95% bootstrap interval over
    queries (``rounds`` resamples): does the other renderer's accuracy differ by more than the queries' noise?"""
    gaps = second.astype(np.float64) - first.astype(np.float64)
    picks = np.random.default_rng(seed).integers(0, len(gaps), size=(rounds, len(gaps)))
    means = gaps[picks].mean(axis=1)
    low, high = np.percentile(means, [2.5, 97.5])
    figures = {"points": gaps.mean(), "low": low, "high": high}
    return {key: round(100.0 * float(value), 1) for key, value in figures.items()}


def ask_all(predictors: dict[str, Predictor], path: Path, vid: str, sentences: Sequence[str]) -> dict[str, list[dict]]:
    """Model name -> one top-5 prediction row per sentence, for the video file ``path`` decoded by each model's
    backbone (the process-wide feature cache decodes a file once for models that share a backbone)."""
    out: dict[str, list[dict]] = {}
    for name, predictor in predictors.items():
        video = predictor.encode_video(path)
        out[name] = [predictor.predict(sentence, video, top_k=5, vid=vid).to_json() for sentence in sentences]
    return out


def same_scenes(
    predictors: dict[str, Predictor],
    indices: Sequence[int],
    folder: Path,
    size: tuple[int, int] = SIZE,
    fps: float = FPS,
    codec: str = "mp4v",
) -> dict[str, Any]:
    """Comparison 1 of the module doc on the project's test videos ``indices``, both programs rendering at ``size``
    (width, height) and ``fps``, written with ``codec`` (``CODECS``); files go to ``folder``."""
    folder.mkdir(parents=True, exist_ok=True)
    rows: dict[str, dict[str, list[dict]]] = {name: {form: [] for form in FORMS} for name in predictors}
    annotations: list[Annotation] = []
    actions: list[str] = []
    for index in indices:
        spec = video_spec(SPLIT, index)
        sentence_rows = annotation_rows(spec)
        annotations += to_annotations(sentence_rows)
        actions += [event.action for event in spec.events for _ in event.sentences]
        paths = {
            "ours": folder / f"{spec.vid}_ours.mp4",
            "independent": folder / f"{spec.vid}_independent.mp4",
        }
        if codec == "mp4v":  # the project's own writer, as the robustness benchmark writes its files
            write_video(spec, paths["ours"], fps=fps, size=size, codec="mp4v")
        else:  # H.264: one FFmpeg writer for both programs' frames
            ours = render_video(spec, size=size, fps=fps).frames
            independent_renderer.write_video(ours, paths["ours"], fps=fps, codec=codec)
        frames = independent_renderer.render_frames(spec.to_dict(), size=size, fps=fps)
        independent_renderer.write_video(frames, paths["independent"], fps=fps, codec=codec)
        for form, path in paths.items():
            answers = ask_all(predictors, path, spec.vid, [row.sentence for row in sentence_rows])
            for name, model_rows in answers.items():
                rows[name][form] += model_rows
            path.unlink()
    report: dict[str, Any] = {}
    for name, by_form in rows.items():
        overlaps = [
            float(iou(np.asarray(top1(a)), np.asarray(top1(b))))
            for a, b in zip(by_form["ours"], by_form["independent"], strict=True)
        ]
        report[name] = {
            **{form: accuracy(by_form[form], annotations) for form in FORMS},
            "R1@0.5_independent_minus_ours": paired_difference(
                top1_hits(by_form["ours"], annotations), top1_hits(by_form["independent"], annotations)
            ),
            "top1_same": round(float(np.mean([o >= SAME_MOMENT_IOU for o in overlaps])), 4),
            "mean_top1_iou": round(float(np.mean(overlaps)), 4),
            "R1@0.5_by_action": by_action(by_form, annotations, actions),
        }
    return {"videos": len(indices), "queries": len(annotations), "models": report}


def by_action(
    by_form: dict[str, list[dict]], annotations: Sequence[Annotation], actions: Sequence[str]
) -> dict[str, dict[str, Any]]:
    """Action -> {"queries": n, form: R1@0.5 in percent for each form of ``by_form``} over that action's queries."""
    groups: dict[str, list[int]] = defaultdict(list)
    for i, action in enumerate(actions):
        groups[action].append(i)
    out = {}
    for action, members in sorted(groups.items()):
        subset = [annotations[i] for i in members]
        out[action] = {"queries": len(members)} | {
            form: accuracy([rows[i] for i in members], subset)["R1@0.5"] for form, rows in by_form.items()
        }
    return out


def independent_split(
    predictors: dict[str, Predictor],
    count: int,
    folder: Path,
    size: tuple[int, int] = SIZE,
    fps: float = FPS,
    codec: str = "mp4v",
) -> dict[str, Any]:
    """Comparison 2 of the module doc: the independent program's first ``count`` test videos (at ``size`` and
    ``fps``, written with ``codec``) and annotation files, written to ``folder`` and read back with the project's
    reader."""
    scenes = independent_renderer.write_split(folder, SPLIT, SEED, count, size=size, fps=fps, codec=codec)
    action_of = {(s["vid"], text): e["action"] for s in scenes for e in s["events"] for text in e["sentences"]}
    annotations, _ = read_shapes_sta(folder / f"{SPLIT}.txt")
    by_video: dict[str, list[Annotation]] = defaultdict(list)
    for annotation in annotations:
        by_video[annotation.vid].append(annotation)
    rows: dict[str, list[dict]] = {name: [] for name in predictors}
    ordered: list[Annotation] = []
    for vid, video_annotations in by_video.items():
        answers = ask_all(predictors, folder / f"{vid}.mp4", vid, [a.sentence for a in video_annotations])
        for name, model_rows in answers.items():
            rows[name] += model_rows
        ordered += video_annotations
    actions = [action_of[(a.vid, a.sentence)] for a in ordered]
    return {
        "videos": len(by_video),
        "queries": len(ordered),
        "models": {name: accuracy(model_rows, ordered) for name, model_rows in rows.items()},
        "R1@0.5_by_action": {
            name: {
                action: group["independent"]
                for action, group in by_action({"independent": r}, ordered, actions).items()
            }
            for name, r in rows.items()
        },
    }


def load_models(names: Sequence[str], checkpoints: Path) -> dict[str, Predictor]:
    """Name -> predictor of ``checkpoints/<name>``; an unknown name raises ``SystemExit`` naming the folders."""
    missing = [name for name in names if not (checkpoints / name / "config.json").is_file()]
    if missing:
        known = sorted(p.name for p in checkpoints.iterdir() if (p / "config.json").is_file())
        raise SystemExit(f"no checkpoint {', '.join(missing)} in {checkpoints}; there are: {', '.join(known)}")
    return {name: Predictor.from_pretrained(checkpoints / name) for name in names}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--videos", type=int, default=100, help="videos in each comparison (default 100)")
    parser.add_argument("--models", nargs="+", default=list(DEFAULT_MODELS), help="checkpoint folder names")
    parser.add_argument("--checkpoints", type=Path, default=REPO / "checkpoints", help="folder of checkpoints")
    parser.add_argument("--size", type=parse_size, default=SIZE, help="frame size WxH of every video (320x240)")
    parser.add_argument("--fps", type=float, default=FPS, help="frame rate of every video (10)")
    parser.add_argument("--codec", choices=CODECS, default="mp4v", help="how every video is written (mp4v)")
    parser.add_argument("--skip", choices=("same_scenes", "independent_split"), action="append", default=[])
    parser.add_argument("--threads", type=int, default=1, help="torch threads (default 1)")
    parser.add_argument("--out", type=Path, help="also write the JSON here")
    args = parser.parse_args(argv)
    if args.videos < 1:
        parser.error("--videos must be >= 1")
    if not args.fps > 0:
        parser.error("--fps must be positive")
    import torch

    torch.set_num_threads(args.threads)
    started = time.perf_counter()
    predictors = load_models(args.models, args.checkpoints)
    report: dict[str, Any] = {
        "split": SPLIT,
        "seed": SEED,
        "size": list(args.size),
        "fps": args.fps,
        "codec": args.codec,
    }
    files = {"size": args.size, "fps": args.fps, "codec": args.codec}
    with tempfile.TemporaryDirectory(prefix="vmr-spec-contract-") as folder:
        if "same_scenes" not in args.skip:
            report["same_scenes"] = same_scenes(predictors, range(args.videos), Path(folder) / "same", **files)
        if "independent_split" not in args.skip:
            report["independent_split"] = independent_split(predictors, args.videos, Path(folder) / "theirs", **files)
    report["seconds"] = round(time.perf_counter() - started, 1)
    emit_report(report, args.out)
    return 0


if __name__ == "__main__":
    sys.exit(main())
