from mudserver.markup import escape, pad, red, strip


def test_escape_doubles_bars_and_strip_restores_them():
    typed = "<script>|r hi || x"
    assert escape(typed) == "<script>||r hi |||| x"
    assert strip(escape(typed)) == typed


def test_strip_removes_colour_codes():
    assert strip(red("boom") + " |zodd") == "boom |zodd"


def test_pad_counts_hangul_as_two_columns():
    assert pad("waiting", 9) == "waiting  "
    assert pad("대기 중", 9) == "대기 중  "  # 2 + 2 + 1 + 2 columns, then two spaces
    assert pad("fighting!", 4) == "fighting!"
