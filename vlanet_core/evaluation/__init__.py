"""Moment-retrieval evaluation: numpy-only metrics, the evaluator's own annotation loading, and a CLI.

This package imports nothing else from vlanet_core (a test checks it), so it can be copied out and run alone;
its only contract with the models is the prediction row ``{"vid", "query", "pred_relevant_windows"}``.
"""

from __future__ import annotations

from vlanet_core.evaluation.cli import evaluate_files
from vlanet_core.evaluation.didemo import candidate_moments, evaluate_didemo, snap_to_moments
from vlanet_core.evaluation.errors import EvaluationInputError
from vlanet_core.evaluation.ground_truth import FORMATS, GroundTruth, GroundTruthSet, load_ground_truth
from vlanet_core.evaluation.metrics import (
    evaluate_charades_style,
    evaluate_rows,
    iou_table,
    mean_iou,
    recall_at_k,
    temporal_iou,
)
from vlanet_core.evaluation.predictions import Prediction, load_predictions, match

__all__ = [
    "FORMATS",
    "EvaluationInputError",
    "GroundTruth",
    "GroundTruthSet",
    "Prediction",
    "candidate_moments",
    "evaluate_charades_style",
    "evaluate_didemo",
    "evaluate_files",
    "evaluate_rows",
    "iou_table",
    "load_ground_truth",
    "load_predictions",
    "match",
    "mean_iou",
    "recall_at_k",
    "snap_to_moments",
    "temporal_iou",
]
