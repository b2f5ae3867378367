"""Batched, idempotent writes. Every function takes a cursor inside `Store.transaction()`.

Three forms, all in plain SQL that also runs on DuckLake (DESIGN.md, Scale):
- `merge_rows`: upsert by key with MERGE INTO (entities: issues, tickets, incidents);
- `replace_range`: DELETE a re-polled time range + INSERT (time series such as error_counts);
  a write to `error_counts` also recounts `error_hourly` for the hours it touched;
- `insert_new`: insert rows whose key is absent (immutable results such as health checks);
- `compare_and_set`: update rows still at the version the writer read (incidents).
Batches arrive as Arrow tables or DataFrames; never row by row.
"""

from __future__ import annotations

import itertools
from collections.abc import Mapping, Sequence
from datetime import datetime, timedelta
from typing import Any

import duckdb
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from hypercare.store import health_since
from hypercare.store.db import StoreError
from hypercare.store.error_hourly import refresh_error_hourly
from hypercare.store.read import hour_of, scalar
from hypercare.store.schema import (
    HEALTH_HOURLY_OF_RESULTS,
    HEALTH_LATENCY_OF_RESULTS,
    HOURLY_MERGED,
    LATENCY_MERGED,
    ROLLUP_MERGED,
    STATE_MERGED,
)

Rows = pa.Table | pd.DataFrame
_names = itertools.count()


def _arrow(rows: Rows) -> pa.Table:
    return rows if isinstance(rows, pa.Table) else pa.Table.from_pandas(rows, preserve_index=False)


