"""Markdown and HTML from outside, in every field a page interpolates into Markdown, shown as
literal text; the CSV the Incidents page offers can't run formulas."""

from __future__ import annotations

import io
from datetime import timedelta

import pandas as pd
import pyarrow as pa
import pytest
from streamlit.testing.v1 import AppTest

from collectors.base import RunRecord
from dashboard.widgets import neutralised_csv
from hypercare.clock import FixedClock
from hypercare.incidents import actions as inc
from hypercare.runtime import AppContext, set_context
from hypercare.store.writes import merge_rows
from tests.sentry_helpers import make_config
from tests.test_incidents import CONFIG, G, who
from tests.test_outside_text import PAYLOADS

ERRORS = "../dashboard/views/errors.py"
INCIDENTS = "../dashboard/views/incidents.py"


def markdown_shown(at: AppTest) -> list[str]:
    return [e.value for e in (*at.markdown, *at.caption, *at.error, *at.warning, *at.info, *at.success)]


def assert_literal(texts: list[str], payload: str) -> None:
    """No element renders the payload's markup: every Markdown/HTML mark in it is escaped."""
    marked = [t for t in texts if "pwn" in t]
    assert marked, f"the payload is not shown at all: {texts}"
    for text in marked:
        assert "<strong>" not in text and "](http" not in text and ":red[" not in text and "**pwn" not in text
        assert "\n" not in text


def with_marker(payload: str) -> str:
    return f"pwn {payload} pwn"


@pytest.mark.parametrize("payload", PAYLOADS)
def test_a_sentry_error_detail_is_shown_as_text(payload, store, clock, tmp_path):
    record = RunRecord("r1", "sentry", clock.now(), clock.now(), "failed", 0, f"Sentry said: {with_marker(payload)}")
    with store.transaction() as cur:
        merge_rows(cur, "collector_runs", pa.Table.from_pylist([record.row()]), ["run_id"])
    set_context(AppContext(make_config("https://sentry.io", tmp_path), store, clock))
    at = AppTest.from_file(ERRORS, default_timeout=30).run()
    assert not at.exception
    assert_literal([e.value for e in at.error], payload)


@pytest.mark.parametrize("payload", PAYLOADS)
def test_an_owner_and_a_title_from_outside_are_shown_as_text(payload, store):
    clock = FixedClock(G + timedelta(hours=2))
    ana = who("ana")
    inc.open_incident(store, CONFIG, title=with_marker(payload), severity="SEV2", identity=ana, now=clock.now())
    inc.assign_owner(store, "INC-1", with_marker(payload), identity=ana, now=clock.now())
    set_context(AppContext(CONFIG, store, clock))
    at = AppTest.from_file(INCIDENTS, default_timeout=30).run()
    at.selectbox(key="action").set_value("assign owner").run()
    at.text_input(key="owner").set_value(with_marker(payload))
    next(b for b in at.button if "INC-1" in b.label).click().run()  # refused: already owned by the payload
    assert not at.exception
    assert at.error and "already owned by" in at.error[0].value
    assert_literal(markdown_shown(at), payload)


def test_the_incident_timeline_csv_neutralises_formulas(store):
    clock = FixedClock(G + timedelta(hours=2))
    inc.open_incident(store, CONFIG, title="x", severity="SEV2", identity=who("ana"), now=clock.now(),
                      note='=HYPERLINK("http://evil/","x")')
    set_context(AppContext(CONFIG, store, clock))
    at = AppTest.from_file(INCIDENTS, default_timeout=30).run()
    assert [d.label for d in at.get("download_button")] == ["Download INC-1's timeline (CSV)"]
    timeline = at.dataframe[1].value
    cells = pd.read_csv(io.BytesIO(neutralised_csv(timeline)))["note"].tolist()
    assert cells == ['\'=HYPERLINK("http://evil/","x")']
