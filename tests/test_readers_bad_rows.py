"""The documented fate of every kind of bad row, on small broken files written in tmp_path."""

import json

import pytest

from vlanet_core.data.readers import read_annotations
from vlanet_core.data.records import ReadSummary, RowIssue
from vlanet_core.errors import AnnotationError

DURATIONS = {"v1": {"duration": 30.0}, "v2": {"duration": 10.0}}


def charades(tmp_path, *rows, name="sta.txt"):
    path = tmp_path / name
    path.write_text("".join(r + "\n" for r in rows))
    (tmp_path / "charades.json").write_text(json.dumps(DURATIONS))
    return path


def test_clean_rows_are_kept(tmp_path):
    path = charades(tmp_path, "v1 1.0 2.5##a person sits.", "", "v2 0 10##  a door opens.  ")
    annotations, summary = read_annotations(path, "charades")
    assert [(a.vid, a.spans, a.sentence, a.line) for a in annotations] == [
        ("v1", [(1.0, 2.5)], "a person sits.", 1),
        ("v2", [(0.0, 10.0)], "a door opens.", 3),  # blank line 2 skipped; sentence stripped
    ]
    assert (summary.rows, summary.kept, summary.clipped, summary.dropped) == (2, 2, 0, 0)
    assert annotations[0].fractions() == pytest.approx((1 / 30, 2.5 / 30))


def test_end_past_duration_is_clipped_and_listed(tmp_path):
    path = charades(tmp_path, "v2 4.0 12.5##a person sits.", "v1 -1.0 3.0##a person runs.")
    annotations, summary = read_annotations(path, "charades", strict=True)  # clipping never raises
    assert [a.spans[0] for a in annotations] == [(4.0, 10.0), (0.0, 3.0)]
    assert summary.clipped == 2 and summary.kept == 2
    assert [(i.line, i.action) for i in summary.issues] == [(1, "clipped"), (2, "clipped")]


@pytest.mark.parametrize(
    "row, reason",
    [
        ("v1 5.0 4.0##a person sits.", "start after end"),
        ("v1 5.0 5.0##a person sits.", "zero-length span"),
        ("v2 12.0 14.0##a person sits.", "span outside the video"),
        ("v1 1.0 2.0##   ", "empty sentence"),
        ("v9 1.0 2.0##a person sits.", "unknown video"),
    ],
)
def test_unusable_rows_are_dropped_or_raise_in_strict_mode(tmp_path, row, reason):
    path = charades(tmp_path, "v1 1.0 2.0##ok.", row)
    annotations, summary = read_annotations(path, "charades")
    assert len(annotations) == 1 and summary.dropped == 1 and summary.rows == 2
    issue = summary.issues[0]
    assert (issue.line, issue.action) == (2, "dropped") and reason in issue.reason
    assert f"{path}:2" in str(issue)
    with pytest.raises(AnnotationError, match=rf"sta.txt:2: {reason}"):
        read_annotations(path, "charades", strict=True)


@pytest.mark.parametrize(
    "row, message",
    [
        ("v1 1.0 2.0 a person sits.", "no '##'"),
        ("v1 1.0##a person sits.", "expected '<vid> <start> <end>'"),
        ("v1 one 2.0##a person sits.", "start 'one' is not a number"),
        ("v1 1.0 nan##a person sits.", "not a finite number"),
    ],
)
def test_broken_rows_always_raise_with_file_and_line(tmp_path, row, message):
    path = charades(tmp_path, "v1 1.0 2.0##ok.", row)
    with pytest.raises(AnnotationError, match=rf"sta.txt:2: .*{message}"):
        read_annotations(path, "charades")


def test_durations_sources(tmp_path):
    path = tmp_path / "lonely.txt"
    path.write_text("v1 1.0 2.0##ok.\n")
    with pytest.raises(AnnotationError, match="no durations"):
        read_annotations(path, "charades")
    csv = tmp_path / "durations.csv"
    csv.write_text("id,length\nv1,20.5\n")
    annotations, _ = read_annotations(path, "charades", durations=csv)
    assert annotations[0].duration == 20.5
    annotations, _ = read_annotations(path, "charades", durations={"v1": 8.0})
    assert annotations[0].duration == 8.0


