"""``python -m vlanet_core.features.bench`` on a short clip: its JSON, the backbone settings it was asked for, and
clear errors for bad options."""

from __future__ import annotations

import json

import cv2
import numpy as np
import pytest

from vlanet_core.features.bench import main


@pytest.fixture(scope="module")
def clip(tmp_path_factory):
    path = tmp_path_factory.mktemp("bench") / "short.mp4"
    writer = cv2.VideoWriter(str(path), cv2.VideoWriter.fourcc(*"mp4v"), 10.0, (320, 240))
    for i in range(20):
        frame = np.full((240, 320, 3), 80, np.uint8)
        cv2.circle(frame, (40 + 8 * i, 120), 20, (30, 30, 220), -1)
        writer.write(frame)
    writer.release()
    return path


def test_prints_every_figure_with_the_asked_backbone(clip, capsys):
    assert main(["--clip", str(clip), "--runs", "1", "--backbone-param", "edge_floor=0.04"]) == 0
    report = json.loads(capsys.readouterr().out)
    assert report["backbone"]["params"]["edge_floor"] == 0.04
    assert report["clip"]["frames_decoded"] == 20 and report["runs"] == 1
    assert report["fastest_decode"]["seconds"] == min(report["decode_only"].values())
    ratio = report["decode_plus_features"] / report["fastest_decode"]["seconds"]
    assert report["ratio_to_fastest_decode"] == pytest.approx(ratio, abs=1e-3)
    assert "interleaved" in report["statistic"]


@pytest.mark.parametrize(
    "argv, message",
    [
        (["--runs", "0"], "--runs must be >= 1"),
        (["--backbone-param", "nope=1"], "nope"),
        (["--clip", "/no/such/file.mp4"], "no such file"),
    ],
)
def test_bad_options_are_refused(argv, message, capsys):
    with pytest.raises(SystemExit):
        main(argv)
    assert message in capsys.readouterr().err
