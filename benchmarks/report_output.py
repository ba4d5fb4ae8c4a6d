"""How the benchmark scripts hand over their figures: one indented JSON object on stdout, and in a file on request."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any


def emit_report(report: dict[str, Any], out: str | Path | None = None) -> None:
    """Print ``report`` as indented JSON (non-ASCII kept) and, when ``out`` is given, write the same text there."""
    text = json.dumps(report, indent=2, ensure_ascii=False)
    print(text)
    if out:
        Path(out).write_text(text + "\n")
