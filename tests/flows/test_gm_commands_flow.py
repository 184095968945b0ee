"""Game masters' commands at the game's terminal (issue 15, item 7), over real web processes: a notice
reaches players on two daphne processes in their own languages, kick closes a player's socket, mute
stops a player's chat; each use is in the audit trail, and for anyone without the permission the
commands do not exist."""

import pytest
import websockets
from asgiref.sync import sync_to_async
from django.contrib.auth.models import Permission

from accounts.models import AuditEntry, User
from mudserver.markup import strip
from tests.client import Client, connected, unique

pytestmark = pytest.mark.usefixtures("live_db")

KICKED = 4002  # PROTOCOL.md's close code for a kick
LONGEST_MUTE_MINUTES = 366 * 24 * 60  # the admin's value box: up to 366 days


@sync_to_async
def _make_staff(username: str, codenames: tuple[str, ...]) -> None:
    user = User.objects.get(username=username)
    user.is_staff = True
    user.save(update_fields=["is_staff"])
    user.user_permissions.add(*Permission.objects.filter(content_type__app_label="accounts", codename__in=codenames))


async def _player(server: str, lang: str = "en") -> tuple[Client, str]:
    client = await connected(server, lang=lang)
    name = await client.sign_up()  # the character has the username as its name
    await client.next("chat_presence")
    return client, name


async def _staff(server: str, *codenames: str, lang: str = "en") -> tuple[Client, str]:
    """A player made a staff member with `codenames`, signed in again (staff status is read on signing in)."""
    client, name = await _player(server, lang)
    await _make_staff(name, codenames)
    await client.command("g out")
    out = await client.sign_in(name)
    assert out["scene"] == "front" and out["input"] == "text", out  # signed in: the menu, not the prompt again
    return client, name


async def _entries(**filters) -> list[AuditEntry]:
    return [entry async for entry in AuditEntry.objects.filter(**filters).order_by("created_at")]


async def _unknown_reply(client: Client, line: str) -> str:
    """What the game answers to a line naming no command (a made-up word in place of the first)."""
    word, _sep, rest = line.partition(" ")
    made_up = "zqxv"
    return (await client.command(f"{made_up} {rest}"))["plain"].replace(made_up, word)


async def test_a_notice_reaches_players_on_both_web_processes_each_in_their_language(game_server, game_server_2):
    gm_client, gm_name = await _staff(game_server, "send_notice")
    korean, _k = await _player(game_server, lang="ko")
    english, _e = await _player(game_server_2, lang="en")
    # Cleaned as chat is (white space folded, the zero-width space dropped); a bar is shown, not read as markup.
    said = "Server restarts at 9 |r!"
    # The game master is online too: their own copy of the notice and the reply come in either order.
    await gm_client.send({"type": "command", "line": "notice   Server\u200b restarts  at 9 |r!"})
    outputs = {strip((await gm_client.next("output"))["text"]) for _i in range(2)}
    reply = next(text for text in outputs if text.startswith("Notice sent to "))
    assert outputs - {reply} == {f"[Notice] {said}"}
    heard_ko = await korean.until(lambda f: "restarts" in f["plain"])
    heard_en = await english.until(lambda f: "restarts" in f["plain"])
    assert heard_ko["plain"] == f"[공지] {said}" and heard_en["plain"] == f"[Notice] {said}"
    assert heard_ko["text"].startswith("|y") and heard_en["text"].startswith("|y")  # highlighted
    (entry,) = await _entries(actor_name=gm_name)
    assert (entry.action, entry.after["text"], entry.target_id, entry.target_name) == ("notice", said, None, "")
    assert entry.after["players"] >= 3  # the game master and the two players at least
    for client in (gm_client, korean, english):
        await client.close()


async def test_bad_notices_are_refused_and_send_nothing(game_server):
    gm_client, gm_name = await _staff(game_server, "send_notice")
    assert "Type the announcement" in (await gm_client.command("notice"))["plain"]
    assert "Type the announcement" in (await gm_client.command("notice \u200b\u2066 "))["plain"]
    assert "at most 300 characters" in (await gm_client.command("notice " + "가" * 301))["plain"]
    assert await _entries(actor_name=gm_name) == []
    await gm_client.close()


