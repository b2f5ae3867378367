"""Outside text shown literally, and CSV cells that can't run as formulas."""

import re

import pandas as pd
import pytest
from streamlit.testing.v1 import AppTest

from hypercare.outside_text import as_text, neutralise_cell, neutralise_frame

PAYLOADS = [
    "**bold** <strong>x</strong>",
    ":red[alarm] :material/home:",
    "[click](http://evil.example/) ![pixel](http://evil.example/p.png)",
    "# heading\n- item",
    "$x^2$ `code` ~~gone~~",
]


def _render(payload: str) -> AppTest:
    script = f"""
import streamlit as st
from hypercare.outside_text import as_text
st.error("Failed: " + as_text({payload!r}))
st.markdown(as_text({payload!r}))
"""
    return AppTest.from_string(script, default_timeout=30).run()


@pytest.mark.parametrize("payload", PAYLOADS)
def test_markdown_and_html_stay_literal(payload):
    at = _render(payload)
    assert not at.exception
    shown = at.markdown[0].value
    # Streamlit keeps the source; what matters is that no markup survives unescaped
    assert "<strong>" not in shown and "](http" not in shown and ":red[" not in shown
    assert "\n" not in shown


def test_plain_words_stay_readable():
    assert as_text("Checkout fails") == "Checkout fails"
    assert as_text(None) == ""


@pytest.mark.parametrize("cell", ['=HYPERLINK("http://evil/","x")', "+1+2", "-3", "@SUM(A1)", "\tx", "\rx"])
def test_formula_cells_are_neutralised(cell):
    assert neutralise_cell(cell) == "'" + cell


def test_frame_keeps_numbers_and_plain_text():
    df = pd.DataFrame({"title": ["=1+1", "ok"], "n": [-1, 2]})
    out = neutralise_frame(df)
    assert out["title"].tolist() == ["'=1+1", "ok"]
    assert out["n"].tolist() == [-1, 2]
    assert df["title"].tolist() == ["=1+1", "ok"]  # the original is untouched


@pytest.mark.parametrize("text", ["see http://evil.example/x", "HTTPS://evil.example", "www.evil.example", "bob@evil.example"])
def test_bare_urls_and_addresses_are_not_linked(text):
    shown = as_text(text)
    assert not re.search(r"(?i)(https?\\?:|www\\?\.|\w@)", shown)  # what GFM would link
    assert shown.replace("\u2060", "").replace("\\", "") == text  # the same text to the eye
