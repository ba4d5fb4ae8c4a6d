"""The evaluator end to end: the committed sample against its expected metrics, and every kind of bad row."""

import json
from pathlib import Path

import pytest

from vlanet_core.evaluation import EvaluationInputError, evaluate_files, load_ground_truth, load_predictions
from vlanet_core.evaluation.cli import main

SAMPLE = Path(__file__).resolve().parents[1] / "assets" / "eval_sample"


def test_sample_predictions_give_the_committed_metrics(capsys):
    expected = json.loads((SAMPLE / "expected_metrics.json").read_text())
    got = evaluate_files(SAMPLE / "preds.jsonl", SAMPLE / "annotations.txt", "charades")
    assert set(got) == set(expected)
    for key, value in expected.items():
        assert got[key] == pytest.approx(value, abs=1e-9), key
    assert (
        main(
            [
                "--predictions",
                str(SAMPLE / "preds.jsonl"),
                "--annotations",
                str(SAMPLE / "annotations.txt"),
                "--format",
                "charades",
                "--durations",
                str(SAMPLE / "annotations.json"),
            ]
        )
        == 0
    )
    printed = json.loads(capsys.readouterr().out)
    assert printed["R1@0.5"] == pytest.approx(expected["R1@0.5"])


def test_sample_ground_truth_applies_the_rules():
    truth = load_ground_truth(SAMPLE / "annotations.txt", "charades")
    assert truth.dropped == 1  # the start-after-end row
    assert len(truth.items) == 19
    assert all(t.spans[0, 1] <= t.duration for t in truth.items)


def write(tmp_path, text, name="preds.jsonl"):
    path = tmp_path / name
    path.write_text(text)
    return path


GOOD = {"vid": "v1", "query": "a person sits.", "pred_relevant_windows": [[1.0, 2.0, 0.5]]}


@pytest.mark.parametrize(
    "row, message",
    [
        ("{not json", "not JSON"),
        (json.dumps({"vid": "v1", "pred_relevant_windows": []}), "missing field 'query'"),
        (json.dumps({**GOOD, "pred_relevant_windows": [[float("nan"), 2.0, 0.5]]}), "not a finite number"),
        (json.dumps({**GOOD, "pred_relevant_windows": [[-1.0, 2.0, 0.5]]}), "negative time"),
        (json.dumps({**GOOD, "pred_relevant_windows": [[3.0, 2.0, 0.5]]}), "starts after it ends"),
        (json.dumps({**GOOD, "pred_relevant_windows": [[1.0]]}), "window 0 must be"),
        (json.dumps({**GOOD, "pred_relevant_windows": "1 2"}), "must be a list"),
        (json.dumps([1, 2]), "JSON object"),
    ],
)
def test_bad_prediction_rows_name_file_and_line(tmp_path, row, message):
    path = write(tmp_path, json.dumps(GOOD) + "\n\n" + row + "\n")
    with pytest.raises(EvaluationInputError) as err:
        load_predictions(path)
    assert message in str(err.value)
    assert f"{path}:3" in str(err.value)


def charades_files(tmp_path, rows):
    ann = write(tmp_path, "".join(r + "\n" for r in rows), "ann.txt")
    (tmp_path / "ann.json").write_text(json.dumps({"v1": {"duration": 30.0}, "v2": {"duration": 10.0}}))
    return ann


def test_matching_errors(tmp_path):
    ann = charades_files(tmp_path, ["v1 1.0 2.0##a person sits.", "v2 0.0 5.0##a door opens."])
    one = write(tmp_path, json.dumps(GOOD) + "\n")
    with pytest.raises(EvaluationInputError, match="1 annotated queries have no prediction"):
        evaluate_files(one, ann, "charades")
    assert evaluate_files(one, ann, "charades", allow_missing=True)["R1@0.7"] == 0.5
    extra = write(tmp_path, json.dumps(GOOD) + "\n" + json.dumps({**GOOD, "vid": "v9"}) + "\n", "extra.jsonl")
    with pytest.raises(EvaluationInputError, match=r"extra.jsonl:2: no annotation"):
        evaluate_files(extra, ann, "charades", allow_missing=True)


def test_cli_exit_status_on_bad_input(tmp_path, capsys):
    ann = charades_files(tmp_path, ["v1 1.0 2.0##a person sits."])
    bad = write(tmp_path, "{oops\n")
    assert main(["--predictions", str(bad), "--annotations", str(ann), "--format", "charades"]) == 2
    assert "preds.jsonl:1" in capsys.readouterr().err


def test_missing_durations_is_an_error(tmp_path):
    ann = write(tmp_path, "v1 1.0 2.0##a person sits.\n", "lonely.txt")
    with pytest.raises(EvaluationInputError, match="durations"):
        load_ground_truth(ann, "charades")


def test_unparsable_annotation_row(tmp_path):
    ann = charades_files(tmp_path, ["v1 1.0 2.0##a person sits.", "v1 one 2.0##a person sits."])
    with pytest.raises(EvaluationInputError, match=r"ann.txt:2"):
        load_ground_truth(ann, "charades")


def test_didemo_cli_adds_protocol_metrics(tmp_path):
    entries = [{"video": "x.mp4", "description": "a dog runs", "num_segments": 6, "times": [[1, 1]] * 3 + [[0, 0]]}]
    ann = write(tmp_path, json.dumps(entries), "didemo.json")
    preds = write(
        tmp_path, json.dumps({"vid": "x.mp4", "query": "a dog runs", "pred_relevant_windows": [[5, 10, 1.0]]}) + "\n"
    )
    out = evaluate_files(preds, ann, "didemo")
    assert out["DiDeMo R@1"] == 1.0 and out["R1@0.7"] == 1.0  # spans[0] is the consensus [5, 10]
