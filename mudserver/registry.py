"""The registries through which feature apps plug into the shell (DESIGN.md, "Layers"): the shell
imports no feature app; each app's AppConfig.ready() registers what it brings. Three shapes:
hooks run in an explicit order, one provider of a thing, and handlers by name."""

from collections.abc import Iterator
from typing import Generic, TypeVar

T = TypeVar("T")


class RegistryError(RuntimeError):
    """Two apps claimed the same place, or the shell asked for something nobody registered."""


class OrderedHooks(Generic[T]):
    """Hooks run by ascending `order`, given by the app that registers the hook, never by the order
    the apps happen to load in: where two hooks decide the same thing, the order says which wins."""

    def __init__(self, what: str):
        self.what = what
        self._hooks: dict[int, T] = {}

    def add(self, hook: T, *, order: int) -> T:
        if order in self._hooks:
            raise RegistryError(f"{self.what}: order {order} is taken by {self._hooks[order]!r}")
        self._hooks[order] = hook
        return hook

    def __iter__(self) -> Iterator[T]:
        return iter([self._hooks[order] for order in sorted(self._hooks)])

    def __len__(self) -> int:
        return len(self._hooks)


class Provider(Generic[T]):
    """The one thing of its kind the game provides (how an account's character is loaded...)."""

    def __init__(self, what: str):
        self.what = what
        self._value: T | None = None

    def provide(self, value: T) -> T:
        if self._value is not None:
            raise RegistryError(f"{self.what} is provided already by {self._value!r}")
        self._value = value
        return value

    def get(self) -> T:
        if self._value is None:
            raise RegistryError(f"no app provides {self.what}")
        return self._value


class Named(Generic[T]):
    """Handlers by name (a frame type, a channel-layer event), each name claimed by one app."""

    def __init__(self, what: str):
        self.what = what
        self._handlers: dict[str, T] = {}

    def add(self, name: str, handler: T) -> T:
        if name in self._handlers:
            raise RegistryError(f"{self.what} {name!r} is handled already by {self._handlers[name]!r}")
        self._handlers[name] = handler
        return handler

    def get(self, name: str) -> T | None:
        return self._handlers.get(name)

    def __iter__(self) -> Iterator[T]:
        return iter(list(self._handlers.values()))

    def items(self) -> list[tuple[str, T]]:
        return list(self._handlers.items())
