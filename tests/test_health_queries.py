"""Health queries against an independent computation in Python over the same known rows."""

from __future__ import annotations

import random
from datetime import datetime, timedelta, timezone

import numpy as np
import pyarrow as pa
import pytest

from collectors.health import RESULT_SCHEMA
from hypercare.store.queries import health as q
from hypercare.store.writes import record_health_results

T0 = datetime(2026, 11, 24, 8, 0, tzinfo=timezone.utc)
NAMES = ("api", "web", "sync")
# (starts, ends, scope, check_names): the 'rules' one must not count for checks
PERIODS = [
    (T0 + timedelta(hours=1, minutes=20), T0 + timedelta(hours=2, minutes=40), "checks", ["api"]),
    (T0 + timedelta(hours=4, minutes=5), T0 + timedelta(hours=4, minutes=10), "all", None),
    (T0 + timedelta(hours=3), T0 + timedelta(hours=4), "rules", None),
]


def make_rows(seed: int = 7) -> list[dict]:
    rng = random.Random(seed)
    rows = []
    for name, every in (("api", 60), ("web", 45), ("sync", 300)):
        t = T0 + timedelta(seconds=rng.randrange(every))
        while t < T0 + timedelta(hours=6):
            ok = rng.random() > 0.08
            answered = ok or rng.random() > 0.5
            rows.append({"check_name": name, "checked_at": t, "url": f"https://{name}/", "ok": ok,
                         "status_code": 200 if ok else (503 if answered else None),
                         "latency_ms": rng.randrange(20, 900) if answered else None,
                         "error": None if ok else "status 503, expected == 200", "cert_expires_at": None})
            t += timedelta(seconds=every)
    return rows


@pytest.fixture
def rows(store):
    data = make_rows()
    with store.transaction() as cur:
        record_health_results(cur, pa.Table.from_pylist(data, schema=RESULT_SCHEMA))
        for i, (s, e, scope, names) in enumerate(PERIODS):
            cur.execute("INSERT INTO planned_periods (period_id, starts_at, ends_at, scope, reason, check_names) "
                        "VALUES (?, ?, ?, ?, 'test', ?)", [f"p{i}", s, e, scope, names])
    return data


def counted(rows, start, end, names=None):
    """The independent definition: rows in [start, end) of the named checks, minus planned ones."""
    def planned(r):
        return any(s <= r["checked_at"] < e and scope in ("checks", "all") and (n is None or r["check_name"] in n)
                   for s, e, scope, n in PERIODS)
    return [r for r in rows if start <= r["checked_at"] < end and (names is None or r["check_name"] in names)
            and not planned(r)]


RANGES = [
    (T0, T0 + timedelta(hours=6)),  # whole hours, two touched by periods
    (T0 + timedelta(minutes=17), T0 + timedelta(hours=5, minutes=3)),  # partial ends
    (T0 + timedelta(hours=1, minutes=30), T0 + timedelta(hours=1, minutes=50)),  # inside one hour, planned for api
    (T0 + timedelta(hours=3), T0 + timedelta(hours=4)),  # one whole hour; 'rules' scope is not excluded
    (T0 - timedelta(hours=2), T0 + timedelta(hours=8)),  # beyond the data
]


@pytest.mark.parametrize("start, end", RANGES)
@pytest.mark.parametrize("names", [None, ("api",), ("web", "sync")])
def test_availability_matches_an_independent_count(store, rows, start, end, names):
    expected = counted(rows, start, end, names)
    got = q.availability(store.cursor(), start, end, names)
    assert got == ((sum(r["ok"] for r in expected), len(expected)) if expected else None)


@pytest.mark.parametrize("start, end", RANGES)
@pytest.mark.parametrize("quantile", [0.5, 0.95, 0.99, 1.0, 0.01])
def test_latency_percentile_is_exact_nearest_rank(store, rows, start, end, quantile):
    latencies = [r["latency_ms"] for r in counted(rows, start, end) if r["latency_ms"] is not None]
    expected = float(np.percentile(latencies, quantile * 100, method="inverted_cdf"))
    assert q.latency_percentile(store.cursor(), start, end, quantile) == expected


def test_percentiles_and_availability_per_check(store, rows):
    start, end = T0 + timedelta(minutes=30), T0 + timedelta(hours=5, minutes=30)
    table = q.percentiles(store.cursor(), start, end).set_index("check_name")
    avail = q.availability_by_check(store.cursor(), start, end).set_index("check_name")
    for name in NAMES:
        mine = counted(rows, start, end, [name])
        lat = [r["latency_ms"] for r in mine if r["latency_ms"] is not None]
        for quantile in (0.5, 0.95, 0.99):
            assert table.loc[name, f"p{quantile * 100:g}"] == np.percentile(lat, quantile * 100, method="inverted_cdf")
        assert avail.loc[name, "total"] == len(mine)
        assert avail.loc[name, "availability"] == pytest.approx(100 * sum(r["ok"] for r in mine) / len(mine))


def test_no_rows_gives_none(store):
    assert q.availability(store.cursor(), T0, T0 + timedelta(hours=1)) is None
    assert q.latency_percentile(store.cursor(), T0, T0 + timedelta(hours=1), 0.95) is None


def test_whole_clean_hours_come_from_the_rollup(store, rows):
    """Raw rows of an untouched whole hour are not read (the rollup answers); those of an hour a
    planned period touches are."""
    with store.transaction() as cur:
        cur.execute("DELETE FROM health_checks WHERE checked_at >= ? AND checked_at < ?", [T0, T0 + timedelta(hours=1)])
    expected = counted(rows, T0, T0 + timedelta(hours=1))
    assert q.availability(store.cursor(), T0, T0 + timedelta(hours=1)) == (sum(r["ok"] for r in expected), len(expected))


