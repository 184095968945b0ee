"""Game masters' actions on players (from the admin). Each one changes the live state (the Redis
hot state when the character has one, else the database), tells a connected player at once
(mudserver.push; the status bar follows from the change itself, accounts.status), and writes an
audit entry with the state before and after."""

from datetime import datetime

from asgiref.sync import async_to_sync
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from accounts import hooks
from accounts.audit import audit_write
from accounts.character_state import (
    INT_FIELDS,
    character_state_get_sync,
    character_state_mutate,
    character_states_flush,
)
from accounts.events import GmChanged, GmMuted, GmNotice
from accounts.models import AuditEntry, Character, User
from accounts.progression import MAX_WEAPON_LEVEL, attack_for, exp_gain, stats_for_level
from mudserver import push
from mudserver.events import Event
from mudserver.markup import escape, yellow
from mudserver.presence import online_character_ids, presence_owner
from mudserver.push import presenter
from mudserver.sessions import session_user_end

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
        async_to_sync(character_state_mutate)(character.pk, mutate)
    except LookupError:  # not in Redis: the database row is the state
        Character.objects.filter(pk=character.pk).update(**change(before))
    after = _snapshot(Character.objects.get(pk=character.pk))
    return before, after


def _audit(actor: User, action: str, character: Character, before: dict, after: dict) -> AuditEntry:
    return audit_write(actor=actor, action=action, target=(character.pk, character.name), before=before, after=after)


@presenter(GmNotice, GmChanged, GmMuted)
def gm_present(event: Event, lang: str) -> list[str]:
    return [yellow(_gm_text(event))]


def _gm_text(event: Event) -> str:
    match event:
        case GmNotice(text=text):
            return _("[Notice] %(text)s") % {"text": escape(text)}
        case GmChanged(what="heal"):
            return _("A game master restored your HP and MP.")
        case GmChanged(what="exp", amount=amount):
            return _("A game master granted you %(amount)d exp.") % {"amount": amount}
        case GmChanged(what="weapon", amount=level):
            return _("A game master set your weapon level to %(level)d.") % {"level": level}
        case GmChanged(what="reset"):
            return _("A game master reset your character to level 1.")
        case GmChanged(what="edit"):
            return _("A game master changed your character.")
        case GmMuted(until=""):
            return _("A game master lifted your chat mute.")
        case GmMuted(until=until):
            return _("A game master muted your chat until %(until)s.") % {"until": until}
    raise ValueError(event)


def _tell(character: Character, event: Event) -> None:
    """Tell a connected player what a game master did."""
    push.tell_sync([character.pk], event)


@transaction.atomic
def gm_notice(*, actor: User, text: str) -> AuditEntry:
    """Announce `text` (cleaned as chat is) to every player online, on every web process, each in
    their own language: one message per web process, through its mailbox."""
    online = async_to_sync(online_character_ids)()
    # Written first: a notice the trail cannot hold is not sent.
    entry = audit_write(
        actor=actor, action="notice", target=(None, ""), before={}, after={"text": text, "players": len(online)}
    )
    push.tell_sync(online, GmNotice(text))
    return entry


@transaction.atomic
def gm_heal(*, actor: User, character: Character) -> AuditEntry:
    before, after = _change(character, lambda s: {"hp": s["max_hp"], "mp": s["max_mp"]})
    _tell(character, GmChanged("heal"))
    return _audit(actor, "heal", character, before, after)


@transaction.atomic
def gm_exp_grant(*, actor: User, character: Character, amount: int) -> AuditEntry:
    """Exp stops at MAX_EXP (GAME.md §3): a grant past it gives only what fits, and the player, the
    entry and the admin's message say so rather than the database refusing the row later."""
    before, after = _change(character, lambda s: exp_gain(s, amount))
    granted = after["exp"] - before["exp"]
    _tell(character, GmChanged("exp", granted))
    return _audit(actor, "grant_exp", character, before, after)


@transaction.atomic
def gm_weapon_set(*, actor: User, character: Character, weapon_level: int) -> AuditEntry:
    if not 1 <= weapon_level <= MAX_WEAPON_LEVEL:  # GAME.md §3; the database would refuse the row
        raise ValueError(weapon_level)
    before, after = _change(
        character, lambda s: {"weapon_level": weapon_level, "attack": attack_for(s["level"], weapon_level)}
    )
    _tell(character, GmChanged("weapon", weapon_level))
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
    _tell(character, GmChanged("reset"))
    return _audit(actor, "reset", character, before, after)


@transaction.atomic
def gm_character_edit(*, actor: User, character: Character, changes: dict[str, int]) -> AuditEntry:
    """A character's change form saved: the values it changed go into the live state (its other values
    may be older than the hot state, which keeps its own), hp and mp kept within their maximums."""

    def change(state):
        merged = {**state, **changes}
        return {**changes, "hp": min(merged["hp"], merged["max_hp"]), "mp": min(merged["mp"], merged["max_mp"])}

    before, after = _change(character, change)
    _tell(character, GmChanged("edit"))
    changed = [field for field in after if field in changes or after[field] != before.get(field)]
    return _audit(
        actor, "change_character", character, {f: before.get(f) for f in changed}, {f: after[f] for f in changed}
    )


@transaction.atomic
def gm_mute(*, actor: User, character: Character, until: datetime | None) -> AuditEntry:
    before = {"chat_muted_until": _iso(character.user.chat_muted_until)}
    hooks.chat_mute(character_id=character.pk, until=until)
    if until is None:
        _tell(character, GmMuted(""))
    else:
        shown = f"{timezone.localtime(until):%Y-%m-%d %H:%M}"  # the game's time, as the chat's refusal says it
        _tell(character, GmMuted(shown))
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
