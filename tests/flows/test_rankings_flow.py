"""`top` (issue 17, item 1) over a real daphne, Celery worker and beat: the boards' order (level then
exp), pages, the player's own place far down, changes made by a battle, the weekly board's reset at
Monday 00:00 KST on the test clock, and the boards rebuilt after Redis lost them. Expected places are
counted from the database."""

import asyncio
import re
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from django.core.management import call_command
from django.db.models import Q

from accounts.character_state import character_state_get, character_state_mutate, character_states_flush, state_key
from accounts.models import Character, User
from accounts.progression import MAX_EXP, RATING_MIN
from mudserver.redis_client import get_async_redis
from tests.client import connected, unique
from tests.flows.test_battle_flow import _make_strong, _player, _to_gate
from tests.waits import battle_clock_forward

pytestmark = pytest.mark.usefixtures("live_db", "celery_worker")

KST = ZoneInfo("Asia/Seoul")
HUGE_KILLS = 3_000_000_000  # above any other test's characters: the paging test's own range


async def _set(character_id: int, **changes) -> None:
    await character_state_mutate(character_id, lambda _state: (changes, None))


async def _flushed_and_rebuilt() -> None:
    """Every board equal to the database: hot states written, then the rebuild command."""
    await asyncio.to_thread(character_states_flush)
    await asyncio.to_thread(call_command, "rebuild_rankings")


def _line(rank: int, name: str, value: str) -> str:
    return f"{rank:>4}. {name}  {value}"


async def test_level_board_orders_by_level_then_exp(game_server):
    players = [await _player(game_server) for _ in range(3)]
    (a, a_id), (b, b_id), (c, c_id) = players
    await _set(a_id, level=100, exp=MAX_EXP - 10)
    await _set(b_id, level=100, exp=MAX_EXP - 20)
    await _set(c_id, level=99, exp=MAX_EXP - 5)  # more exp than both, a level less: below them
    names = {cid: (await Character.objects.aget(pk=cid)).name for cid in (a_id, b_id, c_id)}
    # as the store's writes left the board: the three in that order (other tests' level-100
    # characters may stand between them)
    shown = [line.split()[1] for line in (await a.command("top"))["plain"].splitlines() if re.match(r"\s+\d+\. ", line)]
    ours = [name for name in shown if name in names.values()]
    assert ours == [names[a_id], names[b_id], names[c_id]], shown
    await _flushed_and_rebuilt()
    ranks = [
        1 + await Character.objects.filter(Q(level__gt=level) | Q(level=level, exp__gt=exp)).acount()
        for level, exp in ((100, MAX_EXP - 10), (100, MAX_EXP - 20), (99, MAX_EXP - 5))
    ]
    out = await c.command("top")
    assert out["plain"].startswith("Rankings: Level (then exp), page 1 of")
    expected = [
        _line(ranks[0], names[a_id], f"Lv. 100, exp {MAX_EXP - 10:,}"),
        _line(ranks[1], names[b_id], f"Lv. 100, exp {MAX_EXP - 20:,}"),
        _line(ranks[2], names[c_id], f"Lv. 99, exp {MAX_EXP - 5:,}"),
    ]
    lines = out["plain"].splitlines()
    for line in expected:
        assert line in lines, out["plain"]
    assert f"You: #{ranks[2]:,} of" in out["plain"]
    assert (await a.command("순위 레벨"))["plain"] == (await a.command("top level 1"))["plain"]  # the aliases
    for client, _cid in players:
        await client.close()


