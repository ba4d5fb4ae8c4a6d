"""Which feature channels move the answers when a clip is compressed? Put groups of a decoded clip's channels back
to their in-memory values and count the top-1 answers that come back.

    python benchmarks/robustness_attribution.py --model checkpoints/vlanet-shapes-sta --videos 20 [--split val]

For each of the first ``--videos`` Shapes-STA videos of ``--split``: the in-memory render (the reference) and its
other forms, as ``robustness.py`` makes them (mp4v and webm files decoded through the app's path, and the noise
control: the same pictures rendered with other pixel noise). For each form and each group of the backbone's
feature columns (``channel_groups``: by part, mean / slope / rate, and by value, mass / centroid / spread / grid /
edge density / harmonics), the form's features with that group's columns replaced by the reference's are asked
every query of the video, and the figure is how many top-1 moments equal the in-memory one (IoU >= 0.99, as in
``robustness.py``). The rows "only G" do the converse: every column repaired but group G's, so G's differences are
the only ones left. Two rows check the method: "none" repairs nothing (``robustness.py``'s own figure) and "all"
repairs every column (the reference itself on the form's time axis: every answer must come back).

Reading: if repairing one small group brought most answers back (and "only G" moved as many as "none"), a change of
the backbone for that group would be the fix to try; if each group brings back only a few, and each "only G" moves
only a few, the answers move with many small differences together.
Prints one JSON object.
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
from benchmarks.report_output import emit_report  # noqa: E402
from benchmarks.robustness import (  # noqa: E402
    SAME_MOMENT_IOU,
    SIZE,
    control_sources,
    file_codecs,
    other_forms,
)
from vlanet_core.data.shapes import annotation_rows, render_video, video_spec  # noqa: E402
from vlanet_core.features.types import VideoFeatures  # noqa: E402
from vlanet_core.predictor import Predictor  # noqa: E402
from vlanet_core.spans import iou  # noqa: E402

VALUE_GROUPS = {"h2_cos": "harmonics", "h2_sin": "harmonics", "h3_cos": "harmonics", "h3_sin": "harmonics"}


def channel_groups(names: Sequence[str]) -> dict[str, np.ndarray]:
    """Feature names 'part:bin:value' (``DefaultBackbone.feature_names``) -> group -> column indices: "all", one
    "part=P" per part, one "value=V" per value (the grid cells as "grid", the four harmonic values as
    "harmonics"). A name without two ':' raises ValueError (the attribution needs the default backbone)."""
    groups: dict[str, list[int]] = {"all": list(range(len(names)))}
    for column, name in enumerate(names):
        pieces = name.split(":")
        if len(pieces) != 3:
            raise ValueError(f"feature name {name!r} is not 'part:bin:value'")
        part, _, value = pieces
        value = "grid" if value.startswith("grid") else VALUE_GROUPS.get(value, value)
        groups.setdefault(f"part={part}", []).append(column)
        groups.setdefault(f"value={value}", []).append(column)
    return {name: np.asarray(columns, dtype=np.int64) for name, columns in groups.items()}


def repaired(form: VideoFeatures, reference: VideoFeatures, columns: np.ndarray) -> VideoFeatures:
    """``form`` with ``columns`` copied from ``reference`` over the steps both have (the form keeps its own time
    axis: a decoded file may have a step more or fewer)."""
    features = np.array(form.features, dtype=np.float32, copy=True)
    steps = min(len(features), len(reference.features))
    features[:steps, columns] = reference.features[:steps, columns]
    return VideoFeatures(features, form.step, form.duration, form.backbone, form.backbone_params, form.source)


def top1(predictor: Predictor, query: str, features: VideoFeatures) -> np.ndarray:
    """The best moment (start, end) in seconds."""
    best = predictor.predict(query, features, top_k=1).moments[0]
    return np.array([best.start, best.end])


def attribute(
    predictor: Predictor,
    indices: Sequence[int],
    folder: Path,
    split: str = "val",
    codecs: dict[str, str] | None = None,
    noise_control: bool = True,
) -> dict[str, Any]:
    """The table of the module doc: per form, group -> top-1 answers equal to the in-memory ones."""
    codecs = file_codecs() if codecs is None else codecs
    sources = control_sources(codecs, noise_control)
    if not sources:
        raise RuntimeError("this OpenCV build writes neither mp4v nor a webm codec, and no noise control was asked")
    groups = channel_groups(predictor.backbone.feature_names())
    rows = ["none", *groups, *(f"only {name}" for name in groups if name != "all")]
    same = {label: dict.fromkeys(rows, 0) for label in sources}
    queries = 0
    for index in indices:
        spec = video_spec(split, index)
        reference = predictor.encode_video(render_video(spec, size=SIZE))
        sentences = [row.sentence for row in annotation_rows(spec)]
        wanted = {query: top1(predictor, query, reference) for query in sentences}
        queries += len(sentences)
        for label, form in other_forms(predictor, spec, folder, sources).items():
            variants = {"none": form, **{name: repaired(form, reference, cols) for name, cols in groups.items()}}
            variants.update({f"only {name}": repaired(form, reference, np.setdiff1d(groups["all"], cols))
                             for name, cols in groups.items() if name != "all"})  # fmt: skip
            for name, features in variants.items():
                for query in sentences:
                    overlap = float(iou(top1(predictor, query, features), wanted[query]))
                    same[label][name] += int(overlap >= SAME_MOMENT_IOU)
    sizes = {"none": 0, **{name: int(len(cols)) for name, cols in groups.items()}}
    return {
        "split": split,
        "videos": [video_spec(split, i).vid for i in indices],
        "queries": queries,
        "columns_per_group": sizes,
        "top1_same": same,
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    add_probe_arguments(parser, split="val", videos=20)
    started = time.perf_counter()
    args, predictor = parse_and_load(parser, argv)
    if predictor.config.get("backbone", {}).get("name") != "default":
        parser.error(f"{args.model} does not read the default backbone's features")
    with tempfile.TemporaryDirectory(prefix="vmr-attribution-") as folder:
        indices = range(args.first, args.first + args.videos)
        report = attribute(predictor, indices, Path(folder), split=args.split)
    report = {**report_header(args), **report, "seconds": round(time.perf_counter() - started, 1)}
    emit_report(report, args.out)
    return 0


if __name__ == "__main__":
    sys.exit(main())
