"""People (issue 17, item 3) over a real daphne: `who` by level with where each player is, paged;
`ignore` / `unignore` / `ignore` (the list), which hide a player's chat and whispers and survive a
sign-out; `report`, stored with both players' recent chat and throttled."""

import asyncio
import re
import time

import pytest
from django.conf import settings

from accounts.character_state import character_state_get, character_state_mutate
from accounts.models import Character, User
from battles.models import Dungeon
from chat.models import Report
from mudserver.presence import IDS_KEY
from mudserver.redis_client import get_async_redis
from tests.client import Client, connected

pytestmark = pytest.mark.usefixtures("live_db", "quiet_chat")

WHO_LINE = re.compile(r"^\s*(\d+)\. (\S+)\s+Lv\. (\d+)\s+(.*?)\s*$")


def _who_rows(plain: str) -> tuple[str, list[tuple[int, str, int, str]]]:
    """The header and (rank, name, level, place) of each player a `who` page lists."""
    header, *rest = plain.splitlines()
    rows = [(int(m[1]), m[2], int(m[3]), m[4]) for line in rest if (m := WHO_LINE.match(line))]
    return header, rows


async def _who_until(client: Client, line: str, wanted, timeout: float = 10) -> str:
    """`who` until what it shows satisfies `wanted` (its levels may be GAME["WHO_FRESH_MS"] old)."""
    deadline = time.monotonic() + timeout
    while True:
        plain = (await client.command(line))["plain"]
        if wanted(plain) or time.monotonic() > deadline:
            return plain
        await asyncio.sleep(0.2)


async def _player(game_server, level: int, lines: list[str] = ()) -> tuple[Client, str]:
    client = await connected(game_server)
    name = await client.sign_up()
    character = await Character.objects.aget(name=name)
    await character_state_mutate(character.pk, lambda _state: ({"level": level}, None))
    for line in lines:
        await client.command(line)
    return client, name


async def test_who_lists_by_level_then_name_with_places(game_server):
    dungeon = await Dungeon.objects.aget(number=2)
    # Above any level an earlier test leaves, so that they head the first page.
    players = [
        (*(await _player(game_server, 99, ["v"])), "in the village"),
        (*(await _player(game_server, 98, ["d", "enter 2"])), f"in dungeon 2, {dungeon.name_en}"),
        (*(await _player(game_server, 98, ["v", "5", "2"])), "in the arena"),
        (*(await _player(game_server, 97)), "at the main menu"),
    ]
    levels = {name: level for (_c, name, _p), level in zip(players, (99, 98, 98, 97), strict=True)}
    expected = sorted(((levels[name], name, place) for _c, name, place in players), key=lambda r: (-r[0], r[1]))
    expected = [(rank, name, level, place) for rank, (level, name, place) in enumerate(expected, start=1)]
    asker = players[-1][0]
    plain = await _who_until(asker, "who", lambda plain: _who_rows(plain)[1][:4] == expected)
    assert _who_rows(plain)[1][:4] == expected, plain
    for client, _name, _place in players:
        await client.close()


