"""Overview KPIs against independent computations on hand-built rows.

The go-live instant is given with a +01:00 offset and the window crosses Europe's switch to
summer time (29 March 2026, 02:00 local), so "the same hour of the week" must follow the local clock.
"""

from __future__ import annotations

from datetime import datetime, timedelta, timezone
from zoneinfo import ZoneInfo

import pyarrow as pa
import pytest

from hypercare.store.queries import overview
from hypercare.store.writes import append_rows
from hypercare.window import Window

TZ = ZoneInfo("Europe/Brussels")
GO_LIVE = datetime.fromisoformat("2026-03-28T22:00:00+01:00")
TS = pa.timestamp("us", tz="UTC")


def bucket_events(i: int) -> int:
    return (i * 7) % 11 + (i % 4)


@pytest.fixture
def window():
    return Window(GO_LIVE, 72, 168, "Europe/Brussels")


@pytest.fixture
def rows(window):
    start = window.baseline_start
    buckets = [start + timedelta(minutes=15 * i) for i in range(int((window.end - start).total_seconds() // 900))]
    errors = [{"project": "web", "bucket_start": b, "bucket_seconds": 900, "events": bucket_events(i)} for i, b in enumerate(buckets)]
    issues = [{"issue_id": str(k), "title": f"issue {k}", "first_seen": window.baseline_start + timedelta(hours=5 * k + 0.5)}
              for k in range(48)]
    return {"errors": errors, "issues": issues}


@pytest.fixture
def filled(store, rows):
    with store.transaction() as cur:
        append_rows(cur, "error_counts", pa.Table.from_pylist(rows["errors"], schema=pa.schema(
            [("project", pa.string()), ("bucket_start", TS), ("bucket_seconds", pa.int32()), ("events", pa.int64())])))
        append_rows(cur, "sentry_issues", pa.Table.from_pylist(rows["issues"], schema=pa.schema(
            [("issue_id", pa.string()), ("title", pa.string()), ("first_seen", TS)])))
    return store


def local_key(t: datetime) -> tuple[int, int]:
    local = t.astimezone(TZ)
    return local.weekday(), local.hour


@pytest.mark.parametrize("hours_in", [2.5, 30.5, 50.25])  # before and after the DST switch
def test_errors_per_hour_against_the_same_local_hour_of_the_week(filled, rows, window, hours_in):
    now = window.go_live_at + timedelta(hours=hours_in)
    kpi = overview.errors_per_hour(filled.cursor(), window, now)

    end = now.astimezone(timezone.utc).replace(minute=0, second=0, microsecond=0)
    start = end - timedelta(hours=1)
    expected = sum(r["events"] for r in rows["errors"] if start <= r["bucket_start"] < end)
    # independently: baseline hours whose local weekday and hour match, wholly before go-live
    target = local_key(start)
    per_hour: dict[datetime, int] = {}
    for r in rows["errors"]:
        b = r["bucket_start"]
        if window.baseline_start <= b < window.go_live_at and local_key(b) == target:
            hour = b.replace(minute=0)
            per_hour[hour] = per_hour.get(hour, 0) + r["events"]
    full_hours = [h for h in per_hour if h + timedelta(hours=1) <= window.go_live_at]
    assert kpi.value == expected
    assert kpi.baseline == pytest.approx(sum(per_hour[h] for h in full_hours) / len(full_hours))


def test_new_issues_since_go_live_and_in_the_same_hours_of_the_baseline(filled, rows, window):
    now = window.go_live_at + timedelta(hours=30, minutes=10)
    kpi = overview.new_issues(filled.cursor(), window, now)
    first_seen = [r["first_seen"] for r in rows["issues"]]
    assert kpi.value == sum(window.go_live_at <= t < now for t in first_seen)
    # Sat 22:00 CET -> Mon 04:10 CEST is 30 h 10 min; the same local hours a week earlier, all in
    # CET, are Sat 22:00 -> Mon 04:10 CET: 31 h 10 min of UTC time.
    start = window.go_live_at - timedelta(days=7)
    end = start + timedelta(hours=31, minutes=10)
    assert end.astimezone(TZ).strftime("%a %H:%M") == now.astimezone(TZ).strftime("%a %H:%M")
    assert kpi.baseline == sum(start <= t < end for t in first_seen)


def test_unknown_and_no_baseline_are_not_zero(store, window):
    kpi = overview.errors_per_hour(store.cursor(), window, window.go_live_at + timedelta(hours=5))
    assert kpi.value is None and kpi.baseline is None  # nothing collected: unknown, not 0
    no_baseline = Window(GO_LIVE, 72, 0, "Europe/Brussels")
    assert overview.new_issues(store.cursor(), no_baseline, GO_LIVE + timedelta(hours=3)).baseline is None


def test_timeline_sums_per_hour(filled, rows, window):
    series = overview.timeline(filled.cursor(), window.span)
    errors = series[series["series"] == "errors"]
    hour = window.go_live_at + timedelta(hours=40)
    expected = sum(r["events"] for r in rows["errors"] if hour <= r["bucket_start"] < hour + timedelta(hours=1))
    got = errors[errors["hour"] == hour]["value"].item()
    assert got == expected
    assert len(errors) == 240


def record_run(store, collector: str, finished_at: datetime) -> None:
    row = {"run_id": f"{collector}-{finished_at.isoformat()}", "collector": collector, "started_at": finished_at,
           "finished_at": finished_at, "ok": True, "rows_written": 1, "error": None}
    with store.transaction() as cur:
        append_rows(cur, "collector_runs", pa.Table.from_pylist([row]))


def test_a_stale_or_missing_source_makes_its_tiles_unknown(filled, window):
    now = window.go_live_at + timedelta(hours=30, minutes=10)
    record_run(filled, "sentry", now - timedelta(minutes=20))  # 4 intervals of 300 s ago: stale
    record_run(filled, "checks", now - timedelta(minutes=1))
    sources = (("sentry", 300.0), ("checks", 60.0))
    tiles = {k.key: k for k in overview.kpis(filled.cursor(), window, now, sources)}
    assert tiles["errors_per_hour"].value is None and tiles["errors_per_hour"].unknown_because == "sentry is stale"
    assert tiles["new_issues"].value is None
    assert tiles["tickets_per_hour"].value is None
    assert tiles["tickets_per_hour"].unknown_because == "no ticket source is configured"
    assert tiles["availability"].unknown_because is None  # fresh checks: the figure stands (no rows here: None)
    record_run(filled, "sentry", now - timedelta(minutes=2))
    fresh = {k.key: k for k in overview.kpis(filled.cursor(), window, now, sources)}
    assert fresh["errors_per_hour"].value == overview.errors_per_hour(filled.cursor(), window, now).value is not None


def test_before_go_live_window_tiles_are_not_started_and_hourly_rates_still_measure(filled, window):
    now = window.go_live_at - timedelta(hours=2, minutes=30)
    record_run(filled, "sentry", now - timedelta(minutes=1))
    record_run(filled, "checks", now - timedelta(minutes=1))
    tiles = {k.key: k for k in overview.kpis(filled.cursor(), window, now, (("sentry", 300.0), ("checks", 60.0)))}
    for key in ("new_issues", "availability", "latency_p95"):
        assert tiles[key].state.state == "not started" and tiles[key].value is None
        assert tiles[key].unknown_because == "the window begins Sat 28 Mar 22:00"
    hour = window.last_hour(now)
    assert tiles["errors_per_hour"].value == sum(r["events"] for r in _in(rows_of(filled), hour))
    assert tiles["errors_per_hour"].period == "last full hour Sat 18:00–19:00"


def rows_of(store):
    return store.cursor().execute("SELECT bucket_start, events FROM error_counts").fetchall()


def _in(rows, period):
    return [{"events": e} for b, e in rows if period.start <= b < period.end]


def test_the_first_02_00_hour_of_a_fall_back_has_its_baseline_on_the_overview(store):
    """Europe/Brussels, Sun 25 Oct 2026: UTC 00:00–01:00 is 02:00–03:00 CEST; its copy a week
    earlier lies in the baseline, so the tile has a baseline (it used to say "no baseline")."""
    w = Window(datetime(2026, 10, 24, 20, tzinfo=timezone.utc), 72, 168, "Europe/Brussels")
    week_before = datetime(2026, 10, 18, 0, tzinfo=timezone.utc)  # Sun 18 Oct 02:00 CEST
    errors = [{"project": "web", "bucket_start": week_before, "bucket_seconds": 3600, "events": 6},
              {"project": "web", "bucket_start": datetime(2026, 10, 25, 0, tzinfo=timezone.utc), "bucket_seconds": 3600,
               "events": 9}]
    with store.transaction() as cur:
        append_rows(cur, "error_counts", pa.Table.from_pylist(errors))
    now = datetime(2026, 10, 25, 1, 20, tzinfo=timezone.utc)  # in the second 02:00 hour
    tile = overview.errors_per_hour(store.cursor(), w, now)
    assert (tile.value, tile.baseline) == (9, 6)
    assert tile.period == "last full hour Sun 02:00 CEST–03:00"
