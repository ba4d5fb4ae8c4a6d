"""Command line for one query on one video; prints the evaluator's prediction row as JSON.

    python -m vlanet_core.predict --model checkpoints/vlanet-shapes-sta --video clip.mp4 --query "the red circle rises"
"""

from __future__ import annotations

import argparse
import json
import sys

from vlanet_core.errors import VMRError
from vlanet_core.predictor import Predictor


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--model", required=True, help="checkpoint folder (config.json + model.safetensors)")
    parser.add_argument("--video", required=True, help="video file")
    parser.add_argument("--query", required=True, help="the sentence to ground")
    parser.add_argument("--top-k", type=int, default=5)
    parser.add_argument("--device", default=None)
    args = parser.parse_args(argv)
    try:
        predictor = Predictor.from_pretrained(args.model, device=args.device)
        video = predictor.encode_video(args.video)
        result = predictor.predict(args.query, video, top_k=args.top_k)
    except VMRError as err:
        print(f"error: {err}", file=sys.stderr)
        return 2
    print(json.dumps(result.to_json()))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
