"""The one particle rule (text-review S1): the form after a word follows the word's last sound."""

import pytest

from mudserver.korean import name_fill, particle

# word, then the expected 은/는, 이/가, 을/를, 과/와, 이라는/라는, 으로/로 written out by hand.
TABLE = [
    ("다람쥐", "는", "가", "를", "와", "라는", "로"),  # Hangul, no 받침
    ("고블린", "은", "이", "을", "과", "이라는", "으로"),  # 받침 ㄴ
    ("오크", "는", "가", "를", "와", "라는", "로"),
    ("좀비 숙주", "는", "가", "를", "와", "라는", "로"),
    ("늑대장", "은", "이", "을", "과", "이라는", "으로"),  # 받침 ㅇ
    ("하늘", "은", "이", "을", "과", "이라는", "로"),  # final ㄹ takes 로
    ("칼", "은", "이", "을", "과", "이라는", "로"),
    ("0", "은", "이", "을", "과", "이라는", "으로"),  # 영
    ("1", "은", "이", "을", "과", "이라는", "로"),  # 일
    ("2", "는", "가", "를", "와", "라는", "로"),  # 이
    ("3", "은", "이", "을", "과", "이라는", "으로"),  # 삼
    ("4", "는", "가", "를", "와", "라는", "로"),  # 사
    ("5", "는", "가", "를", "와", "라는", "로"),  # 오
    ("6", "은", "이", "을", "과", "이라는", "으로"),  # 육
    ("7", "은", "이", "을", "과", "이라는", "로"),  # 칠
    ("8", "은", "이", "을", "과", "이라는", "로"),  # 팔
    ("9", "는", "가", "를", "와", "라는", "로"),  # 구
    ("10", "은", "이", "을", "과", "이라는", "으로"),  # 십
    ("1000", "은", "이", "을", "과", "이라는", "으로"),  # 천
    ("Tom", "은", "이", "을", "과", "이라는", "으로"),  # English: m, n, -ng sound a 받침
    ("hero2", "는", "가", "를", "와", "라는", "로"),
    ("Jean", "은", "이", "을", "과", "이라는", "으로"),
    ("king", "은", "이", "을", "과", "이라는", "으로"),
    ("Paul", "은", "이", "을", "과", "이라는", "로"),  # English l is ㄹ
    ("alice", "는", "가", "를", "와", "라는", "로"),
    ("'고블린'", "은", "이", "을", "과", "이라는", "으로"),  # closing quotes are not read
]
FORMS = ("은", "이", "을", "과", "이라는", "으로")


@pytest.mark.parametrize("row", TABLE, ids=[row[0] for row in TABLE])
def test_particle_follows_the_last_sound(row):
    word, *expected = row
    assert [particle(word, form) for form in FORMS] == expected


def test_name_fill_chooses_the_particle_after_each_name():
    line = "{name}이 왔구나! {name}님, {name}으로 정했어. {name}이야."
    assert name_fill(line, "철수") == "철수가 왔구나! 철수님, 철수로 정했어. 철수이야."
    assert name_fill(line, "민준") == "민준이 왔구나! 민준님, 민준으로 정했어. 민준이야."
    assert name_fill("Hello, {name}.", "Paul") == "Hello, Paul."
