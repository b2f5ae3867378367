"""The Tickets page on the demo go-live, on an empty store and without sources; its figure builders."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

import pandas as pd
import pytest
from streamlit.testing.v1 import AppTest

from dashboard.figures.tickets import hourly_figure, labels_figure, mix_figure
from hypercare import runtime
from hypercare.clock import FixedClock
from hypercare.demo import DEMO_NOW, GO_LIVE, demo_window
from hypercare.runtime import AppContext
from hypercare.store import Store
from hypercare.store.queries import tickets as q
from tests.tickets_helpers import config_with

PAGE = Path(__file__).parents[1] / "dashboard" / "views" / "tickets.py"


def page(config, store, now) -> AppTest:
    runtime.set_context(AppContext(config, store, FixedClock(now), demo=True))
    at = AppTest.from_file(str(PAGE), default_timeout=30)
    return at.run()


def test_demo_page_shows_mix_urgent_tickets_and_freshness(demo):
    config, store = demo
    at = page(config, store, DEMO_NOW)
    assert not at.exception
    mix = q.ticket_mix(store.cursor(), demo_window(config).elapsed(DEMO_NOW))
    assert mix.summary in [t.value for t in at.text]
    assert at.metric[0].label == "Tickets since go-live" and at.metric[0].value == f"{mix.total:,}"
    assert at.metric[1].value == f"{mix.share('usage'):.0%}"
    frames = [df.value for df in at.dataframe]
    urgent = next(f for f in frames if "priority" in f.columns)
    want = q.urgent_tickets(store.cursor(), demo_window(config).elapsed(DEMO_NOW))
    assert list(urgent.ticket_id) == list(want.ticket_id) and set(urgent.priority) <= {"P1", "P2"}
    total = q.urgent_ticket_count(store.cursor(), demo_window(config).elapsed(DEMO_NOW))
    assert f"the newest {len(want)} of {total} P1/P2 tickets created since go-live (38 h)" in [c.value for c in at.caption]
    assert urgent.created.iloc[0][:3] in {"Sun", "Mon", "Tue"}  # local time with the weekday
    freshness = next(f for f in frames if "state" in f.columns)
    assert list(freshness.source) == ["tickets:service-desk"]
    assert not at.markdown or all("<b>" not in m.value for m in at.markdown)


def test_split_by_category(demo):
    config, store = demo
    at = page(config, store, DEMO_NOW)
    at.segmented_control[0].set_value("category").run()
    assert not at.exception


def test_empty_store_and_before_go_live(tmp_path):
    config = config_with(tmp_path, {"kind": "csv", "path": "x.csv"})
    store = Store(tmp_path / "empty.duckdb")
    try:
        at = page(config, store, GO_LIVE + timedelta(hours=5))
        assert not at.exception
        assert "never collected" in list(at.dataframe[-1].value.state)
        assert [m.value for m in at.metric] == ["unknown"] * 3  # never collected: not a reassuring 0 or share
        early = page(config, store, GO_LIVE - timedelta(hours=3))
        assert not early.exception
        assert early.metric[0].value == "not started"
        assert any("the baseline week" in c.value and "(the window has not started)" in c.value for c in early.caption)
    finally:
        store.close()


def test_no_sources_says_how_to_add_one(tmp_path):
    config = config_with(tmp_path)
    store = Store(tmp_path / "none.duckdb")
    try:
        at = page(config, store, GO_LIVE + timedelta(hours=5))
        assert not at.exception and "[[tickets]]" in at.info[0].value
    finally:
        store.close()


def test_hourly_figure_stacks_groups_and_draws_the_baseline(demo):
    config, store = demo
    window = demo_window(config)
    hourly = q.hourly_tickets(store.cursor(), window, DEMO_NOW, "priority")
    fig = hourly_figure(hourly, window)
    bars = [t for t in fig.data if t.type == "bar"]
    assert [b.name for b in bars] == list(q.GROUPS["priority"])
    assert sum(sum(b.y) for b in bars) == hourly.tickets.sum()
    line = next(t for t in fig.data if t.type == "scatter")
    assert list(line.y) == pytest.approx(list(hourly.groupby("hour").baseline.sum()))
    assert pd.Timestamp(bars[0].x[0]) == pd.Timestamp("2026-11-22 21:00")  # go-live at its UTC instant ...
    assert bars[0].customdata[0][0] == "Sun 22 Nov 22:00"  # ... labelled on the Brussels clock


def test_figures_without_baseline_or_data(demo):
    window = demo_window(demo[0])
    no_base = pd.DataFrame({"hour": [GO_LIVE], "group": ["usage"], "tickets": [3], "baseline": [float("nan")]})
    fig = hourly_figure(no_base, window)
    assert not [t for t in fig.data if t.type == "scatter"]
    assert fig.layout.annotations[0].text == "no baseline for these hours"
    empty = hourly_figure(no_base.iloc[:0], window)
    assert empty.layout.annotations[0].text == "The window has not begun yet"
    mix = mix_figure(q.TicketMix(1, 3, 0))
    assert [t.x[0] for t in mix.data] == [1, 3, 0] and mix.data[1].text[0] == "usage 75%"
    labels = labels_figure(pd.DataFrame({"label": ["login", "bug"], "tickets": [9, 4]}))
    assert list(labels.data[0].y) == ["login", "bug"]



def test_the_app_navigates_to_the_tickets_page(demo):
    config, store = demo
    runtime.set_context(AppContext(config, store, FixedClock(DEMO_NOW), demo=True))
    at = AppTest.from_file(str(PAGE.parents[1] / "app.py"), default_timeout=30).run()
    at.switch_page("views/tickets.py").run()
    assert not at.exception and at.title[0].value == "Support tickets"
