"""Freshness of each source from collector_runs: fresh, stale (3 intervals), never."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

import pyarrow as pa

from hypercare.store.queries.freshness import source_freshness
from hypercare.store.writes import merge_rows

NOW = datetime(2026, 11, 24, 11, 0, tzinfo=timezone.utc)


def run(collector: str, minutes_ago: float, ok: bool, error: str | None = None) -> dict:
    at = NOW - timedelta(minutes=minutes_ago)
    return {"run_id": f"{collector}-{minutes_ago}", "collector": collector, "started_at": at, "finished_at": at,
            "ok": ok, "rows_written": 1, "error": error}


def test_states_and_the_latest_message(store):
    rows = [
        run("sentry", 4, True), run("sentry", 9, True),
        run("checks", 3.5, False, "could not reach api"), run("checks", 4, True),  # 3 x 1 min ago: stale
        run("tickets:desk", 2, True, "export.csv: 1 rows skipped"),
        run("tickets:old", 1, False, "answered 401"),  # failing since ever
        run("tickets:late", -5, True),  # a run after `now` (clock pinned in the past) is not counted
    ]
    with store.transaction() as cur:
        merge_rows(cur, "collector_runs", pa.Table.from_pylist(rows), ["run_id"])
    result = source_freshness(store.cursor(), NOW, [("sentry", 300), ("checks", 60), ("tickets:desk", 300),
                                                    ("tickets:old", 300), ("tickets:late", 300), ("absent", 60)])
    by = {f.collector: f for f in result}
    assert [f.collector for f in result] == ["sentry", "checks", "tickets:desk", "tickets:old", "tickets:late", "absent"]
    assert by["sentry"].state == "fresh" and by["sentry"].last_ok_at == NOW - timedelta(minutes=4)
    assert by["checks"].state == "stale" and by["checks"].last_error == "could not reach api"
    assert by["tickets:desk"].state == "fresh" and by["tickets:desk"].last_error == "export.csv: 1 rows skipped"
    assert by["tickets:desk"].latest_ok and by["checks"].latest_ok is False and by["absent"].latest_ok is None
    assert by["tickets:old"].state == "never" and by["tickets:old"].last_error == "answered 401"
    assert by["tickets:late"].state == "never" and by["absent"].state == "never"
    assert not by["checks"].usable and by["sentry"].usable


def test_a_run_that_finished_just_after_a_rounded_now_counts(store):
    with store.transaction() as cur:
        merge_rows(cur, "collector_runs", pa.Table.from_pylist([run("sentry", -0.5, True)]), ["run_id"])
    (sentry,) = source_freshness(store.cursor(), NOW, [("sentry", 300)])
    assert sentry.state == "fresh"  # pages round `now` down by up to 15 s
