"""Inference-time model settings on the same weights: ``Predictor.with_model_settings`` and the ``--set`` flag of
the evaluate CLI and of the probe scripts (``benchmarks/checkpoint_args.py``)."""

from __future__ import annotations

import argparse
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
import torch

from benchmarks.checkpoint_args import add_probe_arguments, load_checked_predictor, report_header
from vlanet_core.checkpoint import save_checkpoint
from vlanet_core.errors import CheckpointError
from vlanet_core.features.types import VideoFeatures
from vlanet_core.predictor import Predictor

REPO = Path(__file__).resolve().parents[1]
QUERY = "the red circle moves to the left"


def _vlanet() -> Predictor:
    torch.manual_seed(0)
    config = {
        "model": "vlanet",
        "model_config": {"feature_dim": 640, "stride_steps": 2, "window_steps": [12, 24]},
        "backbone": {"name": "default", "params": {}},
        "text_encoder": {"name": "glove", "params": {}},
    }
    return Predictor.from_config(config, device="cpu", name="vlanet-test")


@pytest.fixture(scope="module")
def video() -> VideoFeatures:
    features = np.random.default_rng(0).standard_normal((60, 640)).astype(np.float32)
    return VideoFeatures(features=features, step=0.5, duration=30.0, backbone="default")


def test_same_weights_under_a_coarser_proposal_grid(video):
    base = _vlanet()
    coarse = base.with_model_settings({"stride_steps": 6})
    assert coarse.model.config.stride_steps == 6 and base.model.config.stride_steps == 2  # the original unchanged
    assert coarse.config["model_config"]["stride_steps"] == 6
    assert coarse.name == "vlanet-test[stride_steps=6]"
    for key, tensor in base.model.state_dict().items():
        assert torch.equal(tensor, coarse.model.state_dict()[key]), key
    fine, wide = base.predict(QUERY, video, top_k=100), coarse.predict(QUERY, video, top_k=100)
    starts = lambda result: sorted({round(m.start, 3) for m in result.proposals})  # noqa: E731
    assert starts(fine)[:4] == [0.0, 1.0, 2.0, 3.0]  # a group every 2 steps of 0.5 s
    assert starts(wide)[:4] == [0.0, 3.0, 6.0, 9.0]  # and every 6 steps
    assert len(wide.proposals) < len(fine.proposals)


def test_same_weights_without_surrogate_selection_score_differently(video):
    base = _vlanet()
    every = base.with_model_settings({"use_surrogate": False}, name="all")
    assert every.name == "all" and not every.model.config.use_surrogate
    a = np.array([m.score for m in base.predict(QUERY, video).proposals])
    b = np.array([m.score for m in every.predict(QUERY, video).proposals])
    assert a.shape == b.shape and not np.allclose(a, b)


def test_settings_the_weights_cannot_take_are_refused():
    base = _vlanet()
    with pytest.raises(CheckpointError, match="config"):
        base.with_model_settings({"no_such_setting": 1})
    with pytest.raises(CheckpointError, match="stride_steps"):
        base.with_model_settings({"stride_steps": 0})
    with pytest.raises(CheckpointError, match="change its weights"):
        base.with_model_settings({"hidden_dim": 64})


def _saved(tmp_path: Path) -> Path:
    predictor = _vlanet()
    return save_checkpoint(
        predictor.model, tmp_path / "ckpt", name="vlanet", backbone=predictor.config["backbone"],
        text_encoder=predictor.config["text_encoder"], trained_on="random weights (test)",
    )  # fmt: skip


def test_probe_scripts_load_under_set_and_report_it(tmp_path):
    folder = _saved(tmp_path)
    parser = argparse.ArgumentParser()
    add_probe_arguments(parser, split="val", videos=2)
    args = parser.parse_args(["--model", str(folder), "--set", "stride_steps=6", "--set", "localisation=last"])
    predictor = load_checked_predictor(parser, args)
    assert (predictor.model.config.stride_steps, predictor.model.config.localisation) == (6, "last")
    assert report_header(args) == {"model": str(folder), "model_settings": {"stride_steps": 6, "localisation": "last"}}
    bad = parser.parse_args(["--model", str(folder), "--set", "stride_steps=0"])
    with pytest.raises(SystemExit):
        load_checked_predictor(parser, bad)


def test_evaluate_cli_refuses_a_bad_setting_by_name(tmp_path):
    folder = _saved(tmp_path)
    command = [sys.executable, "-m", "vlanet_core.training.evaluate", "--model", str(folder), "--set", "nope=1"]
    proc = subprocess.run(command, cwd=REPO, capture_output=True, text=True, timeout=120)
    assert proc.returncode == 2
    assert "--set" in proc.stderr and "nope" in proc.stderr
    assert "R1@0.5" not in proc.stdout  # it stopped before scoring anything
