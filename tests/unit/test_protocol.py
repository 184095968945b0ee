import pytest

from mudserver.protocol import BadFrame, frame_parse


def test_good_frames():
    assert frame_parse('{"type":"command","line":"help"}', None)["line"] == "help"
    assert frame_parse('{"type":"chat","text":"hi","to":"bob"}', None)["to"] == "bob"
    assert frame_parse('{"type":"ping"}', None) == {"type": "ping"}


@pytest.mark.parametrize(
    ("text", "code"),
    [
        (None, "bad_frame"),
        ("{", "bad_frame"),
        ("1", "bad_frame"),
        ('{"type":"x"}', "bad_frame"),
        ('{"type":"command","line":1}', "bad_frame"),
        ('{"type":"command","line":"' + "a" * 1001 + '"}', "too_long"),
    ],
)
def test_bad_frames(text, code):
    with pytest.raises(BadFrame) as bad:
        frame_parse(text, b"x" if text is None else None)
    assert bad.value.code == code


@pytest.mark.parametrize("depth", [1_000, 4_000])
def test_nesting_too_deep_for_the_parser_is_a_bad_frame(depth):
    with pytest.raises(BadFrame) as bad:
        frame_parse("[" * depth + "]" * depth, None)
    assert bad.value.code == "bad_frame"


@pytest.mark.parametrize(
    ("text", "refused"),
    [
        ("a" * 8153, False),
        ("a" * 8154, True),
        ("가" * 2717, False),
        ("가" * 2718, True),
        ("😀" * 2038, False),
        ("😀" * 2039, True),
    ],
)
def test_a_frame_is_measured_in_utf8_bytes_before_it_is_parsed(text, refused):
    frame = '{"type":"command","line":"help","x":"' + text + '"}'  # 37 + 2 bytes around the text
    if refused:
        with pytest.raises(BadFrame) as bad:
            frame_parse(frame, None)
        assert bad.value.code == "too_long"
    else:
        assert frame_parse(frame, None)["line"] == "help"
