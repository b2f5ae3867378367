"""Batched, idempotent writes. Every function takes a cursor inside `Store.transaction()`.

Three forms, all in plain SQL that also runs on DuckLake (DESIGN.md, Scale):
- `merge_rows`: upsert by key with MERGE INTO (entities: issues, tickets, incidents);
- `replace_range`: DELETE a re-polled time range + INSERT (time series such as error_counts);
- `insert_new`: insert rows whose key is absent (immutable results such as health checks).
Batches arrive as Arrow tables or DataFrames; never row by row.
"""

from __future__ import annotations

import itertools
from collections.abc import Mapping, Sequence
from datetime import datetime
from typing import Any

import duckdb
import pandas as pd
import pyarrow as pa

from hypercare.store.db import StoreError
from hypercare.store.read import first_row, scalar

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
    rows = rows.append_column("__pos", pa.array(range(rows.num_rows), pa.int64()))
    cols = [c for c in rows.column_names if c != "__pos"]
    keys = ", ".join(_ident(k) for k in key)
    on = " AND ".join(f"t.{_ident(k)} = b.{_ident(k)}" for k in key)
    updates = ", ".join(f"{_ident(c)} = b.{_ident(c)}" for c in cols if c not in key)
    col_list = ", ".join(_ident(c) for c in cols)
    values = ", ".join(f"b.{_ident(c)}" for c in cols)
    with _Registered(cur, rows) as batch:
        source = (
            f"(SELECT {col_list} FROM {batch} "
            f"QUALIFY row_number() OVER (PARTITION BY {keys} ORDER BY __pos DESC) = 1)"
        )
        matched = f"WHEN MATCHED THEN UPDATE SET {updates} " if updates else ""
        cur.execute(
            f"MERGE INTO {_ident(table)} t USING {source} b ON {on} "
            f"{matched}WHEN NOT MATCHED THEN INSERT ({col_list}) VALUES ({values})"
        )
        return scalar(cur, f"SELECT count(*) FROM (SELECT DISTINCT {keys} FROM {batch})")


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
    return rows.num_rows


def insert_new(
    cur: duckdb.DuckDBPyConnection, table: str, rows: Rows, key: Sequence[str], time_column: str
) -> int:
    """Insert the rows whose key is not stored yet; returns how many were new.

    `time_column` must be part of the key: the lookup is limited to the batch's time range so
    DuckDB's zone maps skip the rest of a large, time-ordered table.
    """
    rows = _arrow(rows)
    if rows.num_rows == 0:
        return 0
    _check_keys(rows, key, table)
    col_list = ", ".join(_ident(c) for c in rows.column_names)
    tc = _ident(time_column)
    match = " AND ".join(f"t.{_ident(k)} = b.{_ident(k)}" for k in key)
    with _Registered(cur, rows) as batch:
        lo, hi = first_row(cur, f"SELECT min({tc}), max({tc}) FROM {batch}")
        before = scalar(cur, f"SELECT count(*) FROM {_ident(table)} WHERE {tc} BETWEEN ? AND ?", [lo, hi])
        cur.execute(
            f"INSERT INTO {_ident(table)} ({col_list}) "
            f"SELECT DISTINCT ON ({', '.join('b.' + _ident(k) for k in key)}) {', '.join('b.' + _ident(c) for c in rows.column_names)} "
            f"FROM {batch} b WHERE NOT EXISTS (SELECT 1 FROM {_ident(table)} t "
            f"WHERE t.{tc} BETWEEN ? AND ? AND {match}) ORDER BY b.{tc}",
            [lo, hi],
        )
        after = scalar(cur, f"SELECT count(*) FROM {_ident(table)} WHERE {tc} BETWEEN ? AND ?", [lo, hi])
    return after - before


def record_health_results(cur: duckdb.DuckDBPyConnection, rows: Rows) -> int:
    """Store health-check results (new ones only) and rebuild the hourly rollup they touch.

    The rollup is recomputed from the raw rows of each affected (check, hour), so it stays
    exact however often a batch is re-sent. Columns: those of `health_checks`.
    """
    rows = _arrow(rows)
    written = insert_new(cur, "health_checks", rows, ["check_name", "checked_at"], "checked_at")
    if rows.num_rows == 0:
        return written
    with _Registered(cur, rows) as batch:
        lo, hi = first_row(
            cur, f"SELECT date_trunc('hour', min(checked_at)), date_trunc('hour', max(checked_at)) + INTERVAL 1 HOUR FROM {batch}"
        )
        names = [r[0] for r in cur.execute(f"SELECT DISTINCT check_name FROM {batch}").fetchall()]
    cur.execute(
        "DELETE FROM health_rollup WHERE hour_start >= ? AND hour_start < ? AND list_contains(?, check_name)",
        [lo, hi, names],
    )
    cur.execute(
        """
        INSERT INTO health_rollup
        SELECT check_name, date_trunc('hour', checked_at) AS hour_start, ok, latency_ms, count(*) AS n
        FROM health_checks
        WHERE checked_at >= ? AND checked_at < ? AND list_contains(?, check_name)
        GROUP BY ALL ORDER BY hour_start
        """,
        [lo, hi, names],
    )
    return written


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
    return rows.num_rows
