"""Small pieces of English the pages and messages share."""

from __future__ import annotations

__all__ = ["a_digit", "plural"]


def a_digit(digit: int) -> str:
    """'a 7', 'an 8': the digit with the article English says before it."""
    return f"{'an' if int(digit) == 8 else 'a'} {int(digit)}"


def plural(count: int, noun: str) -> str:
    """'1 drawing', '2 drawings', '0 drawings'."""
    return f"{count:,} {noun}{'' if count == 1 else 's'}"
