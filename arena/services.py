"""The arena's flow: joining and leaving, the match's start, hits, end and close, told to every
member of the room (GAME.md §6; arena.presenters says it in each one's language). Timers run on
Celery (arena.tasks)."""

import random

from asgiref.sync import sync_to_async
from celery import current_app

from accounts.character_state import character_state_get, character_state_mutate, character_states_flush_now
from accounts.models import Character
from accounts.progression import exp_gain
from arena import presenters, rooms
from arena.events import (
    ArenaForfeit,
    ArenaHit,
    ArenaJoined,
    ArenaLeft,
    ArenaMatchEnded,
    ArenaMatchSoon,
    ArenaMatchStarted,
    ArenaRoomClosed,
    ArenaTable,
    Fighter,
)
from arena.rules import match_reward, rating_after, rating_change
from battles.catalog import catalog_aget
from chat.services import chat_move
from mudserver.events import Event
from mudserver.push import tell

START_RATING = Character._meta.get_field("arena_rating").default
BASIC_ATTACK = ("기본공격", "attack", 100)


async def fighter_of(character_id: int, name: str) -> dict:
    """A character as it enters the arena: its stats and its attacks (skills cost no MP here)."""
    state = await character_state_get(character_id)
    content = (await catalog_aget()).content
    attacks = [list(BASIC_ATTACK)]
    for slot in ("skill_1", "skill_2", "skill_3"):
        skill = content.skills.get(state[slot])
        if skill is not None and skill.effect == "damage":
            attacks.append([skill.name_ko, skill.name_en.lower(), skill.multiple])
    return {
        "cid": character_id,
        "name": name,
        "level": state["level"],
        "team": "",
        "hp": state["max_hp"],
        "max_hp": state["max_hp"],
        "attack": state["attack"],
        "defense": state["defense"],
        "attacks": attacks,
        "damage": 0,
        "ready_at": 0,
    }


async def members(rid: str) -> list[int]:
    _room, players, spectators = await rooms.room_get(rid)
    return [p["cid"] for p in players if not p.get("gone")] + spectators


async def broadcast(rid: str, event: Event, *, exclude: int | None = None, to: list[int] | None = None) -> None:
    """Tell the room (or `to`) `event`; an event that moves them (a match's start, the room's close)
    moves them there: their connection writes their next scene."""
    ids = [cid for cid in (to if to is not None else await members(rid)) if cid != exclude]
    if ids:
        await tell(ids, event)


def fighters_of(players: list[dict]) -> tuple[Fighter, ...]:
    return tuple(Fighter(p["name"], p["team"], p["level"], p["damage"], p["hp"], p["max_hp"]) for p in players)


async def room_status_text(rid: str) -> str:
    _room, players, _spectators = await rooms.room_get(rid)
    return presenters.status_table(fighters_of(players))


async def room_enter(*, character_id: int, name: str, room_name: str, create: bool) -> rooms.Joined:
    joined = await rooms.room_join(
        name=room_name, character_id=character_id, player=await fighter_of(character_id, name), create=create
    )
    if joined.outcome not in ("player", "spectator"):
        return joined
    rid = rooms.room_id(room_name)
    await chat_move(character_id=character_id, room=rooms.chat_channel(rid))
    if joined.outcome == "player":
        await broadcast(rid, ArenaJoined(name, joined.players), exclude=character_id)
    if joined.start:
        await broadcast(rid, ArenaMatchSoon())
        await _later("arena.tasks.arena_match_start", rid, seconds=5)
    return joined


async def room_exit(*, character_id: int, name: str) -> str:
    """Leave the room (a waiting player or a spectator); a fighter stays in the match as a target."""
    found = await rooms.room_of(character_id)
    if found is None:
        return "none"
    rid, _role = found
    outcome = await rooms.room_leave(rid=rid, character_id=character_id, name=name)
    if outcome in ("left", "emptied"):
        await chat_move(character_id=character_id, room=None)
        if outcome == "left":
            await broadcast(rid, ArenaLeft(name))
    return outcome


