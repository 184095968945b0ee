"""The arena over real WebSockets, its six fighters split over two daphne processes, with the real
Celery worker running the timers (GAME.md §6)."""


import pytest

from accounts.character_state import character_state_mutate
from accounts.models import Character
from arena import rooms
from tests.client import Client, connected, session_cookie, unique

pytestmark = pytest.mark.usefixtures("live_db", "celery_worker")


async def _to_lobby(server: str, *, attack: int = 10, cookie: str | None = None):
    client = await connected(server, cookie=cookie)
    name = await client.sign_up()
    character = await Character.objects.aget(name=name)
    await character_state_mutate(character.pk, lambda s: ({"attack": attack}, None))
    for line, expected in (("v", "village"), ("5", "Sir Shax"), ("2", "Trial Grounds")):
        await client.ask(line, expected)
    return client, name, character.pk


async def test_lobby_validation_and_names(game_server):
    client, _name, _cid = await _to_lobby(game_server)
    assert "Give the room a name" in (await client.ask("create", "Give"))["plain"]
    assert "Give the room a name" in (await client.ask("create " + "x" * 21, "Give"))["plain"]
    assert "no room called 'Nowhere'" in (await client.ask("join Nowhere", "no room"))["plain"]
    room = "Case" + unique("r")
    out = await client.ask(f"create {room}", "You enter")
    assert out["scene"] == "arena_room" and room in out["plain"]
    other, _n, _c = await _to_lobby(game_server)
    assert "already exists" in (await other.ask(f"create {room.lower()}", "already exists"))["plain"]
    listed = await other.ask("refresh", "Trial Grounds")
    assert room in listed["plain"] and "[1/6]" in listed["plain"]
    assert "(2/6)" in (await other.ask(f"join {room}", "You enter"))["plain"]  # leave and join again
    assert (await other.ask("return", "Trial Grounds"))["scene"] == "arena_lobby"
    assert "(2/6)" in (await other.ask(f"join {room}", "You enter"))["plain"]
    await other.ask("return", "Trial Grounds")
    out = await client.ask("return", "Trial Grounds")
    assert out["scene"] == "arena_lobby"
    assert room not in (await other.ask("re", "Trial Grounds"))["plain"]  # an empty room disappears
    out = await other.ask(f"create {room}", "You enter")  # and its name can be used again
    assert "(1/6)" in out["plain"]
    await other.ask("r", "Trial Grounds")
    for c in (client, other):
        await c.close()


async def test_a_whole_three_versus_three(game_server, game_server_2):
    room = "Arena" + unique("m")
    cookies = [session_cookie(game_server) for _ in range(6)]
    fighters = []
    for i in range(6):  # three on each web process
        fighters.append(await _to_lobby(game_server if i < 3 else game_server_2, attack=1000, cookie=cookies[i]))
    watcher, _wname, _wid = await _to_lobby(game_server_2)
    await fighters[0][0].ask(f"create {room}", "You enter")
    for client, _name, _cid in fighters[1:]:
        await client.ask(f"join {room}", "You enter")
    out = await watcher.ask(f"join {room}", "spectator")
    assert out["scene"] in ("arena_room", "arena_match")
    for client, _name, _cid in fighters:
        await client.until(lambda f: "The match begins!" in f["plain"], timeout=20)
    await watcher.until(lambda f: "The match begins!" in f["plain"], timeout=20)

    rid = rooms.room_id(room)
    _room, players, _spectators = await rooms.room_get(rid)
    team = {p["name"]: p["team"] for p in players}
    by_name = {name: (client, cid) for client, name, cid in fighters}
    a_names = [n for n in team if team[n] == "A"]
    b_names = [n for n in team if team[n] == "B"]
    attacker = by_name[a_names[0]][0]

    # every validation message, in GAME.md's order of checks
    assert "spectators cannot attack" in (await watcher.ask(f"{b_names[0]} attack", "spectators"))["plain"]
    assert "not an attack of yours" in (await attacker.ask(f"{b_names[0]} fireball", "not an attack"))["plain"]
    assert "no fighter called 'nobody'" in (await attacker.ask("nobody attack", "no fighter"))["plain"]
    assert "your own team" in (await attacker.ask(f"{a_names[1]} attack", "own team"))["plain"]
    assert "your own team" in (await attacker.ask(f"{a_names[0]} 기본공격", "own team"))["plain"]

    # a B fighter drops (disconnects) mid-match: still a target; coming back puts it in the match
    dropped_client, _dropped_id = by_name[b_names[2]]
    await dropped_client.close()
    hit = await attacker.ask(f"{b_names[0]} attack", "hits")
    assert "damage" in hit["plain"]
    seen = await watcher.until(lambda f: "hits" in f["plain"])  # the spectator sees every hit
    assert b_names[0] in seen["plain"]
    assert "cannot attack yet" in (await attacker.ask(f"{b_names[1]} attack", "cannot attack yet"))["plain"]
    fallen = by_name[b_names[0]][0]
    assert "fallen" in (await fallen.ask(f"{a_names[0]} attack", "fallen"))["plain"]  # the dead cannot attack
    assert "already fallen" in (await by_name[a_names[1]][0].ask(f"{b_names[0]} attack", "already fallen"))["plain"]
    back = await Client.connect(game_server, cookie=cookies[[n for _c, n, _i in fighters].index(b_names[2])])
    welcome = await back.welcome()
    assert welcome["scene"] == "arena_match"
    await by_name[a_names[1]][0].ask(f"{b_names[1]} attack", "hits")
    await by_name[a_names[2]][0].ask(f"{b_names[2]} attack", "hits")

    result = await watcher.until(lambda f: "wins" in f["plain"], timeout=10)
    assert "TEAM A wins" in result["plain"] and "50 exp" in result["plain"]
    home = await fighters[0][0].until(lambda f: f["scene"] == "village", timeout=20)
    assert "return to the village" in home["plain"]
    await watcher.until(lambda f: f["scene"] == "village", timeout=20)
    winners = [await Character.objects.aget(name=n) for n in a_names]
    losers = [await Character.objects.aget(name=n) for n in b_names]
    assert all(c.arena_wins == 1 and c.arena_rating > 1000 and c.exp == 50 for c in winners)
    assert all(c.arena_losses == 1 and c.arena_rating < 1000 for c in losers)
    assert all(c.hp == c.max_hp for c in winners + losers)
    assert await rooms.room_of(winners[0].pk) is None
    await watcher.ask("g home", "where to?")
    assert room not in await _lobby_listing(watcher)  # the room is gone
    rank = await watcher.ask("rank", "ranking")
    assert winners[0].name in rank["plain"]
    for client in [c for c, _n, _i in fighters if c is not dropped_client] + [watcher, back]:
        await client.close()


async def _lobby_listing(client) -> str:
    for line, expected in (("v", "village"), ("5", "Sir Shax"), ("2", "Trial Grounds")):
        out = await client.ask(line, expected)
    return out["plain"]
