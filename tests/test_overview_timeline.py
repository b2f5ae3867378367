"""The Overview timeline's failed checks per hour against the raw results (seeded stores of
test_health_rollups: failures with and without an answer, planned periods of every scope cutting
hours anywhere), over spans cut anywhere."""

from __future__ import annotations

from collections import Counter

import pytest

from hypercare.store.queries import overview
from hypercare.window import Period
from tests import test_health_rollups as seeded


def per_hour(rows) -> dict:
    return dict(Counter(r["checked_at"].replace(minute=0, second=0, microsecond=0) for r in rows if not r["ok"]))


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_failed_and_planned_failed_checks_per_hour_equal_the_raw_results(seed, tmp_path):
    rows, periods = seeded.random_rows(seed), seeded.random_periods(seed)
    store = seeded.loaded(tmp_path / "store.duckdb", rows, periods)
    try:
        for start, end in seeded.random_spans(seed):
            series = overview.failed_checks_series(store.cursor(), Period(start, end))
            got = {name: dict(zip(part["hour"].dt.to_pydatetime(), part["value"]))
                   for name, part in series.groupby("series")}
            counted = seeded.counted(rows, periods, start, end)
            kept = {id(r) for r in counted}
            planned = [r for r in rows if start <= r["checked_at"] < end and id(r) not in kept]
            assert got.get("failed checks", {}) == per_hour(counted)
            assert got.get("planned failed checks", {}) == per_hour(planned)
    finally:
        store.close()
