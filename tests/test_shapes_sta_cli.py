"""Shapes-STA files: the txt/json formats, load_split, the CLI and a written video read back by OpenCV."""

from __future__ import annotations

import json
import re
import subprocess
import sys
from pathlib import Path

import cv2
import pytest

from vlanet_core.data import shapes_sta
from vlanet_core.data.shapes import (
    CodecUnavailableError,
    frame_count,
    load_split,
    parse_sentence,
    to_annotations,
    video_spec,
    write_video,
)
from vlanet_core.data.shapes import writer as writer_module

ROW = re.compile(
    r"^(?P<vid>(?P<split>train|val|test)_(?P<index>\d{5})) (?P<start>\d+\.\d) (?P<end>\d+\.\d)##(?P<s>.+)$"
)
REPO = Path(__file__).resolve().parents[1]


def test_load_split_rows_match_the_specs():
    videos, rows = load_split("train", n=20)
    assert [v.vid for v in videos] == [f"train_{i:05d}" for i in range(20)]
    assert videos[4] == video_spec("train", 4)
    assert len(rows) == sum(len(e.sentences) for v in videos for e in v.events)
    by_vid = {v.vid: v for v in videos}
    for row in rows:
        video = by_vid[row.vid]
        colour, shape, action = parse_sentence(row.sentence)
        matches = [e for e in video.events if (e.start, e.end, e.action) == (row.start, row.end, action)]
        assert len(matches) == 1 and video.objects[matches[0].object_index].name == f"{colour} {shape}"
        assert row.duration == video.duration
    assert len(load_split("val", n=0)[0]) == 0
    annotations = to_annotations(rows)
    assert [(a.vid, a.span, a.sentence, a.duration) for a in annotations] == [
        (r.vid, (r.start, r.end), r.sentence, r.duration) for r in rows
    ]


def test_write_annotations_matches_the_cli(tmp_path):
    txt, js = shapes_sta.write_annotations("test", tmp_path / "a", seed=4, videos=5)
    assert shapes_sta.main(["--split", "test", "--out", str(tmp_path / "b"), "--seed", "4", "--videos", "5"]) == 0
    assert txt.read_text() == (tmp_path / "b" / "test.txt").read_text()
    assert js.read_text() == (tmp_path / "b" / "test.json").read_text()


def test_cli_writes_annotations_and_a_readable_video(tmp_path, capsys):
    code = shapes_sta.main(
        [
            "--split",
            "val",
            "--out",
            str(tmp_path),
            "--videos",
            "6",
            "--write-videos",
            "1",
            "--size",
            "64x48",
            "--codec",
            "mp4v",
            "--seed",
            "5",
        ]
    )
    assert code == 0
    lines = (tmp_path / "val.txt").read_text(encoding="utf-8").splitlines()
    info = json.loads((tmp_path / "val.json").read_text(encoding="utf-8"))
    assert list(info) == [f"val_{i:05d}" for i in range(6)]
    videos = [video_spec("val", i, seed=5) for i in range(6)]
    assert len(lines) == sum(len(v.events) for v in videos)  # val: one sentence per event
    for line in lines:
        match = ROW.match(line)
        assert match, line
        start, end = float(match["start"]), float(match["end"])
        assert 0 <= start < end <= info[match["vid"]]["duration"]
        parse_sentence(match["s"])
    for meta in info.values():
        assert set(meta) == {"duration", "fps", "width", "height"}
        assert (meta["fps"], meta["width"], meta["height"]) == (10.0, 64, 48)
        assert f"{meta['duration']:.1f}" == str(meta["duration"])
    capture = cv2.VideoCapture(str(tmp_path / "videos" / "val_00000.mp4"))
    count = 0
    while True:
        ok, frame = capture.read()
        if not ok:
            break
        assert frame.shape == (48, 64, 3)
        count += 1
    capture.release()
    assert count == frame_count(videos[0].duration, 10.0)
    assert not (tmp_path / "videos" / "val_00001.mp4").exists()
    assert "wrote" in capsys.readouterr().out


def test_cli_benchmark_prints_a_rate(tmp_path, capsys):
    assert shapes_sta.main(["--split", "test", "--out", str(tmp_path), "--videos", "4", "--benchmark", "2"]) == 0
    assert re.search(r"[\d.]+ videos/s.*4 videos would take \d+ s", capsys.readouterr().out)


def test_unwritable_codec_names_the_working_ones(tmp_path, monkeypatch):
    spec = video_spec("test", 0)
    with pytest.raises(ValueError, match=".webm"):
        write_video(spec, tmp_path / "a.mp4", codec="vp80")
    monkeypatch.setattr(writer_module, "codec_works", lambda codec: codec == "mp4v")
    with pytest.raises(CodecUnavailableError, match="codecs that work: mp4v"):
        write_video(spec, tmp_path / "a.webm", codec="vp90")
    monkeypatch.setattr(writer_module, "codec_works", lambda codec: False)
    assert shapes_sta.main(["--split", "test", "--out", str(tmp_path), "--videos", "1", "--write-videos", "1"]) == 1


def test_module_runs_from_the_command_line(tmp_path):
    result = subprocess.run(
        [
            sys.executable,
            "-m",
            "vlanet_core.data.shapes_sta",
            "--split",
            "train",
            "--out",
            str(tmp_path),
            "--videos",
            "3",
        ],
        cwd=REPO,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode == 0, result.stderr
    rows = (tmp_path / "train.txt").read_text(encoding="utf-8").splitlines()
    assert all(ROW.match(row) for row in rows) and rows[0].startswith("train_00000 ")
    bad = subprocess.run(
        [
            sys.executable,
            "-m",
            "vlanet_core.data.shapes_sta",
            "--split",
            "test",
            "--out",
            str(tmp_path),
            "--size",
            "big",
        ],
        cwd=REPO,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert bad.returncode == 2 and "320x240" in bad.stderr
