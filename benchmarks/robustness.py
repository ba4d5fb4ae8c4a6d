"""Do compression and decoding change the answers? Shapes-STA test videos in memory against the same videos written
as files and decoded again.

    python benchmarks/robustness.py --model checkpoints/vlanet-shapes-sta --videos 20 [--noise-control] [--out FILE]

For each of the first ``--videos`` Shapes-STA test videos:
1. ``render_video`` draws it in memory at 320x240, 10 fps (no codec at all), and ``Predictor.encode_video`` on those
   frames gives the reference features;
2. ``write_video`` writes it as mp4v (.mp4) and as VP8 (.webm), and ``Predictor.encode_video(path)`` decodes each
   file through the app's path (decoder, resize, features);
3. per feature step, the cosine similarity of the file's features with the reference (over the steps both have),
   on the backbone's features and on the model's input (standardised with its training statistics), with the
   channels that move most in the model's input;
4. every query of the video is asked on both: the file "agrees" when its top-1 moment has IoU >= 0.99 with the
   in-memory top-1;
5. accuracy: the top-5 answers on both are scored against the annotations (R@1/R@5 at IoU 0.3/0.5/0.7, mIoU), so
   "does the model do as well on a decoded file as on the renders it was trained on" has its own figure beside
   the agreement.

Prints one JSON object: per codec the mean / min step cosine, the top-1 agreement (target >= 0.95) with a few
disagreeing queries to look at, the share of queries whose two top-1 moments still overlap by IoU >= 0.5 / 0.7 /
0.9 (how far the others move), and the accuracy on the files beside the in-memory accuracy. ``compare_codecs`` is
the same comparison as a function (the tests call it).

``--h264`` adds the same figures for each video written as H.264 (``benchmarks/ffmpeg_writer.py``, libx264 at
FFmpeg's default quality), the codec phones and most tools write; the target and the exit status stay those of
mp4v and webm.

``--noise-control`` adds a control without any file: each video rendered in memory a second time with other pixel
noise (same sigma, same pictures), under "noise_control", so that the part of the disagreement any change of
pixels causes is measured beside the codecs'.
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np

REPO = Path(__file__).resolve().parents[1]
if str(REPO) not in sys.path:  # run as a script from anywhere: the package lives beside this folder
    sys.path.insert(0, str(REPO))

from benchmarks.checkpoint_args import add_probe_arguments, parse_and_load, report_header  # noqa: E402
from benchmarks.ffmpeg_writer import write_h264  # noqa: E402
from benchmarks.report_output import emit_report  # noqa: E402
from vlanet_core.data.shapes import annotation_rows, render_video, to_annotations, video_spec, write_video  # noqa: E402
from vlanet_core.data.shapes.writer import CODEC_SUFFIX  # noqa: E402
from vlanet_core.evaluation.metrics import evaluate_rows  # noqa: E402
from vlanet_core.features.types import VideoFeatures  # noqa: E402
from vlanet_core.features.variant_store import variant_codec  # noqa: E402
from vlanet_core.predictor import Predictor  # noqa: E402
from vlanet_core.spans import iou  # noqa: E402

SIZE = (320, 240)  # the benchmark's frame size (Shapes-STA's reference frame)
SAME_MOMENT_IOU = 0.99  # top-1 moments this close are the same moment (proposal grids are identical)
AGREEMENT_TARGET = 0.95
LOOSER_IOUS = (0.5, 0.7, 0.9)  # reported beside the exact agreement, never as the target
ACCURACY_KEYS = ("R1@0.3", "R1@0.5", "R1@0.7", "R5@0.5", "mIoU")  # percentages in the report
CONTROL_LABEL = "noise reseed"
CONTROL_NOISE_STREAM = 99  # any stream but render.NOISE_STREAM: the same pictures under other pixel noise
ISSUE_CODECS = ("mp4v", "webm")  # the forms the target is about; others (--h264) are reported beside them
H264 = "h264"  # written through imageio-ffmpeg's FFmpeg (benchmarks/ffmpeg_writer.py), which OpenCV's wheel cannot


def file_codecs() -> dict[str, str]:
    """Label -> OpenCV codec: ``mp4v`` and ``webm`` (VP8, else VP9), each only when this OpenCV build writes it."""
    out = {}
    for variant in ("mp4v", "webm"):
        try:
            out[variant] = str(variant_codec(variant))
        except ValueError:
            pass  # this OpenCV build writes no codec of that container
    return out


def step_cosines(reference: VideoFeatures, other: VideoFeatures) -> np.ndarray:
    """Cosine similarity per feature step over the steps both sequences have: (min(T1, T2),) float64.

    A step where both vectors are zero counts as 1 (identical); one zero vector against a non-zero one as 0."""
    steps = min(len(reference.features), len(other.features))
    a = np.asarray(reference.features[:steps], dtype=np.float64)
    b = np.asarray(other.features[:steps], dtype=np.float64)
    norms = np.linalg.norm(a, axis=1) * np.linalg.norm(b, axis=1)
    both_zero = (np.linalg.norm(a, axis=1) == 0) & (np.linalg.norm(b, axis=1) == 0)
    cos = np.divide((a * b).sum(axis=1), norms, out=np.zeros(steps), where=norms > 0)
    return np.where(both_zero, 1.0, cos)


def model_input(predictor: Predictor, features: VideoFeatures) -> VideoFeatures:
    """The features as the model sees them: standardised with the statistics fitted on its training videos
    (``prepare_video``), where a channel with a small spread magnifies a small codec difference."""
    import torch

    with torch.no_grad():
        prepared = predictor.model.prepare_video(torch.from_numpy(np.ascontiguousarray(features.features)))
    return VideoFeatures(prepared.cpu().numpy(), features.step, features.duration, features.backbone, {}, "")


def control_sources(codecs: dict[str, str], noise_control: bool) -> dict[str, str | None]:
    """Label -> OpenCV codec of each other form of a clip; ``CONTROL_LABEL`` -> None for the noise control."""
    sources: dict[str, str | None] = dict(codecs)
    if noise_control:
        sources[CONTROL_LABEL] = None  # a re-render, not a file
    return sources


def other_forms(
    predictor: Predictor, spec: Any, folder: Path, sources: dict[str, str | None], frames: np.ndarray | None = None
) -> dict[str, VideoFeatures]:
    """The features of ``spec``'s video in each form of ``sources`` (``control_sources``): written with the codec
    to ``folder`` and decoded through the app's path, or (codec None) rendered in memory with other pixel noise.
    ``frames``: the clip's in-memory render at ``SIZE``, when the caller has it, so H.264 does not draw it again."""
    out = {}
    for label, codec in sources.items():
        if codec is None:
            out[label] = predictor.encode_video(render_video(spec, size=SIZE, noise_stream=CONTROL_NOISE_STREAM))
        elif codec == H264:  # piped from the in-memory render (``frames``, when the caller already has it)
            frames = render_video(spec, size=SIZE).frames if frames is None else frames
            out[label] = predictor.encode_video(write_h264(frames, folder / f"{spec.vid}_h264.mp4"))
        else:
            path = write_video(spec, folder / f"{spec.vid}_{codec}{CODEC_SUFFIX[codec]}", size=SIZE, codec=codec)
            out[label] = predictor.encode_video(path)
    return out


