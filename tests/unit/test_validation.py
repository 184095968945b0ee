import pytest

from accounts.validation import character_name_normalise, name_as_stored, password_valid, username_normalise


@pytest.mark.parametrize(
    ("text", "expected"),
    [("abcd", "abcd"), ("ABcd12", "abcd12"), (" user1 ", "user1"), ("a" * 16, "a" * 16),
     ("abc", None), ("a" * 17, None), ("1abc", None), ("ab-cd", None), ("help", None), ("사용자1", None)],
)  # fmt: skip
def test_username(text, expected):
    assert username_normalise(text) == expected


@pytest.mark.parametrize(
    ("password", "ok"),
    [("abc123", True), ("a1" * 32, True), ("pass word 1", True), ("abc12", False), ("a1" * 32 + "x", False),
     ("abcdefg", False), ("1234567", False), ("비밀번호123", False)],
)  # fmt: skip
def test_password(password, ok):
    assert password_valid(password) is ok


@pytest.mark.parametrize(
    ("text", "expected"),
    [("hero", "hero"), ("Hero12", "hero12"), ("용사", "용사"), ("용사123", "용사123"), ("가나다라마바사아자", "가나다라마바사아자"),
     ("her", None), ("1hero", None), ("용", None), ("1용사", None), ("용사a", None), ("가나다라마바사아자차", None),
     ("hero_1", None), ("help", None)],
)  # fmt: skip
def test_character_name(text, expected):
    assert character_name_normalise(text) == expected


@pytest.mark.parametrize(("text", "expected"), [("Hero", "hero"), ("ATTACK", "attack"), ("용사", "용사"), ("기본공격", "기본공격")])
def test_names_typed_to_find_something(text, expected):
    assert name_as_stored(text) == expected
