"""``--set KEY=VALUE`` on the command lines that load a checkpoint to score it (``training.evaluate``, the probe
scripts in ``benchmarks/``): the same weights under another inference-time setting of the model
(``Predictor.with_model_settings``), e.g. VLANet's ``stride_steps``."""

from __future__ import annotations

import argparse

from vlanet_core.errors import CheckpointError
from vlanet_core.key_values import parse_key_values
from vlanet_core.predictor import Predictor


def add_model_settings_argument(parser: argparse.ArgumentParser) -> None:
    """Add the repeatable ``--set KEY=VALUE`` (collected in ``args.set``)."""
    parser.add_argument(
        "--set",
        action="append",
        default=[],
        metavar="KEY=VALUE",
        help="an inference-time model setting, same weights (e.g. stride_steps=6 for VLANet); repeatable",
    )


def apply_model_settings(parser: argparse.ArgumentParser, predictor: Predictor, items: list[str]) -> Predictor:
    """``predictor`` under the ``--set`` ``items`` (itself when there are none); a setting the model refuses
    stops the command through ``parser.error`` (exit 2) with the model's reason."""
    settings = parse_key_values(items)
    if not settings:
        return predictor
    try:
        return predictor.with_model_settings(settings)
    except CheckpointError as err:
        parser.error(f"--set: {err}")
