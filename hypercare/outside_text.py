"""Text from outside (issue titles, ticket subjects, API error details, names) made safe to show.

Every page that interpolates such text into Markdown (`st.error`, `st.warning`, `st.info`,
`st.caption`, `st.markdown`, ...) passes it through `as_text`, so a title can't render as bold
text, a coloured `:red[...]` span, a link or an image the viewer's browser would fetch.
Every CSV the product offers passes its cells through `neutralise_cell` / `neutralise_frame`
(the OWASP rule against formula injection when the file is opened in a spreadsheet).
"""

from __future__ import annotations

import re
import unicodedata

import pandas as pd

# Everything Markdown (CommonMark + Streamlit's extensions: :colour[..], :material/icon:, $math$)
# gives a meaning to; a backslash before any ASCII punctuation makes it literal.
_MARKDOWN_SPECIAL = re.compile(r"([\\`*_{}\[\]()<>#+\-.!|~:$=^\"'&])")
# GitHub-flavoured Markdown links bare URLs and e-mail addresses after escapes and character
# references are resolved, so neither stops it; an invisible word joiner (U+2060) after a
# scheme or www and before an @ shows the same text but breaks the match.
_AUTOLINK = re.compile(r"(?i)\b(?:https?|ftp|www|mailto|xmpp)(?=\\[:.])|(?=@)")
WORD_JOINER = "\u2060"
_UNSHOWN = frozenset({"Cc", "Cf", "Cs", "Co", "Cn", "Zl", "Zp"})  # control, format, unassigned, line breaks
FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def as_text(value: object) -> str:
    """`value` as literal text inside Markdown: every Markdown and HTML punctuation mark
    backslashed (so `<`, `&` and `[` are shown, not parsed), bare URLs and addresses kept from
    being linked, line breaks turned into spaces so one value can't start a heading or a list."""
    text = "" if value is None else str(value)
    text = _MARKDOWN_SPECIAL.sub(r"\\\1", text)
    text = _AUTOLINK.sub(lambda m: m.group(0) + WORD_JOINER, text)
    return " ".join(text.splitlines())


def for_terminal(value: object) -> str:
    """`value` for a terminal line: control and format characters (escape sequences, bidi
    overrides, line breaks) shown as U+FFFD, so a title can't move the cursor, recolour or
    rewrite what the terminal shows, nor start a line of its own."""
    text = "" if value is None else str(value)
    return "".join("\ufffd" if unicodedata.category(c) in _UNSHOWN else c for c in text)


def neutralise_cell(value: object) -> object:
    """A CSV cell that a spreadsheet would read as a formula, prefixed with ' (OWASP)."""
    if isinstance(value, str) and value.startswith(FORMULA_START):
        return "'" + value
    return value


def neutralise_frame(frame: pd.DataFrame) -> pd.DataFrame:
    """A copy of `frame` whose text cells can't run as formulas; numbers are left alone."""
    out = frame.copy()
    for column in out.columns:
        if out[column].dtype == object or pd.api.types.is_string_dtype(out[column]):
            out[column] = out[column].map(neutralise_cell)
    return out
