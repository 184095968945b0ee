"""Every command a scene's text names is one the scene accepts (GAME.md §1): for every registered
scene, its entry and help text in Korean and English, each `[X]yz(gloss)` and `[ABC]` in it."""

import re

import pytest
from asgiref.sync import async_to_sync
from django.utils import translation
from django.utils.translation import gettext as _

from accounts.character_state import character_state_ensure
from accounts.models import Character, User
from arena import rooms
from arena import services as arena_services
from battles import services as battle_services
from battles.feed import healer_hint
from mudserver.markup import strip
from mudserver.router import (
    GLOBAL_COMMANDS,
    HELP_COMMAND,
    HELP_TOPICS,
    SCENES,
    Context,
    _find,
    help_topic_find,
    unknown_reply,
)
from tests.client import unique

pytestmark = pytest.mark.usefixtures("live_db")

# s[K]ill(스킬), [RE]fresh, [IN], [1]: letters before and after the brackets make the full word.
NAMED = re.compile(r"([A-Za-z]*)\[([A-Za-z0-9]+)\]([A-Za-z]*)(?:\(([^)]*)\))?")


def named_commands(text: str) -> set[str]:
    """Each way the text says to type a command: the bracketed key, the whole word and the gloss."""
    # A monster's title ("[Elite] 고슴도치") is not a command.
    for title in (_("[Elite] %(name)s"), _("[Boss] %(name)s")):
        text = text.replace(title % {"name": ""}, "")
    found = set()
    for before, key, after, gloss in NAMED.findall(strip(text)):
        found |= {key.casefold(), f"{before}{key}{after}".casefold()}
        if gloss:
            found.add(gloss.casefold())
    return found


def accepts(scene_name: str, word: str) -> bool:
    scene = SCENES[scene_name]
    return bool(scene.find(word) or _find([HELP_COMMAND], word) or (scene.globals and _find(GLOBAL_COMMANDS, word)))


def _character() -> Character:
    name = unique("sc")
    character = Character.objects.create(user=User.objects.create(username=name), name=name)
    async_to_sync(character_state_ensure)(character)
    return character


@pytest.fixture
def players(monkeypatch):
    """Signed-in contexts: one in a manual fight, one in an auto-battle (both in dungeon 1), and the
    arena's room lookups answering as for a fighter in a room."""
    manual, auto = _character(), _character()
    assert battle_services.battle_start(manual.pk, dungeon=1, mode="manual").ok
    assert battle_services.battle_start(auto.pk, dungeon=1, mode="auto").ok

    async def room_of(character_id):
        return ("room1", "player")

    async def room_get(rid):
        return {"name": "room1", "state": "fighting"}, [{"name": manual.name}], []

    async def room_status_text(rid):
        return ""

    monkeypatch.setattr(rooms, "room_of", room_of)
    monkeypatch.setattr(rooms, "room_get", room_get)
    monkeypatch.setattr(arena_services, "room_status_text", room_status_text)
    yield manual, auto
    for character in (manual, auto):
        battle_services.battle_stop(character.pk)


def _texts(scene_name: str, ctx: Context) -> list[str]:
    """The scene's entry text, its help (a player's and a game master's), and the lines other scenes
    show on the way in."""
    scene = SCENES[scene_name]
    staff_commands = [command for command in GLOBAL_COMMANDS if command.allowed is not None]
    texts = [
        async_to_sync(scene.enter)(ctx),
        scene.help_text(),
        scene.help_text(staff_commands),
        unknown_reply("zzz").text,
    ]
    if scene_name == "heal":
        texts.append(healer_hint())
    if scene_name == "village":
        texts.append(_("You return to the village. [L]ist shows who is here."))
    return texts


@pytest.mark.parametrize("lang", ["ko", "en"])
def test_every_command_a_scene_names_is_accepted(players, lang):
    manual, auto = players
    refused = []
    for scene_name in SCENES:
        character = auto if scene_name == "auto_battle" else manual
        contexts = [
            Context(
                connection=None,
                lang=lang,
                scene=scene_name,
                data={"dungeon": 1},
                user_id=character.user_id,
                character_id=character.pk,
                name=character.name,
            )
        ]
        if not SCENES[scene_name].signed_in:
            contexts.append(Context(connection=None, lang=lang, scene=scene_name))
        for ctx in contexts:
            with translation.override(lang):
                for text in _texts(scene_name, ctx):
                    named = sorted(named_commands(text))
                    refused += [(scene_name, word) for word in named if not accepts(scene_name, word)]
    assert refused == [], refused


@pytest.mark.parametrize("lang", ["ko", "en"])
def test_every_topic_the_help_lists_is_one_help_takes(lang):
    """`help` ends with the topics by their names in the player's language: each must be accepted."""
    with translation.override(lang):
        listed = {str(topic.label): topic for topic in HELP_TOPICS}
    assert len(listed) == len(HELP_TOPICS) >= 8
    assert all(help_topic_find(label) is topic for label, topic in listed.items()), listed
    assert help_topic_find("시련의 장") is help_topic_find("ARENA") is help_topic_find("시련의장")
