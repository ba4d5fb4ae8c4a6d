"""What every benchmark script that probes one checkpoint on Shapes-STA videos shares (``robustness.py``,
``robustness_attribution.py``, ``direction_probe.py``): the arguments (``add_probe_arguments``), and their checks
and loading (``--videos`` / ``--first`` in range, ``--model`` a checkpoint folder, torch threads set)."""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import Any

from vlanet_core.key_values import parse_key_values
from vlanet_core.model_settings_cli import add_model_settings_argument, apply_model_settings
from vlanet_core.predictor import Predictor

DEFAULT_MODEL = Path(__file__).resolve().parents[1] / "checkpoints" / "vlanet-shapes-sta"


def add_probe_arguments(parser: argparse.ArgumentParser, split: str, videos: int) -> None:
    """``--model``, ``--split`` (default ``split``), ``--videos`` (default ``videos``), ``--first``, ``--threads``,
    ``--out`` and ``--set`` (inference-time model settings, ``Predictor.with_model_settings``)."""
    parser.add_argument("--model", type=Path, default=DEFAULT_MODEL, help="checkpoint folder")
    parser.add_argument("--split", default=split, choices=("val", "test"), help="val to choose, test to report")
    parser.add_argument("--videos", type=int, default=videos, help=f"N Shapes-STA videos of the split ({videos})")
    parser.add_argument("--first", type=int, default=0, help="index of the first video (default 0)")
    parser.add_argument("--threads", type=int, default=1, help="torch threads (default 1)")
    parser.add_argument("--out", type=Path, help="also write the JSON here")
    add_model_settings_argument(parser)


def load_checked_predictor(parser: argparse.ArgumentParser, args: argparse.Namespace) -> Predictor:
    """Refuse bad ``args.videos`` / ``args.first`` / ``args.model`` through ``parser.error`` (exit 2), set
    ``args.threads`` torch threads, and load the checkpoint under the ``--set`` settings."""
    if args.videos < 1 or args.first < 0:
        parser.error("--videos must be >= 1 and --first >= 0")
    if not (args.model / "config.json").is_file():
        parser.error(f"{args.model} is not a checkpoint folder (no config.json)")
    import torch

    torch.set_num_threads(args.threads)
    return apply_model_settings(parser, Predictor.from_pretrained(args.model), args.set)


def parse_and_load(parser: argparse.ArgumentParser, argv: list[str] | None) -> tuple[argparse.Namespace, Predictor]:
    """Parse ``argv`` with ``parser`` (built with ``add_probe_arguments``), then ``load_checked_predictor``."""
    args = parser.parse_args(argv)
    return args, load_checked_predictor(parser, args)


def report_header(args: argparse.Namespace) -> dict[str, Any]:
    """The first keys of a probe's JSON report: the checkpoint folder and the ``--set`` settings it ran under."""
    return {"model": str(args.model), "model_settings": parse_key_values(args.set)}
