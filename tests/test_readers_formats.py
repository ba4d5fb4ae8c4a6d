"""Every public annotation file in ../shared/data read by its registered reader, with the expected counts, and
the evaluator's own loader giving the same annotations. Skips cleanly when the shared folder is absent."""

from pathlib import Path

import numpy as np
import pytest

from vlanet_core.data.readers import read_annotations
from vlanet_core.evaluation import load_ground_truth
from vlanet_core.registry import DATASETS

DATA = Path(__file__).resolve().parents[1].parent / "shared" / "data"

# (format, file, rows, kept, clipped, dropped)
CASES = [
    ("charades", "charades/charades_sta_train.txt", 12408, 12408, 1802, 0),
    ("charades", "charades/charades_sta_test.txt", 3720, 3720, 562, 0),
    ("activitynet", "activitynet/train.json", 37421, 37417, 261, 4),
    ("activitynet", "activitynet/val_1.json", 17505, 17505, 134, 0),
    ("activitynet", "activitynet/val_2.json", 17031, 17031, 111, 0),
    ("activitynet-cd", "activitynet_cd/anet_val.json", 3521, 3521, 17, 0),
    ("activitynet-cd", "activitynet_cd/anet_test_iid.json", 3443, 3443, 27, 0),
    ("activitynet-cd", "activitynet_cd/anet_test_ood.json", 13578, 13574, 55, 4),
    ("charades-cd", "charades_cd/charades_train.json", 11071, 11071, 1652, 0),
    ("charades-cd", "charades_cd/charades_val.json", 859, 859, 135, 0),
    ("charades-cd", "charades_cd/charades_test_iid.json", 823, 823, 151, 0),
    ("charades-cd", "charades_cd/charades_test_ood.json", 3375, 3372, 345, 3),
    ("tacos", "tacos/train.json", 9790, 9790, 43, 0),
    ("tacos", "tacos/val.json", 4436, 4436, 0, 0),
    ("tacos", "tacos/test.json", 4001, 4001, 5, 0),
    ("didemo", "didemo/val_data.json", 4180, 4180, 0, 0),
    ("didemo", "didemo/test_data.json", 4021, 4021, 0, 0),
]


def shared(rel: str) -> Path:
    path = DATA / rel
    if not path.is_file():
        pytest.skip(f"{path} is absent (shared data not available)")
    return path


def test_every_format_is_registered():
    assert {"charades", "charades-cd", "activitynet", "activitynet-cd", "tacos", "didemo", "shapes"} <= set(
        DATASETS.names()
    )


@pytest.mark.parametrize("fmt, rel, rows, kept, clipped, dropped", CASES, ids=[c[1] for c in CASES])
def test_public_file_counts_and_agreement_with_the_evaluator(fmt, rel, rows, kept, clipped, dropped):
    path = shared(rel)
    annotations, summary = read_annotations(path, fmt)
    assert (summary.rows, summary.kept, summary.clipped, summary.dropped) == (rows, kept, clipped, dropped)
    assert len(annotations) == kept == summary.rows - summary.dropped
    assert len(summary.issues) == clipped + dropped
    assert all(a.sentence and a.sentence == a.sentence.strip() for a in annotations)
    spans = np.asarray([s for a in annotations for s in a.spans])
    durations = np.asarray([a.duration for a in annotations for _ in a.spans])
    assert np.all((spans[:, 0] >= 0) & (spans[:, 0] < spans[:, 1]) & (spans[:, 1] <= durations))
    truth = load_ground_truth(path, fmt)
    assert len(truth.items) == kept and truth.clipped == clipped and truth.dropped == dropped
    assert [(a.vid, a.sentence, a.line) for a in annotations] == [(t.vid, t.query, t.line) for t in truth.items]
    assert np.array_equal(spans, np.concatenate([t.spans for t in truth.items]))


def test_charades_durations_from_csv_match_json():
    path = shared("charades/charades_sta_test.txt")
    csvs = [shared("charades/Charades_v1_test.csv")]
    from_json, _ = read_annotations(path, "charades")
    from_csv, summary = read_annotations(path, "charades", durations=csvs[0])
    assert summary.clipped == 562
    assert [a.duration for a in from_json] == [a.duration for a in from_csv]


def test_charades_first_rows():
    annotations, _ = read_annotations(shared("charades/charades_sta_test.txt"), "charades")
    first = annotations[0]
    assert (first.vid, first.spans, first.sentence, first.line) == (
        "3MSZA",
        [(24.3, 30.4)],
        "person turn a light on.",
        1,
    )
    assert first.duration == pytest.approx(30.96)


def test_2dtan_variant_drops_its_four_reversed_rows():
    path = shared("charades/2dtan_variant/charades_sta_train.txt")
    durations = shared("charades/charades.json")
    annotations, summary = read_annotations(path, "charades", durations=durations)
    assert summary.dropped == 4 and summary.kept == 12404
    assert sorted(i.line for i in summary.issues if i.action == "dropped") == [8252, 8440, 9623, 9624]
    assert all("start after end" in i.reason for i in summary.issues if i.action == "dropped")


def test_tacos_frames_become_seconds():
    annotations, _ = read_annotations(shared("tacos/test.json"), "tacos")
    first = annotations[0]  # s30-d52.avi: frames [141, 354] at 29.4 fps, 7346 frames
    assert first.vid == "s30-d52.avi"
    np.testing.assert_allclose(first.spans[0], (141 / 29.4, 354 / 29.4))
    assert first.duration == pytest.approx(7346 / 29.4)


def test_didemo_keeps_every_annotator_consensus_first():
    annotations, _ = read_annotations(shared("didemo/val_data.json"), "didemo")
    first = annotations[0]  # times [[1,1],[1,1],[1,1],[0,0]], 6 segments
    assert first.spans == [(5.0, 10.0), (5.0, 10.0), (5.0, 10.0), (0.0, 5.0)]
    assert first.duration == 30.0
    assert max(len(a.spans) for a in annotations) == 7