async def test_without_the_permission_the_commands_do_not_exist(game_server):
    listener, _l = await _player(game_server)
    plain, plain_name = await _player(game_server)
    moderator, moderator_name = await _staff(game_server, "kick_player", "mute_player")
    lines = [
        (plain, "notice hi"),
        (plain, f"kick {moderator_name}"),
        (plain, f"mute {moderator_name} 5"),
        (moderator, "notice hi"),
    ]
    for client, line in lines:
        expected = await _unknown_reply(client, line)
        assert expected.startswith("Unknown command") and (await client.command(line))["plain"] == expected
    plain_help = (await plain.command("help"))["plain"]
    assert "notice" not in plain_help and "kick" not in plain_help and "mute" not in plain_help
    moderator_help = (await moderator.command("help"))["plain"]
    assert "kick / 강퇴" in moderator_help and "mute / 채금" in moderator_help and "notice" not in moderator_help
    # Nothing went out: the next notice the listener hears is a game master's.
    gm_client, gm_name = await _staff(game_server, "send_notice")
    await gm_client.ask("notice from the game master", "Notice sent to")
    heard = await listener.until(lambda f: f["plain"].startswith("[Notice]"))
    assert heard["plain"] == "[Notice] from the game master"
    assert await _entries(actor_name__in=[plain_name, moderator_name]) == []
    for client in (listener, plain, moderator, gm_client):
        await client.close()


async def test_staff_help_lists_the_commands_in_both_languages(game_server):
    english, _n = await _staff(game_server, "send_notice", "kick_player", "mute_player")
    korean, _m = await _staff(game_server, "send_notice", "kick_player", "mute_player", lang="ko")
    help_en = (await english.command("help"))["plain"]
    help_ko = (await korean.command("help"))["plain"]
    assert "Game master (everywhere):" in help_en and "notice / 공지 : announce to every player" in help_en
    assert "운영자 명령 (어디서나):" in help_ko and "notice / 공지 : 모든 플레이어에게 공지" in help_ko
    for client in (english, korean):
        await client.close()


async def test_kick_closes_the_players_socket_and_is_audited(game_server, game_server_2):
    moderator, moderator_name = await _staff(game_server, "kick_player")
    target, target_name = await _player(game_server_2)
    gone, gone_name = await _player(game_server)
    await gone.close()
    assert "no character named 'nobody" in (await moderator.command(f"kick nobody{unique()}"))["plain"]
    offline = await moderator.command(f"kick {gone_name}")
    assert offline["plain"] == f"{gone_name} is not online."
    assert "Usage: kick" in (await moderator.command("kick"))["plain"]
    assert await _entries(actor_name=moderator_name) == []
    out = await moderator.command(f"kick {target_name.upper()}")  # names are found as the game stores them
    assert out["plain"] == f"{target_name} has been disconnected."
    with pytest.raises(websockets.ConnectionClosed) as closed:
        while True:
            await target.next(timeout=10)
    assert closed.value.rcvd.code == KICKED
    (entry,) = await _entries(actor_name=moderator_name)
    assert (entry.action, entry.target_name) == ("kick", target_name)
    assert (entry.before, entry.after) == ({"online": True}, {"online": False})
    await moderator.close()


async def test_mute_stops_the_players_chat_until_lifted_and_bad_input_changes_nothing(game_server):
    moderator, moderator_name = await _staff(game_server, "mute_player")
    target, target_name = await _player(game_server)
    bad = [
        f"mute {target_name}",
        f"mute {target_name} ten",
        f"mute {target_name} -5",
        f"mute {target_name} {LONGEST_MUTE_MINUTES + 1}",
        "mute",
    ]
    for line in bad:
        assert "Usage: mute" in (await moderator.command(line))["plain"], line
    assert "no character named" in (await moderator.command(f"mute nobody{unique()} 5"))["plain"]
    assert await _entries(actor_name=moderator_name) == []
    await target.send({"type": "chat", "text": "still free"})
    assert (await target.until(lambda f: f["text"] == "still free", kind="chat"))["from"] == target_name

    out = await moderator.command(f"mute {target_name} 30")
    assert out["plain"].startswith(f"{target_name} is muted until")
    await target.until(lambda f: "muted your chat until" in f["plain"])
    await target.send({"type": "chat", "text": "let me speak"})
    assert "muted you until" in (await target.next("output"))["text"]
    out = await moderator.command(f"mute {target_name} 0")
    assert out["plain"] == f"{target_name}'s chat mute is lifted."
    await target.until(lambda f: "lifted your chat mute" in f["plain"])
    await target.send({"type": "chat", "text": "free again"})
    assert (await target.until(lambda f: f["text"] == "free again", kind="chat"))["from"] == target_name

    muted, lifted = await _entries(actor_name=moderator_name)
    assert (muted.action, muted.target_name, lifted.action) == ("mute", target_name, "mute")
    assert muted.before["chat_muted_until"] is None and muted.after["chat_muted_until"] is not None
    assert lifted.after["chat_muted_until"] is None
    for client in (moderator, target):
        await client.close()
