"""``key=value`` command-line settings (``--set``, ``--param``) parsed into a dict of JSON values."""

from __future__ import annotations

import json
from typing import Any


def parse_key_values(items: list[str], flag: str = "--set") -> dict[str, Any]:
    """['edge_floor=0.04', 'name=x'] -> {'edge_floor': 0.04, 'name': 'x'}: JSON values, else the plain string.

    >>> parse_key_values(["a=1", "b=[2, 3]", "c=text"])
    {'a': 1, 'b': [2, 3], 'c': 'text'}
    """
    out: dict[str, Any] = {}
    for item in items:
        key, sep, value = item.partition("=")
        if not key or not sep:
            raise SystemExit(f"{flag} expects key=value, got {item!r}")
        try:
            out[key] = json.loads(value)
        except json.JSONDecodeError:
            out[key] = value
    return out
