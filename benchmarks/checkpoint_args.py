"""The checks and loading every benchmark script that probes one checkpoint shares (``robustness.py``,
``direction_probe.py``): ``--videos`` / ``--first`` in range, ``--model`` a checkpoint folder, torch threads set."""

from __future__ import annotations

import argparse

from vlanet_core.predictor import Predictor


def load_checked_predictor(parser: argparse.ArgumentParser, args: argparse.Namespace) -> Predictor:
    """Refuse bad ``args.videos`` / ``args.first`` / ``args.model`` through ``parser.error`` (exit 2), set
    ``args.threads`` torch threads, and load the checkpoint."""
    if args.videos < 1 or args.first < 0:
        parser.error("--videos must be >= 1 and --first >= 0")
    if not (args.model / "config.json").is_file():
        parser.error(f"{args.model} is not a checkpoint folder (no config.json)")
    import torch

    torch.set_num_threads(args.threads)
    return Predictor.from_pretrained(args.model)
