"""Run a predictor over a split and score it with the evaluator (the same path a user's query takes).

python -m vlanet_core.training.evaluate --model checkpoints/vlanet-shapes-sta --data shapes-sta --split test

``--set stride_steps=6`` (repeatable) scores the same weights under another inference-time setting of the model
(``Predictor.with_model_settings``).
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path
from typing import Any

import torch
from tqdm import tqdm

from vlanet_core.evaluation.metrics import evaluate_rows
from vlanet_core.model_settings_cli import add_model_settings_argument, apply_model_settings
from vlanet_core.predictor import Predictor
from vlanet_core.training.data import SplitData, shapes_sta_split


def predict_split(
    predictor: Predictor, split: SplitData, top_k: int = 5, progress: bool = False
) -> list[dict[str, Any]]:
    """One prediction row per annotation, in annotation order."""
    rows = []
    for ann in tqdm(split.annotations, desc=f"predict {split.name}", disable=not progress, leave=False):
        result = predictor.predict(ann.sentence, split.features[ann.vid], top_k=top_k, vid=ann.vid)
        rows.append(result.to_json())
    return rows


def evaluate_split(predictor: Predictor, split: SplitData, top_k: int = 5, progress: bool = False) -> dict[str, float]:
    """R@1/R@5 at IoU 0.3/0.5/0.7 and mIoU (fractions) of ``predictor`` on ``split``."""
    rows = predict_split(predictor, split, top_k=top_k, progress=progress)
    return evaluate_rows(rows, split.annotations)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--model", required=True, help="checkpoint folder")
    parser.add_argument("--data", default="shapes-sta", choices=["shapes-sta"])
    parser.add_argument("--split", default="test")
    parser.add_argument("--seed", type=int, default=None)
    parser.add_argument("--videos", type=int, default=None)
    parser.add_argument("--top-k", type=int, default=5)
    parser.add_argument("--predictions", help="write the prediction rows here (jsonl)")
    parser.add_argument("--threads", type=int, default=1, help="torch threads (one query at a time gains little)")
    add_model_settings_argument(parser)
    args = parser.parse_args(argv)
    torch.set_num_threads(max(1, args.threads))
    predictor = apply_model_settings(parser, Predictor.from_pretrained(args.model), args.set)
    backbone = predictor.config.get("backbone") or {}
    params = backbone.get("params") if backbone.get("name") == "default" else None  # the model's own features
    split = shapes_sta_split(args.split, seed=args.seed, n_videos=args.videos, backbone_params=params)
    start = time.perf_counter()
    rows = predict_split(predictor, split, top_k=args.top_k, progress=True)
    seconds = time.perf_counter() - start
    if args.predictions:
        Path(args.predictions).write_text("".join(json.dumps(r) + "\n" for r in rows))
    metrics = evaluate_rows(rows, split.annotations)
    metrics["seconds_per_query"] = seconds / max(1, len(rows))
    json.dump(metrics, sys.stdout, indent=2)
    print()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
