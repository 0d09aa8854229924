"""English for the pages: articles before digits and plurals."""

import pytest

from mnist_core.wording import a_digit, article, plural


@pytest.mark.parametrize(("digit", "text"), [(0, "a 0"), (1, "a 1"), (7, "a 7"), (8, "an 8"),
                                             (9, "a 9")])
def test_an_8_and_a_7(digit, text):
    assert a_digit(digit) == text


@pytest.mark.parametrize(("count", "text"), [(0, "0 drawings"), (1, "1 drawing"),
                                             (2, "2 drawings"), (1500, "1,500 drawings")])
def test_plural(count, text):
    assert plural(count, "drawing") == text


def test_the_article_alone_for_a_digit_in_bold():
    assert [article(digit) for digit in range(10)] == ["a"] * 8 + ["an", "a"]
