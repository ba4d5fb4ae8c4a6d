"""Write a file so that a reader sees either the old file or the whole new one, never a part.

Two processes may build the same cached file at once (the two ranks of ``torchrun --nproc_per_node=2`` each build a
missing Shapes-STA feature store, and read it back). Each writes to its own temporary file in the target's folder
and renames it over the target (``os.replace``, atomic on one file system); the last rename wins, and both wrote the
same content.
"""

from __future__ import annotations

import os
import tempfile
from collections.abc import Callable
from pathlib import Path
from typing import BinaryIO


def write_atomically(path: str | Path, write: Callable[[BinaryIO], object]) -> Path:
    """Call ``write`` on a binary file object, then move the result to ``path``; returns ``path``.

    On any error the temporary file is removed and the error propagates; ``path`` is left as it was.
    """
    path = Path(path)
    handle, temporary = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        with os.fdopen(handle, "wb") as out:
            write(out)
        os.replace(temporary, path)
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise
    return path


def write_text_atomically(path: str | Path, text: str) -> Path:
    """``Path.write_text(text, encoding="utf-8")``, atomically (see ``write_atomically``)."""
    return write_atomically(path, lambda out: out.write(text.encode("utf-8")))
