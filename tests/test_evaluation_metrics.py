"""Metrics of vlanet_core.evaluation: hand-computed cases, DiDeMo's protocol, and the package's import purity."""

import ast
from pathlib import Path

import numpy as np
import pytest

from vlanet_core.evaluation import (
    candidate_moments,
    evaluate_charades_style,
    evaluate_didemo,
    evaluate_rows,
    iou_table,
    mean_iou,
    recall_at_k,
    snap_to_moments,
    temporal_iou,
)

GT = np.array([[2.0, 4.0], [0.0, 10.0], [5.0, 6.0]])
PREDS = [
    [[2.0, 4.0, 0.9], [0.0, 1.0, 0.1]],  # top-1 exact
    [[0.0, 4.0, 0.5], [0.0, 9.0, 0.4]],  # top-1 IoU 0.4, second 0.9
    [],  # no prediction: a miss
]


def test_temporal_iou_values():
    assert temporal_iou([0, 2], [1, 3]) == pytest.approx(1 / 3)
    assert temporal_iou([0, 1], [3, 4]) == 0.0
    assert temporal_iou([np.nan, np.nan], [0, 1]) == 0.0


def test_iou_table_pads_missing_windows_with_zero():
    table = iou_table(PREDS, GT, k=2)
    np.testing.assert_allclose(table, [[1.0, 0.0], [0.4, 0.9], [0.0, 0.0]])


def test_recall_at_k_hand_cases():
    assert recall_at_k(PREDS, GT, k=1, iou_threshold=0.5) == pytest.approx(1 / 3)
    assert recall_at_k(PREDS, GT, k=2, iou_threshold=0.5) == pytest.approx(2 / 3)
    assert recall_at_k(PREDS, GT, k=1, iou_threshold=0.4) == pytest.approx(2 / 3)  # IoU >= threshold counts
    assert recall_at_k(PREDS, GT, k=5, iou_threshold=0.95) == pytest.approx(1 / 3)


def test_mean_iou_uses_top_one():
    assert mean_iou(PREDS, GT) == pytest.approx((1.0 + 0.4 + 0.0) / 3)


def test_dense_and_ragged_inputs_agree():
    rng = np.random.default_rng(1)
    dense = np.sort(rng.random((20, 5, 2)), axis=-1) * 10
    gt = np.sort(rng.random((20, 2)), axis=-1) * 10
    assert evaluate_charades_style(dense, gt) == evaluate_charades_style(list(dense), gt)


def test_evaluate_charades_style_keys_and_values():
    out = evaluate_charades_style(PREDS, GT)
    assert set(out) == {f"R{k}@{m}" for k in (1, 5) for m in (0.1, 0.3, 0.5, 0.7)} | {"mIoU"}
    assert out["R1@0.3"] == pytest.approx(2 / 3)
    assert out["R5@0.7"] == pytest.approx(2 / 3)
    assert all(0.0 <= v <= 1.0 for v in out.values())


def test_metrics_reject_mismatched_or_empty_inputs():
    with pytest.raises(ValueError):
        recall_at_k(PREDS, GT[:2], 1, 0.5)
    with pytest.raises(ValueError):
        mean_iou([], np.zeros((0, 2)))
    with pytest.raises(ValueError):
        recall_at_k(PREDS, GT, 0, 0.5)


def test_evaluate_rows_matches_duplicates_in_order():
    class Ann:
        def __init__(self, vid, sentence, spans):
            self.vid, self.sentence, self.spans = vid, sentence, spans

    anns = [Ann("v", "q", [(0.0, 2.0)]), Ann("v", "q", [(5.0, 7.0)])]
    rows = [
        {"vid": "v", "query": " q ", "pred_relevant_windows": [[0, 2, 1]]},
        {"vid": "v", "query": "q", "pred_relevant_windows": [[5, 7, 1]]},
    ]
    assert evaluate_rows(rows, anns)["R1@0.7"] == 1.0
    assert evaluate_rows(rows[::-1], anns)["R1@0.7"] == 0.0  # first row goes to the first annotation


