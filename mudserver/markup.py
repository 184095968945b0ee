"""The colour markup of PROTOCOL.md: `|r` … `|n`, `||` for a literal bar."""

import unicodedata

COLOURS = "rgybcmwx"


def escape(text: str) -> str:
    """Player-typed text (names, chat, echoed input) must never be read as markup."""
    return text.replace("|", "||")


def colour(code: str, text: str) -> str:
    return f"|{code}{text}|n"


def red(text: str) -> str:
    return colour("r", text)


def green(text: str) -> str:
    return colour("g", text)


def yellow(text: str) -> str:
    return colour("y", text)


def blue(text: str) -> str:
    return colour("b", text)


def cyan(text: str) -> str:
    return colour("c", text)


def grey(text: str) -> str:
    return colour("x", text)


def menu_line(keys: str, text: str, width: int = 0) -> str:
    """An indented menu entry: the keys to type in yellow, then what they do. (Translations are
    passed in, not written inside f-strings, where gettext's extractor cannot see them.)"""
    return f"  {yellow(keys)}{' ' * max(1, width - len(keys) + 1)}{text}"


def columns(text: str) -> int:
    """The columns `text` takes in a terminal, where Hangul and other wide characters take two."""
    return sum(2 if unicodedata.east_asian_width(ch) in "WF" else 1 for ch in text)


def pad(text: str, width: int) -> str:
    """`text` and spaces up to `width` columns of a terminal (str.ljust counts characters, and
    pushed Korean table rows out of line)."""
    return text + " " * max(0, width - columns(text))


def rule() -> str:
    return grey("=" * 40)


def strip(text: str) -> str:
    """Plain text of a marked-up string (for terminal-less clients and tests)."""
    out, i = [], 0
    while i < len(text):
        if text[i] == "|" and i + 1 < len(text):
            nxt = text[i + 1]
            if nxt == "|":
                out.append("|")
            elif nxt not in COLOURS + "n":
                out.append(text[i : i + 2])
            i += 2
            continue
        out.append(text[i])
        i += 1
    return "".join(out)
