"""The shipped VLANet for the codec tests, or a skip naming what is missing (no checkpoint, no codec to write)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from benchmarks.robustness import file_codecs

CHECKPOINT = Path(__file__).resolve().parents[1] / "checkpoints" / "vlanet-shapes-sta"


def shipped_vlanet_for_codecs() -> Any:
    """``Predictor`` of ``CHECKPOINT`` on CPU; skips the test when the checkpoint or both file codecs are absent."""
    if not (CHECKPOINT / "config.json").is_file():
        pytest.skip(f"no trained VLANet checkpoint at {CHECKPOINT} (train it with vlanet_core.training.train)")
    if not file_codecs():
        pytest.skip("this OpenCV build writes neither mp4v nor webm")
    from vlanet_core.predictor import Predictor

    return Predictor.from_pretrained(CHECKPOINT, device="cpu")