def answer(predictor: Predictor, query: str, features: VideoFeatures, vid: str) -> tuple[tuple[float, float], dict]:
    """The best moment (start, end) in seconds, and the top-5 prediction row for the evaluator."""
    result = predictor.predict(query, features, top_k=5, vid=vid)
    return (result.moments[0].start, result.moments[0].end), result.to_json()


def overlap_shares(ious: Sequence[float], thresholds: Sequence[float] = LOOSER_IOUS) -> dict[str, float]:
    """Share of queries whose decoded-file top-1 overlaps the in-memory top-1 by at least each IoU threshold: how
    far the answers that are not the same moment move (a neighbouring proposal, or elsewhere)."""
    values = np.asarray(ious, dtype=np.float64)
    return {f"{t:g}": round(float((values >= t).mean()) if values.size else 0.0, 4) for t in thresholds}


def accuracy(rows: Sequence[dict], annotations: Sequence[Any]) -> dict[str, float]:
    """The evaluator's figures of prediction ``rows`` in percent, one decimal (``ACCURACY_KEYS``)."""
    metrics = evaluate_rows(rows, annotations)
    return {key: round(100.0 * metrics[key], 1) for key in ACCURACY_KEYS}


def compare_codecs(
    predictor: Predictor,
    indices: Sequence[int],
    folder: Path,
    codecs: dict[str, str] | None = None,
    split: str = "test",
    noise_control: bool = False,
) -> dict[str, Any]:
    """The comparison of the module doc for Shapes-STA ``split`` videos ``indices``; files are written to ``folder``.

    ``split="val"`` is for choosing between models (a training run's checkpoints); the reported figure is test's.
    ``noise_control``: also compare with the same videos rendered in memory with other pixel noise
    (``CONTROL_NOISE_STREAM``, no file, no codec), reported under "noise_control" with the same figures: how much
    of the answers' movement any small change of the pixels causes, so the codecs' share can be told apart.
    """
    codecs = file_codecs() if codecs is None else codecs
    if not codecs:
        raise RuntimeError("this OpenCV build writes neither mp4v nor a webm codec")
    sources = control_sources(codecs, noise_control)
    cosines: dict[str, list[np.ndarray]] = {label: [] for label in sources}
    input_cosines: dict[str, list[np.ndarray]] = {label: [] for label in sources}
    channel_gaps: dict[str, list[np.ndarray]] = {label: [] for label in sources}
    agree: dict[str, list[bool]] = {label: [] for label in sources}
    ious: dict[str, list[float]] = {label: [] for label in sources}
    misses: dict[str, list[dict[str, Any]]] = {label: [] for label in sources}
    file_rows: dict[str, list[dict]] = {label: [] for label in sources}
    memory_rows: list[dict] = []
    annotations: list[Any] = []
    for index in indices:
        spec = video_spec(split, index)
        rendered = render_video(spec, size=SIZE)
        reference = predictor.encode_video(rendered)
        sentence_rows = annotation_rows(spec)
        annotations += to_annotations(sentence_rows)
        queries = [row.sentence for row in sentence_rows]
        wanted = {}
        for query in queries:
            wanted[query], row = answer(predictor, query, reference, spec.vid)
            memory_rows.append(row)
        for label, decoded in other_forms(predictor, spec, folder, sources, rendered.frames).items():
            cosines[label].append(step_cosines(reference, decoded))
            seen_ref, seen_file = model_input(predictor, reference), model_input(predictor, decoded)
            input_cosines[label].append(step_cosines(seen_ref, seen_file))
            steps = min(len(seen_ref.features), len(seen_file.features))
            channel_gaps[label].append(np.abs(seen_ref.features[:steps] - seen_file.features[:steps]))
            for query in queries:
                got, row = answer(predictor, query, decoded, spec.vid)
                file_rows[label].append(row)
                overlap = float(iou(np.asarray(got), np.asarray(wanted[query])))
                ious[label].append(overlap)
                agree[label].append(overlap >= SAME_MOMENT_IOU)
                if overlap < SAME_MOMENT_IOU and len(misses[label]) < 5:
                    misses[label].append(
                        {"vid": spec.vid, "query": query, "in_memory": wanted[query], "file": got, "iou": overlap}
                    )
    names = getattr(predictor.backbone, "feature_names", lambda: [])()
    in_memory = accuracy(memory_rows, annotations)
    per_codec = {}
    for label, codec in sources.items():
        steps = np.concatenate(cosines[label])
        seen = np.concatenate(input_cosines[label])
        gaps = np.concatenate(channel_gaps[label]).mean(axis=0)
        worst = np.argsort(gaps)[::-1][:5]
        per_codec[label] = {
            "codec": codec,
            "mean_step_cosine": round(float(steps.mean()), 5),
            "min_step_cosine": round(float(steps.min()), 5),
            "steps": int(steps.size),
            "mean_model_input_cosine": round(float(seen.mean()), 5),
            "min_model_input_cosine": round(float(seen.min()), 5),
            "largest_model_input_gaps": {
                (names[i] if len(names) == len(gaps) else str(int(i))): round(float(gaps[i]), 3) for i in worst
            },
            "queries": len(agree[label]),
            "top1_same": int(sum(agree[label])),
            "top1_agreement": round(float(np.mean(agree[label])), 4),
            "mean_top1_iou": round(float(np.mean(ious[label])), 4),
            "top1_iou_at_least": overlap_shares(ious[label]),
            "target_met": float(np.mean(agree[label])) >= AGREEMENT_TARGET if label in ISSUE_CODECS else None,
            "accuracy_file": accuracy(file_rows[label], annotations),
            "disagreements": misses[label],
        }
    control = per_codec.pop(CONTROL_LABEL, None)
    report = {
        "split": split,
        "videos": [video_spec(split, i).vid for i in indices],
        "queries": len(next(iter(agree.values()))),
        "same_moment_iou": SAME_MOMENT_IOU,
        "agreement_target": AGREEMENT_TARGET,
        "accuracy_in_memory": in_memory,
        "codecs": per_codec,
    }
    if control is not None:
        control.pop("target_met")
        report["noise_control"] = {**control, "noise_stream": CONTROL_NOISE_STREAM}
    return report


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    add_probe_arguments(parser, split="test", videos=20)
    parser.add_argument(
        "--noise-control",
        action="store_true",
        help="also re-render each video in memory with other pixel noise and report the same figures for it",
    )
    parser.add_argument(
        "--h264",
        action="store_true",
        help="also write each video as H.264 (libx264, FFmpeg's default quality; needs imageio-ffmpeg), reported "
        "beside the two codecs of the target",
    )
    started = time.perf_counter()
    args, predictor = parse_and_load(parser, argv)
    codecs = {**file_codecs(), **({H264: H264} if args.h264 else {})}
    with tempfile.TemporaryDirectory(prefix="vmr-robustness-") as folder:
        indices = range(args.first, args.first + args.videos)
        report = compare_codecs(
            predictor, indices, Path(folder), codecs, split=args.split, noise_control=args.noise_control
        )
    report = {**report_header(args), **report, "seconds": round(time.perf_counter() - started, 1)}
    emit_report(report, args.out)
    return 0 if all(c["target_met"] for label, c in report["codecs"].items() if label in ISSUE_CODECS) else 1


if __name__ == "__main__":
    sys.exit(main())
