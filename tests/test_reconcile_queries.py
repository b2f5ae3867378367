"""Reconciliation queries against an independent computation in Python over the same known rows."""

from __future__ import annotations

import random
from datetime import datetime, timedelta, timezone

import pyarrow as pa
import pytest

from hypercare.store.queries import reconcile as q
from hypercare.store.writes import append_rows

T0 = datetime(2026, 11, 22, 21, 0, tzinfo=timezone.utc)
NAMES = ("accounts", "bookings", "invoices")
SCHEMA = pa.schema([
    ("name", pa.string()), ("checked_at", pa.timestamp("us", tz="UTC")), ("source_value", pa.float64()),
    ("target_value", pa.float64()), ("difference", pa.float64()), ("matched", pa.bool_()), ("error", pa.string()),
])


def make_rows(seed: int = 3) -> list[dict]:
    rng = random.Random(seed)
    rows = []
    for name in NAMES:
        t = T0 + timedelta(minutes=rng.randrange(15))
        while t < T0 + timedelta(hours=12):
            kind = rng.choice(["match", "match", "mismatch", "error"])
            source = float(rng.randrange(1000, 2000))
            target = source if kind == "match" else source - rng.randrange(1, 40)
            if kind == "error":
                rows.append({"name": name, "checked_at": t, "source_value": source, "target_value": None,
                             "difference": None, "matched": None, "error": "target side failed: timed out"})
            else:
                rows.append({"name": name, "checked_at": t, "source_value": source, "target_value": target,
                             "difference": target - source, "matched": kind == "match", "error": None})
            t += timedelta(minutes=rng.choice([15, 30, 45]))
    return rows


@pytest.fixture
def rows(store):
    data = make_rows()
    with store.transaction() as cur:
        append_rows(cur, "reconciliations", pa.Table.from_pylist(data, schema=SCHEMA))
    return data


def latest(rows, at=None):
    """The independent definition: per name, the row with the greatest checked_at at or before `at`."""
    best = {}
    for r in rows:
        if at is not None and r["checked_at"] > at:
            continue
        if r["name"] not in best or r["checked_at"] > best[r["name"]]["checked_at"]:
            best[r["name"]] = r
    return [best[n] for n in sorted(best)]


@pytest.mark.parametrize("hours", [None, 0.1, 3.3, 7.75, 11.9])
def test_latest_results_are_each_checks_last_row_by_then(store, rows, hours):
    at = None if hours is None else T0 + timedelta(hours=hours)
    got = q.latest_results(store.cursor(), at)
    expected = latest(rows, at)
    assert list(got.columns) == ["name", "checked_at", "source_value", "target_value", "difference", "matched", "error"]
    assert list(got["name"]) == [r["name"] for r in expected]
    assert [t.to_pydatetime() for t in got["checked_at"]] == [r["checked_at"] for r in expected]
    assert [None if e != e else e for e in got["error"]] == [r["error"] for r in expected]
    for got_row, r in zip(got.to_dict("records"), expected):
        assert (got_row["matched"] if got_row["matched"] == got_row["matched"] else None) == r["matched"]
        if r["target_value"] is not None:
            assert got_row["difference"] == r["target_value"] - r["source_value"]


def test_latest_results_of_an_empty_table_is_an_empty_frame(store):
    got = q.latest_results(store.cursor())
    assert got.empty and "matched" in got.columns


@pytest.mark.parametrize("names", [None, ["bookings"], ["accounts", "invoices"]])
def test_history_holds_every_row_in_the_period(store, rows, names):
    start, end = T0 + timedelta(hours=2), T0 + timedelta(hours=9)
    got = q.history(store.cursor(), start, end, names)
    expected = sorted(((r["name"], r["checked_at"]) for r in rows
                       if start <= r["checked_at"] < end and (names is None or r["name"] in names)))
    assert list(zip(got["name"], (t.to_pydatetime() for t in got["checked_at"]))) == expected


@pytest.mark.parametrize("hours", [0.05, 2.5, 6.1, 11.99])
def test_tally_counts_latest_results_by_outcome(store, rows, hours):
    at = T0 + timedelta(hours=hours)
    names = list(NAMES) + ["never-ran"]
    last = latest(rows, at)
    got = q.tally_at(store.cursor(), at, names)
    assert got.matched == sum(r["matched"] is True for r in last)
    assert got.mismatched == sum(r["matched"] is False for r in last)
    assert got.unknown == len(names) - got.matched - got.mismatched
    assert got.unknown >= 1  # "never-ran" has no row