async def match_start(rid: str) -> None:
    players = await rooms.teams_assign(rid)
    await broadcast(rid, ArenaMatchStarted(fighters_of(players)))


async def match_hit(*, rid: str, character_id: int, name: str, target: str, attack: str) -> rooms.Hit:
    hit = await rooms.match_attack(
        rid=rid, character_id=character_id, name=name, target=target, attack=attack, roll=random.randint(80, 119)
    )
    if hit.outcome == "hit":
        await broadcast(rid, hit_event(name, target, hit), exclude=character_id)
        if hit.winner:
            await match_end(rid)
    return hit


def hit_event(name: str, target: str, hit: rooms.Hit) -> ArenaHit:
    return ArenaHit(name, target, hit.damage, hit.hp, hit.max_hp)


async def match_end(rid: str) -> None:
    """Rewards and records (arena.rules): winners get exp; every fighter is restored, and their
    wins, losses and Elo rating are written to the database at once; each sees the result (and
    their new status bar, which the change itself sends: accounts.status)."""
    room, players, _spectators = await rooms.room_get(rid)
    winner = room.get("winner", "")
    reward = match_reward([p["level"] for p in players if p["team"] != winner])
    # A deleted account's fighter has no state left: it counts at the starting rating and gets nothing.
    ratings = {p["cid"]: state["arena_rating"] for p in players if (state := await character_state_get(p["cid"]))}
    team_ratings = {team: [ratings.get(p["cid"], START_RATING) for p in players if p["team"] == team] for team in "AB"}
    for p in [p for p in players if p["cid"] in ratings]:
        won = p["team"] == winner
        change = rating_change(team_ratings[p["team"]], team_ratings["B" if p["team"] == "A" else "A"], won=won)

        def settle(s, won=won, change=change):
            rating = rating_after(s["arena_rating"], change)
            changes = {
                "hp": s["max_hp"],
                "mp": s["max_mp"],
                "arena_rating": rating,
                "arena_best_rating": max(s.get("arena_best_rating", rating), rating),
                "arena_wins" if won else "arena_losses": s["arena_wins" if won else "arena_losses"] + 1,
            }
            if won:
                changes.update(exp_gain(s, reward))
            return changes, {**s, **changes}

        await character_state_mutate(p["cid"], settle)
    await character_states_flush_now([p["cid"] for p in players])
    await broadcast(rid, ArenaMatchEnded(winner, reward, fighters_of(players)))
    await _later("arena.tasks.arena_room_close", rid, seconds=5)


async def match_forfeit(*, character_id: int, name: str) -> None:
    """The account is being deleted (after signing out): a fighter falls for good, told to the room,
    and its fall may end the match."""
    found = await rooms.room_of(character_id)
    if found is None:
        return
    rid, _role = found
    fallen, winner = await rooms.match_forfeit(rid=rid, character_id=character_id, name=name)
    if not fallen:
        return
    await broadcast(rid, ArenaForfeit(name))
    if winner:
        await match_end(rid)


async def room_close(rid: str) -> None:
    """After the result: everyone back to the village, chat back to a shard, the room gone."""
    ids = await members(rid)
    await rooms.room_delete(rid, ids)
    for cid in ids:
        await chat_move(character_id=cid, room=None)
    await broadcast(rid, ArenaRoomClosed(), to=ids)


async def _later(task: str, rid: str, *, seconds: int) -> None:
    """Run an arena timer on Celery, so it survives the loss of any web process."""
    await sync_to_async(current_app.send_task)(task, args=(rid,), countdown=seconds)


async def match_status(rid: str) -> bool:
    """The status table every 10 s while the match lasts; False when it is over."""
    room, players, _spectators = await rooms.room_get(rid)
    if room.get("state") != "fighting":
        return False
    await broadcast(rid, ArenaTable(fighters_of(players)))
    return True
