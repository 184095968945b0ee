import pytest

from mudserver.numbers import typed_int


@pytest.mark.parametrize(("text", "number"), [("0", 0), ("7", 7), ("0042", 42), ("9" * 18, 10**18 - 1)])
def test_ascii_digits_are_numbers(text, number):
    assert typed_int(text) == number


# '²', '①', '١٢' and '１２' pass str.isdigit(): int() refuses the first two and reads the others as 12.
@pytest.mark.parametrize("text", ["²", "①", "١٢", "9" * 19, "", " 1", "1 ", "-1", "+1", "1_000", "1.0", "１２"])
def test_anything_else_is_not(text):
    assert typed_int(text) is None
