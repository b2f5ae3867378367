"""`health_since` (each check's latencies since go-live) against the raw results: per-check
percentiles read through it equal the exact nearest rank over the raw rows, whichever way the
results were written (poll by poll with the go-live recorded first, some results arriving late
for hours already counted; a bulk load and rebuild; a go-live that moved), for a go-live in
mid-hour or on the hour, planned periods marked after the fact, and window ends before, at and
after the hour the table counts through, in mid-hour and past the window's end.
"""

from __future__ import annotations

import random
from datetime import timedelta

import pyarrow as pa
import pytest

from collectors.health import RESULT_SCHEMA
from hypercare.store import Store, health_since
from hypercare.store.queries import health as q
from hypercare.store.writes import append_rows, rebuild_health_rollup, record_health_results
from hypercare.store.read import frame
from tests.test_health_rollups import (
    CHECKS,
    HOURS,
    OLD_CURRENT_STATES,
    T0,
    _plan,
    counted,
    nearest_rank,
    random_periods,
    random_rows,
)


def _go_live(seed: int):
    rng = random.Random(seed + 5)
    on_the_hour, mid_hour = timedelta(hours=seed % 3), timedelta(minutes=rng.randrange(1, 240), seconds=rng.randrange(60))
    go_live = T0 + (on_the_hour if seed % 2 else mid_hour)
    return go_live, go_live + timedelta(hours=rng.choice([2, 3.5, HOURS]))


