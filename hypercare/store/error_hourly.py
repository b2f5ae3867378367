"""`error_hourly`: error_counts summed per project, UTC hour and bucket length.

Errors per hour over a 240-hour span read ~84,000 rollup rows instead of 5 M one-minute buckets.
The write paths in `writes.py` keep it: every write to `error_counts` recounts, from the raw
rows, the whole hours it touched (so a DELETE followed by a write of the same range stays exact).
Readers of long periods take whole hours from the rollup and the partial hours at the edges from
the raw rows; and only while the rollup holds as many buckets and events as `error_counts` — rows
written around the write paths (a hand-written INSERT, DELETE or UPDATE) make readers fall back
to the raw rows until `rebuild_error_hourly` runs.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime, timedelta
from typing import Any

import duckdb

from hypercare.store.read import utc_hour, utc_hour_ceil
from hypercare.store.schema import ERROR_HOURLY_OF_COUNTS as OF_COUNTS

HOUR = timedelta(hours=1)
ROLLUP_FROM = 6 * HOUR  # fewer whole hours are read raw: as fast as the check that the rollup is whole


def refresh_error_hourly(cur: duckdb.DuckDBPyConnection, start: datetime | None = None, end: datetime | None = None,
                         project: str | None = None) -> None:
    """Recount `error_hourly` from `error_counts` for every UTC hour that meets [start, end)
    (None: unbounded), of one `project` or all of them."""
    conditions, params = [], []
    if start is not None:
        conditions.append("{c} >= ?")
        params.append(utc_hour(start))
    if end is not None:
        conditions.append("{c} < ?")
        params.append(utc_hour_ceil(end))
    if project is not None:
        conditions.append("project = ?")
        params.append(project)
    where = " AND ".join(conditions) or "TRUE"
    cur.execute(f"DELETE FROM error_hourly WHERE {where.format(c='hour_start')}", params)
    source = f"(SELECT * FROM error_counts WHERE {where.format(c='bucket_start')})"
    cur.execute(f"INSERT INTO error_hourly {OF_COUNTS.format(source=source)} ORDER BY hour_start", params)


def rebuild_error_hourly(cur: duckdb.DuckDBPyConnection) -> None:
    """Recount the whole rollup (after editing `error_counts` by hand)."""
    refresh_error_hourly(cur)


def complete(cur: duckdb.DuckDBPyConnection) -> bool:
    """Whether the rollup holds every stored bucket and event: a hand-written INSERT, DELETE or
    UPDATE of `error_counts` changes the buckets or the events (~5 ms for 5 M buckets)."""
    rows = cur.execute("SELECT (SELECT (count(*), sum(events)) FROM error_counts) IS NOT DISTINCT FROM "
                       "(SELECT (coalesce(sum(buckets), 0), sum(events)) FROM error_hourly)").fetchall()
    return bool(rows[0][0])


def error_hours(cur: duckdb.DuckDBPyConnection, start: datetime, end: datetime,
                projects: Sequence[str] | None = None) -> tuple[str, list[Any]]:
    """SQL and parameters for a relation (project, hour_start, bucket_seconds, events, buckets)
    counting the buckets of `error_counts` that start in [start, end), of `projects` (None: all).
    The same figures as grouping the raw rows: whole hours from `error_hourly`, the rest raw."""
    names = None if projects is None else list(projects)
    only = "(?::VARCHAR[] IS NULL OR list_contains(?::VARCHAR[], project))"
    raw = f"(SELECT * FROM error_counts WHERE bucket_start >= ? AND bucket_start < ? AND {only})"
    whole_from = utc_hour_ceil(start)
    whole_to = utc_hour(end)
    if whole_to - whole_from < ROLLUP_FROM or not complete(cur):
        return OF_COUNTS.format(source=raw), [start, end, names, names]
    sql = f"SELECT * FROM error_hourly WHERE hour_start >= ? AND hour_start < ? AND {only}"
    edges = [(a, b) for a, b in ((start, whole_from), (whole_to, end)) if a < b]
    if not edges:  # a span of whole hours: no raw part to scan for (~4 ms less)
        return sql, [whole_from, whole_to, names, names]
    ranges = " OR ".join("(bucket_start >= ? AND bucket_start < ?)" for _ in edges)
    raw_edges = f"(SELECT * FROM error_counts WHERE ({ranges}) AND {only})"
    return (f"{sql} UNION ALL {OF_COUNTS.format(source=raw_edges)}",
            [whole_from, whole_to, names, names, *(t for edge in edges for t in edge), names, names])