def _ident(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


class _Registered:
    """Registers a batch as a view for the duration of a `with` block, under a unique name."""

    def __init__(self, cur: duckdb.DuckDBPyConnection, rows: pa.Table):
        self.cur, self.rows = cur, rows
        self.name = f"_batch_{next(_names)}"

    def __enter__(self) -> str:
        self.cur.register(self.name, self.rows)
        return self.name

    def __exit__(self, *exc: Any) -> None:
        self.cur.unregister(self.name)


def _check_keys(rows: pa.Table, key: Sequence[str], table: str) -> None:
    for column in key:
        if column not in rows.column_names:
            raise StoreError(f"batch for {table} lacks key column {column}")
        if rows.column(column).null_count:
            raise StoreError(f"batch for {table} has rows without {column}; refusing to write them")


def merge_rows(cur: duckdb.DuckDBPyConnection, table: str, rows: Rows, key: Sequence[str]) -> int:
    """Upsert `rows` into `table` by `key`; within the batch the last row for a key wins.

    Returns the number of distinct keys written. Re-writing the same rows changes nothing.
    """
    rows = _arrow(rows)
    if rows.num_rows == 0:
        return 0
    _check_keys(rows, key, table)
    cols = rows.column_names
    distinct = rows.group_by(list(key)).aggregate([]).num_rows
    if distinct < rows.num_rows:  # keep the last row per key; nothing else enforces uniqueness
        positions = pa.array(range(rows.num_rows), pa.int64())
        last = rows.append_column("__pos", positions).group_by(list(key)).aggregate([("__pos", "max")])
        keep = last.column("__pos_max")
        rows = rows.take(pc.take(keep, pc.array_sort_indices(keep)))
    with _Registered(cur, rows) as batch:
        merge_query(cur, table, batch, cols, key)
    _recount(cur, table, rows)
    return distinct


def merge_query(cur: duckdb.DuckDBPyConnection, table: str, source: str, columns: Sequence[str],
                key: Sequence[str], params: Mapping[str, Any] | None = None) -> int:
    """Upsert the rows of `source` (a relation or a parenthesised SELECT, unique by `key`) into
    `table` by `key`; returns how many rows it wrote. For batches already in the database
    (a staged CSV, a mapped batch), so they never travel through Python."""
    on = " AND ".join(f"t.{_ident(k)} = b.{_ident(k)}" for k in key)
    updates = ", ".join(f"{_ident(c)} = b.{_ident(c)}" for c in columns if c not in key)
    col_list = ", ".join(_ident(c) for c in columns)
    values = ", ".join(f"b.{_ident(c)}" for c in columns)
    matched = f"WHEN MATCHED THEN UPDATE SET {updates} " if updates else ""
    return cur.execute(
        f"MERGE INTO {_ident(table)} t USING {source} b ON {on} "
        f"{matched}WHEN NOT MATCHED THEN INSERT ({col_list}) VALUES ({values})", params or {}
    ).fetchall()[0][0]


def replace_range(
    cur: duckdb.DuckDBPyConnection,
    table: str,
    rows: Rows,
    time_column: str,
    start: datetime,
    end: datetime,
    where: Mapping[str, Any] | None = None,
) -> int:
    """Make [start, end) of a time series equal to `rows`: DELETE that range, INSERT the batch.

    `where` narrows the delete (e.g. {"project": "web"}). Rows outside the range are refused:
    they would survive a later re-poll of their own range twice.
    """
    rows = _arrow(rows)
    conditions = [f"{_ident(time_column)} >= ?", f"{_ident(time_column)} < ?"]
    params: list[Any] = [start, end]
    for column, value in (where or {}).items():
        conditions.append(f"{_ident(column)} = ?")
        params.append(value)
    with _Registered(cur, rows) as batch:
        if rows.num_rows:
            outside = scalar(cur, f"SELECT count(*) FROM {batch} WHERE NOT ({' AND '.join(conditions)})", params)
            if outside:
                raise StoreError(f"{outside} rows for {table} fall outside the range being replaced")
        cur.execute(f"DELETE FROM {_ident(table)} WHERE {' AND '.join(conditions)}", params)
        if rows.num_rows:
            col_list = ", ".join(_ident(c) for c in rows.column_names)
            cur.execute(
                f"INSERT INTO {_ident(table)} ({col_list}) SELECT {col_list} FROM {batch} "
                f"ORDER BY {_ident(time_column)}"
            )
    if table == "error_counts":
        refresh_error_hourly(cur, start, end, (where or {}).get("project"))
    return rows.num_rows


def insert_new(
    cur: duckdb.DuckDBPyConnection, table: str, rows: Rows, key: Sequence[str], time_column: str | None = None
) -> int:
    """Insert the rows whose key is not stored yet; returns how many were new.

    `time_column`, for a time series, must be part of the key: the lookup is limited to the
    batch's time range so DuckDB's zone maps skip the rest of a large, time-ordered table, and
    rows go in in its order. Without it (an audit log, an outbox) the whole table is looked up.
    """
    rows = _arrow(rows)
    if rows.num_rows == 0:
        return 0
    with _Registered(cur, rows) as batch:
        new, params = _absent(cur, batch, table, rows, key, time_column)
        written = _insert_from(cur, table, rows.column_names, new, params, time_column)
    _recount(cur, table, rows)
    return written


def record_health_results(cur: duckdb.DuckDBPyConnection, rows: Rows) -> int:
    """Store health-check results (new ones only) and count them into `health_rollup`,
    `health_hourly`, `health_latency` and, for hours already merged, `health_state` and
    `health_since`.

    The new rows' counts are appended to both as they are: a key may then have several rows,
    which readers always merge. Appending keeps a poll cheap however big the tables grow; the
    first poll of a new hour compacts the hour before to one row per key. Only rows that were
    really new are counted, so both stay exact however often a batch is re-sent. Columns: those
    of `health_checks`.
    """
    rows = _arrow(rows)
    if rows.num_rows == 0:
        return 0
    earliest = pc.min(rows.column("checked_at")).as_py()
    first_hour = _floor_hour(earliest)
    begun = not scalar(cur, "SELECT count(*) FROM health_hourly WHERE hour_start >= ?", [first_hour])
    with _Registered(cur, rows) as batch:
        new, params = _absent(cur, batch, "health_checks", rows, ["check_name", "checked_at"], "checked_at")
        # counted before the insert: afterwards the same rows are no longer new
        cur.execute(
            f"INSERT INTO health_rollup SELECT check_name, {hour_of('checked_at')}, ok, latency_ms, count(*) "
            f"FROM {new} GROUP BY ALL",
            params,
        )
        cur.execute(f"INSERT INTO health_hourly {HEALTH_HOURLY_OF_RESULTS.format(source=_with_state(new, rows))}", params)
        cur.execute(f"INSERT INTO health_latency {HEALTH_LATENCY_OF_RESULTS.format(source=new)}", params)
        health_since.count_late(cur, new, params, earliest)
        written = _insert_from(cur, "health_checks", rows.column_names, new, params, "checked_at")
    if begun:
        compact_health_rollups(cur, first_hour - timedelta(hours=1), first_hour)
    through = scalar(cur, "SELECT max(through) FROM health_state")
    if through is not None and earliest < through:  # results for hours merged already: merge again
        rebuild_health_state(cur, through)
    elif begun:
        _advance_health_state(cur, through, first_hour)
    health_since.advance(cur, first_hour)
    return written


def rebuild_health_state(cur: duckdb.DuckDBPyConnection, through: datetime | None) -> None:
    """Make `health_state` the merge of every `health_hourly` row before `through` (None: the
    latest hour with rows)."""
    through = through or scalar(cur, "SELECT max(hour_start) FROM health_hourly")
    cur.execute("DELETE FROM health_state")
    if through is not None:
        cur.execute(f"INSERT INTO health_state SELECT {STATE_MERGED}, ?::TIMESTAMPTZ FROM health_hourly "
                    "WHERE hour_start < ? GROUP BY check_name", [through, through])


def _advance_health_state(cur: duckdb.DuckDBPyConnection, through: datetime | None, upto: datetime) -> None:
    """Merge the `health_hourly` rows of [through, upto) into `health_state` (a new hour began)."""
    if through is None:
        rebuild_health_state(cur, upto)
        return
    if upto <= through:
        return
    cur.execute(f"""CREATE OR REPLACE TEMP TABLE _state AS SELECT {STATE_MERGED}, ?::TIMESTAMPTZ AS through
                    FROM (SELECT * EXCLUDE (through) FROM health_state UNION ALL BY NAME
                          SELECT * EXCLUDE (hour_start) FROM health_hourly WHERE hour_start >= ? AND hour_start < ?)
                    GROUP BY check_name""", [upto, through, upto])
    cur.execute("DELETE FROM health_state")
    cur.execute("INSERT INTO health_state SELECT * FROM _state")
    cur.execute("DROP TABLE _state")


def compact_health_rollups(cur: duckdb.DuckDBPyConnection, start: datetime, end: datetime) -> None:
    """Merge the rows `record_health_results` appended for hours in [start, end) into one row
    per key in `health_rollup`, `health_hourly` and `health_latency`; every figure stays the same."""
    for table, merged in (("health_rollup", ROLLUP_MERGED), ("health_hourly", HOURLY_MERGED),
                          ("health_latency", LATENCY_MERGED)):
        cur.execute(f"CREATE OR REPLACE TEMP TABLE _compacted AS SELECT {merged} FROM {table} "
                    "WHERE hour_start >= ? AND hour_start < ? GROUP BY ALL", [start, end])
        cur.execute(f"DELETE FROM {table} WHERE hour_start >= ? AND hour_start < ?", [start, end])
        cur.execute(f"INSERT INTO {table} SELECT * FROM _compacted ORDER BY hour_start")
        cur.execute("DROP TABLE _compacted")


def _with_state(source: str, rows: pa.Table) -> str:
    """`source` with the columns `health_hourly` reads that a batch may leave out, as NULL."""
    missing = [f"NULL::{kind} AS {name}" for name, kind in (("error", "VARCHAR"), ("cert_expires_at", "TIMESTAMPTZ"))
               if name not in rows.column_names]
    return f"(SELECT *{''.join(', ' + m for m in missing)} FROM {source})"


def _floor_hour(t: datetime) -> datetime:
    return t.replace(minute=0, second=0, microsecond=0)


def _absent(
    cur: duckdb.DuckDBPyConnection, batch: str, table: str, rows: pa.Table, key: Sequence[str], time_column: str | None
) -> tuple[str, dict[str, Any]]:
    """SQL for the batch's rows whose key `table` lacks (one per key), and its parameters."""
    _check_keys(rows, key, table)
    keys = ", ".join(_ident(k) for k in key)
    if time_column is None:
        return f"(SELECT DISTINCT ON ({keys}) * FROM {batch} ANTI JOIN (SELECT {keys} FROM {_ident(table)}) USING ({keys}))", {}
    lo, hi = (v.as_py() for v in pc.min_max(rows.column(time_column)).values())
    tc = _ident(time_column)
    stored = scalar(cur, f"SELECT count(*) FROM {_ident(table)} WHERE {tc} BETWEEN ? AND ?", [lo, hi])
    if not stored and rows.group_by(list(key)).aggregate([]).num_rows == rows.num_rows:
        return f"(SELECT * FROM {batch})", {}  # the usual poll: nothing stored in its range, no join
    sql = (
        f"(SELECT DISTINCT ON ({keys}) * FROM {batch} ANTI JOIN "
        f"(SELECT {keys} FROM {_ident(table)} WHERE {tc} BETWEEN $lo AND $hi) USING ({keys}))"
    )
    return sql, {"lo": lo, "hi": hi}


def _insert_from(
    cur: duckdb.DuckDBPyConnection, table: str, columns: Sequence[str], source: str, params: dict[str, Any],
    order_by: str | None,
) -> int:
    cols = ", ".join(_ident(c) for c in columns)
    order = f" ORDER BY {_ident(order_by)}" if order_by else ""
    inserted = cur.execute(f"INSERT INTO {_ident(table)} ({cols}) SELECT {cols} FROM {source}{order}", params).fetchall()
    return inserted[0][0]


def compare_and_set(cur: duckdb.DuckDBPyConnection, table: str, rows: Rows, key: Sequence[str], seen: str) -> int:
    """Write each row's columns (all but `key` and `seen`) where the stored `version` still equals
    the row's `seen` column: the writer's read is still the truth. Returns how many rows were set;
    fewer than the batch means someone changed a row meanwhile (the caller decides what then)."""
    rows = _arrow(rows)
    if rows.num_rows == 0:
        return 0
    _check_keys(rows, [*key, seen], table)
    sets = ", ".join(f"{_ident(c)} = b.{_ident(c)}" for c in rows.column_names if c not in (*key, seen))
    on = " AND ".join(f"{_ident(table)}.{_ident(k)} = b.{_ident(k)}" for k in key)
    with _Registered(cur, rows) as batch:
        return cur.execute(
            f"UPDATE {_ident(table)} SET {sets} FROM {batch} b WHERE {on} AND {_ident(table)}.version = b.{_ident(seen)}"
        ).fetchall()[0][0]


def rebuild_health_rollup(
    cur: duckdb.DuckDBPyConnection, start: datetime, end: datetime, check_names: Sequence[str] | None = None
) -> None:
    """Recompute `health_rollup`, `health_hourly` and `health_latency` for whole hours in
    [start, end) (all checks, or those named) from the raw results, one row per key, and
    `health_state` and `health_since` whole. Bulk loads call it once for their whole range."""
    only = " AND list_contains(?, check_name)" if check_names is not None else ""
    params: list[Any] = [start, end] + ([list(check_names)] if check_names is not None else [])
    raw = f"(SELECT * FROM health_checks WHERE checked_at >= ? AND checked_at < ?{only})"
    for table in ("health_rollup", "health_hourly"):
        cur.execute(f"DELETE FROM {table} WHERE hour_start >= ? AND hour_start < ?{only}", params)
    # all checks together: the named checks' hours are recounted over every check
    cur.execute("DELETE FROM health_latency WHERE hour_start >= ? AND hour_start < ?", [start, end])
    cur.execute(
        f"""
        INSERT INTO health_rollup
        SELECT check_name, {hour_of('checked_at')} AS hour_start, ok, latency_ms, count(*) AS n
        FROM {raw} GROUP BY ALL ORDER BY hour_start
        """,
        params,
    )
    cur.execute(f"INSERT INTO health_hourly {HEALTH_HOURLY_OF_RESULTS.format(source=raw)} ORDER BY hour_start", params)
    every = "(SELECT * FROM health_checks WHERE checked_at >= ? AND checked_at < ?)"
    cur.execute(f"INSERT INTO health_latency {HEALTH_LATENCY_OF_RESULTS.format(source=every)} ORDER BY hour_start",
                [start, end])
    rebuild_health_state(cur, None)
    health_since.rebuild(cur)


def save_checkpoint(
    cur: duckdb.DuckDBPyConnection, collector: str, scope: str, cursor: str, now: datetime
) -> None:
    """Record where `collector` got to; call inside the same transaction as the batch it follows."""
    cur.execute("DELETE FROM checkpoints WHERE collector = ? AND scope = ?", [collector, scope])
    cur.execute("INSERT INTO checkpoints VALUES (?, ?, ?, ?)", [collector, scope, cursor, now])


def read_checkpoint(cur: duckdb.DuckDBPyConnection, collector: str, scope: str) -> str | None:
    return scalar(cur, "SELECT cursor FROM checkpoints WHERE collector = ? AND scope = ?", [collector, scope])



def append_rows(cur: duckdb.DuckDBPyConnection, table: str, rows: Rows, order_by: str | None = None) -> int:
    """Bulk insert with no key check (demo, backfill into empty ranges); optionally time-ordered
    so DuckDB's zone maps can skip row groups later."""
    rows = _arrow(rows)
    if rows.num_rows == 0:
        return 0
    col_list = ", ".join(_ident(c) for c in rows.column_names)
    order = f" ORDER BY {_ident(order_by)}" if order_by else ""
    with _Registered(cur, rows) as batch:
        cur.execute(f"INSERT INTO {_ident(table)} ({col_list}) SELECT {col_list} FROM {batch}{order}")
    _recount(cur, table, rows)
    return rows.num_rows


def _recount(cur: duckdb.DuckDBPyConnection, table: str, rows: pa.Table) -> None:
    """Keep `error_hourly` equal to `error_counts` over the hours a batch wrote into."""
    if table != "error_counts" or rows.num_rows == 0:
        return
    lo, hi = (v.as_py() for v in pc.min_max(rows.column("bucket_start")).values())
    refresh_error_hourly(cur, lo, hi + timedelta(microseconds=1))
