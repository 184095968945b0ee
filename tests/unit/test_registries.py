"""The shell's registries (mudserver.registry): hooks run by the order their apps give, not by the
order the apps load in, and no two apps claim the same place silently."""

import pytest

from accounts import hooks as account_hooks
from mudserver import hooks, push, router
from mudserver.registry import Listed, Named, OrderedHooks, Provider, RegistryError, Table
from mudserver.router import Arrival, Context


def test_hooks_run_by_their_order_not_by_registration():
    registry = OrderedHooks("test hook")
    for name, order in (("third", 30), ("first", 10), ("second", 20)):
        registry.add(name, order=order)
    assert list(registry) == ["first", "second", "third"]


def test_two_hooks_may_not_share_an_order():
    registry = OrderedHooks("test hook")
    registry.add("one", order=10)
    with pytest.raises(RegistryError):
        registry.add("other", order=10)
    assert list(registry) == ["one"]


def test_a_thing_is_provided_once_and_asked_for_only_once_provided():
    provider = Provider("a test thing")
    with pytest.raises(RegistryError):
        provider.get()
    provider.provide("mine")
    with pytest.raises(RegistryError):
        provider.provide("theirs")
    assert provider.get() == "mine"


def test_a_name_is_handled_by_one_handler():
    named = Named("test frame")
    named.add("chat", "handler")
    with pytest.raises(RegistryError):
        named.add("chat", "another")
    assert named.get("chat") == "handler" and named.get("other") is None


def test_a_scene_name_is_registered_once_and_commands_keep_their_order():
    table = Table("scene")
    table.add("front", "the title")
    with pytest.raises(RegistryError):
        table.add("front", "another title")
    assert dict(table) == {"front": "the title"}
    listed = Listed("global command")
    for command in ("g", "who", "look"):
        listed.add(command)
    assert list(listed) == ["g", "who", "look"]


async def test_of_two_arrivals_naming_a_scene_the_later_in_order_wins(monkeypatch):
    """Registered the other way round from their order: the order decides, not the registration."""
    arrivals = OrderedHooks("arrival hook")
    monkeypatch.setattr(router, "arrival_hooks", arrivals)

    async def match(ctx):
        return Arrival(text="back in the match", scene="arena_match")

    async def battle(ctx):
        return Arrival(text="your fight went on", landing="auto_battle")

    arrivals.add(match, order=30)
    arrivals.add(battle, order=10)
    arrival = await router.arrival_run(Context(connection=None, lang="en"))
    assert arrival.scene == "arena_match" and arrival.landing == "auto_battle"
    assert arrival.text == "your fight went on\nback in the match"


def test_the_game_orders_its_arrivals_battle_chat_arena():
    """A fighter back during an arena match goes to the match, not to the battle left running."""
    assert [hook.__name__ for hook in router.arrival_hooks] == ["battle_arrival", "chat_arrival", "arena_arrival"]
    assert [hook.__name__ for hook in router.departure_hooks] == [
        "battle_departure",
        "chat_departure",
        "arena_departure",
    ]


def test_the_feature_apps_fill_what_the_shell_and_accounts_ask_for():
    assert hooks.character_loader.get() and hooks.status_frame.get()
    assert hooks.frame_handlers.get("chat") and push.connection_actions.get("chat_move")
    assert [name for name, _key_of in hooks.player_keys.items()] == ["character state", "battle"]
    assert [area for area, _detail in hooks.place_details.items()] == ["dungeon"]
    assert account_hooks.fight_scene.get() and account_hooks.chat_muter.get()
    assert [hook.__name__ for hook in account_hooks.deletion_hooks] == ["_battle_end", "_match_forfeit"]
    assert [name for name, _names in account_hooks.reserved_names.items()] == ["npcs"]