def test_shapes_reads_its_split_json(tmp_path):
    (tmp_path / "test.txt").write_text("test_00000 2.5 7.0##the red circle moves left\n")
    (tmp_path / "test.json").write_text(
        json.dumps({"test_00000": {"duration": 20.0, "fps": 10, "width": 320, "height": 240}})
    )
    annotations, summary = read_annotations(tmp_path / "test.txt", "shapes")
    assert annotations[0].spans == [(2.5, 7.0)] and annotations[0].duration == 20.0 and summary.kept == 1


def write_json(tmp_path, payload, name="a.json"):
    path = tmp_path / name
    path.write_text(json.dumps(payload) if not isinstance(payload, str) else payload)
    return path


def test_json_formats_bad_input(tmp_path):
    with pytest.raises(AnnotationError, match=r"a.json:1: not valid JSON"):
        read_annotations(write_json(tmp_path, "{oops"), "activitynet")
    with pytest.raises(AnnotationError, match="missing key 'duration'"):
        read_annotations(write_json(tmp_path, {"v": {"timestamps": [], "sentences": []}}), "activitynet")
    with pytest.raises(AnnotationError, match="same length"):
        read_annotations(
            write_json(tmp_path, {"v": {"duration": 9, "timestamps": [[0, 1]], "sentences": []}}), "activitynet"
        )
    with pytest.raises(AnnotationError, match=r"a.json:2: end 'x' is not a number"):
        payload = {"v": {"duration": 9, "timestamps": [[0, 1], [0, "x"]], "sentences": ["a", "b"]}}
        read_annotations(write_json(tmp_path, payload), "activitynet")


def test_json_formats_drop_and_clip(tmp_path):
    payload = {"v": {"video_duration": 9.0, "timestamps": [[0, 12], [5, 3], [1, 2]], "sentences": ["a", "b", " "]}}
    annotations, summary = read_annotations(write_json(tmp_path, payload), "charades-cd")
    assert [a.spans for a in annotations] == [[(0.0, 9.0)]]
    assert (summary.rows, summary.kept, summary.clipped, summary.dropped) == (3, 1, 1, 2)
    assert summary.reasons("dropped") == {"start after end": 1, "empty sentence": 1}


def test_tacos_bad_fps(tmp_path):
    payload = {"s.avi": {"fps": 0, "num_frames": 100, "timestamps": [[0, 10]], "sentences": ["a"]}}
    with pytest.raises(AnnotationError, match="fps must be positive"):
        read_annotations(write_json(tmp_path, payload), "tacos")


def test_didemo_partial_annotators(tmp_path):
    entries = [
        {"video": "x", "description": "a dog", "num_segments": 5, "times": [[1, 1], [3, 2], [0, 0], [1, 1]]},
        {"video": "y", "description": "a cat", "num_segments": 5, "times": [[2, 1]]},
        {"video": "z", "description": "a cow", "num_segments": 5, "times": "0 1"},
    ]
    path = write_json(tmp_path, entries[:2], "d.json")
    annotations, summary = read_annotations(path, "didemo")
    assert annotations[0].spans == [(5.0, 10.0), (0.0, 5.0), (5.0, 10.0)]  # consensus first, reversed pair left out
    assert annotations[0].duration == 25.0
    assert (summary.kept, summary.clipped, summary.dropped) == (1, 1, 1)
    with pytest.raises(AnnotationError, match="d.json:1"):
        read_annotations(path, "didemo", strict=True)
    with pytest.raises(AnnotationError, match="d.json:3: 'times' must be"):
        read_annotations(write_json(tmp_path, entries, "d.json"), "didemo")


def test_summary_merge_and_text():
    a, b = ReadSummary("a", rows=2, kept=1, dropped=1), ReadSummary("b", rows=3, kept=3, clipped=1)
    a.issues.append(RowIssue("a", 2, "dropped", "x: y"))
    merged = a.merge(b)
    assert (merged.rows, merged.kept, merged.clipped, merged.dropped) == (5, 4, 1, 1)
    assert "5 rows, 4 kept (1 clipped), 1 dropped" in str(merged)
