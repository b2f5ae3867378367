"""The Errors page and its figures: empty database, failures, the demo go-live, the navigation."""

from __future__ import annotations

import math
from pathlib import Path

import pandas as pd
import pyarrow as pa
from streamlit.testing.v1 import AppTest

from collectors.base import RunRecord
from dashboard.figures.errors import (
    crash_free_figure,
    errors_per_hour_figure,
    issue_rows,
)
from hypercare import demo, runtime
from hypercare.clock import FixedClock
from hypercare.outside_text import as_text
from hypercare.store.writes import merge_rows
from tests.demo_db import open_demo_copy
from tests.sentry_helpers import GO_LIVE, make_config

ROOT = Path(__file__).parents[1]
PAGE = str(ROOT / "dashboard" / "views" / "errors.py")


def open_page(config, store, clock):
    runtime.set_context(runtime.AppContext(config, store, clock))
    at = AppTest.from_file(PAGE, default_timeout=30).run()
    assert not at.exception, at.exception
    return at


def test_empty_database_says_no_data_yet(store, clock, tmp_path):
    at = open_page(make_config("https://sentry.io", tmp_path), store, clock)
    infos = [i.value for i in at.info]
    assert "Errors per hour are unknown: sentry is not collected yet." in infos
    assert "Crash-free rate: unknown: sentry is not collected yet." in infos
    assert not at.dataframe[:-1]  # no issue table under tiles that say unknown
    metrics = {m.label: m.value for m in at.metric}
    assert metrics["Crash-free sessions"] == "unknown"
    assert metrics["New issues since go-live"] == "unknown"  # never collected: not a reassuring 0


def test_a_failed_collection_is_shown_as_an_actionable_error(store, clock, tmp_path):
    message = ("the token in $SENTRY_AUTH_TOKEN may not read the issues of organization 'acme' (Sentry said: "
               "You do not have permission to perform this action.); it needs the org:read, project:read and "
               "event:read scopes and access to the projects' teams")
    record = RunRecord("r1", "sentry", clock.now(), clock.now(), "failed", 0, message)
    with store.transaction() as cur:
        merge_rows(cur, "collector_runs", pa.Table.from_pylist([record.row()]), ["run_id"])
    at = open_page(make_config("https://sentry.io", tmp_path), store, clock)
    assert at.error[0].value == f"The last Sentry collection failed: {as_text(message)}"


def test_demo_go_live(tmp_path):
    config, store = open_demo_copy(tmp_path)
    try:
        at = open_page(config, store, FixedClock(demo.DEMO_NOW))
        metrics = {m.label: m.value for m in at.metric}
        # 10 new issues, one of them set aside in the triage inbox by the demo
        assert metrics["New issues since go-live"] == "9" and metrics["Regressions"] == "1"
        assert any(c.value.endswith("· 1 set aside") for c in at.caption)
        # the list below still shows it, and says why it has one more than the tile
        assert any(c.value.startswith("10 issues (1 set aside in the triage inbox: listed, not counted above) · trend")
                   for c in at.caption)
        assert at.dataframe[0].value["title"].iloc[0] == "CheckoutError: slot no longer available"
        assert not at.error
    finally:
        store.close()


def test_the_navigation_lists_the_errors_page(store, clock, tmp_path):
    runtime.set_context(runtime.AppContext(make_config("https://sentry.io", tmp_path), store, clock))
    at = AppTest.from_file(str(ROOT / "dashboard" / "app.py"), default_timeout=30).run()
    assert not at.exception
    at.switch_page(PAGE).run()
    assert not at.exception and at.title[0].value == "Errors"


def test_figures():
    from hypercare.window import Window

    window = Window(GO_LIVE, 72, 168, "Europe/Brussels")
    hours = pd.date_range(GO_LIVE, periods=3, freq="h")
    per_hour = pd.DataFrame({"hour": hours, "events": [5.0, math.nan, 9.0], "baseline_mean": [4.0, 4.0, math.nan],
                             "baseline_low": [3.0, 3.0, math.nan], "baseline_high": [6.0, 5.0, math.nan],
                             "baseline_samples": [2, 2, 0]})
    fig = errors_per_hour_figure(per_hour, window)
    bars = [t for t in fig.data if t.type == "bar"][0]
    assert list(bars.y[:1]) == [5.0] and pd.Timestamp(bars.x[0]).hour == 10  # placed at its UTC instant ...
    assert bars.customdata[0].endswith("11:00")  # ... and labelled on Brussels time
    assert any(t.fill == "tonexty" for t in fig.data)  # the baseline band
    sessions = pd.DataFrame({"hour": hours, "sessions": [100, 0, 50], "crashed": [1, 0, 0],
                             "crash_free": [0.99, math.nan, 1.0]})
    line = crash_free_figure(sessions, window).data[0]
    assert line.y[0] == 99.0 and math.isnan(line.y[1]) and line.connectgaps is False
    issues = pd.DataFrame({"short_id": ["W-1"], "title": ["<b>x</b>"], "project": ["web"], "user_count": [3],
                           "event_count": [9], "recent_events": [None], "earlier_events": [None],
                           "status": ["unresolved"], "first_seen": [GO_LIVE], "last_seen": [GO_LIVE],
                           "permalink": ["https://sentry.io/issues/1/"]})
    from hypercare.store.queries.errors import recent_hours

    rows = issue_rows(issues, window, *recent_hours(GO_LIVE + pd.Timedelta(hours=5, minutes=20)))
    assert rows["title"].item() == "<b>x</b>" and rows["first seen"].item() == "Mon 23 Nov 11:00"  # Brussels time
    assert rows["events 13:00–16:00"].item() == "unknown" and rows["events 10:00–13:00"].item() == "unknown"
