"""Sign-up validation rules of GAME.md §2. Pure functions returning the normalised value or None."""

import re
import unicodedata

USERNAME_RE = re.compile(r"^[a-z][a-z0-9]{3,15}$")
ENGLISH_NAME_RE = re.compile(r"^[a-z][a-z0-9]{3,15}$")
KOREAN_NAME_RE = re.compile(r"^[가-힣][가-힣0-9]{1,8}$")
# Words that would be read as commands at the prompts where names are typed.
RESERVED = {"help", "도움말"}


def username_normalise(text: str) -> str | None:
    name = text.strip().lower()
    return name if USERNAME_RE.fullmatch(name) and name not in RESERVED else None


# What MariaDB's utf8mb4_unicode_ci (UCA 4.0.0, the username column's collation) does that
# NFKD, casefold and dropping marks and controls do not: letters it weighs as two ASCII letters,
# numerals it weighs as digits, combining letters it weighs as letters, and a few characters it
# ignores although they are letters or symbols (tests/flows/test_abuse_signin.py checks every
# character of the Basic Multilingual Plane against the database).
_COLLATION_EXTRAS = {
    "œ": "oe", "ƍ": "zw", "ƾ": "ts", "ʣ": "dz", "ʦ": "ts", "ʪ": "ls", "ʫ": "lz",
    **{chr(0x363 + i): letter for i, letter in enumerate("aeiouc" "dhmrtvx")},
    **{chr(0x9F4 + i): str(i + 1) for i in range(4)},  # Bengali currency numerators
    **{chr(0xF2A + i): str((i + 1) % 10) for i in range(10)},  # Tibetan half digits
    **dict.fromkeys("\u06de\uff9e\uff9f", ""),
    **dict.fromkeys(map(chr, [*range(0xFC5E, 0xFC64), *range(0xFCF2, 0xFCF5), *range(0xFE70, 0xFE80)]), ""),
}  # fmt: skip
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
    name = text.strip()
    if KOREAN_NAME_RE.fullmatch(name) and name not in RESERVED:
        return name
    lowered = name.lower()
    if ENGLISH_NAME_RE.fullmatch(lowered) and lowered not in RESERVED:
        return lowered
    return None


def name_as_stored(text: str) -> str:
    """A name typed to find something (a character to whisper to or hit, a skill): English names
    are kept in lower case, Korean ones as they are."""
    return text.lower() if text.isascii() else text
