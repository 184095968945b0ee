from dataclasses import dataclass

from channels.db import database_sync_to_async

from accounts.character_state import character_state_get
from accounts.models import Character, User
from mudserver.presence import online_character_id


@database_sync_to_async
def username_taken(username: str) -> bool:
    return User.objects.filter(username=username).exists()


@database_sync_to_async
def character_name_taken(name: str) -> bool:
    return Character.objects.filter(name=name).exists()


@database_sync_to_async
def character_of_user(user_id: int) -> Character | None:
    return Character.objects.filter(user_id=user_id, user__is_active=True).select_related("user").first()


@database_sync_to_async
def username_of_user(user_id: int) -> str:
    return User.objects.filter(pk=user_id).values_list("username", flat=True).first() or ""


# What anyone may see of a character (`look`): nothing private such as hp, mp or exp.
CARD_FIELDS = ("level", "weapon_level", "kills", "deaths", "arena_wins", "arena_losses", "arena_rating")


@dataclass(frozen=True)
class Card:
    character_id: int
    name: str
    online: bool
    numbers: dict[str, int]  # CARD_FIELDS


@database_sync_to_async
def _card_row(name: str) -> dict | None:
    return Character.objects.filter(name=name).values("id", "name", *CARD_FIELDS).first()


async def character_card_get(name: str) -> Card | None:
    """A character's public card by its exact stored name: from the hot state in Redis when it has
    one (an online player's, or one who left a moment ago, not written behind yet), else from the
    database row. At most one query, by the unique name."""
    character_id = await online_character_id(name)
    row = None
    if character_id is None:
        row = await _card_row(name)
        if row is None or row["name"] != name:  # the column's collation would match other spellings
            return None
        character_id = row["id"]
    state = await character_state_get(character_id) or row
    if state is None:  # online without a hot state: only for the moment a sign-in takes to load it
        state = await _card_row(name)
        if state is None:
            return None
    return Card(character_id, name, online=row is None, numbers={field: state[field] for field in CARD_FIELDS})
