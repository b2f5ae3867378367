"""Errors page queries, checked against a plain-Python computation over the same known rows."""

from __future__ import annotations

import math
import random
from datetime import datetime, timedelta, timezone

import pyarrow as pa
import pytest

from collectors.sentry.mapping import ERROR_COUNT_SCHEMA, SESSION_SCHEMA, issues_table
from hypercare.store.queries import errors
from hypercare.store.writes import merge_rows
from hypercare.window import Window

H = timedelta(hours=1)
GO = datetime(2026, 11, 23, 10, 0, tzinfo=timezone.utc)
NOW = datetime(2026, 11, 24, 11, 30, tzinfo=timezone.utc)
WINDOW = Window(GO, 72, 48, "UTC")  # a baseline under 7 days: the same hour a day back


def put(store, table, rows, schema):
    with store.transaction() as cur:
        cur.register("rows", pa.Table.from_pylist(rows, schema=schema))
        cur.execute(f"INSERT INTO {table} BY NAME SELECT * FROM rows")
        cur.unregister("rows")


@pytest.fixture
def counts(store):
    rng = random.Random(7)
    rows, expected = [], {}
    hour = WINDOW.baseline_start
    while hour < NOW:
        if hour != GO + 5 * H:  # one hour never collected
            for project in ("web", "api"):
                n = rng.randint(0, 40)
                rows.append({"project": project, "bucket_start": hour, "bucket_seconds": 3600, "events": n})
                expected[hour] = expected.get(hour, 0) + n
            quarter = [rng.randint(0, 5) for _ in range(4)]  # a project reported in 15-minute buckets
            quarters = [(hour + k * H / 4, q) for k, q in enumerate(quarter) if hour + k * H / 4 < NOW]
            rows += [{"project": "jobs", "bucket_start": t, "bucket_seconds": 900, "events": q} for t, q in quarters]
            expected[hour] += sum(q for _, q in quarters)
        hour += H
    put(store, "error_counts", rows, ERROR_COUNT_SCHEMA)
    return expected


def test_errors_per_hour_against_the_same_hours_of_the_baseline(store, counts):
    df = errors.errors_per_hour(store.cursor(), WINDOW, NOW)
    hours = [GO + k * H for k in range(26)]  # 10:00 on the 23rd to the current, partial hour
    assert list(df["hour"].dt.to_pydatetime()) == hours
    for row, hour in zip(df.itertuples(), hours):
        actual = counts.get(hour)
        assert (math.isnan(row.events) if actual is None else row.events == actual)
        samples = [counts[s] for s in (hour - k * 24 * H for k in range(1, 4)) if WINDOW.baseline_start <= s and s + H <= GO and s in counts]
        assert row.baseline_samples == len(samples)
        if samples:
            assert row.baseline_mean == pytest.approx(sum(samples) / len(samples))
            assert (row.baseline_low, row.baseline_high) == (min(samples), max(samples))
        else:
            assert math.isnan(row.baseline_mean)  # no baseline, never 0


def test_coarse_buckets_are_spread_over_their_hours(store):
    put(store, "error_counts", [{"project": "web", "bucket_start": GO, "bucket_seconds": 7200, "events": 10}],
        ERROR_COUNT_SCHEMA)
    series = errors.hourly_errors(store.cursor(), WINDOW.span)
    assert list(series) == [5.0, 5.0] and series.index[1] == GO + H


def test_no_counts_is_an_empty_frame(store):
    assert errors.errors_per_hour(store.cursor(), WINDOW, NOW).empty


def issue(issue_id, first, last, users, events, hourly=None, stats_start=None, **kw):
    return {"issue_id": issue_id, "project": "web", "short_id": f"WEB-{issue_id}", "title": f"Error {issue_id}",
            "culprit": "app", "level": "error", "status": "unresolved", "substatus": kw.get("substatus", "new"),
            "first_seen": first, "last_seen": last, "event_count": events, "user_count": users,
            "first_release": None, "permalink": f"https://sentry.example/issues/{issue_id}/", "collected_at": NOW,
            "stats_start": stats_start, "hourly_events": hourly}


def test_new_issues_ranked_by_users_events_and_recent_trend(store):
    stats_start = NOW.replace(minute=0) - 23 * H  # stats cover the 24 hours up to now
    hourly = list(range(24))
    rows = [
        issue("1", GO - 2 * H, NOW, 500, 900),  # before go-live: not new
        issue("2", GO + H, NOW, 10, 50, hourly, stats_start),
        issue("3", GO + 2 * H, NOW - 10 * H, 10, 50),  # quiet for 10 h: 0 in the last 3 h and the 3 before
        issue("4", GO + 3 * H, NOW, 40, 5),  # active, no stats: unknown trend
        issue("5", NOW + H, NOW + H, 99, 99),  # after now: not yet
        issue("6", GO + 4 * H, NOW, 10, 80, [1] * 24, stats_start - 20 * H),  # stale stats: unknown
    ]
    with store.transaction() as cur:
        merge_rows(cur, "sentry_issues", issues_table(rows), ["issue_id"])
    df = errors.new_issues(store.cursor(), WINDOW, NOW)
    assert list(df["issue_id"]) == ["4", "6", "2", "3"]
    by_id = df.set_index("issue_id")
    # three complete hours before now's hour (its 23 events so far are left out), and the three before
    assert by_id.loc["2", "recent_events"] == 20 + 21 + 22 and by_id.loc["2", "earlier_events"] == 17 + 18 + 19
    assert by_id.loc["3", "recent_events"] == 0 and by_id.loc["3", "earlier_events"] == 0
    assert by_id["recent_events"].isna()[["4", "6"]].all()


def test_regressions_and_summary(store):
    rows = [issue("7", GO - 100 * H, GO + 3 * H, 5, 60, substatus="regressed"),
            issue("8", GO - 100 * H, GO - 3 * H, 5, 60, substatus="regressed"),  # before go-live
            issue("9", GO + H, NOW, 12, 30)]
    with store.transaction() as cur:
        merge_rows(cur, "sentry_issues", issues_table(rows), ["issue_id"])
    assert list(errors.regressions(store.cursor(), WINDOW, NOW)["issue_id"]) == ["7"]
    s = errors.summary(store.cursor(), WINDOW, NOW)
    assert (s.new_issues, s.new_issue_users, s.regressions) == (1, 12, 1)
    assert s.crash_free_since_go_live is None  # no sessions: unknown, never 100 %


def test_crash_free_rate(store):
    rows = [{"project": p, "bucket_start": GO + k * H, "sessions": s, "crashed": c, "errored": 0, "abnormal": 0}
            for k, (p, s, c) in enumerate([("web", 100, 1), ("api", 50, 5), ("web", 0, 0)])]
    rows.append({"project": "api", "bucket_start": GO, "sessions": 100, "crashed": 3, "errored": 2, "abnormal": 0})
    put(store, "session_health", rows, SESSION_SCHEMA)
    df = errors.crash_free(store.cursor(), WINDOW.span)
    assert list(df["sessions"]) == [200, 50, 0]
    assert df["crash_free"].iloc[0] == pytest.approx(1 - 4 / 200)
    assert df["crash_free"].iloc[1] == pytest.approx(0.9) and math.isnan(df["crash_free"].iloc[2])
    s = errors.summary(store.cursor(), WINDOW, NOW)
    assert s.crash_free_since_go_live == pytest.approx(1 - 9 / 250) and s.crash_free_baseline is None
