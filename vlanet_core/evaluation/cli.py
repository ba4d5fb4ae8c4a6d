"""``python -m vlanet_core.evaluation --predictions preds.jsonl --annotations FILE --format charades``.

Prints one JSON object: the metrics as fractions (Charades-style R{k}@{m} and mIoU for every format, plus
DiDeMo's protocol ``DiDeMo R@1`` / ``DiDeMo R@5`` / ``DiDeMo mIoU`` for ``--format didemo``), ``n`` (queries
scored), and ``annotations_clipped`` / ``annotations_dropped`` (rows the loading rules changed or left out).
Durations of the text formats: ``--durations FILE`` or the files found beside the annotations
(``vlanet_core.evaluation.ground_truth``). Exit status 2 with a one-line message on bad input.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path
from typing import Any

from vlanet_core.evaluation.didemo import evaluate_didemo
from vlanet_core.evaluation.errors import EvaluationInputError
from vlanet_core.evaluation.ground_truth import FORMATS, load_ground_truth
from vlanet_core.evaluation.metrics import evaluate_charades_style
from vlanet_core.evaluation.predictions import load_predictions, match


def evaluate_files(
    predictions: str | Path,
    annotations: str | Path,
    fmt: str,
    durations: str | Path | None = None,
    allow_missing: bool = False,
) -> dict[str, Any]:
    """Metrics of a prediction file against an annotation file (the CLI without printing)."""
    truth = load_ground_truth(annotations, fmt, durations)
    if not truth.items:
        raise EvaluationInputError(f"{annotations}: no usable annotation")
    preds = load_predictions(predictions)
    windows = match(preds, truth.items, allow_missing=allow_missing, source=str(predictions))
    metrics: dict[str, Any] = evaluate_charades_style(windows, [t.spans[0] for t in truth.items])
    if fmt == "didemo":
        didemo = evaluate_didemo(windows, [t.spans for t in truth.items])
        metrics.update({f"DiDeMo {key}": value for key, value in didemo.items()})
    metrics.update(n=len(truth.items), annotations_clipped=truth.clipped, annotations_dropped=truth.dropped)
    return metrics


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m vlanet_core.evaluation", description=__doc__.split("\n")[0])
    parser.add_argument("--predictions", required=True, help="JSON Lines prediction file")
    parser.add_argument("--annotations", required=True, help="annotation file of the chosen format")
    parser.add_argument("--format", required=True, choices=FORMATS, dest="fmt")
    parser.add_argument("--durations", default=None, help="charades/shapes: .json or Charades .csv of durations")
    parser.add_argument("--allow-missing", action="store_true", help="score queries with no prediction as misses")
    args = parser.parse_args(argv)
    try:
        metrics = evaluate_files(args.predictions, args.annotations, args.fmt, args.durations, args.allow_missing)
    except (EvaluationInputError, ValueError) as err:
        print(f"error: {err}", file=sys.stderr)
        return 2
    print(json.dumps(metrics, indent=2))
    return 0
