"""Game masters' actions on players (from the admin). Each one changes the live state (the Redis
hot state when the character has one, else the database), tells a connected player at once through
the push module, and writes an audit entry with the state before and after."""

from datetime import datetime

from asgiref.sync import async_to_sync
from django.db import transaction
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from accounts.audit import audit_write
from accounts.character_state import (
    INT_FIELDS,
    character_state_get_sync,
    character_state_mutate_sync,
    character_states_flush,
    character_status,
)
from accounts.models import AuditEntry, Character, User
from battles.rules import attack_for, exp_gain, stats_for_level
from chat.services import chat_mute
from mudserver import push
from mudserver.markup import escape, yellow
from mudserver.presence import online_character_ids, presence_owner
from mudserver.redis_client import get_redis
from mudserver.router import SCENES
from mudserver.scene_store import player_key
from mudserver.sessions import session_user_end
from village.rules import MAX_WEAPON_LEVEL

CLOSE_KICKED = 4002
CLOSE_BANNED = 4003
MUTE_MINUTES_MAX = 366 * 24 * 60  # up to a year; a ban is for longer
NOTICE_MAX_LENGTH = 300  # as a chat message: one line of the players' panes


def _snapshot(character: Character) -> dict:
    hot = character_state_get_sync(character.pk)
    return dict(hot) if hot else {field: getattr(character, field) for field in INT_FIELDS}


def _change(character: Character, change) -> tuple[dict, dict]:
    """Apply `change(state) -> changes` to the live state; return (before, after)."""
    before = _snapshot(character)

    def mutate(state):
        return change(state), None

    try:
        character_state_mutate_sync(character.pk, mutate)
    except LookupError:  # not in Redis: the database row is the state
        Character.objects.filter(pk=character.pk).update(**change(before))
    after = _snapshot(Character.objects.get(pk=character.pk))
    return before, after


def _audit(actor: User, action: str, character: Character, before: dict, after: dict) -> AuditEntry:
    return audit_write(actor=actor, action=action, target=(character.pk, character.name), before=before, after=after)


def _tell(character: Character, message, after: dict | None = None) -> None:
    """Show a connected player a game master's notice (and the new status bar)."""
    frames, _connections = _outputs([character.pk], message)
    if after is not None:
        frames[character.pk].append({"type": "status", "character": character_status(character.name, after)})
    push.players_frames_send_sync(frames)


def _outputs(character_ids: list[int], message) -> tuple[dict[int, list[dict]], dict[int, str]]:
    """`message()` in yellow as an output frame for each player, in the player's language and scene,
    and the connection each player is on."""
    pipe = get_redis().pipeline(transaction=False)
    for character_id in character_ids:
        pipe.hmget(player_key(character_id), "lang", "scene", "channel")
    texts: dict[str, str] = {}
    frames, connections = {}, {}
    for character_id, (lang, scene, channel) in zip(character_ids, pipe.execute(), strict=True):
        lang, scene = lang or "ko", scene if scene in SCENES else "front"
        if lang not in texts:
            with translation.override(lang):
                texts[lang] = yellow(str(message()))
        frames[character_id] = [{"type": "output", "scene": scene, "text": texts[lang], "input": SCENES[scene].input}]
        connections[character_id] = channel or ""
    return frames, connections


@transaction.atomic
def gm_notice(*, actor: User, text: str) -> AuditEntry:
    """Announce `text` (cleaned as chat is) to every player online, on every web process, each in
    their own language: one message per web process, through its mailbox, as a battle's feed goes."""
    online = async_to_sync(online_character_ids)()
    frames, connections = _outputs(online, lambda: _("[Notice] %(text)s") % {"text": escape(text)})
    # Written first: a notice the trail cannot hold is not sent.
    entry = audit_write(
        actor=actor, action="notice", target=(None, ""), before={}, after={"text": text, "players": len(frames)}
    )
    push.players_frames_deliver_sync(frames, connections)
    return entry


@transaction.atomic
def gm_heal(*, actor: User, character: Character) -> AuditEntry:
    before, after = _change(character, lambda s: {"hp": s["max_hp"], "mp": s["max_mp"]})
    _tell(character, lambda: _("A game master restored your HP and MP."), after)
    return _audit(actor, "heal", character, before, after)


