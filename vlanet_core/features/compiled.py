"""Loading the feature path's numba modules, with a fallback when they cannot load.

Every compiled loop of ``vlanet_core.features`` lives in a ``*_compiled.py`` module beside the code that uses it,
which imports it through ``load_compiled`` and keeps a numpy / OpenCV path for when it returns None: numba missing
(ImportError), or no writable folder for numba's cache of machine code (``cache=True`` raises RuntimeError when
neither the package folder nor the user's cache folder is writable; ``NUMBA_CACHE_DIR`` names another).
"""

from __future__ import annotations

import importlib
import logging
from types import ModuleType

log = logging.getLogger(__name__)


def load_compiled(module: str, fallback: str) -> ModuleType | None:
    """``importlib.import_module(module)``, or None with a warning naming ``fallback`` (what is used instead)."""
    try:
        return importlib.import_module(module)
    except (ImportError, RuntimeError, OSError) as err:
        log.warning("%s unavailable (%s); using %s", module, err, fallback)
        return None
