"""One registry for everything a user chooses by name: models, visual backbones, text encoders, datasets.

Entries register with a decorator; ``create`` raises on an unknown name with the list of known ones, so a
typo in a config or a request never reaches the file system. Tests iterate over ``names()`` so a new entry is
tested the day it is registered.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, Generic, TypeVar

T = TypeVar("T")


class UnknownNameError(KeyError):
    """Raised when a name is not registered; the message lists the registered names."""

    def __str__(self) -> str:  # KeyError quotes its argument; we want plain text
        return str(self.args[0])


class Registry(Generic[T]):
    """A name -> factory table for one kind of thing (``kind`` is used in error messages)."""

    def __init__(self, kind: str) -> None:
        self.kind = kind
        self._factories: dict[str, Callable[..., T]] = {}
        self._meta: dict[str, dict[str, Any]] = {}

    def register(self, name: str, **meta: Any) -> Callable[[Callable[..., T]], Callable[..., T]]:
        """Decorator: ``@MODELS.register("vlanet", weak=True)`` above a class or factory function."""

        def decorator(factory: Callable[..., T]) -> Callable[..., T]:
            if name in self._factories:
                raise ValueError(f"{self.kind} {name!r} is registered twice")
            self._factories[name] = factory
            self._meta[name] = dict(meta)
            return factory

        return decorator

    def get(self, name: str) -> Callable[..., T]:
        """The factory registered under ``name``; raises UnknownNameError otherwise."""
        _load_builtin_entries()
        if not isinstance(name, str) or name not in self._factories:
            known = ", ".join(sorted(self._factories)) or "none"
            raise UnknownNameError(f"unknown {self.kind} {name!r}; registered: {known}")
        return self._factories[name]

    def create(self, name: str, **kwargs: Any) -> T:
        """Build the entry ``name`` with keyword arguments."""
        return self.get(name)(**kwargs)

    def meta(self, name: str) -> dict[str, Any]:
        """The metadata given at registration (e.g. ``weak=True``)."""
        self.get(name)
        return dict(self._meta[name])

    def names(self) -> list[str]:
        """All registered names, sorted."""
        _load_builtin_entries()
        return sorted(self._factories)

    def __contains__(self, name: object) -> bool:
        _load_builtin_entries()
        return name in self._factories


MODELS: Registry[Any] = Registry("model")
BACKBONES: Registry[Any] = Registry("visual backbone")
TEXT_ENCODERS: Registry[Any] = Registry("text encoder")
DATASETS: Registry[Any] = Registry("dataset")

register_model = MODELS.register
create_model = MODELS.create
list_models = MODELS.names

_BUILTIN_MODULES = (
    "vlanet_core.models",
    "vlanet_core.features.backbones",
    "vlanet_core.text.encoders",
    "vlanet_core.data.readers",
)
_loaded = False


def _load_builtin_entries() -> None:
    """Import the packages whose modules register the built-in entries (once, lazily, to avoid import cycles)."""
    global _loaded
    if _loaded:
        return
    _loaded = True
    import importlib

    for module in _BUILTIN_MODULES:
        try:
            importlib.import_module(module)
        except ModuleNotFoundError as err:  # a package not written yet must not break the others
            if err.name != module:
                raise
