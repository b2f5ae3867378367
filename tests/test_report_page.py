"""The Report page, rendered by AppTest on the demo: the report, both downloads, past shift reports."""

from __future__ import annotations

from pathlib import Path

import pytest
from streamlit.testing.v1 import AppTest

from hypercare import runtime
from hypercare.clock import FixedClock
from hypercare.demo import DEMO_NOW, build_demo, demo_config, demo_window
from hypercare.report import output

APP = str(Path(__file__).resolve().parent.parent / "dashboard" / "app.py")


@pytest.fixture
def report_page(tmp_path):
    config = demo_config(tmp_path)
    store = build_demo(config.store.path, config, shift_reports=True)
    runtime.set_context(runtime.AppContext(config, store, FixedClock(DEMO_NOW), demo=True))
    at = AppTest.from_file(APP, default_timeout=60)
    at.switch_page("views/report.py")
    yield at.run(), config, store
    store.close()


def test_report_page_offers_both_formats_and_the_past_shift_reports(report_page):
    at, config, store = report_page
    assert not at.exception
    assert at.title[0].value == "Stakeholder report"
    buttons = at.get("download_button")
    labels = [b.proto.label for b in buttons]
    assert labels[:2] == ["HTML report", "Markdown summary"]
    # the demo's shift reports (08:00 and 16:00 Brussels) written before its pinned now, newest first
    shown = [t.value for t in at.text]
    assert shown[:3] == ["Tue 24 Nov 08:00 · shift report", "Mon 23 Nov 16:00 · shift report",
                         "Mon 23 Nov 08:00 · shift report"]
    assert labels.count("HTML") == labels.count("Markdown") == 3
    assert "Next: Tue 24 Nov 16:00." in [c.value for c in at.caption]
    html, markdown = output.documents(store.cursor(), config, demo_window(config), DEMO_NOW)
    assert "T+38 h of 72 h" in markdown and '<section id="figures">' in html
