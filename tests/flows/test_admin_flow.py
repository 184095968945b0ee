"""The game masters' admin as a browser uses it (Django's test client posting the admin's own forms)
against the running game (the real daphne and Celery worker): the character actions with their value
box, a user's "chat muted until", the chat message search, content and NPC-line edits, and /healthz
when the database or the broker is down."""

import asyncio
import json
import time
import urllib.error
import urllib.request
from datetime import datetime, timedelta
from html.parser import HTMLParser

import pytest
import websockets
from django.test import Client
from django.utils import timezone

from accounts.character_state import character_state_get, character_state_mutate
from accounts.models import AuditEntry, Character, User
from battles.models import Dungeon
from chat import channels as chat_channels
from chat.models import ChatMessage
from chat.services import mute_key
from mudserver.redis_client import get_async_redis
from tests.client import connected, unique
from tests.cluster import DatabaseRelay
from tests.conftest import _stop, daphne_start
from village.models import NpcLine

pytestmark = pytest.mark.usefixtures("live_db")


async def _player(game_server, prefix: str = "p"):
    client = await connected(game_server)
    name = await client.sign_up(unique(prefix) + "q")  # no other name starts with this one
    await client.next("chat_presence")
    return client, await Character.objects.select_related("user").aget(name=name)


class _FormFields(HTMLParser):
    """What a browser submits from the page's form with id `form_id`: its inputs (checkboxes and
    radios only when checked), selects (their selected options) and textareas."""

    def __init__(self, form_id: str):
        super().__init__()
        self.form_id, self.inside, self.data = form_id, False, {}
        self.select, self.select_options, self.textarea = None, [], None

    def _add(self, name: str, value: str) -> None:
        self.data.setdefault(name, []).append(value)

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        if tag == "form":
            self.inside = attrs.get("id") == self.form_id
        if not self.inside or not attrs.get("name") and tag != "option":
            return
        kind = attrs.get("type", "text")
        if tag == "input" and kind not in ("submit", "button", "reset", "file", "image"):
            if kind not in ("checkbox", "radio") or "checked" in attrs:
                self._add(attrs["name"], attrs.get("value", "on" if kind in ("checkbox", "radio") else ""))
        elif tag == "select":
            self.select, self.select_options, self.multiple = attrs["name"], [], "multiple" in attrs
        elif tag == "option" and self.select:
            self.select_options.append((attrs.get("value", ""), "selected" in attrs))
        elif tag == "textarea":
            self.textarea = attrs["name"]
            self._add(self.textarea, "")

    def handle_data(self, data):
        if self.textarea:
            self.data[self.textarea][-1] += data

    def handle_endtag(self, tag):
        if tag == "form":
            self.inside = False
        elif tag == "textarea":
            self.textarea = None
        elif tag == "select" and self.select:
            chosen = [value for value, selected in self.select_options if selected]
            if not chosen and not self.multiple and self.select_options:
                chosen = [self.select_options[0][0]]
            for value in chosen:
                self._add(self.select, value)
            self.select = None


def _change_form_post(browser: Client, model, pk, **changes) -> None:
    """Open the object's change form, change some fields as a person would (None unticks a box), and save."""
    url = f"/admin/{model._meta.app_label}/{model._meta.model_name}/{pk}/change/"
    page = browser.get(url)
    assert page.status_code == 200, url
    fields = _FormFields(f"{model._meta.model_name}_form")
    fields.feed(page.content.decode())
    data = {**fields.data, **{name: [value] for name, value in changes.items()}, "_save": ["Save"]}
    data = {name: values for name, values in data.items() if values != [None]}  # None: a box unticked
    saved = browser.post(url, data)
    errors = saved.context["adminform"].form.errors if saved.status_code == 200 else None
    assert saved.status_code == 302, errors


def _action_post(browser: Client, action: str, value: str, *characters: Character) -> list[str]:
    """Choose an action from the Characters list, type in the value box, tick the rows and press Go;
    returns the messages the admin shows."""
    response = browser.post(
        "/admin/accounts/character/",
        {
            "action": action,
            "value": value,
            "_selected_action": [str(c.pk) for c in characters],
            "select_across": "0",
            "index": "0",
        },
        follow=True,
    )
    assert response.redirect_chain == [("/admin/accounts/character/", 302)], response.content[:500]
    return [str(message) for message in response.context["messages"]]  # shown on the list, so shown once


