"""The registries through which feature apps plug into the shell (DESIGN.md, "Layers"): the shell
imports no feature app; each app's AppConfig.ready() registers what it brings. Three shapes:
hooks run in an explicit order, one provider of a thing, handlers by name, and the tables the
router reads (scenes by name; global commands and help topics in the order they were added)."""

from collections.abc import Iterator, Mapping, Sequence
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


class Table(Mapping[str, T]):
    """Things by a name each claims once (the router's scenes), read as a mapping."""

    def __init__(self, what: str):
        self.what = what
        self._items: dict[str, T] = {}

    def add(self, name: str, item: T) -> T:
        if name in self._items:
            raise RegistryError(f"{self.what} {name!r} is registered already")
        self._items[name] = item
        return item

    def remove(self, name: str) -> None:
        del self._items[name]

    def __getitem__(self, name: str) -> T:
        return self._items[name]

    def __iter__(self) -> Iterator[str]:
        return iter(self._items)

    def __len__(self) -> int:
        return len(self._items)


class Listed(Sequence[T]):
    """Things read in the order they were added (the global commands, the help topics: their help
    lists them in that order)."""

    def __init__(self, what: str):
        self.what = what
        self._items: list[T] = []

    def add(self, item: T) -> T:
        self._items.append(item)
        return item

    def __getitem__(self, index):
        return self._items[index]

    def __len__(self) -> int:
        return len(self._items)
