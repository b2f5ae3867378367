"""The reconciliation section on the demo, on an empty store, without checks, with a stale source,
with no secret on the page; and its figure builders against the rows they draw."""

from __future__ import annotations

import uuid
from datetime import datetime, timedelta, timezone
from pathlib import Path

import pandas as pd
from streamlit.testing.v1 import AppTest

from collectors.base import run_collector
from collectors.reconcile import ReconcileCollector
from dashboard.figures.reconcile import COLOURS, history_figure, latest_table, outcome
from hypercare import runtime
from hypercare.clock import FixedClock
from hypercare.config import parse_config
from hypercare.demo import BOOKINGS_REIMPORTED, DEMO_NOW, demo_config, demo_window
from hypercare.states import FigureState
from hypercare.store.queries.reconcile import history, latest_results


def section():
    from dashboard.reconcile import reconcile_section

    reconcile_section()


def render(config, store, now=DEMO_NOW) -> AppTest:
    runtime.set_context(runtime.AppContext(config, store, FixedClock(now), demo=True))
    at = AppTest.from_function(section, default_timeout=30).run()
    assert not at.exception
    return at


def page_text(at: AppTest) -> str:
    parts = [e.value for kind in (at.info, at.warning, at.caption, at.subheader, at.markdown) for e in kind]
    parts += [d.value.to_csv() for d in at.dataframe]
    return "\n".join(str(p) for p in parts)


def test_the_demo_shows_both_checks_matching_since_the_reimport(demo):
    config, store = demo
    at = render(config, store)
    table = at.dataframe[0].value
    assert table.to_dict("records") == [
        {"check": "migrated accounts", "source": "5,000", "target": "5,000", "result": "matches",
         "checked": "Tue 24 Nov 11:45 (15 min ago)", "error": "—"},
        {"check": "migrated bookings", "source": "12,000", "target": "12,000", "result": "matches",
         "checked": "Tue 24 Nov 11:45 (15 min ago)", "error": "—"},
    ]
    assert not at.warning


def test_before_the_reimport_the_bookings_differ_by_23(demo):
    config, store = demo
    at = render(config, store, BOOKINGS_REIMPORTED - timedelta(minutes=25))  # just after the timed-out run
    table = at.dataframe[0].value.set_index("check")
    assert table.loc["migrated bookings", "result"] == "not compared"
    assert table.loc["migrated bookings", "error"].startswith("target side (FITBOOK_NEW_DB_URL): the query ran past")
    at = render(config, store, BOOKINGS_REIMPORTED - timedelta(minutes=5))
    table = at.dataframe[0].value.set_index("check")
    assert (table.loc["migrated bookings", "target"], table.loc["migrated bookings", "result"]) == ("11,977", "differs by -23")


def test_latest_table_and_history_figure_draw_the_rows(demo):
    config, store = demo
    window = demo_window(config)
    start = window.go_live_at - timedelta(hours=24)
    rows = history(store.cursor(), start, DEMO_NOW, ("migrated accounts", "migrated bookings"))
    fig = history_figure(rows, window, start, DEMO_NOW)
    traces = {t.name: t for t in fig.data}
    expected = rows[rows["name"] == "migrated bookings"]
    drawn = [None if pd.isna(v) else v for v in traces["migrated bookings"].y]
    assert drawn == [None if m is None or pd.isna(m) else d for d, m in zip(expected["difference"], expected["matched"])]
    differed = rows[rows["matched"] == False]  # noqa: E712 - a stored false, not a missing value
    assert len(traces["differed"].x) == len(differed) == 67 and set(traces["differed"].y) == {-23}
    assert list(traces["a side failed"].y) == [-23]  # placed at the value before the gap
    assert traces["a side failed"].marker.color == COLOURS["failed"]
    table = latest_table(latest_results(store.cursor()), window.tz, DEMO_NOW,
                         FigureState("stale", "reconcile is stale"))
    assert set(table["result"]) == {"unknown: reconcile is stale"}  # never an old match while stale


def test_a_stale_source_is_said_above_the_last_values(demo):
    config, store = demo
    at = render(config, store, DEMO_NOW + timedelta(hours=2))  # no run for 8 intervals
    assert [w.value for w in at.warning] == [
        "Reconciliation results are unknown: reconcile is stale. The values below are from the last runs and may be "
        "out of date until the reconcile collector works again (the Overview's Freshness table says why)."]
    assert set(at.dataframe[0].value["result"]) == {"unknown: reconcile is stale"}


def test_outcome_words():
    assert [outcome(True, 0), outcome(True, -3.0), outcome(False, -23.0), outcome(False, 4.5), outcome(None, None)] == [
        "matches", "matches within tolerance (-3)", "differs by -23", "differs by +4.5", "not compared"]


def test_an_empty_store_and_a_config_without_checks_say_what_to_do(tmp_path, store):
    config = demo_config(tmp_path)
    at = render(config, store)
    assert any("No reconciliation results yet" in i.value for i in at.info) and not at.warning
    at = render(config.model_copy(update={"reconcile": []}), store)
    assert any("add [[reconcile]] entries" in i.value for i in at.info)


def test_no_url_or_password_reaches_the_page(tmp_path, store, monkeypatch):
    password = "Pw-" + uuid.uuid4().hex[:12]
    url = f"postgresql+psycopg://migrator:{password}@127.0.0.1:1/gym"
    monkeypatch.setenv("OLD_DB", url)
    monkeypatch.setenv("NEW_DB", f"sqlite:///{tmp_path / 'missing.db'}")
    now = datetime(2026, 11, 23, 9, 0, tzinfo=timezone.utc)
    config = parse_config({"release": {"name": "gym", "go_live_at": "2026-11-22T21:00:00+00:00"}, "reconcile": [
        {"name": "bookings", "source_env": "OLD_DB", "target_env": "NEW_DB", "source_sql": "SELECT 1", "target_sql": "SELECT 1"}]},
        Path("."))
    run_collector(store, ReconcileCollector(config), FixedClock(now))
    at = render(config, store, now)
    text = page_text(at)
    assert "source side (OLD_DB): could not connect" in text
    for secret in (password, url, "migrator:", str(tmp_path)):
        assert secret not in text
    assert not pd.isna(at.dataframe[0].value).any().any()


def test_the_readiness_page_ends_with_the_section(demo):
    config, store = demo
    runtime.set_context(runtime.AppContext(config, store, FixedClock(DEMO_NOW), demo=True))
    page = Path(__file__).resolve().parent.parent / "dashboard" / "views" / "readiness.py"
    at = AppTest.from_file(str(page), default_timeout=30).run()
    assert not at.exception
    assert at.subheader[-1].value == "Data-migration reconciliation"
    table = at.dataframe[-1].value
    assert list(table["check"]) == ["migrated accounts", "migrated bookings"]
    assert list(table["target"]) == ["5,000", "12,000"]
