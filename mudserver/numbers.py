"""Numbers typed by players."""

MAX_DIGITS = 18  # any count, stake or id a player types fits; a longer string is not one of them


def typed_int(text: str) -> int | None:
    """`text` as a whole number when it is ASCII digits only, else None. str.isdigit() alone also
    accepts '²', '①' and other scripts' digits, which int() then refuses with an exception."""
    if 0 < len(text) <= MAX_DIGITS and text.isascii() and text.isdigit():
        return int(text)
    return None
