"""The hourly tables (`health_rollup`, `health_hourly`, `health_latency`) against the raw results
they summarise.

Seeded random stores (checks with different intervals, failures with and without an answer,
TLS expiry on some results, a go-live in mid-hour, planned periods of every scope, a configured
check with no result), written poll by poll as the collector writes them (appended rows, the hour
before compacted when the next begins) and in one bulk load + rebuild: every figure read through
the tables equals the exact computation over the raw rows, at instants and over ranges that cut
hours anywhere.
"""

from __future__ import annotations

import math
import random
from datetime import datetime, timedelta, timezone

import pyarrow as pa
import pytest

from collectors.health import RESULT_SCHEMA
from hypercare.store import Store
from hypercare.store.queries import health as q
from hypercare.store.read import frame, scalar
from hypercare.store.writes import append_rows, compact_health_rollups, rebuild_health_rollup, record_health_results

T0 = datetime(2026, 11, 24, 7, 0, tzinfo=timezone.utc)
HOURS = 7
CHECKS = ("api", "web", "sync", "pay", "idle")  # "idle" is configured but never answers anything


def random_rows(seed: int) -> list[dict]:
    rng = random.Random(seed)
    rows = []
    for name in CHECKS[:-1]:
        every = rng.choice([20, 45, 60, 300])
        fail = rng.choice([0.0, 0.05, 0.3, 1.0])
        tls = rng.random() < 0.5
        t = T0 + timedelta(seconds=rng.randrange(every), microseconds=rng.randrange(1000))
        while t < T0 + timedelta(hours=HOURS):
            ok = rng.random() >= fail
            answered = ok or rng.random() < 0.6
            rows.append({
                "check_name": name, "checked_at": t, "url": f"https://{name}/", "ok": ok,
                "status_code": 200 if ok else (503 if answered else None),
                "latency_ms": rng.randrange(5, 60) * rng.choice([1, 1, 7]) if answered else None,
                "error": None if ok else rng.choice(["status 503, expected 200", "timed out after 10 s", None]),
                "cert_expires_at": T0 + timedelta(days=rng.randrange(1, 90)) if tls and rng.random() < 0.8 else None,
            })
            t += timedelta(seconds=every)
    return sorted(rows, key=lambda r: r["checked_at"])


def random_periods(seed: int) -> list[tuple]:
    rng = random.Random(seed + 1)
    periods = []
    for i in range(rng.randrange(0, 4)):
        start = T0 + timedelta(minutes=rng.randrange(0, HOURS * 60))
        end = start + timedelta(minutes=rng.randrange(1, 150))
        scope = rng.choice(["checks", "all", "rules"])
        names = rng.choice([None, ["api"], ["web", "pay"]])
        periods.append((f"p{i}", start, end, scope, names))
    return periods


