import pytest

from accounts.validation import (
    character_name_normalise,
    name_as_stored,
    name_reserved,
    password_valid,
    username_normalise,
)
from mudserver.router import SCENES, Command, Scene


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("abcd", "abcd"),
        ("ABcd12", "abcd12"),
        (" user1 ", "user1"),
        ("a" * 16, "a" * 16),
        ("abc", None),
        ("a" * 17, None),
        ("1abc", None),
        ("ab-cd", None),
        ("help", None),
        ("사용자1", None),
    ],
)
def test_username(text, expected):
    assert username_normalise(text) == expected


@pytest.mark.parametrize(
    ("password", "ok"),
    [
        ("abc123", True),
        ("a1" * 32, True),
        ("pass word 1", True),
        ("abc12", False),
        ("a1" * 32 + "x", False),
        ("abcdefg", False),
        ("1234567", False),
        ("비밀번호123", False),
    ],
)
def test_password(password, ok):
    assert password_valid(password) is ok


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("hero", "hero"),
        ("Hero12", "hero12"),
        ("용사", "용사"),
        ("용사123", "용사123"),
        ("가나다라마바사아자", "가나다라마바사아자"),
        ("her", None),
        ("1hero", None),
        ("용", None),
        ("1용사", None),
        ("용사a", None),
        ("가나다라마바사아자차", None),
        ("hero_1", None),
        ("help", None),
    ],
)
def test_character_name(text, expected):
    assert character_name_normalise(text) == expected


@pytest.mark.parametrize(
    ("text", "expected"), [("Hero", "hero"), ("ATTACK", "attack"), ("용사", "용사"), ("기본공격", "기본공격")]
)
def test_names_typed_to_find_something(text, expected):
    assert name_as_stored(text) == expected


# Staff, system and NPC names, command words, and what looks like them (GAME.md §3), written out.
RESERVED_NAMES = [
    "운영자",
    "관리자",
    "운영진",
    "시스템",
    "admin",
    "ADMIN",
    "Admín",
    "\u0430dmin",
    "ａｄｍｉｎ",
    "ad\u200bmin",
    "administrator",
    "gm",
    "GM",
    "gm01",
    "admin7",
    "운영자1",
    "운\u3164영자",
    "gamemaster",
    "moderator",
    "system",
    "syst\u0435m",
    "help",
    "도움말",
    "dungeon",
    "던전",
    "village",
    "마을",
    "attack",
    "create",
    "status",
    "who",
    "lang",
    "DELETE",
    "프라데이리",
    "fradeiri",
    "아그네스",
    "Agnes",
    "퍼거스",
    "fergus",
    "에트나",
    "etna",
    "샤크스",
    "shax",
    "sirshax",
    "agnes2",
    "운영자님",
    "관리자임",
    "진짜운영진",
    "시스템1",
    "kick",
    "mute",
    "강퇴",
    "채금",  # game masters' commands, which players never see, are command words too
]
FREE_NAMES = [
    "hero",
    "용사",
    "badminton",
    "pigment",
    "agnesia",
    "helper",
    "dungeoneer",
    "gmail",
    "경1",
    "sir1",
    "운영",
    "공지훈",
    "알림이",
    "서버린",
]


@pytest.mark.parametrize("name", RESERVED_NAMES)
def test_reserved_names_are_refused(name):
    assert name_reserved(name)
    assert character_name_normalise(name) is None
    assert username_normalise(name) is None


@pytest.mark.parametrize("name", FREE_NAMES)
def test_names_like_no_reserved_one_are_free(name):
    assert not name_reserved(name)


@pytest.mark.parametrize(
    ("name", "reserved"),
    [
        ("GM event", True),
        ("운영자 공지", True),
        ("운영자의 방", True),
        ("관리자가 연 방", True),
        ("Agnes fan club", True),
        ("ADMIN 2", True),
        ("\u0430dmin room", True),
        ("help", False),
        ("dungeon run", False),
        ("fun room", False),
        ("badminton", False),
    ],
)
def test_room_names_may_be_command_words_but_not_staff_names(name, reserved):
    assert name_reserved(name, commands=False) is reserved


def test_a_new_command_is_reserved_at_once():
    assert not name_reserved("zebracmd")
    SCENES.add("zebra", Scene(name="zebra", enter=None, commands=[Command(("zebracmd",), None)]))
    try:
        assert name_reserved("zebracmd")
    finally:
        SCENES.remove("zebra")


@pytest.mark.parametrize(
    ("typed", "expected"),
    [
        ("hero\u200b", "hero"),
        ("ｈｅｒｏ", "hero"),
        ("용\u3164사", "용사"),
        ("he\nro", None),
        ("\u202ehero", "hero"),
    ],
)
def test_names_are_cleaned_before_their_rules(typed, expected):
    assert character_name_normalise(typed) == expected
