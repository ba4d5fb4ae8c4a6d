"""Hugging Face Spaces entry point: ``demo`` is built on import; it is launched only when run as a script.

    python app.py [--host 127.0.0.1] [--port 7860] [--share] [--checkpoints DIR] [--examples DIR]

Host and port: the flag, else ``VMR_HOST`` / ``VMR_PORT``, else ``GRADIO_SERVER_NAME`` / ``GRADIO_SERVER_PORT``
(Spaces sets these), else 127.0.0.1:7860. A public share link is only made with ``--share``.
"""

from __future__ import annotations

import argparse
import os

from app.ui import build_demo, launch_options

demo = build_demo()


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description="Video moment retrieval demo")
    host = os.environ.get("VMR_HOST") or os.environ.get("GRADIO_SERVER_NAME") or "127.0.0.1"
    parser.add_argument("--host", default=host, help="interface to serve on (default 127.0.0.1: this machine only)")
    parser.add_argument(
        "--port", type=int, default=int(os.environ.get("VMR_PORT") or os.environ.get("GRADIO_SERVER_PORT") or 7860)
    )
    parser.add_argument("--share", action="store_true", help="make a public gradio.live link (off by default)")
    parser.add_argument("--checkpoints", default=None, help="folder of checkpoint folders (default: checkpoints/)")
    parser.add_argument("--examples", default=None, help="folder with examples.json (default: assets/examples/)")
    return parser.parse_args(argv)


if __name__ == "__main__":
    args = parse_args()
    if args.checkpoints or args.examples:
        demo = build_demo(checkpoint_root=args.checkpoints, examples_dir=args.examples)
    options = launch_options(demo.vmr_context.settings)
    demo.launch(server_name=args.host, server_port=args.port, share=args.share, **options)
