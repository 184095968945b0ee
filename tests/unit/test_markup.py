from mudserver.markup import escape, red, strip


def test_escape_doubles_bars_and_strip_restores_them():
    typed = "<script>|r hi || x"
    assert escape(typed) == "<script>||r hi |||| x"
    assert strip(escape(typed)) == typed


def test_strip_removes_colour_codes():
    assert strip(red("boom") + " |zodd") == "boom |zodd"