def _polled(path, rows, go_live, ends_at, late: float) -> Store:
    """The go-live recorded first, then one batch per 20-minute poll; a share `late` of the
    results is held back and sent in one batch at the end, after their hours were counted."""
    rng = random.Random(len(rows))
    held = [r for r in rows if rng.random() < late]
    kept = [r for r in rows if r not in held]
    store = Store(path)
    with store.transaction() as cur:
        health_since.follow(cur, go_live, ends_at)
    batches: dict[int, list[dict]] = {}
    for r in kept:
        batches.setdefault(int((r["checked_at"] - T0).total_seconds() // 1200), []).append(r)
    for batch in [b for _, b in sorted(batches.items())] + ([held] if held else []):
        with store.transaction() as cur:
            record_health_results(cur, pa.Table.from_pylist(batch, schema=RESULT_SCHEMA))
    return store


def _loaded(path, rows, go_live, ends_at) -> Store:
    """A bulk load, the go-live first recorded an hour off, then moved to the right one."""
    store = Store(path)
    with store.transaction() as cur:
        health_since.follow(cur, go_live - timedelta(minutes=61), ends_at)
        append_rows(cur, "health_checks", pa.Table.from_pylist(rows, schema=RESULT_SCHEMA), "checked_at")
        rebuild_health_rollup(cur, T0 - timedelta(hours=1), T0 + timedelta(hours=HOURS + 1))
        health_since.follow(cur, go_live, ends_at)
    return store


def _ends(seed: int, go_live, through) -> list:
    rng = random.Random(seed + 6)
    ends = [through, through - timedelta(minutes=17), through + timedelta(minutes=43), through + timedelta(hours=2),
            go_live + timedelta(seconds=1), T0 + timedelta(hours=HOURS + 3)]
    ends += [go_live + timedelta(seconds=rng.randrange(1, HOURS * 3600)) for _ in range(4)]
    return [e for e in ends if e > go_live]


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_percentiles_since_go_live_equal_the_raw_rows(seed, tmp_path):
    rows, periods = random_rows(seed), random_periods(seed)
    go_live, ends_at = _go_live(seed)
    stores = {"polled": _polled(tmp_path / "p.duckdb", rows, go_live, ends_at, late=0.0),
              "late": _polled(tmp_path / "l.duckdb", rows, go_live, ends_at, late=0.05),
              "loaded": _loaded(tmp_path / "b.duckdb", rows, go_live, ends_at)}
    through = {how: health_since.span(store.cursor())[2] for how, store in stores.items()}
    assert len(set(through.values())) == 1 and through["polled"] <= ends_at + timedelta(hours=1)
    expected = {}
    for end in _ends(seed, go_live, through["polled"]):
        for name in CHECKS:
            latencies = [r["latency_ms"] for r in counted(rows, periods, go_live, end, (name,)) if r["latency_ms"] is not None]
            expected[end, name] = [nearest_rank(latencies, p) for p in q.PERCENTILES] if latencies else None
    for how, store in stores.items():
        _plan(store, periods)  # marked after the fact: nothing is rebuilt
        cur = store.cursor()
        for end in {end for end, _ in expected}:
            for names in (None, ("web", "idle")):
                assert q._since_histogram(cur, go_live, end, names) is not None  # the table answers
                table = q.percentiles(cur, go_live, end, names).set_index("check_name")
                for name in names or CHECKS:
                    where = f"{how} seed {seed} go-live {go_live:%H:%M:%S} end {end:%H:%M:%S} {name} of {names}"
                    if expected[end, name] is None:
                        assert name not in table.index, where
                    else:
                        assert table.loc[name].tolist() == expected[end, name], where
        store.close()


def test_the_table_is_left_alone_unless_the_go_live_or_end_moves(tmp_path):
    rows = random_rows(8)
    go_live, ends_at = T0 + timedelta(minutes=30), T0 + timedelta(hours=3, minutes=30)
    store = _polled(tmp_path / "s.duckdb", rows, go_live, ends_at, late=0.0)
    cur = store.cursor()
    assert health_since.span(cur)[2] == ends_at + timedelta(minutes=30)  # counted through the hour holding the end
    before = cur.execute("SELECT * FROM health_since ORDER BY check_name").fetchall()
    with store.transaction() as tx:
        cur.execute("DELETE FROM health_checks")  # a rebuild now would empty the table
        health_since.follow(tx, go_live, ends_at)
    assert cur.execute("SELECT * FROM health_since ORDER BY check_name").fetchall() == before
    with store.transaction() as tx:
        health_since.follow(tx, go_live, ends_at + timedelta(hours=1))
    assert cur.execute("SELECT count(*) FROM health_since").fetchall() == [(0,)]
    # another window's go-live is not answered from the table
    assert q._since_histogram(cur, go_live + timedelta(minutes=1), ends_at, None) is None
    store.close()


ZONES = ("UTC", "Europe/Brussels", "America/New_York", "Asia/Kolkata")


@pytest.mark.parametrize("seed", [1, 2])
def test_check_summary_equals_the_raw_rows(seed, tmp_path):
    """Every state, availability column and percentile of the Health table against the definition
    over raw rows (some results arriving after their hour was merged): go-live on a European fall-back night, a day-long baseline of copies on the team's
    clock (a half-hour zone among them), planned periods, `now` anywhere."""
    from datetime import datetime, timezone

    from hypercare.window import Window

    shift = datetime(2026, 10, 25, 0, 0, tzinfo=timezone.utc) - T0  # the EU clocks go back at 01:00 UTC
    moved = lambda rows, by: [{**r, "checked_at": r["checked_at"] + by} for r in rows]  # noqa: E731
    rows = moved(random_rows(seed + 40), shift - timedelta(days=1)) + moved(random_rows(seed), shift)
    periods = [(p, s + shift, e + shift, scope, n) for p, s, e, scope, n in random_periods(seed)]
    rng = random.Random(seed + 7)
    go_live = T0 + shift + timedelta(minutes=rng.randrange(0, 90))
    store = _polled(tmp_path / "s.duckdb", sorted(rows, key=lambda r: r["checked_at"]), go_live,
                    go_live + timedelta(hours=4), late=0.02)
    _plan(store, periods)
    cur = store.cursor()
    for zone in ZONES:
        window = Window(go_live, 4, 30, zone)
        for now in (go_live + timedelta(minutes=rng.randrange(1, 6 * 60)) for _ in range(3)):
            table = q.check_summary(cur, now, window, CHECKS).set_index("check_name")
            states = frame(cur, OLD_CURRENT_STATES, [list(CHECKS), now, now, now, list(CHECKS)]).set_index("check_name")
            assert table[states.columns].astype(str).equals(states.astype(str)), (seed, zone, now)  # late results too
            elapsed = window.elapsed(now)
            for name in CHECKS:
                def share(start, end):
                    mine = counted(rows, periods, start, end, (name,))
                    return 100.0 * sum(r["ok"] for r in mine) / len(mine) if mine else None
                where = f"seed {seed} {zone} now {now:%H:%M:%S} {name}"
                for column, (start, end) in {"availability_window": (elapsed.start, elapsed.end),
                                             "availability_24h": (now - timedelta(hours=24), now),
                                             "availability_1h": (now - timedelta(hours=1), now)}.items():
                    want, got = share(start, end), table.loc[name, column]
                    assert (got is None or got != got) if want is None else got == pytest.approx(want), (where, column)
                copies = [v for v in (share(s.start, s.end) for s in window.baseline_samples(elapsed)) if v is not None]
                got = table.loc[name, "availability_baseline"]
                assert got != got if not copies else got == pytest.approx(sum(copies) / len(copies)), where
                latencies = [r["latency_ms"] for r in counted(rows, periods, elapsed.start, elapsed.end, (name,))
                             if r["latency_ms"] is not None]
                for quantile in q.PERCENTILES:
                    got = table.loc[name, f"p{quantile * 100:g}"]
                    assert (got != got) if not latencies else got == nearest_rank(latencies, quantile), where
    store.close()


@pytest.mark.parametrize("seed", range(6))
def test_ranks_of_since_lists_plus_a_delta_equal_the_plain_nearest_rank(seed):
    """The ranking as check_summary feeds it (health_since's INTEGER[] counts, a delta that adds
    latencies beyond the lists' range, takes results out and names a check the lists lack)
    against sorting every latency."""
    rng = random.Random(seed)
    values = {f"c{i}": [rng.randint(1, 400) for _ in range(rng.randint(0 if i else 1, 60))] for i in range(5)}
    since = {name: sorted(set(v)) for name, v in values.items() if v}
    lists = pa.table({"check_name": list(since), "latency_ms": pa.array(list(since.values()), pa.list_(pa.int32())),
                      "n": pa.array([[values[c].count(x) for x in xs] for c, xs in since.items()], pa.list_(pa.int32()))})
    delta = []
    for name in [*values, "new"]:
        for x in rng.sample(values.get(name, []), k=len(values.get(name, [])) // 3):  # planned: taken out
            values[name].remove(x)
            delta.append((name, x, -1))
        added = [rng.choice([0, 5, 399, 900]) + rng.randint(0, 3) for _ in range(rng.randint(0, 8))]
        values.setdefault(name, []).extend(added)
        delta += [(name, x, 1) for x in added]
    rng.shuffle(delta)
    table = pa.table({"check_name": [d[0] for d in delta], "latency_ms": pa.array([d[1] for d in delta], pa.int32()),
                      "n": pa.array([d[2] for d in delta], pa.int64())})
    histogram, plus = q._plus(lists, table)
    found = q._ranks(histogram, (0.01, 0.5, 0.95, 0.99, 1.0), plus).set_index("check_name")
    expected = {name: v for name, v in values.items() if v}
    assert sorted(found.index) == sorted(expected)
    for name, latencies in expected.items():
        for quantile, column in ((0.01, "p1"), (0.5, "p50"), (0.95, "p95"), (0.99, "p99"), (1.0, "p100")):
            assert found.loc[name, column] == nearest_rank(latencies, quantile), (name, quantile)


def test_lists_kept_under_a_version_are_read_again_once_the_counts_change(tmp_path):
    """A reader keeps health_since's lists under the span's version: late results, a new hour
    and a rebuild each give a new version, and the percentiles after each equal the raw rows."""
    rows = random_rows(21)
    go_live, ends_at = T0 + timedelta(minutes=10), T0 + timedelta(hours=HOURS)
    split = T0 + timedelta(hours=3, minutes=20)
    held = [r for r in rows if r["checked_at"] < split and r["checked_at"].minute % 7 == 0]  # arrive late
    store = _polled(tmp_path / "s.duckdb", [r for r in rows if r["checked_at"] < split and r not in held], go_live,
                    ends_at, late=0.0)
    cur = store.cursor()

    def exact(sent: list[dict], end) -> None:
        table = q.percentiles(cur, go_live, end).set_index("check_name")
        for name in CHECKS:
            latencies = [r["latency_ms"] for r in counted(sent, [], go_live, end, (name,)) if r["latency_ms"] is not None]
            assert (name not in table.index) if not latencies else table.loc[name].tolist() == [
                nearest_rank(latencies, p) for p in q.PERCENTILES], (end, name)

    sent = [r for r in rows if r["checked_at"] < split and r not in held]
    versions = [health_since.span(cur)[3]]
    exact(sent, split)
    exact(sent, split)  # read again under the same version
    assert health_since.span(cur)[3] == versions[-1]
    ahead = [r for r in rows if r["checked_at"] >= split]
    polls = [[r for r in ahead if (r["checked_at"] - split) // timedelta(minutes=20) == i] for i in range(12)]
    for batches in ([held], polls):  # results for hours counted already, then polls into the hours ahead
        for batch in batches:
            with store.transaction() as tx:
                record_health_results(tx, pa.Table.from_pylist(batch, schema=RESULT_SCHEMA))
            sent += batch
            exact(sent, T0 + timedelta(hours=HOURS))
        versions.append(health_since.span(cur)[3])
    with store.transaction() as tx:
        tx.execute("DELETE FROM health_checks WHERE check_name = 'web'")
        rebuild_health_rollup(tx, T0 - timedelta(hours=1), T0 + timedelta(hours=HOURS + 1))
    versions.append(health_since.span(cur)[3])
    exact([r for r in sent if r["check_name"] != "web"], T0 + timedelta(hours=HOURS))
    assert len(set(versions)) == len(versions)
    store.close()
