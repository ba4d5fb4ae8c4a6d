"""The baseline rows of the README: the three blind baselines over one annotation file, as a markdown table.

    python -m vlanet_core.models.baseline_table --annotations ../shared/data/charades/charades_sta_test.txt \\
        --format charades --train ../shared/data/charades/charades_sta_train.txt --runs 100

- "random": the mean (± standard deviation) over ``--runs`` runs, each a fresh ``RandomBaseline`` draw of
  ``--top-k`` spans per query (the same sampler its ``infer`` uses, vectorised over runs and queries).
- "whole-video": ``infer`` per query.
- "prior-only": fitted on ``--train`` (same format), then ``infer`` per query followed by NMS at IoU 0.5 and
  the top ``--top-k``, as the predictor post-processes; skipped without ``--train``.
Fractions become seconds with each annotation's duration. Numbers are percentages (metrics are fractions).
This lives beside the models, not in ``vlanet_core.evaluation``, because it builds models and that package
imports nothing else from vlanet_core.
"""

from __future__ import annotations

import argparse
import json
from typing import Any

import numpy as np
import torch

from vlanet_core.data.records import Annotation
from vlanet_core.evaluation import evaluate_charades_style, evaluate_didemo
from vlanet_core.models.baselines import (
    PriorOnlyBaseline,
    RandomBaseline,
    RandomBaselineConfig,
    WholeVideoBaseline,
    WholeVideoConfig,
)
from vlanet_core.registry import DATASETS
from vlanet_core.spans import nms

COLUMNS = ("R1@0.3", "R1@0.5", "R1@0.7", "R5@0.3", "R5@0.5", "R5@0.7", "mIoU")


def _metrics(windows: Any, annotations: list[Annotation], didemo: bool) -> dict[str, float]:
    out = evaluate_charades_style(windows, np.asarray([a.spans[0] for a in annotations]))
    if didemo:
        per_query = [np.asarray(w) for w in windows]
        scored = evaluate_didemo(per_query, [np.asarray(a.spans) for a in annotations])
        out.update({f"DiDeMo {k}": v for k, v in scored.items()})
    return out


def _per_query(model: Any, annotations: list[Annotation], top_k: int) -> list[np.ndarray]:
    dummy_video, dummy_words = torch.zeros(1, 1), torch.zeros(1, 1)  # the baselines read neither
    out = []
    for ann in annotations:
        result = model.infer(dummy_video, dummy_words, [])
        keep = nms(result.proposals, result.scores, threshold=0.5, top_k=top_k)
        out.append(np.asarray(result.proposals)[keep] * ann.duration)
    return out


def baseline_metrics(
    annotations: list[Annotation],
    train: list[Annotation] | None = None,
    runs: int = 100,
    seed: int = 0,
    top_k: int = 5,
    didemo: bool = False,
) -> dict[str, dict[str, float]]:
    """``{"random": metrics (+ "<key> std"), "whole-video": ..., "prior-only": ...}``, fractions."""
    durations = np.asarray([a.duration for a in annotations])
    table: dict[str, dict[str, float]] = {}
    model = RandomBaseline(RandomBaselineConfig(seed=seed, num_proposals=top_k))
    draws = model.sample_fractions(model.rng, (runs, len(annotations), top_k)) * durations[None, :, None, None]
    per_run = [_metrics(draws[r] if not didemo else list(draws[r]), annotations, didemo) for r in range(runs)]
    table["random"] = {k: float(np.mean([m[k] for m in per_run])) for k in per_run[0]}
    table["random"].update({f"{k} std": float(np.std([m[k] for m in per_run])) for k in per_run[0]})
    table["whole-video"] = _metrics(
        _per_query(WholeVideoBaseline(WholeVideoConfig()), annotations, top_k), annotations, didemo
    )
    if train:
        prior = PriorOnlyBaseline.fit(np.asarray([a.fractions() for a in train]))
        table["prior-only"] = _metrics(_per_query(prior, annotations, top_k), annotations, didemo)
    return table


def markdown(table: dict[str, dict[str, float]], runs: int) -> str:
    """The table with percentages, two decimals; random as mean ± std over ``runs`` runs."""
    extra = [k for k in next(iter(table.values())) if k.startswith("DiDeMo") and not k.endswith("std")]
    columns = [*COLUMNS, *extra]
    lines = ["| baseline | " + " | ".join(columns) + " |", "|---" * (len(columns) + 1) + "|"]
    for name, metrics in table.items():
        label = f"random (mean of {runs})" if name == "random" else name
        cells = []
        for key in columns:
            cell = f"{100 * metrics[key]:.2f}"
            if f"{key} std" in metrics:
                cell += f" ± {100 * metrics[f'{key} std']:.2f}"
            cells.append(cell)
        lines.append(f"| {label} | " + " | ".join(cells) + " |")
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--annotations", required=True, help="the split to score (e.g. the test split)")
    parser.add_argument("--format", required=True, dest="fmt", help="a registered dataset name (DATASETS)")
    parser.add_argument("--train", default=None, help="train split of the same format, to fit prior-only")
    parser.add_argument("--durations", default=None, help="charades / shapes: durations file (default: beside)")
    parser.add_argument("--runs", type=int, default=100, help="random runs to average")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--top-k", type=int, default=5)
    parser.add_argument("--json", action="store_true", help="print the numbers as JSON instead of markdown")
    args = parser.parse_args(argv)
    torch.set_num_threads(1)
    reader = DATASETS.get(args.fmt)
    kwargs = {"durations": args.durations} if args.durations and DATASETS.meta(args.fmt).get("durations") else {}
    annotations, summary = reader(args.annotations, **kwargs)
    train = reader(args.train, **kwargs)[0] if args.train else None
    table = baseline_metrics(annotations, train, args.runs, args.seed, args.top_k, didemo=args.fmt == "didemo")
    print(json.dumps(table, indent=2) if args.json else markdown(table, args.runs))
    print(f"\n{summary}", flush=True)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
