import pytest

from mudserver.protocol import BadFrame, frame_parse


def test_good_frames():
    assert frame_parse('{"type":"command","line":"help"}', None)["line"] == "help"
    assert frame_parse('{"type":"chat","text":"hi","to":"bob"}', None)["to"] == "bob"
    assert frame_parse('{"type":"ping"}', None) == {"type": "ping"}


@pytest.mark.parametrize(
    ("text", "code"),
    [(None, "bad_frame"), ("{", "bad_frame"), ("1", "bad_frame"), ('{"type":"x"}', "bad_frame"),
     ('{"type":"command","line":1}', "bad_frame"), ('{"type":"command","line":"' + "a" * 1001 + '"}', "too_long")],
)  # fmt: skip
def test_bad_frames(text, code):
    with pytest.raises(BadFrame) as bad:
        frame_parse(text, b"x" if text is None else None)
    assert bad.value.code == code
