"""The Health page on the demo database and on an empty one, and its figure builders."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone
from pathlib import Path

import numpy as np
import pandas as pd
from streamlit.testing.v1 import AppTest

from dashboard.figures import health as health_figures
from dashboard.figures.health import (
    availability_figure,
    down_words,
    status_strip_figure,
    summary_table,
    worst_first,
)
from hypercare import runtime
from hypercare.clock import FixedClock
from hypercare.demo import DEMO_NOW, demo_config
from hypercare.store.read import frame

PAGE = str(Path(__file__).resolve().parent.parent / "dashboard" / "views" / "health.py")


def test_health_page_renders_the_demo(demo):
    config, store = demo
    runtime.set_context(runtime.AppContext(config, store, FixedClock(DEMO_NOW), demo=True))
    at = AppTest.from_file(PAGE, default_timeout=30).run()
    assert not at.exception
    # the headline equals a count over raw rows, planned periods left out
    go_live = config.release.go_live_at
    rows = frame(store.cursor(), "SELECT h.ok FROM health_checks h WHERE checked_at >= ? AND checked_at < ? AND NOT EXISTS "
                 "(SELECT 1 FROM planned_periods p WHERE h.checked_at >= p.starts_at AND h.checked_at < p.ends_at)",
                 [go_live, DEMO_NOW])
    (headline,) = [m for m in at.metric if m.label == "Availability"]
    share = 100 * rows["ok"].mean()
    assert headline.value == f"{share:.2f} %"
    assert headline.delta == f"{share - config.health.availability_target:+.2f} pts vs the 99.5 % target"
    table = at.dataframe[0].value
    assert list(table["check"]) == [c.name for c in config.checks]
    assert not (table["since go-live"] == "no result").any()
    assert "same hours last week" in table.columns
    (freshness,) = [d.value for d in at.dataframe if "source" in d.value.columns]
    assert freshness["source"].tolist() == ["checks"]


def test_health_page_on_an_empty_database(tmp_path, store):
    config = demo_config(tmp_path)
    runtime.set_context(runtime.AppContext(config, store, FixedClock(DEMO_NOW)))
    at = AppTest.from_file(PAGE, default_timeout=30).run()
    assert not at.exception
    assert any("No health results yet" in i.value for i in at.info)
    assert at.dataframe[-1].value["state"].tolist() == ["never collected"]


def test_health_page_without_checks(tmp_path, store):
    config = demo_config(tmp_path).model_copy(update={"checks": [], "planned_periods": []})
    runtime.set_context(runtime.AppContext(config, store, FixedClock(DEMO_NOW)))
    at = AppTest.from_file(PAGE, default_timeout=30).run()
    assert not at.exception
    assert any("No health checks configured" in i.value for i in at.info)


H0 = datetime(2026, 11, 23, 8, 0, tzinfo=timezone.utc)


def test_status_strip_figure_colours_each_status():
    strip = pd.DataFrame({
        "check_name": ["api"] * 3 + ["web"] * 3,
        "hour_start": [H0 + timedelta(hours=i) for i in range(3)] * 2,
        "ok": [60, 50, 0, 0, 0, 45], "total": [60, 60, 60, 0, 0, 45],
        "status": ["up", "degraded", "down", "planned", "no data", "up"],
    })
    from hypercare.window import Window

    fig = status_strip_figure(strip, Window(H0, 72, 168, "Europe/Brussels"))
    heat = fig.data[0]
    assert list(heat.y) == ["api", "web"]
    assert pd.Timestamp(heat.x[0]) == pd.Timestamp("2026-11-23 08:30")  # the middle of its UTC hour ...
    assert heat.text[0][0].startswith("Mon 23 Nov 09:00")  # ... labelled on Brussels time
    assert fig.data[1].x == (heat.x[0],) and fig.data[1].y == ("web",)  # the planned cell is hatched
    z = np.array(heat.z, dtype=float)
    assert z[0].tolist() == [2, 1, 0] and z[1, 0] == 3 and np.isnan(z[1, 1])
    # each code sits inside the band of its own colour
    scale = list(heat.colorscale)
    bands = {lo[1]: (lo[0], hi[0]) for lo, hi in zip(scale[::2], scale[1::2])}
    for code, colour in ((0, "#dc2626"), (1, "#f59e0b"), (2, "#16a34a"), (3, "#94a3b8")):
        lo, hi = bands[colour]
        assert lo < (code + 0.5) / 4 < hi
    assert heat.text[0][1] == "Mon 23 Nov 10:00 · degraded · 50 of 60 checks ok"


def test_availability_figure_marks_the_target():
    summary = pd.DataFrame({"check_name": ["api", "web", "new"], "availability_window": [99.95, 98.0, None]})
    fig = availability_figure(summary, 99.9)
    bar = fig.data[0]
    assert list(bar.y) == ["api", "web"]
    assert list(bar.marker.color) == ["#16a34a", "#dc2626"]
    assert fig.layout.shapes[0].x0 == 99.9
    assert fig.layout.shapes[0].layer == "below"  # it never crosses the label of a bar near 100 %


def test_summary_table_says_no_baseline_in_words():
    summary = pd.DataFrame({
        "check_name": ["api"], "state": ["up"], "since": [H0], "last_ok": [True], "last_failure": [None],
        "last_failure_at": [pd.NaT], "availability_window": [99.5], "availability_24h": [100.0],
        "availability_1h": [None], "availability_baseline": [None], "p50": [120], "p95": [300], "p99": [410],
        "tls_days_left": [12.34],
    })
    row = summary_table(summary, "UTC").iloc[0]
    assert (row["since go-live"], row["last 60 min"], row["same hours last week"], row["TLS days left"]) == (
        "99.50 %", "no result", "no baseline", "12.3")
    assert (row["since"], row["failed at"], row["latency ms p50 / p95 / p99"]) == ("Mon 23 Nov 08:00", "—", "120 / 300 / 410")


def test_health_page_before_go_live(demo):
    config, store = demo
    runtime.set_context(runtime.AppContext(config, store, FixedClock(config.release.go_live_at - timedelta(hours=3))))
    at = AppTest.from_file(PAGE, default_timeout=30).run()
    assert not at.exception
    (headline,) = [m for m in at.metric if m.label == "Availability"]
    assert headline.value == "not started"
    assert at.dataframe[0].value["since go-live"].tolist() == ["not started"] * len(config.checks)


def test_stale_checks_are_called_out(demo):
    config, store = demo
    later = DEMO_NOW + timedelta(minutes=10)  # more than three 60 s intervals without a run
    runtime.set_context(runtime.AppContext(config, store, FixedClock(later), demo=True))
    at = AppTest.from_file(PAGE, default_timeout=30).run()
    assert not at.exception
    assert any("unknown until the check collector works again" in w.value for w in at.warning)
    # nothing green under a stale source: the tile, the table and the strip say unknown
    (headline,) = [m for m in at.metric if m.label == "Availability"]
    assert headline.value == "unknown" and not headline.delta
    table = at.dataframe[0].value
    assert set(table["state"]) == {"unknown"} and set(table["since go-live"]) == {"unknown"}
    assert any("strip is hidden" in i.value for i in at.info)
    runtime.set_context(runtime.AppContext(config, store, FixedClock(DEMO_NOW), demo=True))
    assert not any("unknown until" in w.value for w in AppTest.from_file(PAGE, default_timeout=30).run().warning)


def test_worst_first_keeps_config_order_when_all_fit_else_the_worst():
    summary = pd.DataFrame({
        "check_name": ["a", "b", "c", "d", "e"], "state": ["up", "up", "down", "unknown", "up"],
        "availability_1h": [100.0, 90.0, 0.0, None, 90.0], "availability_window": [99.0, 99.9, 50.0, 98.0, 99.1],
    })
    assert worst_first(summary, 5)["check_name"].tolist() == ["a", "b", "c", "d", "e"]
    # down, unknown, then the last hour's availability (ties: since go-live), config order last
    assert worst_first(summary, 4)["check_name"].tolist() == ["c", "d", "e", "b"]
    assert worst_first(summary, 1)["check_name"].tolist() == ["c"]


def test_down_words_names_at_most_a_few_checks_below_target():
    summary = pd.DataFrame({"check_name": [f"c{i}" for i in range(30)], "state": ["up"] * 30,
                            "availability_window": [99.0 - i / 10 for i in range(30)]})
    words = down_words(summary, 99.5, named=3)
    assert words.endswith("c29 96.10 %, c28 96.20 %, c27 96.30 %, and 27 more")


def test_a_long_list_of_checks_shows_the_worst_until_show_all(demo, monkeypatch):
    config, store = demo
    monkeypatch.setattr(health_figures, "SHOWN", 2)
    runtime.set_context(runtime.AppContext(config, store, FixedClock(DEMO_NOW), demo=True))
    at = AppTest.from_file(PAGE, default_timeout=30).run()
    assert not at.exception
    summary = at.dataframe[0].value
    assert len(summary) == 2 and summary["check"].tolist() == worst_first_names(at, 2)
    assert any("Showing the 2 checks that need attention most" in c.value and "2 more checks" in c.value for c in at.caption)
    (toggle,) = [t for t in at.toggle if t.label == f"Show all {len(config.checks)} checks"]
    toggle.set_value(True).run()
    assert not at.exception
    assert at.dataframe[0].value["check"].tolist() == [c.name for c in config.checks]


def worst_first_names(at, limit: int) -> list[str]:
    """The page's choice, recomputed from its own full table through the pure function."""
    from hypercare.store.queries import health

    context = runtime.get_context()
    summary = health.check_summary(context.store.cursor(), DEMO_NOW, context.window(), tuple(c.name for c in context.config.checks))
    return worst_first(summary, limit)["check_name"].tolist()
