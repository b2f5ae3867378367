"""`error_hourly` against the raw `error_counts` it sums.

Seeded random stores (one-minute, quarter-hour, hourly, two-hour and daily buckets, gaps), written
through every write path (bulk append, per-project re-polls over ranges that cut hours, MERGE,
insert-new, a DELETE by hand followed by a write of the same range): the rollup equals the raw
rows grouped, and every figure read through it equals the same figure read from the raw rows —
over periods cut anywhere, in zones whose hours are not UTC hours or whose DST moves 30 minutes,
with baseline hours.
"""

from __future__ import annotations

import math
import random
from collections import defaultdict
from datetime import datetime, timedelta, timezone

import pandas as pd
import pyarrow as pa
import pytest

from collectors.sentry.mapping import ERROR_COUNT_SCHEMA
from hypercare.store.error_hourly import complete, error_hours, rebuild_error_hourly
from hypercare.store.queries import errors, overview
from hypercare.store.read import frame
from hypercare.store.writes import append_rows, insert_new, merge_rows, replace_range
from hypercare.window import Period, Window

H = timedelta(hours=1)
T0 = datetime(2026, 3, 30, 11, 0, tzinfo=timezone.utc)  # Lord Howe leaves DST (30 min) on 5 Apr 2026
HOURS = 60
LENGTHS = {"web": 60, "api": 900, "jobs": 3600, "batch": 7200, "daily": 86400}
ZONES = ("Australia/Lord_Howe", "Asia/Kolkata", "Europe/Berlin")


def table(rows: dict) -> pa.Table:
    return pa.Table.from_pylist([{"project": p, "bucket_start": t, "bucket_seconds": s, "events": e}
                                 for (p, t), (s, e) in sorted(rows.items(), key=lambda kv: kv[0][1])],
                                schema=ERROR_COUNT_SCHEMA)


def buckets(rng: random.Random, project: str, start: datetime, end: datetime) -> dict:
    """`project`'s buckets starting in [start, end), some missing."""
    step = timedelta(seconds=LENGTHS[project])
    t = T0 + step * math.ceil((start - T0) / step)
    out = {}
    while t < end:
        if rng.random() > 0.1:
            out[(project, t)] = (LENGTHS[project], rng.randint(0, 20))
        t += step
    return out


def write(store, seed: int) -> dict:
    """Write a random store through every write path; returns the rows it should hold."""
    rng = random.Random(seed)
    end = T0 + HOURS * H
    held: dict = {}
    with store.transaction() as cur:  # a bulk load of the first two days
        first = {}
        for project in LENGTHS:
            first |= buckets(rng, project, T0, T0 + 48 * H)
        append_rows(cur, "error_counts", table(first), "bucket_start")
        held |= first
    for _ in range(12):  # re-polls of one project over a range that cuts hours
        project = rng.choice(list(LENGTHS))
        lo = T0 + timedelta(minutes=rng.randrange(0, HOURS * 60 - 30))
        hi = min(lo + timedelta(minutes=rng.randint(1, 600)), end)
        fresh = buckets(rng, project, lo, hi)
        with store.transaction() as cur:
            replace_range(cur, "error_counts", table(fresh), "bucket_start", lo, hi, {"project": project})
        held = {k: v for k, v in held.items() if not (k[0] == project and lo <= k[1] < hi)} | fresh
    some = dict(rng.sample(sorted(held.items()), 20))
    changed = {k: (s, e + rng.randint(1, 5)) for k, (s, e) in some.items()}
    with store.transaction() as cur:
        merge_rows(cur, "error_counts", table(changed), ["project", "bucket_start"])
        held |= changed
        late = {}
        for project in LENGTHS:
            late |= buckets(rng, project, T0 + 48 * H, end)
        insert_new(cur, "error_counts", table(late | dict(list(changed.items())[:5])), ["project", "bucket_start"],
                   "bucket_start")
        held = late | held
    lo, hi = T0 + 50 * H + timedelta(minutes=17), T0 + 53 * H + timedelta(minutes=41)
    redone = {k: (s, e + 100) for k, (s, e) in held.items() if lo <= k[1] < hi}
    with store.transaction() as cur:  # by hand, then the same range through a write path
        cur.execute("DELETE FROM error_counts WHERE bucket_start >= ? AND bucket_start < ?", [lo, hi])
        append_rows(cur, "error_counts", table(redone))
        held |= redone
    return held


