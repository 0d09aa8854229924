"""Small pieces of English the pages and messages share."""

from __future__ import annotations

__all__ = ["a_digit", "article", "plural"]


def article(digit: int) -> str:
    """The article English says before a digit: 'an' before 8, else 'a'."""
    return "an" if int(digit) == 8 else "a"


def a_digit(digit: int) -> str:
    """'a 7', 'an 8': the digit with its article."""
    return f"{article(digit)} {int(digit)}"


def plural(count: int, noun: str) -> str:
    """'1 drawing', '2 drawings', '0 drawings'."""
    return f"{count:,} {noun}{'' if count == 1 else 's'}"
