"""The Overview page, rendered by AppTest on the demo database."""

from __future__ import annotations

import math
from datetime import timedelta
from pathlib import Path

import pytest
from streamlit.testing.v1 import AppTest

from hypercare import runtime
from hypercare.clock import FixedClock
from hypercare.demo import DEMO_NOW, demo_config, demo_window
from hypercare.store.read import scalar
from tests.demo_db import open_demo_copy
from tests.triage_helpers import SET_ASIDE_ISSUES

APP = str(Path(__file__).resolve().parent.parent / "dashboard" / "app.py")


@pytest.fixture
def demo_app(tmp_path):
    config, store = open_demo_copy(tmp_path)
    runtime.set_context(runtime.AppContext(config, store, FixedClock(DEMO_NOW), demo=True))
    at = AppTest.from_file(APP, default_timeout=30).run()
    yield at, config, store
    store.close()


def metric(at: AppTest, label: str):
    found = [m for m in at.metric if m.label == label]
    assert found, [m.label for m in at.metric]
    return found[0]


def test_overview_renders_the_demo_without_exception(demo_app):
    at, config, _ = demo_app
    assert not at.exception
    assert at.title[0].value.startswith(config.release.name)
    assert "T+38 h of 72 h" in " ".join(p.proto.text for p in at.get("progress"))


def test_kpis_equal_the_values_recomputed_from_rows(demo_app):
    at, config, store = demo_app
    window = demo_window(config)
    cur = store.cursor()
    hour_end = DEMO_NOW.replace(minute=0, second=0, microsecond=0)
    errors = scalar(cur, "SELECT sum(events) FROM error_counts WHERE bucket_start >= ? AND bucket_start < ?",
                    [hour_end - timedelta(hours=1), hour_end])
    week_ago = scalar(cur, "SELECT sum(events) FROM error_counts WHERE bucket_start >= ? AND bucket_start < ?",
                      [hour_end - timedelta(days=7, hours=1), hour_end - timedelta(days=7)])
    tile = metric(at, "Sentry errors / h")
    assert tile.value == f"{errors:,}"
    assert tile.delta.endswith(f"vs {week_ago:,} ({errors / week_ago:.1f}×)")
    new_issues = scalar(cur, "SELECT count(*) FROM sentry_issues WHERE first_seen >= ? AND first_seen < ? "
                        f"AND issue_id NOT IN ({SET_ASIDE_ISSUES})",  # the demo sets one aside in the triage inbox
                        [window.go_live_at, DEMO_NOW])
    assert metric(at, "New Sentry issues").value == str(new_issues)


def test_freshness_lists_every_configured_source(demo_app):
    at, config, _ = demo_app
    table = at.dataframe[-1].value
    assert list(table["source"]) == [name for name, _ in config.sources()]
    assert set(table["state"]) == {"fresh"}


def test_page_says_what_to_do_when_go_live_is_unknown(tmp_path, store):
    config = demo_config(tmp_path)
    release = config.release.model_copy(update={"go_live_at": None})
    runtime.set_context(runtime.AppContext(config.model_copy(update={"release": release}), store, FixedClock(DEMO_NOW)))
    at = AppTest.from_file(APP, default_timeout=30).run()
    assert not at.exception
    assert any("go-live instant is not known" in w.value for w in at.warning)


def test_health_and_ticket_tiles_equal_the_values_recomputed_from_rows(demo_app):
    at, config, store = demo_app
    window = demo_window(config)
    cur = store.cursor()
    rows = cur.execute(
        """SELECT ok, latency_ms FROM health_checks h WHERE checked_at >= ? AND checked_at < ?
           AND NOT EXISTS (SELECT 1 FROM planned_periods p WHERE h.checked_at >= p.starts_at AND h.checked_at < p.ends_at)""",
        [window.go_live_at, DEMO_NOW],
    ).fetchall()
    ok = sum(1 for r in rows if r[0])
    assert metric(at, "Availability").value == f"{100 * ok / len(rows):.2f} %"
    latencies = sorted(r[1] for r in rows if r[1] is not None)
    nearest_rank = latencies[math.ceil(0.95 * len(latencies)) - 1]
    assert metric(at, "Check latency p95").value == f"{nearest_rank:,} ms"
    hour_end = DEMO_NOW.replace(minute=0, second=0, microsecond=0)
    created = scalar(cur, "SELECT count(*) FROM tickets WHERE created_at >= ? AND created_at < ?",
                     [hour_end - timedelta(hours=1), hour_end])
    assert metric(at, "Tickets / h").value == str(created)
    open_now = scalar(cur, "SELECT count(*) FROM incidents WHERE status <> 'resolved'")
    assert metric(at, "Unresolved incidents").value == str(open_now) and open_now == 1
    state = scalar(cur, "SELECT status FROM incidents WHERE status <> 'resolved'")
    assert f"SEV3 1 (1 {state})" in [c.value for c in at.caption]  # the Incidents page's table says the same


def test_tiles_of_sources_never_collected_say_unknown_not_zero(tmp_path, store):
    config = demo_config(tmp_path)
    runtime.set_context(runtime.AppContext(config, store, FixedClock(DEMO_NOW)))
    at = AppTest.from_file(APP, default_timeout=30).run()
    assert not at.exception
    assert metric(at, "Sentry errors / h").value == "unknown"
    assert metric(at, "Tickets / h").value == "unknown"  # 0 tickets would look green: it must not
    assert any(c.value.endswith("· sentry is not collected yet") for c in at.caption)
