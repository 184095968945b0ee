"""Sign-up validation rules of GAME.md §2 and §3: functions returning the normalised value or None, on
text cleaned by mudserver.text first (what the length and character rules see is what others see)."""

import re
import unicodedata
from dataclasses import dataclass
from functools import cache

from django.conf import settings
from django.utils import translation

from accounts import hooks
from mudserver.router import GLOBAL_COMMANDS, HELP_COMMAND, SCENES
from mudserver.text import skeleton, text_clean

USERNAME_RE = re.compile(r"^[a-z][a-z0-9]{3,15}$")
ENGLISH_NAME_RE = re.compile(r"^[a-z][a-z0-9]{3,15}$")
KOREAN_NAME_RE = re.compile(r"^[가-힣][가-힣0-9]{1,8}$")
# Who speaks for the game (GAME.md §3): no player may pass for a game master or for the game itself.
STAFF_WORDS = (
    "운영자",
    "관리자",
    "운영진",
    "운영팀",
    "게임마스터",
    "시스템",
    "서버",
    "공지",
    "알림",
    "admin",
    "administrator",
    "gm",
    "game master",
    "moderator",
    "operator",
    "staff",
    "system",
    "server",
    "notice",
)
_TRAILING_DIGITS = re.compile(r"\d+$")


def name_key(text: str) -> str:
    """What a name looks like, for comparing: cleaned, case-folded, without spaces or accents, as its
    TR39 skeleton (so `Admín`, `ADMIN` and `аdmin` with a Cyrillic а all give the key of `admin`)."""
    folded = text_clean(text).casefold().replace(" ", "")
    bare = "".join(ch for ch in unicodedata.normalize("NFD", folded) if not unicodedata.combining(ch))
    return skeleton(bare).casefold()


def _npc_names() -> set[str]:
    """Every NPC's name (accounts.hooks.reserved_names) in every language, whole and without its
    title (its longest word: `Sir Shax` and `Shax`, `샤크스 경` and `샤크스`)."""
    names = set()
    for code, _language in settings.LANGUAGES:
        with translation.override(code):
            for label in (str(name) for names_of in hooks.reserved_names for name in names_of()):
                names |= {label, max(label.split(), key=len)}
    return names


@dataclass(frozen=True)
class _Reserved:
    people: frozenset[str]  # staff, system and NPC names
    inside: frozenset[str]  # Korean staff words, refused anywhere in a name (운영자님, 관리자의 방)
    commands: frozenset[str]  # every alias of every scene and the global commands


@cache
def _reserved_keys(_scenes: int, _globals: int) -> _Reserved:
    """The reserved names' keys. Made from the registries, so a new scene's commands are covered;
    the counts in the arguments make a registry that grew build them anew."""
    aliases = {alias for scene in SCENES.values() for command in scene.commands for alias in command.aliases}
    aliases |= {alias for command in (HELP_COMMAND, *GLOBAL_COMMANDS) for alias in command.aliases}
    return _Reserved(
        people=frozenset(name_key(word) for word in (*STAFF_WORDS, *_npc_names())),
        # Korean puts particles and titles right after a word (운영자가, 운영자님); the shorter staff
        # words (공지, 알림, 서버) sit inside too many ordinary names (공지훈) to be refused there.
        inside=frozenset(name_key(word) for word in STAFF_WORDS if not word.isascii() and len(word) >= 3),
        commands=frozenset(name_key(alias) for alias in aliases),
    )


def name_reserved(text: str, *, commands: bool = True) -> bool:
    """Whether a name is, or looks like, a staff, system or NPC name — alone, with digits after it, or
    as one of its words; a Korean staff word anywhere in it — or (with `commands`) a command word
    (GAME.md §3)."""
    reserved = _reserved_keys(len(SCENES), len(GLOBAL_COMMANDS))
    cleaned = text_clean(text)
    whole = name_key(cleaned)
    if any(name_key(_TRAILING_DIGITS.sub("", word)) in reserved.people for word in [cleaned, *cleaned.split(" ")]):
        return True
    if any(word in whole for word in reserved.inside):
        return True
    return commands and whole in reserved.commands


def username_normalise(text: str) -> str | None:
    name = text_clean(text).lower()
    return name if USERNAME_RE.fullmatch(name) and not name_reserved(name) else None


# What MariaDB's utf8mb4_unicode_ci (UCA 4.0.0, the username column's collation) does that
# NFKD, casefold and dropping marks and controls do not: letters it weighs as two ASCII letters,
# numerals it weighs as digits, combining letters it weighs as letters, and a few characters it
# ignores although they are letters or symbols (tests/flows/test_abuse_signin.py checks every
# character of the Basic Multilingual Plane against the database).
_COLLATION_EXTRAS = {
    "œ": "oe",
    "ƍ": "zw",
    "ƾ": "ts",
    "ʣ": "dz",
    "ʦ": "ts",
    "ʪ": "ls",
    "ʫ": "lz",
    **{chr(0x363 + i): letter for i, letter in enumerate("aeioucdhmrtvx")},
    **{chr(0x9F4 + i): str(i + 1) for i in range(4)},  # Bengali currency numerators
    **{chr(0xF2A + i): str((i + 1) % 10) for i in range(10)},  # Tibetan half digits
    **dict.fromkeys("\u06de\uff9e\uff9f", ""),
    **dict.fromkeys(map(chr, [*range(0xFC5E, 0xFC64), *range(0xFCF2, 0xFCF5), *range(0xFE70, 0xFE80)]), ""),
}
_IGNORED_CATEGORIES = {"Mn", "Mc", "Me", "Cc", "Cf"}


def _collation_char(char: str) -> str:
    if char in _COLLATION_EXTRAS:
        return _COLLATION_EXTRAS[char]
    return "" if unicodedata.category(char) in _IGNORED_CATEGORIES else char


def _collation_digit(char: str) -> str:
    value = unicodedata.numeric(char, None)
    return str(int(value)) if value is not None and value == int(value) else _collation_char(char)


def username_fold(text: str) -> str:
    """The account a typed username names, as the database's unique index sees it: the column's
    collation ignores case, accents and compatibility forms (`alicé`, `ALICE` and `ａｌｉｃｅ` are
    `alice`), ignores trailing spaces, and reads other scripts' digits as digits. Keys counting
    sign-ins per account use it, so that no spelling of a name gets a fresh count."""
    whole = "".join(map(_collation_char, text))  # before decomposition, as some are ignored whole
    decomposed = unicodedata.normalize("NFKD", unicodedata.normalize("NFKD", whole).casefold())
    return "".join(map(_collation_digit, decomposed)).rstrip(" ")


def password_valid(password: str) -> bool:
    return (
        6 <= len(password) <= 64
        and any(c.isascii() and c.isalpha() for c in password)
        and any(c.isdigit() for c in password)
    )


def character_name_normalise(text: str) -> str | None:
    name = text_clean(text)
    if name_reserved(name):
        return None
    if KOREAN_NAME_RE.fullmatch(name):
        return name
    lowered = name.lower()
    return lowered if ENGLISH_NAME_RE.fullmatch(lowered) else None


def name_as_stored(text: str) -> str:
    """A name typed to find something (a character to whisper to or hit, a skill): English names
    are kept in lower case, Korean ones as they are."""
    return text.lower() if text.isascii() else text
