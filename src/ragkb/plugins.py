"""One registry per kind of plugin: loaders, embedders, stores and generators.

Every plugin, built-in or third-party, is an entry point in the group ``ragkb.<kind>`` whose name is
what a user writes (a file extension, an embedder or generator backend, a storage URL scheme) and
whose value is the factory (``package.module:function``). ragkb's own are declared in its
``pyproject.toml`` exactly as a third party declares theirs (docs/plugins.md). The group is read
once, on first use, and an entry point is imported only when its name is asked for, so listing
what is installed imports no parser, model library or database driver.

:meth:`Registry.register` adds a factory in-process (tests, an application embedding ragkb); it
wins over an entry point of the same name.
"""

from __future__ import annotations

from collections.abc import Callable
from importlib.metadata import EntryPoint, entry_points
from typing import Generic, TypeVar, overload

from ragkb.errors import ConfigError

T = TypeVar("T")


class UnknownPlugin(ConfigError):
    """A name no installed plugin of that kind answers to."""


class Registry(Generic[T]):
    """Names → factories of one kind, from the entry point group ``ragkb.<kind>``.

    ``noun`` and ``usage`` make the one-line error for an unknown name:
    ``unknown <noun> '<name>'; <usage> <known names>``.
    """

    def __init__(self, kind: str, *, noun: str, usage: str):
        self.kind = kind
        self.group = f"ragkb.{kind}"
        self.noun = noun
        self.usage = usage
        self._factories: dict[str, T] = {}
        self._entry_points: dict[str, EntryPoint] | None = None

    @overload
    def register(self, name: str) -> Callable[[T], T]: ...

    @overload
    def register(self, name: str, factory: T) -> T: ...

    def register(self, name: str, factory: T | None = None) -> T | Callable[[T], T]:
        """Add ``factory`` under ``name``; without ``factory``, a decorator that does."""
        if factory is None:
            return lambda decorated: self.register(name, decorated)
        self._factories[name] = factory
        return factory

    def names(self) -> list[str]:
        """Every name known, sorted; imports nothing."""
        return sorted(set(self._points()) | set(self._factories))

    def __contains__(self, name: object) -> bool:
        return name in self._factories or name in self._points()

    def get(self, name: str) -> T:
        """The factory for ``name``, importing its entry point the first time it is asked for."""
        if name not in self._factories:
            point = self._points().get(name)
            if point is None:
                raise self.unknown(name)
            self._factories[name] = point.load()
        return self._factories[name]

    def unknown(self, name: str) -> UnknownPlugin:
        """The error for ``name`` (callers that reject a malformed spec before asking use it too)."""
        return UnknownPlugin(f"unknown {self.noun} '{name}'; {self.usage} {', '.join(self.names())}")

    def from_spec(self, spec: str) -> tuple[T, str]:
        """The factory a ``<name>:<argument>`` spec names, and the argument (a model, a URL's rest)."""
        name, _, argument = spec.partition(":")
        if name not in self or not argument:
            raise self.unknown(spec)
        return self.get(name), argument

    def _points(self) -> dict[str, EntryPoint]:
        if self._entry_points is None:
            self._entry_points = {point.name: point for point in entry_points(group=self.group)}
        return self._entry_points