def raw(store, read):
    """`read()` with the rollup emptied, inside a transaction rolled back: the raw rows' answer."""
    cur = store.cursor()
    cur.execute("BEGIN TRANSACTION")
    try:
        cur.execute("DELETE FROM error_hourly")
        assert not complete(cur)
        return read(cur)
    finally:
        cur.execute("ROLLBACK")


def hour(t: datetime) -> datetime:
    return t.replace(minute=0, second=0, microsecond=0)


def random_instant(rng: random.Random) -> datetime:
    return T0 + timedelta(minutes=rng.randrange(-90, HOURS * 60 + 90))


@pytest.fixture(params=[1, 2, 3])
def case(request, store):
    return store, write(store, request.param), random.Random(request.param)


def test_the_rollup_is_the_raw_rows_grouped(case):
    store, held, _ = case
    cur = store.cursor()
    assert complete(cur)
    expected = defaultdict(lambda: [0, 0])
    for (project, t), (seconds, events) in held.items():
        expected[(project, hour(t), seconds)][0] += events
        expected[(project, hour(t), seconds)][1] += 1
    rows = frame(cur, "SELECT project, hour_start, bucket_seconds, sum(events) AS e, sum(buckets) AS n "
                      "FROM error_hourly GROUP BY ALL")
    got = {(r.project, r.hour_start.to_pydatetime(), r.bucket_seconds): [r.e, r.n] for r in rows.itertuples()}
    assert got == dict(expected)


def test_event_counts_and_the_timeline_over_periods_cut_anywhere(case):
    store, held, rng = case
    cur = store.cursor()
    for _ in range(25):
        a, b = sorted([random_instant(rng), random_instant(rng)])
        if rng.random() < 0.3:
            b = a + timedelta(minutes=rng.randint(0, 59))  # inside one or two hours
        inside = [e for (_, t), (_, e) in held.items() if a <= t < b]
        assert overview.error_events(cur, Period(a, b)) == (sum(inside) if inside else None)
        per_hour = defaultdict(int)
        for (_, t), (_, e) in held.items():
            if a <= t < b:
                per_hour[hour(t)] += e
        line = overview.timeline_series(cur, "errors", Period(a, b))
        assert dict(zip(line["hour"].dt.to_pydatetime(), line["value"])) == per_hour
    assert "error_hourly" in error_hours(cur, T0, T0 + 10 * H)[0]  # the figures above came from the rollup


def test_errors_per_hour_and_the_kpi_in_zones_whose_hours_are_not_utc_hours(case):
    store, _, rng = case
    cur = store.cursor()
    for zone in ZONES:
        go = T0 + 48 * H + timedelta(minutes=rng.choice([0, 30, 45, 17]))
        window = Window(go, 12, 48, zone)  # the same hours a day back
        for now in (go + timedelta(minutes=rng.randrange(0, 12 * 60)), go + 13 * H):
            fast = errors.errors_per_hour(cur, window, now)
            pd.testing.assert_frame_equal(fast, raw(store, lambda c: errors.errors_per_hour(c, window, now)))
            assert not fast.empty
            tile = overview.errors_per_hour(cur, window, now)
            assert tile == raw(store, lambda c: overview.errors_per_hour(c, window, now))


def test_hourly_errors_of_some_projects_with_coarse_buckets_spread(case):
    store, _, rng = case
    cur = store.cursor()
    for _ in range(10):
        a, b = sorted([random_instant(rng), random_instant(rng)])
        projects = rng.choice([None, ("web",), ("batch", "daily", "api"), ()])
        fast = errors.hourly_errors(cur, Period(a, b), projects)
        pd.testing.assert_series_equal(fast, raw(store, lambda c: errors.hourly_errors(c, Period(a, b), projects)))


def test_rows_written_by_hand_are_read_raw_until_the_rollup_is_rebuilt(store):
    write(store, 4)
    cur = store.cursor()
    span = Period(T0, T0 + 10 * H)
    before = overview.error_events(cur, span)
    cur.execute("INSERT INTO error_counts VALUES ('web', ?, 60, 1000)", [T0 + 3 * H + timedelta(seconds=1)])
    assert not complete(cur)
    assert overview.error_events(cur, span) == before + 1000
    with store.transaction() as c:
        rebuild_error_hourly(c)
    assert complete(cur) and overview.error_events(cur, span) == before + 1000
    cur.execute("UPDATE error_counts SET events = 0 WHERE bucket_start >= ? AND bucket_start < ?", [T0, T0 + 5 * H])
    # the first 5 hours now hold no event (as tests/scenarios' zero baseline writes it)
    assert not complete(cur)
    assert overview.error_events(cur, span) == overview.error_events(cur, Period(T0 + 5 * H, T0 + 10 * H))
