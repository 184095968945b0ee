"""Korean particles after a word known only at run time (a character's name, a number).

A particle's form follows the last sound of the word before it (text-review S1): after a final
consonant (받침) 은/이/을/과/이라는/으로, after a vowel 는/가/를/와/라는/로; 으로 also becomes 로 after
a final ㄹ. Digits are read in Sino-Korean (영 일 이 삼 사 오 육 칠 팔 구; a number ending in 0 ends
in 십/백/천/만, all with 받침); English words end in a consonant sound after l, m, n (and -ng).
"""

import re

# With 받침 -> without.
FORMS = {"은": "는", "이": "가", "을": "를", "과": "와", "이라는": "라는", "으로": "로"}
_HANGUL_FIRST, _HANGUL_LAST, _RIEUL = 0xAC00, 0xD7A3, 8  # ㄹ is final consonant number 8
_DIGIT_FINAL = {"0": "other", "1": "ㄹ", "3": "other", "6": "other", "7": "ㄹ", "8": "ㄹ"}


def _final_sound(word: str) -> str | None:
    """'ㄹ', 'other' (any other final consonant) or None (a vowel, or nothing readable)."""
    text = word.rstrip(" '\")]}.!?,")
    if not text:
        return None
    last = text[-1]
    if _HANGUL_FIRST <= ord(last) <= _HANGUL_LAST:
        final = (ord(last) - _HANGUL_FIRST) % 28
        return None if final == 0 else "ㄹ" if final == _RIEUL else "other"
    if last.isdigit():
        return _DIGIT_FINAL.get(last)
    lower = text.casefold()
    if lower.endswith("l"):
        return "ㄹ"
    if lower.endswith(("m", "n", "ng")):
        return "other"
    return None


def particle(word: str, form: str) -> str:
    """The form of the particle `form` (given in its 받침 form: 은, 이, 을, 과, 이라는, 으로) that
    follows `word`."""
    final = _final_sound(word)
    if form == "으로":
        return "으로" if final == "other" else "로"
    return form if final is not None else FORMS[form]


# `{name}` in an NPC line, with the particle written after it in its 받침 form and not followed
# by more Hangul (so that "{name}이야" is left alone).
_NAME_WITH_PARTICLE = re.compile(r"\{name\}(이라는|으로|은|이|을|과)?(?![가-힣])|\{name\}")


def name_fill(line: str, name: str) -> str:
    """`line` with each `{name}` replaced by `name` and the particle after it in the right form."""

    def fill(match: re.Match) -> str:
        form = match.group(1)
        return name + (particle(name, form) if form else "")

    return _NAME_WITH_PARTICLE.sub(fill, line)
