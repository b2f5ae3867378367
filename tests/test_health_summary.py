"""The Health table's own reads against the exact computations they replace: the availability of
every span in one statement against `availability_by_check` per span (seeded stores written poll
by poll and in one bulk load, planned periods of every scope, spans cutting hours anywhere, a
check that never answers), and the rank search against sorting every latency (seeded histograms
with repeated and unsorted rows, counts above one, negative and far-off latencies, a delta that
takes results out, adds some beyond the lists' range, and names checks the lists lack).
"""

from __future__ import annotations

import math
import random

import pyarrow as pa
import pytest

from hypercare.store.queries import health as q
from tests.test_health_rollups import CHECKS, loaded, polled, random_periods, random_rows, random_spans

QS = (0.01, 0.25, 0.5, 0.95, 0.99, 1.0)


@pytest.mark.parametrize("seed", [1, 4, 8, 10, 24])  # none; rules and checks; overlapping ones; all scopes
def test_every_span_in_one_statement_equals_each_span_read_alone(seed, tmp_path):
    rows, periods = random_rows(seed), random_periods(seed)
    stores = {"polled": polled(tmp_path / "p.duckdb", rows, periods), "loaded": loaded(tmp_path / "l.duckdb", rows, periods)}
    ranges = random_spans(seed, n=9)
    spans = {"availability_window": ranges[0], "availability_24h": ranges[3], "availability_1h": ranges[4],
             **{f"baseline {i}": r for i, r in enumerate(ranges[1:3] + ranges[5:])}}
    for how, store in stores.items():
        cur = store.cursor()
        found = q._availability_by_span(cur, spans, q._planned_periods(cur))
        assert list(found.columns) == list(spans)
        alone = {label: q.availability_by_check(cur, *span).set_index("check_name")["availability"]
                 for label, span in spans.items()}
        assert sorted(found.index) == sorted(set().union(*(a.index for a in alone.values())))
        for label, expected in alone.items():
            for name in CHECKS:
                got = found.loc[name, label] if name in found.index else None
                if name in expected.index:
                    assert got == expected[name], (seed, how, label, name)  # same sums, same division
                else:
                    assert got is None or math.isnan(got), (seed, how, label, name)
        store.close()


def _plain(latencies: list[int], quantile: float) -> int:
    ordered = sorted(latencies)
    return ordered[max(1, math.ceil(round(quantile * len(ordered), 6))) - 1]


@pytest.mark.parametrize("seed", range(40))
def test_ranks_equal_sorting_every_latency(seed):
    rng = random.Random(seed)
    checks = [f"c{i:02d}" for i in range(rng.randint(0, 12))]
    values = {name: [rng.choice([-7, 0, 1, 30_000]) if rng.random() < 0.05 else rng.randint(1, rng.choice([50, 900]))
                     for _ in range(rng.randint(0, 80))] for name in checks}
    # a plain table: rows repeated and unsorted, counts above one
    rows = [(name, latency) for name, found in values.items() for latency in found]
    rng.shuffle(rows)
    table = pa.table({"check_name": pa.array([r[0] for r in rows], pa.string()),
                      "latency_ms": pa.array([r[1] for r in rows], pa.int32()), "n": pa.array([1] * len(rows), pa.int64())})
    found = q.nearest_ranks(table, QS).set_index("check_name")
    assert sorted(found.index) == sorted(name for name, found in values.items() if found)
    for name in found.index:
        assert found.loc[name].tolist() == [_plain(values[name], quantile) for quantile in QS], (seed, name)

    # health_since's lists plus a delta, as check_summary reads them
    lists = {name: sorted(set(found)) for name, found in values.items() if found and rng.random() < 0.8}
    since = pa.table({"check_name": pa.array(list(lists), pa.string()),
                      "latency_ms": pa.array(list(lists.values()), pa.list_(pa.int32())),
                      "n": pa.array([[values[name].count(x) for x in xs] for name, xs in lists.items()], pa.list_(pa.int32()))})
    counted = {name: list(values[name]) for name in lists}
    delta = []
    for name in [*checks, "only-in-the-delta"]:
        for x in rng.sample(counted.get(name, []), k=len(counted.get(name, [])) // rng.randint(1, 5)):  # taken out
            counted[name].remove(x)
            delta.append((name, x, -1))
        for _ in range(rng.randint(0, 10)):  # added, some beyond the lists' range, some several times
            x, times = rng.choice([-3, 0, 2, 899, 5_000]) + rng.randint(0, 2), rng.choice([1, 1, 3])
            counted.setdefault(name, []).extend([x] * times)
            delta.append((name, x, times))
    rng.shuffle(delta)
    rows = pa.table({"check_name": pa.array([d[0] for d in delta], pa.string()),
                     "latency_ms": pa.array([d[1] for d in delta], pa.int32()), "n": pa.array([d[2] for d in delta], pa.int64())})
    histogram, plus = q._plus(since, rows)
    found = q._ranks(histogram, QS, plus).set_index("check_name")
    assert sorted(found.index) == sorted(name for name, latencies in counted.items() if latencies)
    for name in found.index:
        assert found.loc[name].tolist() == [_plain(counted[name], quantile) for quantile in QS], (seed, name)