# --- DiDeMo -----------------------------------------------------------------------------------------------


def seg(a, b):
    """DiDeMo segments [a, b] (inclusive) in seconds."""
    return [5.0 * a, 5.0 * (b + 1)]


def test_candidate_moments_are_the_21_segment_ranges():
    moments = candidate_moments()
    assert moments.shape == (21, 2)
    assert len({tuple(m) for m in moments}) == 21
    assert moments.min() == 0 and moments.max() == 30


def test_snap_dedupes_keeping_rank():
    ranked = snap_to_moments([seg(1, 1), [5.2, 9.8], seg(0, 5)])
    moments = candidate_moments()
    assert [tuple(moments[i]) for i in ranked] == [(5.0, 10.0), (0.0, 30.0)]


def test_didemo_best_three_of_four_annotators():
    annotators = [np.array([seg(1, 1), seg(1, 1), seg(1, 1), seg(0, 0)])]
    # top-1 is the 3 annotators' moment: their ranks 1,1,1 -> mean 1 -> R@1; the outlier (rank 2) is ignored
    top = evaluate_didemo([[seg(1, 1), seg(0, 0)]], annotators)
    assert top == {"R@1": 1.0, "R@5": 1.0, "mIoU": 1.0}
    # the outlier's moment first: best-3 ranks are 1 (outlier), 2, 2 -> mean 5/3 -> not R@1, but R@5
    out = evaluate_didemo([[seg(0, 0), seg(1, 1)]], annotators)
    assert out["R@1"] == 0.0 and out["R@5"] == 1.0
    assert out["mIoU"] == pytest.approx(1.0 / 3)  # best 3 IoUs of [0,0]: 1, 0, 0


def test_didemo_missing_moment_has_infinite_rank():
    annotators = [np.array([seg(2, 3), seg(2, 3), seg(4, 4), seg(5, 5)])]
    out = evaluate_didemo([[seg(2, 3)]], annotators)  # ranks 1, 1, inf, inf -> best 3 mean inf
    assert out["R@1"] == 0.0 and out["R@5"] == 0.0
    assert out["mIoU"] == pytest.approx((1 + 1 + 0) / 3)


def test_didemo_four_agreeing_annotators_and_r5():
    annotators = [np.array([seg(0, 1)] * 4)]
    preds = [[seg(0, 0), seg(1, 1), seg(2, 2), seg(0, 1)]]
    out = evaluate_didemo(preds, annotators)
    assert out["R@1"] == 0.0 and out["R@5"] == 1.0
    assert out["mIoU"] == pytest.approx(0.5)


def test_evaluation_imports_nothing_else_from_vlanet_core():
    """The evaluator stands alone: every vlanet_core import under evaluation/ stays inside evaluation/."""
    package = Path(__file__).resolve().parents[1] / "vlanet_core" / "evaluation"
    offenders = []
    for path in package.rglob("*.py"):
        for node in ast.walk(ast.parse(path.read_text())):
            names = []
            if isinstance(node, ast.Import):
                names = [a.name for a in node.names]
            elif isinstance(node, ast.ImportFrom):
                names = [node.module or ""] if node.level == 0 else []
                if node.level > 1:
                    offenders.append(f"{path.name}: relative import beyond the package")
            for name in names:
                if name.split(".")[0] == "vlanet_core" and not name.startswith("vlanet_core.evaluation"):
                    offenders.append(f"{path.name}: {name}")
                if name.split(".")[0] in {"torch", "cv2", "decord", "transformers", "gradio"}:
                    offenders.append(f"{path.name}: {name}")
    assert not offenders, offenders


def test_docstring_examples_run():
    import doctest

    import vlanet_core.data.didemo
    import vlanet_core.evaluation.didemo
    import vlanet_core.evaluation.metrics

    for module in (vlanet_core.evaluation.metrics, vlanet_core.evaluation.didemo, vlanet_core.data.didemo):
        result = doctest.testmod(module)
        assert result.attempted > 0 and result.failed == 0, module.__name__