@transaction.atomic
def gm_exp_grant(*, actor: User, character: Character, amount: int) -> AuditEntry:
    """Exp stops at MAX_EXP (GAME.md §3): a grant past it gives only what fits, and the player, the
    entry and the admin's message say so rather than the database refusing the row later."""
    before, after = _change(character, lambda s: exp_gain(s, amount))
    granted = after["exp"] - before["exp"]
    _tell(character, lambda: _("A game master granted you %(amount)d exp.") % {"amount": granted}, after)
    return _audit(actor, "grant_exp", character, before, after)


@transaction.atomic
def gm_weapon_set(*, actor: User, character: Character, weapon_level: int) -> AuditEntry:
    if not 1 <= weapon_level <= MAX_WEAPON_LEVEL:  # GAME.md §3; the database would refuse the row
        raise ValueError(weapon_level)
    before, after = _change(
        character, lambda s: {"weapon_level": weapon_level, "attack": attack_for(s["level"], weapon_level)}
    )
    _tell(character, lambda: _("A game master set your weapon level to %(level)d.") % {"level": weapon_level}, after)
    return _audit(actor, "set_weapon", character, before, after)


@transaction.atomic
def gm_character_reset(*, actor: User, character: Character) -> AuditEntry:
    fresh = {
        **stats_for_level(1, 1),
        "level": 1,
        "exp": 0,
        "weapon_level": 1,
        "attack": 10,
        "defense": 10,
        "kills": 0,
        "deaths": 0,
    }
    before, after = _change(character, lambda s: fresh)
    _tell(character, lambda: _("A game master reset your character to level 1."), after)
    return _audit(actor, "reset", character, before, after)


@transaction.atomic
def gm_character_edit(*, actor: User, character: Character, changes: dict[str, int]) -> AuditEntry:
    """A character's change form saved: the values it changed go into the live state (its other values
    may be older than the hot state, which keeps its own), hp and mp kept within their maximums."""

    def change(state):
        merged = {**state, **changes}
        return {**changes, "hp": min(merged["hp"], merged["max_hp"]), "mp": min(merged["mp"], merged["max_mp"])}

    before, after = _change(character, change)
    _tell(character, lambda: _("A game master changed your character."), after)
    changed = [field for field in after if field in changes or after[field] != before.get(field)]
    return _audit(
        actor, "change_character", character, {f: before.get(f) for f in changed}, {f: after[f] for f in changed}
    )


@transaction.atomic
def gm_mute(*, actor: User, character: Character, until: datetime | None) -> AuditEntry:
    before = {"chat_muted_until": _iso(character.user.chat_muted_until)}
    chat_mute(character_id=character.pk, until=until)
    if until is None:
        _tell(character, lambda: _("A game master lifted your chat mute."))
    else:
        shown = f"{timezone.localtime(until):%Y-%m-%d %H:%M}"  # the game's time, as the chat's refusal says it
        _tell(character, lambda: _("A game master muted your chat until %(until)s.") % {"until": shown})
    return _audit(actor, "mute", character, before, {"chat_muted_until": _iso(until)})


@transaction.atomic
def gm_ban(*, actor: User, character: Character) -> AuditEntry:
    """Deactivate the account and sign the player out at once."""
    User.objects.filter(pk=character.user_id).update(is_active=False)
    character_states_flush([character.pk])
    _close(character, code=CLOSE_BANNED, reason="banned")
    return _audit(actor, "ban", character, {"is_active": True}, {"is_active": False})


@transaction.atomic
def gm_unban(*, actor: User, character: Character) -> AuditEntry:
    User.objects.filter(pk=character.user_id).update(is_active=True)
    return _audit(actor, "unban", character, {"is_active": False}, {"is_active": True})


@transaction.atomic
def gm_kick(*, actor: User, character: Character) -> AuditEntry:
    online = _close(character, code=CLOSE_KICKED, reason="kicked")
    return _audit(actor, "kick", character, {"online": online}, {"online": False})


def _close(character: Character, *, code: int, reason: str) -> bool:
    owner = async_to_sync(presence_owner)(character.user_id)
    if owner is None:
        return False
    async_to_sync(push.connection_close)(owner.channel, code=code, reason=reason)
    if code == CLOSE_BANNED and owner.session:
        session_user_end(owner.session, character.user_id)
    return True


def _iso(moment: datetime | None) -> str | None:
    return moment.isoformat() if moment else None