async def test_pages_and_the_own_place_far_down(game_server):
    ranked = []
    for i in range(25):
        name = unique("k")
        user = await User.objects.acreate(username=name)
        await Character.objects.acreate(user=user, name=name, kills=HUGE_KILLS + 7 * i)
        ranked.append((HUGE_KILLS + 7 * i, name))
    ranked.sort(reverse=True)
    viewer, viewer_id = await _player(game_server)
    await _set(viewer_id, arena_rating=RATING_MIN)
    await _flushed_and_rebuilt()
    total = await Character.objects.acount()
    pages = -(-total // 10)
    out = await viewer.command("top kills 2")
    assert f"Rankings: Monsters killed, page 2 of {pages}" in out["plain"]
    for rank, (kills, name) in enumerate(ranked[10:20], start=11):
        assert _line(rank, name, f"{kills:,} kills") in out["plain"], out["plain"]
    assert ranked[9][1] not in out["plain"] and ranked[20][1] not in out["plain"]
    assert "'top kills 3' shows the next page." in out["plain"]

    # the lowest rating, far down the arena board: ties are ordered by id as text, highest first
    higher = await Character.objects.filter(arena_rating__gt=RATING_MIN).acount()
    tied = [pk async for pk in Character.objects.filter(arena_rating=RATING_MIN).values_list("pk", flat=True)]
    own = higher + sum(str(pk) > str(viewer_id) for pk in tied) + 1
    out = await viewer.command("top arena")
    assert f"You: #{own:,} of {total:,}, rating {RATING_MIN}" in out["plain"], out["plain"]

    last = await viewer.command("top kills 999999")  # past the end: the last page
    assert f"page {pages} of {pages}" in last["plain"] and "shows the next page" not in last["plain"]
    assert "There is no board 'gold'" in (await viewer.command("top gold"))["plain"]
    assert "'x' is not a page number" in (await viewer.command("top kills x"))["plain"]
    front = await connected(game_server)  # signed out: the board, without an own place
    out = await front.command("top kills")
    assert _line(1, ranked[0][1], f"{ranked[0][0]:,} kills") in out["plain"] and "You:" not in out["plain"]
    await front.close()
    await viewer.close()


async def test_a_battles_kills_level_and_exp_show_at_once(game_server):
    client, cid = await _player(game_server)
    await _make_strong(cid)  # never dies: every exp it holds was gained this week
    await _to_gate(client)
    assert (await client.command("a"))["scene"] == "auto_battle"
    await client.until(lambda f: f["character"]["level"] >= 2, kind="status", timeout=60)
    await client.ask("s", "stop fighting")
    state = await character_state_get(cid)
    assert state["kills"] > 0 and state["level"] >= 2
    out = await client.command("top kills")
    assert re.search(rf"You: #[\d,]+ of [\d,]+, {state['kills']:,} kills", out["plain"]), out["plain"]
    out = await client.command("top level")
    assert re.search(rf"You: #[\d,]+ of [\d,]+, Lv. {state['level']}, exp {state['exp']:,}", out["plain"])
    out = await client.command("top week")
    assert re.search(rf"You: #[\d,]+ of [\d,]+, {state['exp']:,} exp", out["plain"]), out["plain"]
    await client.close()


def _kst_monday(ms: int) -> str:
    day = datetime.fromtimestamp(ms / 1000, UTC).astimezone(KST).date()
    return (day - timedelta(days=day.weekday())).isoformat()


async def test_the_week_board_starts_again_at_monday_midnight_kst(game_server):
    client, cid = await _player(game_server)
    redis = get_async_redis()
    offset = int(await redis.get("mud:test:clock") or 0)
    now = datetime.now(UTC) + timedelta(milliseconds=offset)
    today = now.astimezone(KST).date()
    next_monday = datetime.combine(today + timedelta(days=7 - today.weekday()), datetime.min.time(), KST)
    await battle_clock_forward(int((next_monday - now).total_seconds() * 1000) - 30_000)  # 30 s before it
    before = _kst_monday(int((next_monday - timedelta(seconds=30)).timestamp() * 1000))
    await _set(cid, exp=500)
    out = await client.command("top week")
    assert f"(since Monday {before}, 00:00 KST)" in out["plain"], out["plain"]
    assert re.search(r"You: #[\d,]+ of [\d,]+, 500 exp", out["plain"]), out["plain"]

    await battle_clock_forward(60_000)  # 30 s after it
    out = await client.command("top week")
    assert f"(since Monday {next_monday.date().isoformat()}, 00:00 KST)" in out["plain"]
    assert "You are not on this board yet." in out["plain"]
    await _set(cid, exp=570)
    out = await client.command("순위 주간")  # the Korean aliases
    assert re.search(r"You: #[\d,]+ of [\d,]+, 70 exp", out["plain"]), out["plain"]
    await asyncio.to_thread(character_states_flush, [cid])
    assert (await Character.objects.aget(pk=cid)).week_exp == 70
    await client.close()


async def test_boards_lost_with_redis_come_back_from_the_database(game_server):
    """Redis loses the boards and a signed-out character's hot state: beat's check rebuilds every
    board, the week's included, from what the database kept."""
    gone, gone_id = await _player(game_server)
    await _set(gone_id, level=100, exp=MAX_EXP - 1, kills=HUGE_KILLS + 1_000_000, arena_rating=9_999)
    name = (await Character.objects.aget(pk=gone_id)).name
    await gone.command("g out")
    await gone.close()
    await asyncio.to_thread(character_states_flush, [gone_id])
    viewer, _viewer_id = await _player(game_server)
    redis = get_async_redis()
    lost = [key async for key in redis.scan_iter("mud:top:*")]
    await redis.delete(*lost, state_key(gone_id))
    rebuilt = await _until(lambda: redis.exists("mud:top:built"))
    assert rebuilt
    for board, value in (
        ("level", f"Lv. 100, exp {MAX_EXP - 1:,}"),
        ("kills", f"{HUGE_KILLS + 1_000_000:,} kills"),
        ("arena", "rating 9999"),
        ("week", f"{MAX_EXP - 1:,} exp"),
    ):
        out = await viewer.command(f"top {board}")
        assert re.search(rf"^\s+\d+\. {name}  {value}$", out["plain"], re.M), (board, out["plain"])
    assert await redis.exists(state_key(gone_id)) == 0  # from the database, not from a sign-in
    await viewer.close()


async def _until(check, timeout: float = 30):
    loop = asyncio.get_running_loop()
    deadline = loop.time() + timeout
    while not (found := await check()):
        assert loop.time() < deadline, "never happened"
        await asyncio.sleep(0.2)
    return found
