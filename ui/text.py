"""Text from files and uploads shown as text: never as Markdown, which Streamlit renders in
`st.error`, `st.caption`, `st.success` and the like (a file name `![x](http://…)` became a live
external image)."""

from __future__ import annotations

import re

__all__ = ["plain"]

# Every ASCII punctuation mark may be escaped in Markdown (CommonMark), and then means itself.
# These start or end something wherever they are: links, images, emphasis, code, HTML,
# entities, maths, tables, strikethrough, and Streamlit's :icon: and :colour[...] directives.
_ANYWHERE = re.compile(r"([\\`*_{}\[\]()!|<>~$:&^])")
# These only at the start of a line: headings, lists, block quotes (">" is escaped anyway).
_AT_START = re.compile(r"^(\s*)([#+=-]|\d+[.)])")


def plain(text: object) -> str:
    """`text` escaped so that Markdown shows it exactly as it is, on one line."""
    escaped = _ANYWHERE.sub(r"\\\1", " ".join(str(text).splitlines()))
    return _AT_START.sub(lambda found: found[1] + found[2][:-1] + "\\" + found[2][-1],
                         escaped)
