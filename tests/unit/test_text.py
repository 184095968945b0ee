"""Text that others see is cleaned (NFKC, one line, nothing invisible) and compared by TR39 skeletons
(mudserver.text). Expected values are written out by hand."""

import unicodedata

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from mudserver.text import skeleton, text_clean

# (typed, cleaned)
CLEANED = [
    ("hello", "hello"),
    ("  hello   there  ", "hello there"),
    # a chat message that would print a line of its own in other players' panes
    ("hi\n[12:34] 운영자: type your password", "hi [12:34] 운영자: type your password"),
    ("hi\r\n[12:34] 운영자: x", "hi [12:34] 운영자: x"),
    ("a\tb\x0bc\x0cd\x1ce\x85f\u2028g\u2029h", "a b c d e f g h"),  # every line and paragraph break
    ("a\x00b\x07c\x1bd\x7fe", "abcde"),  # other controls (NUL, bell, escape, delete)
    # bidi embeddings, overrides and isolates, and the marks
    ("\u202aa\u202bb\u202cc\u202dd\u202ee", "abcde"),
    ("\u2066a\u2067b\u2068c\u2069d", "abcd"),
    ("\u200ea\u200fb\u061cc", "abc"),
    # zero-width characters, the BOM, the word joiner, the soft hyphen
    ("a\u200bb\u200cc\u200dd\u2060e\ufeffg\u00adh", "abcdegh"),
    # filler characters: Hangul fillers, the halfwidth one, the blank braille pattern
    ("운\u3164영\u115f자\u1160님\uffa0", "운영자님"),
    ("\u2800\u2800hero", "hero"),
    ("\u3164", ""),
    ("\u3164 \u115f\u200b\u2800 \uffa0", ""),
    # variation selectors, tags, the combining grapheme joiner
    ("e\ufe0fx\U000e0100y\U000e0041z\u034f!", "exyz!"),
    # private use, a lone surrogate (JSON's \ud800), unassigned
    ("a\ue000b\ud800c\U000e0080d\u0378e", "abcde"),
    # NFKC: full-width letters and spaces, ligatures, compatibility jamo sequences
    ("ｆｕｌｌ\u3000ｗｉｄｔｈ", "full width"),
    ("\ufb01ne", "fine"),
    ("\u1100\u1161\u11a8", "각"),  # conjoining jamo compose into the syllable
    ("\u1100\u200b\u1161", "가"),  # also once what stood between them is gone
    # combining marks: at most two on one character, none without one
    ("x\u0301\u0302\u0303\u0304y", "x\u0301\u0302y"),
    ("\u0301\u0302abc", "abc"),
    ("a \u0301b", "a b"),
    ("Admi\u0301n", "Admín"),  # composed by NFKC, one character
]


@pytest.mark.parametrize(("typed", "cleaned"), CLEANED, ids=[repr(t) for t, _c in CLEANED])
def test_text_clean(typed, cleaned):
    assert text_clean(typed) == cleaned


DROPPED = {"Cc", "Cf", "Cs", "Co", "Cn", "Zl", "Zp"}


@settings(max_examples=300, deadline=None, derandomize=True)
@given(st.text(max_size=40))
def test_cleaned_text_is_one_visible_line_and_stays_as_it_is(text):
    cleaned = text_clean(text)
    assert text_clean(cleaned) == cleaned
    assert cleaned == unicodedata.normalize("NFKC", cleaned)
    assert not any(unicodedata.category(ch) in DROPPED for ch in cleaned)
    assert not any(ch.isspace() and ch != " " for ch in cleaned)
    assert "  " not in cleaned and cleaned == cleaned.strip()


# (text, its TR39 skeleton), from Unicode's confusables.txt by hand
SKELETONS = [
    ("admin", "adrnin"),  # m -> rn
    ("\u0430dmin", "adrnin"),  # Cyrillic а -> a
    ("syst\u0435m", "systern"),  # Cyrillic е -> e
    ("\u0456nfo", "info"),  # Cyrillic і -> i
    ("paypaI", "paypal"),  # capital I -> l
    ("hel1o", "hello"),  # digit one -> l
    ("0", "O"),
    ("hero", "hero"),
]


@pytest.mark.parametrize(("text", "expected"), SKELETONS)
def test_skeleton(text, expected):
    assert skeleton(text) == expected
