"""What the benchmark scripts share: the probe arguments and the JSON report output."""

from __future__ import annotations

import argparse
import json

import pytest

from benchmarks.checkpoint_args import DEFAULT_MODEL, add_probe_arguments, load_checked_predictor
from benchmarks.report_output import emit_report


def _parser(split: str = "val", videos: int = 20) -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="probe")
    add_probe_arguments(parser, split=split, videos=videos)
    return parser


def test_probe_arguments_defaults_and_values(tmp_path):
    args = _parser("test", 7).parse_args([])
    assert (args.model, args.split, args.videos, args.first, args.threads, args.out) == (
        DEFAULT_MODEL, "test", 7, 0, 1, None
    )  # fmt: skip
    args = _parser().parse_args(["--split", "test", "--videos", "3", "--first", "5", "--out", str(tmp_path / "r")])
    assert (args.split, args.videos, args.first, args.out) == ("test", 3, 5, tmp_path / "r")


def test_probe_arguments_refuse_an_unknown_split(capsys):
    with pytest.raises(SystemExit):
        _parser().parse_args(["--split", "train"])
    assert "invalid choice" in capsys.readouterr().err


@pytest.mark.parametrize("argv", [["--videos", "0"], ["--first", "-1"], ["--model", "/nonexistent/folder"]])
def test_bad_probe_arguments_exit_with_a_message(argv, capsys):
    parser = _parser()
    with pytest.raises(SystemExit) as exit_info:
        load_checked_predictor(parser, parser.parse_args(argv))
    assert exit_info.value.code == 2
    error = capsys.readouterr().err
    assert "--videos must be >= 1" in error or "is not a checkpoint folder" in error


def test_emit_report_prints_and_writes_the_same_json(tmp_path, capsys):
    report = {"model": "vlanet", "query": "le cercle bleu grandit — vite", "figures": [1, 2.5]}
    emit_report(report, tmp_path / "report.json")
    printed = capsys.readouterr().out
    assert json.loads(printed) == report and "—" in printed  # non-ASCII kept as is
    assert (tmp_path / "report.json").read_text() == printed
    emit_report(report)  # no file asked: stdout only
    assert json.loads(capsys.readouterr().out) == report
