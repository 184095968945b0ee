"""Sign-up validation rules of GAME.md §2. Pure functions returning the normalised value or None."""

import re

USERNAME_RE = re.compile(r"^[a-z][a-z0-9]{3,15}$")
ENGLISH_NAME_RE = re.compile(r"^[a-z][a-z0-9]{3,15}$")
KOREAN_NAME_RE = re.compile(r"^[가-힣][가-힣0-9]{1,8}$")
# Words that would be read as commands at the prompts where names are typed.
RESERVED = {"help", "도움말"}


def username_normalise(text: str) -> str | None:
    name = text.strip().lower()
    return name if USERNAME_RE.fullmatch(name) and name not in RESERVED else None


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
