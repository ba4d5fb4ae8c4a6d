"""benchmarks/direction_probe.py: each sentence on its clip and on the clip played backwards."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
pytest.importorskip("vlanet_core.data.shapes")

from benchmarks import direction_probe as probe  # noqa: E402


def test_placement_says_where_the_top1_centre_falls():
    assert probe.top1_placement(10.0, 20.0, (4.0, 9.0)) == ("before", 0.0)
    assert probe.top1_placement(10.0, 20.0, (12.0, 18.0)) == ("inside", 0.6)
    assert probe.top1_placement(10.0, 20.0, (16.0, 28.0))[0] == "after"


def test_summary_counts_the_gaps_per_action():
    summary = probe.summarise_gaps({"grow": [0.5, -0.1, 0.2], "spin": [0.0]}, margin=0.3)
    assert summary["grow"] == {"n": 3, "mean_gap": 0.2, "positive": 0.667, "above_margin": 0.333}
    assert summary["spin"] == {"n": 1, "mean_gap": 0.0, "positive": 0.0, "above_margin": 0.0}


def test_probe_reports_every_action_of_the_videos_for_the_shipped_vlanet(capsys):
    assert probe.main(["--model", str(ROOT / "checkpoints" / "vlanet-shapes-sta"), "--videos", "2"]) == 0
    report = json.loads(capsys.readouterr().out)
    from vlanet_core.data.shapes import video_spec

    actions = {event.action for i in range(2) for event in video_spec("val", i).events}
    assert set(report["by_action"]) == actions
    assert report["margin"] == pytest.approx(0.3)
    assert all(-2.0 <= row["mean_gap"] <= 2.0 and row["n"] >= 1 for row in report["by_action"].values())
    answers = report["answers_by_action"]
    assert set(answers) == actions
    for row in answers.values():  # every sentence's top-1 falls somewhere, once
        assert row["before"] + row["inside"] + row["after"] == pytest.approx(1.0, abs=0.002)
        assert 0.0 <= row["R1@0.5"] <= row["inside"] + 1e-9  # a hit at IoU 0.5 has its centre inside the event


def test_probe_refuses_a_model_without_a_single_score():
    with pytest.raises(SystemExit) as exit_info:
        probe.main(["--model", str(ROOT / "checkpoints" / "wsra-shapes-sta"), "--videos", "1"])
    assert exit_info.value.code == 2