def polled(path, rows, periods) -> Store:
    """Written as the collector does: one batch per 10-minute poll, appended and compacted."""
    store = Store(path)
    batches: dict[int, list[dict]] = {}
    for r in rows:
        batches.setdefault(int((r["checked_at"] - T0).total_seconds() // 600), []).append(r)
    for _, batch in sorted(batches.items()):
        with store.transaction() as cur:
            record_health_results(cur, pa.Table.from_pylist(batch, schema=RESULT_SCHEMA))
    _plan(store, periods)
    return store


def loaded(path, rows, periods) -> Store:
    """Written as a bulk load does: every row at once, then the tables rebuilt."""
    store = Store(path)
    with store.transaction() as cur:
        append_rows(cur, "health_checks", pa.Table.from_pylist(rows, schema=RESULT_SCHEMA), "checked_at")
        rebuild_health_rollup(cur, T0 - timedelta(hours=1), T0 + timedelta(hours=HOURS + 1))
    _plan(store, periods)
    return store


def _plan(store: Store, periods) -> None:
    with store.transaction() as cur:
        for period_id, start, end, scope, names in periods:
            cur.execute("INSERT INTO planned_periods (period_id, starts_at, ends_at, scope, reason, check_names) "
                        "VALUES (?, ?, ?, ?, 'test', ?)", [period_id, start, end, scope, names])


def counted(rows, periods, start, end, names=None) -> list[dict]:
    """The definition: results in [start, end) of the named checks, outside planned periods covering them."""
    def planned(r):
        return any(s <= r["checked_at"] < e and scope in ("checks", "all") and (n is None or r["check_name"] in n)
                   for _, s, e, scope, n in periods)
    return [r for r in rows if start <= r["checked_at"] < end and (names is None or r["check_name"] in names)
            and not planned(r)]


def nearest_rank(values: list[int], quantile: float) -> float | None:
    if not values:
        return None
    ordered = sorted(values)
    return float(ordered[max(1, math.ceil(round(quantile * len(ordered), 6))) - 1])


OLD_CURRENT_STATES = """
    WITH names AS (SELECT unnest(?::VARCHAR[]) AS check_name),
    flips AS (SELECT check_name, arg_max(to_state, changed_at) AS state, max(changed_at) AS since
              FROM check_transitions WHERE changed_at <= ? GROUP BY check_name),
    results AS (SELECT check_name, min(checked_at) AS first_checked_at, max(checked_at) AS last_checked_at,
                       arg_max(ok, checked_at) AS last_ok,
                       max(checked_at) FILTER (WHERE NOT ok) AS last_failure_at,
                       arg_max(error, checked_at) FILTER (WHERE NOT ok) AS last_failure,
                       arg_max(cert_expires_at, checked_at) FILTER (WHERE cert_expires_at IS NOT NULL) AS cert_expires_at
                FROM health_checks WHERE checked_at <= ? GROUP BY check_name)
    SELECT n.check_name, coalesce(f.state, 'unknown') AS state, f.since,
           r.last_checked_at, r.last_ok, r.last_failure_at, r.last_failure, r.first_checked_at,
           r.cert_expires_at, epoch(r.cert_expires_at - ?::TIMESTAMPTZ) / 86400 AS tls_days_left
    FROM names n LEFT JOIN flips f USING (check_name) LEFT JOIN results r USING (check_name)
    ORDER BY list_position(?::VARCHAR[], n.check_name)
"""


def random_spans(seed: int, n: int = 6) -> list[tuple[datetime, datetime]]:
    """Ranges cutting hours anywhere, whole-hour ones, empty ones and ones beyond the data."""
    rng = random.Random(seed + 2)
    spans = [(T0, T0 + timedelta(hours=HOURS)), (T0 - timedelta(hours=2), T0 + timedelta(hours=HOURS + 2)),
             (T0 + timedelta(hours=2), T0 + timedelta(hours=3))]
    for _ in range(n):
        start = T0 + timedelta(seconds=rng.randrange(-1800, HOURS * 3600))
        spans.append((start, start + timedelta(seconds=rng.randrange(1, 5 * 3600))))
    return spans


SEEDS = [1, 2, 3]


@pytest.fixture(params=SEEDS)
def case(request, tmp_path):
    rows, periods = random_rows(request.param), random_periods(request.param)
    stores = {"polled": polled(tmp_path / "polled.duckdb", rows, periods),
              "loaded": loaded(tmp_path / "loaded.duckdb", rows, periods)}
    yield request.param, rows, periods, stores
    for store in stores.values():
        store.close()


def test_counts_and_percentiles_equal_the_raw_rows(case):
    seed, rows, periods, stores = case
    for how, store in stores.items():
        cur = store.cursor()
        for start, end in random_spans(seed):
            for names in (None, ("web", "pay", "idle")):
                expected = counted(rows, periods, start, end, names)
                where = f"{how} {start:%H:%M:%S}-{end:%H:%M:%S} {names}"
                assert q.availability(cur, start, end, names) == (
                    (sum(r["ok"] for r in expected), len(expected)) if expected else None), where
                latencies = [r["latency_ms"] for r in expected if r["latency_ms"] is not None]
                assert q.latency_percentile(cur, start, end, 0.95, names) == nearest_rank(latencies, 0.95), where
            by_check = q.availability_by_check(cur, start, end).set_index("check_name")
            for name in CHECKS:
                mine = counted(rows, periods, start, end, (name,))
                if not mine:
                    assert name not in by_check.index
                    continue
                ok = sum(r["ok"] for r in mine)
                assert by_check.loc[name, "total"] == len(mine)
                assert (by_check.isna().loc[name, "ok"] if ok == 0 else by_check.loc[name, "ok"] == ok), where
                assert by_check.loc[name, "availability"] == pytest.approx(100.0 * ok / len(mine))
            hourly = q.hourly_counts(cur, start, end)
            assert int(hourly["total"].sum()) == len(counted(rows, periods, start, end))


def test_current_states_equal_the_old_raw_query(case):
    seed, rows, periods, stores = case
    rng = random.Random(seed + 3)
    instants = [T0 - timedelta(minutes=5), T0 + timedelta(hours=HOURS, minutes=30), T0 + timedelta(hours=3)]
    instants += [T0 + timedelta(seconds=rng.randrange(0, HOURS * 3600)) for _ in range(4)]
    instants += [rows[rng.randrange(len(rows))]["checked_at"] for _ in range(2)]  # exactly at a result
    for how, store in stores.items():
        cur = store.cursor()
        for now in instants:
            names = list(CHECKS)
            old = frame(cur, OLD_CURRENT_STATES, [names, now, now, now, names])
            new = q.current_states(cur, now, CHECKS)
            assert new.equals(old) or new.astype(str).equals(old.astype(str)), (how, now, new.compare(old))


def test_compaction_leaves_one_row_per_key_and_every_figure(tmp_path):
    rows, periods = random_rows(11), random_periods(11)
    store = polled(tmp_path / "p.duckdb", rows, periods)
    cur = store.cursor()
    last = max(r["checked_at"] for r in rows).replace(minute=0, second=0, microsecond=0)
    # every hour but the last was compacted when the next began
    for table, keys in (("health_rollup", "check_name, hour_start, ok, latency_ms"),
                        ("health_hourly", "check_name, hour_start"), ("health_latency", "hour_start, latency_ms")):
        dupes = scalar(cur, f"SELECT count(*) - count(DISTINCT ({keys})) FROM {table} WHERE hour_start < ?", [last])
        assert dupes == 0, table
    assert scalar(cur, "SELECT count(*) FROM health_hourly WHERE hour_start = ?", [last]) > len(CHECKS) - 1
    spans = random_spans(11, 5)
    before = [(q.availability(cur, s, e), q.latency_percentile(cur, s, e, 0.5)) for s, e in spans]
    states = q.current_states(cur, T0 + timedelta(hours=HOURS + 1), CHECKS)
    with store.transaction() as tx:
        compact_health_rollups(tx, T0, T0 + timedelta(hours=HOURS + 1))
    assert scalar(cur, "SELECT count(*) - count(DISTINCT (check_name, hour_start)) FROM health_hourly") == 0
    assert [(q.availability(cur, s, e), q.latency_percentile(cur, s, e, 0.5)) for s, e in spans] == before
    assert q.current_states(cur, T0 + timedelta(hours=HOURS + 1), CHECKS).equals(states)
    store.close()


def test_a_resent_batch_counts_nothing_twice(tmp_path):
    rows = random_rows(21)
    store = Store(tmp_path / "r.duckdb")
    table = pa.Table.from_pylist(rows, schema=RESULT_SCHEMA)
    for _ in range(2):
        with store.transaction() as cur:
            record_health_results(cur, table)
    cur = store.cursor()
    assert scalar(cur, "SELECT sum(n) FROM health_hourly") == len(rows)
    assert scalar(cur, "SELECT sum(n) FROM health_rollup") == len(rows)
    assert scalar(cur, "SELECT sum(n) FROM health_latency") == sum(r["latency_ms"] is not None for r in rows)
    store.close()
