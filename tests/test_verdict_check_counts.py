"""The verdict's check counts, read once for every scope (health.hourly_counts_by_check, summed per
scope by hypercare.verdict.metrics), against the per-scope reads they replace, on the seeded random
stores of test_health_rollups (planned periods of every scope, hours cut anywhere, written poll by
poll and in one bulk load) and on the same rows with no planned period."""

from __future__ import annotations

import random
from datetime import timedelta

import pytest

from hypercare.store.queries import health as q
from hypercare.verdict.metrics import CATALOGUE, READ_HOURS, Inputs, Scope
from hypercare.window import Period, Window
from tests.test_health_rollups import HOURS, SEEDS, T0, counted, loaded, polled, random_periods, random_rows, random_spans

SCOPES = (None, ("web", "pay", "idle"), ("api",), ("no-such-check",))
TARGET = 99.0


def whole_hour_spans(seed: int) -> list[tuple]:
    """Spans of whole UTC hours (the verdict's periods), empty ones and ones beyond the data."""
    rng = random.Random(seed + 3)
    starts = [T0 + timedelta(hours=rng.randrange(-2, HOURS + 1)) for _ in range(8)]
    return [(s, s + timedelta(hours=rng.randrange(0, 5))) for s in starts]


@pytest.mark.parametrize("seed", SEEDS)
def test_counts_by_check_sum_to_each_scope_s_hourly_counts(seed, tmp_path):
    rows, periods = random_rows(seed), random_periods(seed)
    stores = (polled(tmp_path / "polled.duckdb", rows, periods), loaded(tmp_path / "loaded.duckdb", rows, []))
    for store, planned in zip(stores, (periods, [])):  # with no planned period, whole hours read health_hourly alone
        cur = store.cursor()
        for start, end in random_spans(seed, n=3) + whole_hour_spans(seed):
            by_check = q.hourly_counts_by_check(cur, start, end)
            for names in SCOPES:
                mine = by_check if names is None else by_check[by_check["check_name"].isin(names)]
                summed = mine.groupby(level=0)[["ok", "total"]].sum()
                expected = q.hourly_counts(cur, start, end, names)
                where = f"{start:%H:%M:%S}-{end:%H:%M:%S} {names}"
                assert summed[summed["total"] > 0].to_dict("index") == expected.to_dict("index"), where
                assert int(mine["total"].sum()) == len(counted(rows, planned, start, end, names)), where
        store.close()


@pytest.mark.parametrize("seed", SEEDS)
def test_check_metrics_of_every_scope_share_one_read_and_equal_each_scope_s_own(seed, tmp_path):
    """Rules, then streak hours further back, asking for any scope, as one evaluation does (one memo)."""
    rows, periods = random_rows(seed), random_periods(seed)
    store = polled(tmp_path / "polled.duckdb", rows, periods)
    cur = store.cursor()
    inputs = Inputs(cur, Window(T0, 72, 168, "Europe/Brussels"), TARGET, ("api", "web", "sync", "pay", "idle"))
    rng = random.Random(seed)
    last = T0 + timedelta(hours=HOURS + 1)
    asked = [(rng.choice(("availability", "error_budget_burn")), rng.choice(SCOPES),
              Period(end - timedelta(hours=rng.randrange(1, 7)), end))
             for end in [last] + [last - timedelta(hours=rng.randrange(0, HOURS + 2)) for _ in range(25)]]
    for metric, names, period in asked:
        got = CATALOGUE[metric].measure(inputs, period, Scope(checks=names))
        direct = q.availability(cur, period.start, period.end, names)
        if direct is None:
            assert (got.value, got.samples) == (None, 0)
            continue
        ok, total = direct
        value = 100.0 * ok / total if metric == "availability" else ((total - ok) / total) / (1 - TARGET / 100)
        assert (got.value, got.samples) == (pytest.approx(value), total), (metric, names, period)
    # every period lies within READ_HOURS before the first one's end: one read served them all
    assert last - min(p.start for _, _, p in asked) <= READ_HOURS
    assert len(inputs.memo[("check_counts",)]) == 1
    store.close()
