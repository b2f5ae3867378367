"""health_since's counts are kept with the results of planned periods already taken out: marking
or removing a period leaves the span's version alone, and the percentiles after each change still
equal the exact nearest rank over the raw rows, for window ends before, at and after the hour the
table counts through; the kept counts equal the lists less the planned results, merged by hand."""

from __future__ import annotations

import random
from datetime import timedelta

import pyarrow as pa
import pytest

from hypercare.store import health_since
from hypercare.store.queries import health as q
from tests.test_health_rollups import CHECKS, HOURS, T0, _plan, counted, nearest_rank, random_rows
from tests.test_health_since import _polled


@pytest.mark.parametrize("seed", [4, 5, 6])
def test_planned_periods_marked_and_removed_under_one_version(seed, tmp_path):
    rng = random.Random(seed)
    rows = random_rows(seed)
    go_live = T0 + timedelta(minutes=rng.choice([0, 10, 47]))
    store = _polled(tmp_path / "s.duckdb", rows, go_live, T0 + timedelta(hours=HOURS), late=0.0)
    cur = store.cursor()
    through, version = health_since.span(cur)[2:]
    # one period around the go-live (a cutover), one across `through`, one inside the counted hours
    periods = [("cutover", go_live - timedelta(minutes=20), go_live + timedelta(minutes=rng.randrange(5, 50)), "all", None),
               ("edge", through - timedelta(minutes=rng.randrange(1, 40)), through + timedelta(minutes=25), "checks", ["web"]),
               ("inside", go_live + timedelta(minutes=70), go_live + timedelta(minutes=95), "checks", ["api", "pay"])]
    ends = [through - timedelta(minutes=13), go_live + timedelta(minutes=80), through + timedelta(minutes=31), through]
    # every change is read first as the one before was read last: kept counts that missed it would answer
    calls = [(through, None)] + [(end, names) for names in (("web", "api"), None) for end in ends]

    def exact(marked: list[tuple]) -> None:
        for end, names in calls:
            table = q.percentiles(cur, go_live, end, names).set_index("check_name")
            for name in names or CHECKS:
                latencies = [r["latency_ms"] for r in counted(rows, marked, go_live, end, (name,)) if r["latency_ms"] is not None]
                assert (name not in table.index) if not latencies else table.loc[name].tolist() == [
                    nearest_rank(latencies, p) for p in q.PERCENTILES], (seed, end, name, names, len(marked))

    exact([])
    for i in range(len(periods)):
        _plan(store, periods[i:i + 1])
        exact(periods[:i + 1])
    with store.transaction() as tx:
        tx.execute("DELETE FROM planned_periods WHERE period_id = 'cutover'")
    exact(periods[1:])
    assert health_since.span(cur)[3] == version
    store.close()


def test_kept_counts_are_the_lists_less_the_planned_results():
    """_merged against a merge by hand: names the delta alone has, counts that cancel to 0."""
    rng = random.Random(9)
    lists = {f"c{i}": sorted(rng.sample(range(1, 300), rng.randrange(1, 40))) for i in range(6)}
    counts = {name: [rng.randrange(1, 4) for _ in xs] for name, xs in lists.items()}
    since = pa.table({"check_name": list(lists), "latency_ms": pa.array(list(lists.values()), pa.list_(pa.int32())),
                      "n": pa.array(list(counts.values()), pa.list_(pa.int32()))})
    expected = {name: dict(zip(xs, counts[name])) for name, xs in lists.items()}
    delta = []
    for name, xs in lists.items():
        for x in rng.sample(xs, len(xs) // 2):  # taken out, some of them whole
            n = -rng.randrange(1, expected[name][x] + 1)
            delta.append((name, x, n))
            expected[name][x] += n
    delta += [("new", 5, 2), ("c0", 999, 1)]
    expected["new"], expected["c0"][999] = {5: 2}, 1
    rng.shuffle(delta)
    table = pa.table({"check_name": [d[0] for d in delta], "latency_ms": pa.array([d[1] for d in delta], pa.int32()),
                      "n": pa.array([d[2] for d in delta], pa.int64())})
    names, starts, latency, running = q._merged(*q._plus(since, table))
    counts_after = running[1:] - running[:-1]
    found = {name: dict(zip(latency[starts[i]:starts[i + 1]].tolist(), counts_after[starts[i]:starts[i + 1]].tolist()))
             for i, name in enumerate(names)}
    assert found == {name: {x: n for x, n in sorted(c.items()) if n} for name, c in expected.items()}
    assert all(list(f) == sorted(f) for f in found.values())
