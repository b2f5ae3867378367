"""`health_since`: each check's latency histogram since go-live, so the Health page's exact
percentiles over the elapsed window read one row per check instead of every hour's rollup.

It counts every result with an answer in [starts_at, through) of `health_since_span`, planned
periods included: readers take those results out, so marking or removing a period needs no
rebuild. `starts_at` is the go-live (`record_release` sets it, and a moved go-live or end
rebuilds the table); `through` is a whole hour that polls advance as hours end, never past the
hour holding `ends_at` (the configured end of the window). A poll that brings results for hours
already counted merges them in at once. Every change of the counts gives the span a new
`version`, under which a reader may keep what it read. Readers use the table only when
`starts_at` is their window's go-live, and read [through, now), or take out what lies after the
window's end, from the hourly tables and raw rows.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

import duckdb

from hypercare.store.read import first_row, scalar, utc_hour, utc_hour_ceil


def span(cur: duckdb.DuckDBPyConnection) -> tuple[datetime, datetime, datetime, str] | None:
    """(starts_at, ends_at, through, version), or None while no release is recorded. The version
    changes whenever the counts do: what was read under one stays true while the span shows it."""
    return first_row(cur, "SELECT starts_at, ends_at, through, version::VARCHAR FROM health_since_span")


def follow(cur: duckdb.DuckDBPyConnection, starts_at: datetime, ends_at: datetime) -> None:
    """Count from `starts_at` (the go-live) to `ends_at`: rebuilt when either moved, else untouched."""
    found = span(cur)
    if found is None or (found[0], found[1]) != (starts_at, ends_at):
        rebuild(cur, starts_at, ends_at)


def rebuild(cur: duckdb.DuckDBPyConnection, starts_at: datetime | None = None, ends_at: datetime | None = None) -> None:
    """Recount from the stored results (a moved go-live, a bulk load); without a span, nothing."""
    if starts_at is None or ends_at is None:
        found = span(cur)
        if found is None:
            return
        starts_at, ends_at, _, _ = found
    cur.execute("DELETE FROM health_since")
    cur.execute("DELETE FROM health_since_span")
    cur.execute("INSERT INTO health_since_span VALUES (?, ?, ?, uuid())", [starts_at, ends_at, starts_at])
    latest = scalar(cur, "SELECT max(checked_at) FROM health_checks WHERE checked_at >= ?", [starts_at])
    if latest is not None:
        advance(cur, utc_hour(latest))


def advance(cur: duckdb.DuckDBPyConnection, upto: datetime) -> None:
    """Count the hours before `upto` (a whole hour; at most the hour holding the end) not counted
    yet, from `health_rollup`, and from raw rows for a go-live in mid-hour."""
    found = span(cur)
    if found is None:
        return
    _, ends_at, through, _ = found
    upto = min(upto, utc_hour_ceil(ends_at))
    if upto <= through:
        return
    whole = utc_hour_ceil(through)  # through is a whole hour except before a go-live's first hour is counted
    _merge(cur, """SELECT check_name, latency_ms, n FROM health_rollup
                   WHERE hour_start >= $whole AND hour_start < $upto AND latency_ms IS NOT NULL
                   UNION ALL
                   SELECT check_name, latency_ms, 1 FROM health_checks
                   WHERE checked_at >= $through AND checked_at < $whole AND latency_ms IS NOT NULL""",
           {"whole": whole, "upto": upto, "through": through})
    cur.execute("UPDATE health_since_span SET through = ?", [upto])


def count_late(cur: duckdb.DuckDBPyConnection, new: str, params: dict[str, Any], earliest: datetime) -> None:
    """Merge in the results of `new` (new rows of health_checks, a relation with its named
    parameters) that fall in hours already counted. `earliest`: the batch's first instant."""
    found = span(cur)
    if found is None or earliest >= found[2]:
        return
    starts_at, _, through, _ = found
    _merge(cur, f"SELECT check_name, latency_ms, 1 AS n FROM {new} WHERE checked_at >= $since_start "
                "AND checked_at < $since_through AND latency_ms IS NOT NULL",
           {**params, "since_start": starts_at, "since_through": through})


def _merge(cur: duckdb.DuckDBPyConnection, source: str, params: dict[str, Any]) -> None:
    """Add `source`'s (check_name, latency_ms, n) rows: the table is rewritten sorted, one row
    per check, so readers never sort or sum (~0.2 s at 1,000 checks, once an hour)."""
    cur.execute(f"""
        CREATE OR REPLACE TEMP TABLE _since AS
        SELECT check_name, list(latency_ms ORDER BY latency_ms) AS latency_ms, list(n ORDER BY latency_ms) AS n
        FROM (SELECT check_name, latency_ms, sum(n)::BIGINT AS n
              FROM (SELECT check_name, unnest(latency_ms) AS latency_ms, unnest(n) AS n FROM health_since
                    UNION ALL ({source}))
              GROUP BY ALL)
        GROUP BY check_name
    """, params)
    cur.execute("DELETE FROM health_since")
    cur.execute("INSERT INTO health_since SELECT * FROM _since ORDER BY check_name")
    cur.execute("DROP TABLE _since")
    cur.execute("UPDATE health_since_span SET version = uuid()")