def _who_pages(online: list[tuple[str, int]], size: int) -> list[tuple[str, list]]:
    """What `who <page>` shows for each page, from GAME.md §1, the issue and the page size: the
    count and page, then the players by level (highest first) and name."""
    ranked = sorted(online, key=lambda row: (-row[1], row[0]))
    pages = max(1, -(-len(ranked) // size))
    return [
        (
            f"{len(ranked)} online (page {page} of {pages})",
            [(rank, name, level) for rank, (name, level) in enumerate(ranked, start=1)][
                (page - 1) * size : page * size
            ],
        )
        for page in range(1, pages + 1)
    ]


async def _online_levels() -> list[tuple[str, int]]:
    ids = await get_async_redis().hgetall(IDS_KEY)
    return [(name, (await character_state_get(int(cid)) or {"level": 1})["level"]) for name, cid in ids.items()]


async def test_who_pages_by_level(game_server):
    size = settings.GAME["WHO_PAGE_SIZE"]
    clients = [await connected(game_server) for _ in range(size + 1)]  # more than a page of players
    names = [await client.sign_up() for client in clients]
    asker = clients[0]

    def shown_of(plain: str) -> tuple[str, list]:
        header, rows = _who_rows(plain)
        return header, [(rank, name, level) for rank, name, level, _place in rows]

    for _attempt in range(10):
        online = await _online_levels()  # ours, and any an earlier test left
        pages = _who_pages(online, size)
        shown = [shown_of((await asker.command(f"who {page}"))["plain"]) for page in range(1, len(pages) + 1)]
        last = (await asker.command("who 999"))["plain"]  # past the end: the last page
        first = (await asker.command("who"))["plain"]  # no number: the first
        if shown == pages and await _online_levels() == online:
            break  # nobody came, went or levelled meanwhile
        await asyncio.sleep(0.3)
    assert set(names) <= {name for name, _level in online} and len(pages) >= 2
    assert shown == pages
    assert shown_of(last) == pages[-1] and shown_of(first) == pages[0]
    assert "'who 2' shows the next page." in first and "shows the next page" not in last
    for client in clients:
        await client.close()


async def _chatter(game_server, username: str | None = None) -> tuple[Client, str]:
    client = await connected(game_server)
    name = await client.sign_up(username)
    await client.next("chat_presence")
    return client, name


async def _say(client: Client, text: str, to: str | None = None) -> None:
    await client.send({"type": "chat", "text": text, **({"to": to} if to else {})})


async def _chat_until(client: Client, text: str) -> list[dict]:
    """The chat frames the client receives up to and including the one saying `text`."""
    seen = []
    while True:
        frame = await client.next("chat")
        seen.append(frame)
        if frame["text"] == text:
            return seen


async def _hidden_and_shown(reader: Client, ignored: Client, other: Client, tag: str) -> list[dict]:
    """The ignored player says something and whispers it, then another player does: what the reader
    gets up to the other's whisper (its last message)."""
    ignored_name, other_name = ignored.name, other.name
    await _say(ignored, f"{tag} aloud from the ignored")
    await _say(ignored, f"{tag} whispered by the ignored", to=reader.name)
    # The ignored player is not told their whisper was dropped: it comes back as any whisper does.
    echo = await _chat_until(ignored, f"{tag} whispered by the ignored")
    assert echo[-1]["whisper"] and echo[-1]["to"] == reader.name
    await _say(other, f"{tag} aloud from another")
    await _say(other, f"{tag} whispered by another", to=reader.name)
    seen = await _chat_until(reader, f"{tag} whispered by another")
    assert ignored_name not in {frame["from"] for frame in seen}, seen
    assert [(f["from"], f["text"]) for f in seen if f["from"] == other_name][-2:] == [
        (other_name, f"{tag} aloud from another"),
        (other_name, f"{tag} whispered by another"),
    ]
    return seen


async def test_ignore_hides_chat_and_whispers_and_survives_signing_out(game_server):
    reader, reader_name = await _chatter(game_server)
    ignored, ignored_name = await _chatter(game_server)
    other, other_name = await _chatter(game_server)
    for client, name in ((reader, reader_name), (ignored, ignored_name), (other, other_name)):
        client.name = name
    out = await reader.command(f"ignore {ignored_name.upper()}")  # found whatever its case
    assert out["plain"] == f"You no longer see {ignored_name}'s chat or whispers."
    await _hidden_and_shown(reader, ignored, other, "one")

    # Signed out and in again: still ignored, in the channel's history too.
    await reader.command("g out")
    await reader.sign_in(reader_name)
    history = await _chat_until(reader, "one aloud from another")
    assert ignored_name not in {frame["from"] for frame in history}
    await _hidden_and_shown(reader, ignored, other, "two")
    listed = (await reader.command("ignore"))["plain"].splitlines()
    assert listed == ["You ignore 1 player(s):", ignored_name, "'unignore <name>' shows their messages again."]

    out = await reader.command(f"unignore {ignored_name}")
    assert out["plain"] == f"You see {ignored_name}'s chat and whispers again."
    await _say(ignored, "heard again")
    assert [f["from"] for f in await _chat_until(reader, "heard again")][-1] == ignored_name
    assert (await reader.command("ignore"))["plain"].startswith("You ignore nobody.")
    for client in (reader, ignored, other):
        await client.close()


async def test_ignore_refusals(game_server):
    player, name = await _chatter(game_server)
    staff, staff_name = await _chatter(game_server)
    await User.objects.filter(username=staff_name).aupdate(is_staff=True)
    assert (await player.command(f"ignore {name}"))["plain"] == "You can't do that to yourself."
    assert (await player.command(f"ignore {staff_name}"))[
        "plain"
    ] == f"You can't ignore {staff_name}. Use 'report' if needed."
    assert (await player.command("ignore nosuchplayer9"))["plain"] == "There is no character named 'nosuchplayer9'."
    assert (await player.command(f"unignore {staff_name}"))["plain"] == f"You were not ignoring {staff_name}."
    assert (await player.command("ignore"))["plain"].startswith("You ignore nobody.")
    await player.command("lang ko")
    assert (await player.command("차단"))["plain"].startswith("차단한 플레이어가 없습니다.")
    for client in (player, staff):
        await client.close()


async def test_report_keeps_both_players_chat_and_is_throttled(game_server):
    reporter, reporter_name = await _chatter(game_server)
    target, target_name = await _chatter(game_server)
    await _say(target, "a rude line")
    await _chat_until(target, "a rude line")  # said before the answer, on whichever web process
    await _say(reporter, "please stop")
    await _chat_until(target, "please stop")
    out = await reporter.command(f"report {target_name} insults in chat")
    assert out["plain"].startswith(f"Your report on {target_name} has been sent")
    report = await Report.objects.aget(reporter_name=reporter_name)
    assert (report.target_name, report.reason, report.is_open) == (target_name, "insults in chat", True)
    assert [(m["from"], m["text"]) for m in report.chat] == [
        (target_name, "a rude line"),
        (reporter_name, "please stop"),
    ]

    limit = settings.GAME["REPORT_LIMIT"]
    for _ in range(limit - 1):
        assert (await reporter.command(f"report {target_name} again"))["plain"].startswith("Your report on")
    refused = (await reporter.command(f"report {target_name} once more"))["plain"]
    minutes = settings.GAME["REPORT_WINDOW"] // 60
    assert refused.startswith(f"You have sent {limit} reports in the last {minutes} minutes; try again in ")
    assert await Report.objects.filter(reporter_name=reporter_name).acount() == limit
    assert (await reporter.command(f"report {target_name}"))["plain"].startswith("Usage: report <name> <reason>")
    for client in (reporter, target):
        await client.close()
