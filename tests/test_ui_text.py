"""ui.text.plain: text from a file is shown as itself, never as Markdown."""

import re

import pytest

from ui.text import plain


@pytest.mark.parametrize("text", [
    "![x](http://203.0.113.9/track.png)", "[click](http://evil)", "<img src=x onerror=alert(1)>",
    "**bold** _it_ `code`", "# heading", "1. list", "- item", "$x^2$", ":material/lock:",
    ":red[alarm]", "a | b", "=HYPERLINK(\"x\")", "seven.png",
])
def test_every_markdown_mark_in_file_text_is_escaped(text):
    escaped = plain(text)
    # Taking the escapes away gives the text back, and no mark is left unescaped.
    assert re.sub(r"\\(.)", r"\1", escaped) == text
    assert not re.search(r"(?<!\\)[!\[\]()<>*_`$:|]", escaped)


def test_file_text_stays_on_one_line():
    assert "\n" not in plain("a\n# heading\r\nb")