def test_a_period_added_later_changes_the_numbers(store, rows):
    start, end = T0, T0 + timedelta(hours=1)
    before = q.availability(store.cursor(), start, end, ("web",))
    with store.transaction() as cur:
        cur.execute("INSERT INTO planned_periods (period_id, starts_at, ends_at, scope, check_names) "
                    "VALUES ('late', ?, ?, 'checks', ['web'])", [start, start + timedelta(minutes=30)])
    after = q.availability(store.cursor(), start, end, ("web",))
    web = [r for r in rows if r["check_name"] == "web" and start + timedelta(minutes=30) <= r["checked_at"] < end]
    assert after == (sum(r["ok"] for r in web), len(web)) and after[1] < before[1]
    assert len([r for r in rows if r["check_name"] == "web" and start <= r["checked_at"] < end]) == before[1]


def test_status_strip_buckets(store, rows):
    start, end = T0 + timedelta(hours=1), T0 + timedelta(hours=3)
    with store.transaction() as cur:  # api planned for the whole first hour: no counted rows there
        cur.execute("INSERT INTO planned_periods (period_id, starts_at, ends_at, scope, check_names) "
                    "VALUES ('api-hour', ?, ?, 'checks', ['api'])", [start, start + timedelta(hours=1)])
    strip = q.status_strip(store.cursor(), start, end, ("api", "web", "ghost"))
    assert strip[["check_name"]].drop_duplicates()["check_name"].tolist() == ["api", "web", "ghost"]
    by = strip.set_index(["check_name", "hour_start"])
    assert by.loc[("api", start), "status"] == "planned"
    assert by.loc[("ghost", start), "status"] == "no data"
    for hour in (start, start + timedelta(hours=1)):
        web = [r for r in rows if r["check_name"] == "web" and hour <= r["checked_at"] < hour + timedelta(hours=1)]
        ok = sum(r["ok"] for r in web)
        assert (by.loc[("web", hour), "ok"], by.loc[("web", hour), "total"]) == (ok, len(web))
        assert by.loc[("web", hour), "status"] == ("up" if ok == len(web) else "down" if ok == 0 else "degraded")


def test_current_states(store, rows):
    now = T0 + timedelta(hours=6)
    expires = now + timedelta(days=20, hours=12)
    with store.transaction() as cur:
        cur.execute("INSERT INTO check_transitions VALUES ('api', ?, 'unknown', 'up', 'ok'), ('api', ?, 'up', 'down', 'x')",
                    [T0, T0 + timedelta(hours=2)])
        cur.execute("UPDATE health_checks SET cert_expires_at = ? WHERE check_name = 'web'", [expires])
    states = q.current_states(store.cursor(), now, ("web", "api", "ghost")).set_index("check_name")
    assert states.index.tolist() == ["web", "api", "ghost"]
    assert states.loc["api", "state"] == "down" and states.loc["web", "state"] == "unknown"
    assert states.loc["ghost", "state"] == "unknown" and states.isna().loc["ghost", "last_checked_at"]
    api = [r for r in rows if r["check_name"] == "api"]
    failure = max((r for r in api if not r["ok"]), key=lambda r: r["checked_at"])
    assert states.loc["api", "last_failure_at"] == failure["checked_at"]
    assert states.loc["api", "last_failure"] == failure["error"]
    assert states.loc["api", "first_checked_at"] == min(r["checked_at"] for r in api)
    assert states.loc["web", "tls_days_left"] == pytest.approx(20.5)


def test_the_baseline_column_is_the_same_hours_of_the_baseline_not_the_whole_week(store):
    """Day-long baseline copies: the window's hours 10:00–12:00 take 10:00–12:00 of the days
    before; a failure outside those hours changes nothing, and with no copy it is "no baseline"."""
    from hypercare.window import Window

    go_live = T0 + timedelta(days=2)  # Thu 26 Nov 08:00 UTC; baseline 48 h: same hour of the day
    window = Window(go_live, 72, 48)
    rows = []
    for day in (1, 2):  # 1 and 2 days before go-live
        for minute in range(0, 120, 10):  # 08:00–10:00 of each baseline day
            t = go_live - timedelta(days=day) + timedelta(minutes=minute)
            ok = not (day == 1 and minute < 30)  # 3 failures in the copy a day back
            rows.append({"check_name": "api", "checked_at": t, "url": "https://api/", "ok": ok, "status_code": 200,
                         "latency_ms": 50, "error": None, "cert_expires_at": None})
    # a failure outside the same hours (the baseline's evening) must not count
    rows.append({"check_name": "api", "checked_at": go_live - timedelta(hours=5), "url": "https://api/", "ok": False,
                 "status_code": 503, "latency_ms": 50, "error": "status 503", "cert_expires_at": None})
    rows += [{"check_name": "api", "checked_at": go_live + timedelta(minutes=m), "url": "https://api/", "ok": True,
              "status_code": 200, "latency_ms": 50, "error": None, "cert_expires_at": None} for m in range(0, 120, 10)]
    with store.transaction() as cur:
        record_health_results(cur, pa.Table.from_pylist(rows, schema=RESULT_SCHEMA))
    table = q.check_summary(store.cursor(), go_live + timedelta(hours=2), window, ("api", "web"))
    expected = (100 * 9 / 12 + 100.0) / 2  # mean of the two copies, like the Overview's tile
    assert table.set_index("check_name").loc["api", "availability_baseline"] == pytest.approx(expected)
    assert np.isnan(table.set_index("check_name").loc["web", "availability_baseline"])  # no result: no baseline
    no_copy = q.check_summary(store.cursor(), go_live + timedelta(hours=2), Window(go_live, 72, 0), ("api",))
    assert no_copy["availability_baseline"].isna().all()