def _audits(character: Character) -> list[AuditEntry]:
    return list(AuditEntry.objects.filter(target_id=character.pk).order_by("pk"))


def _level_for_exp(exp: int) -> int:
    """GAME.md §5: REQ(1) = 50, e_1 = 50, e_i = e_(i-1) + 20 * floor(i/5 + 1)^2; level L needs REQ(L-1)."""
    level, required, step = 1, 50, 50
    while exp >= required and level < 100:
        level += 1
        step += 20 * (level // 5 + 1) ** 2
        required += step
    return level


def test_level_table_of_the_test():
    exps = (0, 49, 50, 119, 120, 209, 210, 319, 320, 509, 510)  # REQ(1..5) = 50, 120, 210, 320, 510
    assert [_level_for_exp(e) for e in exps] == [1, 1, 2, 2, 3, 3, 4, 4, 5, 5, 6]


# --- the character actions with their value box


async def test_character_actions_with_the_value_box_reach_the_player(game_server, admin_browser):
    client, character = await _player(game_server)
    gm_name = admin_browser.game_master.username
    await character_state_mutate(character.pk, lambda s: ({"hp": 3, "mp": 7}, None))
    await client.command("status")  # the player's bar shows the wound (a bar as before would be left out)
    assert (await client.status())["hp"] == 3

    told = await asyncio.to_thread(_action_post, admin_browser, "heal", "", character)
    assert told == ["Done for 1 player(s); see the audit log."]
    await client.until(lambda f: "restored your HP and MP" in f["plain"])
    status = (await client.next("status"))["character"]
    assert (status["hp"], status["mp"]) == (100, 100)

    await asyncio.to_thread(_action_post, admin_browser, "grant_exp", "500", character)
    await client.until(lambda f: "granted you 500 exp" in f["plain"])
    status = (await client.next("status"))["character"]
    level = _level_for_exp(500)
    assert (status["exp"], status["level"], status["max_hp"]) == (500, level, 100 * level)
    assert status["attack"] == 10 + level + 1

    await asyncio.to_thread(_action_post, admin_browser, "set_weapon", " 7 ", character)
    await client.until(lambda f: "set your weapon level to 7" in f["plain"])
    status = (await client.next("status"))["character"]
    assert (status["weapon_level"], status["attack"]) == (7, 10 + level + 7)

    await asyncio.to_thread(_action_post, admin_browser, "reset", "", character)
    await client.until(lambda f: "reset your character to level 1" in f["plain"])
    status = (await client.next("status"))["character"]
    assert (status["level"], status["exp"], status["weapon_level"], status["attack"]) == (1, 0, 1, 10)

    muting = timezone.now()
    await asyncio.to_thread(_action_post, admin_browser, "mute", "30", character)
    muted = timezone.now()
    told = (await client.until(lambda f: "muted your chat until" in f["plain"]))["plain"]
    await client.send({"type": "chat", "text": "hello?"})
    refused = (await client.next("output"))["text"]
    await asyncio.to_thread(_action_post, admin_browser, "unmute", "", character)
    await client.until(lambda f: "lifted your chat mute" in f["plain"])

    entries = await asyncio.to_thread(_audits, character)
    assert [e.action for e in entries] == ["heal", "grant_exp", "set_weapon", "reset", "mute", "mute"]
    assert {e.actor_name for e in entries} == {gm_name}
    assert (entries[0].before["hp"], entries[0].after["hp"]) == (3, 100)
    assert (entries[1].before["exp"], entries[1].after["exp"], entries[1].after["level"]) == (0, 500, level)
    assert (entries[2].before["weapon_level"], entries[2].after["weapon_level"]) == (1, 7)
    assert (entries[3].before["level"], entries[3].after["level"]) == (level, 1)
    muted_until = entries[4].after["chat_muted_until"]
    assert entries[4].before == {"chat_muted_until": None}
    until = datetime.fromisoformat(muted_until)
    assert muting + timedelta(minutes=30) <= until <= muted + timedelta(minutes=30)
    shown = f"{timezone.localtime(until):%Y-%m-%d %H:%M}"  # the game's time zone, as everywhere a player reads
    assert f"muted your chat until {shown}" in told and f"muted you until {shown}" in refused
    assert (entries[5].before, entries[5].after) == ({"chat_muted_until": muted_until}, {"chat_muted_until": None})
    await client.close()


def _online_names(browser: Client) -> set[str]:
    response = browser.get("/admin/live/online/")
    assert response.status_code == 200
    return {player["name"] for player in response.context["players"]}


async def _in_chat(character: Character) -> bool:
    return bool(await get_async_redis().sismember(chat_channels.ALL_KEY, character.pk))


async def test_kick_ban_and_unban_from_the_admin(game_server, admin_browser):
    kicked, kicked_character = await _player(game_server, "a")
    assert kicked_character.name in await asyncio.to_thread(_online_names, admin_browser)
    assert await _in_chat(kicked_character)
    await asyncio.to_thread(_action_post, admin_browser, "kick", "", kicked_character)
    await kicked.until(lambda f: "disconnected you" in f["plain"])
    assert await _closed_code(kicked) == 4002
    # Gone from the game at once, as on leaving: not online, not in chat.
    assert kicked_character.name not in await asyncio.to_thread(_online_names, admin_browser)
    assert not await _in_chat(kicked_character)

    banned, character = await _player(game_server, "a")
    await asyncio.to_thread(_action_post, admin_browser, "ban", "", character)
    await banned.until(lambda f: "banned" in f["plain"])
    assert await _closed_code(banned) == 4003
    assert character.name not in await asyncio.to_thread(_online_names, admin_browser)
    assert not await _in_chat(character)
    again = await connected(game_server)
    assert "Wrong username or password." in (await again.sign_in(character.name))["plain"]
    await asyncio.to_thread(_action_post, admin_browser, "unban", "", character)
    await again.command("g home")
    out = await again.sign_in(character.name)
    assert out["scene"] == "front" and "Welcome back" in out["plain"]
    assert [e.action for e in await asyncio.to_thread(_audits, kicked_character)] == ["kick"]
    assert [e.action for e in await asyncio.to_thread(_audits, character)] == ["ban", "unban"]
    await again.close()


async def _closed_code(client) -> int:
    try:
        while True:
            await client.next(timeout=10)
    except websockets.ConnectionClosed as closed:
        return closed.rcvd.code


BOX_RANGES = {
    "grant_exp": ("amount", "1", "2,000,000,000"),
    "set_weapon": ("level", "1", "1,000"),
    "mute": ("minutes", "1", "527,040"),
}  # GAME.md §3's ranges; a mute lasts at most 366 days


@pytest.mark.parametrize("value", ["", "abc", "-5", "0", "1.5", "2000000001", "99999999999"])
async def test_a_bad_value_box_is_refused_and_changes_nothing(game_server, admin_browser, value):
    client, character = await _player(game_server)
    before = await character_state_get(character.pk)
    for action, (what, low, high) in BOX_RANGES.items():
        told = await asyncio.to_thread(_action_post, admin_browser, action, value, character)
        assert told == [f"Type the {what} in the box: a whole number from {low} to {high}."]
    await client.send({"type": "command", "line": "status"})  # its answer comes after anything the action sent
    out = await client.next("output")
    assert "game master" not in out["text"]
    assert await character_state_get(character.pk) == before
    assert await asyncio.to_thread(_audits, character) == []
    user = await User.objects.aget(pk=character.user_id)
    assert user.chat_muted_until is None and not await get_async_redis().exists(mute_key(character.pk))
    await client.close()


# --- the live pages


async def test_live_pages_show_who_is_online_and_their_battle(game_server, celery_worker, admin_browser):
    client, character = await _player(game_server, "a")  # early in the alphabetical list
    for line in ("d", "enter 1", "a"):
        await client.command(line)
    await client.until(lambda f: f["scene"] == "auto_battle")  # a cycle's feed, pushed by the worker

    def live(url: str, key: str) -> list[dict]:
        response = admin_browser.get(url)
        assert response.status_code == 200
        return response.context[key]

    online = await asyncio.to_thread(live, "/admin/live/online/", "players")
    assert {"name": character.name, "character_id": str(character.pk), "scene": "auto_battle"} in online
    battles = await asyncio.to_thread(live, "/admin/live/battles/", "rows")
    mine = [(b["name"], b["mode"], b["dungeon"], b["online"]) for b in battles if b["character_id"] == character.pk]
    assert mine == [(character.name, "auto", "1", True)]
    await client.command("s")
    await client.close()


# --- a user's "chat muted until"


async def test_chat_muted_until_on_the_user_form_mutes_and_clearing_unmutes(game_server, admin_browser):
    client, character = await _player(game_server)
    until = timezone.localtime(timezone.now() + timedelta(minutes=45)).replace(microsecond=0)
    await asyncio.to_thread(
        _change_form_post,
        admin_browser,
        User,
        character.user_id,
        chat_muted_until_0=f"{until:%Y-%m-%d}",
        chat_muted_until_1=f"{until:%H:%M:%S}",
    )
    await client.until(lambda f: "muted your chat until" in f["plain"])
    await client.send({"type": "chat", "text": "anyone?"})
    refusal = await client.next("output")
    assert f"muted you until {until:%Y-%m-%d %H:%M}" in refusal["text"]

    await asyncio.to_thread(
        _change_form_post, admin_browser, User, character.user_id, chat_muted_until_0="", chat_muted_until_1=""
    )
    await client.until(lambda f: "lifted your chat mute" in f["plain"])
    await client.send({"type": "chat", "text": "free again"})
    said = await client.until(lambda f: f["from"] == character.name, "chat")  # others may share the shard
    assert said["text"] == "free again" and said["from"] == character.name

    def moment(iso: str | None) -> datetime | None:
        return datetime.fromisoformat(iso) if iso else None

    entries = await asyncio.to_thread(_audits, character)
    assert [(e.action, moment(e.before["chat_muted_until"]), moment(e.after["chat_muted_until"])) for e in entries] == [
        ("mute", None, until),
        ("mute", until, None),
    ]
    await client.close()


async def test_unticking_active_on_the_user_form_signs_the_player_out_as_a_ban(game_server, admin_browser):
    client, character = await _player(game_server)
    await asyncio.to_thread(_change_form_post, admin_browser, User, character.user_id, is_active=None)
    await client.until(lambda f: "banned" in f["plain"])
    assert await _closed_code(client) == 4003
    again = await connected(game_server)
    assert "Wrong username or password." in (await again.sign_in(character.name))["plain"]
    await asyncio.to_thread(_change_form_post, admin_browser, User, character.user_id, is_active="on")
    await again.command("g home")
    assert (await again.sign_in(character.name))["scene"] == "front"
    assert [e.action for e in await asyncio.to_thread(_audits, character)] == ["ban", "unban"]
    await again.close()


# --- the chat message search


async def test_chat_messages_are_found_by_a_players_exact_name_sent_or_received(
    game_server, celery_worker, admin_browser
):
    (ann, ann_character), (bob, bob_character) = await _player(game_server, "ann"), await _player(game_server, "bob")
    word = unique("w")
    said = [
        (ann, f"{word} from ann"),
        (ann, "nothing to see"),
        (bob, f"bob says {word.upper()}"),
        (bob, f"/w {ann_character.name} psst {word}"),
    ]  # the last a whisper to ann
    for client, text in said:
        await client.send({"type": "chat", "text": text})
        shown = text.split(" ", 2)[2] if text.startswith("/w ") else text
        await client.until(lambda f, t=shown: f["text"] == t, kind="chat")
    deadline = time.monotonic() + 20
    stored = {ann_character.name, bob_character.name}
    while await ChatMessage.objects.filter(sender_name__in=stored).acount() < len(said):  # the worker writes behind
        assert time.monotonic() < deadline, "the chat log was not written"
        await asyncio.sleep(0.2)

    def search(query: str) -> set[tuple[str, str]]:
        response = admin_browser.get("/admin/chat/chatmessage/", {"q": query})
        assert response.status_code == 200
        return {(m.sender_name, m.text) for m in response.context["cl"].result_list}

    anns = {
        (ann_character.name, f"{word} from ann"),
        (ann_character.name, "nothing to see"),
        (bob_character.name, f"psst {word}"),
    }  # what she said, and the whisper she received
    assert await asyncio.to_thread(search, ann_character.name) == anns
    assert await asyncio.to_thread(search, bob_character.name) == {
        (bob_character.name, f"bob says {word.upper()}"),
        (bob_character.name, f"psst {word}"),
    }
    # By the exact name only (an index finds it), as the search box says: not a prefix, not the text.
    assert await asyncio.to_thread(search, ann_character.name[:-1]) == set()
    assert await asyncio.to_thread(search, word) == set()
    page = (await asyncio.to_thread(admin_browser.get, "/admin/chat/chatmessage/")).content.decode()
    assert "exact name" in page
    for client in (ann, bob):
        await client.close()


# --- content and NPC lines edited in the admin reach the running game


async def test_dungeon_and_monster_edits_reach_the_running_game(game_server, admin_browser):
    client, _character = await _player(game_server)
    assert "Alby Dungeon" in (await client.command("d"))["plain"]  # the catalog is loaded in daphne
    dungeon = await Dungeon.objects.aget(number=1)
    monster = await dungeon.monsters.order_by("kind").afirst()
    originals = (dungeon.name_en, monster.name_en)
    new_dungeon, new_monster = unique("Deep"), unique("Hog")
    try:
        inline = "monsters"
        await asyncio.to_thread(
            _change_form_post, admin_browser, Dungeon, 1, name_en=new_dungeon, **{f"{inline}-0-name_en": new_monster}
        )
        deadline = time.monotonic() + 5
        while True:
            listing = (await client.command("l"))["plain"]
            if new_dungeon in listing:
                break
            assert time.monotonic() < deadline, listing
            await asyncio.sleep(0.1)
        assert f"1. {new_dungeon} " in listing and new_monster in listing
    finally:
        await Dungeon.objects.filter(number=1).aupdate(name_en=originals[0])
        monster.name_en = originals[1]
        await monster.asave()  # a save: the processes reload the catalog
    await client.close()


async def test_an_npc_line_edit_reaches_the_running_game(game_server, admin_browser):
    client, _character = await _player(game_server)
    for line in ("v", "4"):
        await client.command(line)
    assert (await client.command("1"))["scene"] == "gamble"  # the dice NPC's lines are loaded in daphne
    line = await NpcLine.objects.filter(npc="gamble").order_by("pk").afirst()
    original = line.text_en
    new_text = f"Lucky {unique('d')}!"
    try:
        await asyncio.to_thread(_change_form_post, admin_browser, NpcLine, line.pk, text_en=new_text)
        deadline = time.monotonic() + 5
        while new_text not in (await client.command("1"))["plain"]:  # the NPC picks one of its lines at random
            assert time.monotonic() < deadline, "the edited line was never said"
            await asyncio.sleep(0.02)
    finally:
        line.text_en = original
        await line.asave()
    await client.close()


# --- /healthz with the database or the broker down


ALL_OK = {"status": "ok", "database": "ok", "redis": "ok", "broker": "ok"}


def _healthz(base_url: str) -> tuple[int, dict]:
    try:
        with urllib.request.urlopen(base_url + "/healthz", timeout=10) as response:
            return response.status, json.loads(response.read())
    except urllib.error.HTTPError as error:
        return error.code, json.loads(error.read())


@pytest.fixture
def relayed_daphne(process_env, log_dir):
    """A daphne whose database and broker connections go through relays that a test can cut."""
    database = DatabaseRelay("127.0.0.1", int(process_env["DATABASE_URL"].rsplit(":", 1)[1].split("/")[0]))
    broker_url = process_env.get("CELERY_BROKER_URL", process_env["REDIS_URL"])
    redis_port = int(broker_url.rsplit(":", 1)[1].split("/")[0])
    broker = DatabaseRelay("127.0.0.1", redis_port)  # a TCP relay serves Redis as well
    database.start()
    broker.start()
    env = dict(
        process_env,
        DATABASE_URL=process_env["DATABASE_URL"].replace(f":{database.target[1]}/", f":{database.port}/"),
        CELERY_BROKER_URL=broker_url.replace(f":{redis_port}/", f":{broker.port}/"),
    )
    process, port = daphne_start(env, log_dir, name="web-relayed")
    yield f"http://127.0.0.1:{port}", database, broker
    _stop(process)
    database.away()
    broker.away()


async def test_healthz_names_the_database_or_the_broker_when_down(relayed_daphne):
    url, database, broker = relayed_daphne
    assert await asyncio.to_thread(_healthz, url) == (200, ALL_OK)

    database.away()
    status, report = await asyncio.to_thread(_healthz, url)
    assert (status, report["status"], report["redis"], report["broker"]) == (503, "error", "ok", "ok")
    assert "OperationalError" in report["database"]
    database.back()
    assert await asyncio.to_thread(_healthz, url) == (200, ALL_OK)

    broker.away()
    status, report = await asyncio.to_thread(_healthz, url)
    assert (status, report["status"], report["database"], report["redis"]) == (503, "error", "ok", "ok")
    assert report["broker"] != "ok"
    broker.back()
    assert await asyncio.to_thread(_healthz, url) == (200, ALL_OK)
