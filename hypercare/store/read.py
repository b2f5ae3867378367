"""Reading helpers: run a parameterised query and get Arrow or pandas back."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime, timedelta, timezone
from typing import Any

import duckdb
import pandas as pd
import pyarrow as pa


def arrow(cur: duckdb.DuckDBPyConnection, sql: str, params: Sequence[Any] | None = None) -> pa.Table:
    """Large results come back ~10x faster as Arrow than as pandas."""
    return cur.sql(sql, params=list(params) if params else None).to_arrow_table()


_EPOCH = datetime(1970, 1, 1, tzinfo=timezone.utc)


def records(table: pa.Table) -> list[dict]:
    """`table.to_pylist()`, with instants (timestamps with a zone) built from their integer
    microseconds: ~6x faster than pyarrow's (~2.6 µs each). Their tzinfo is `timezone.utc`;
    the instants are the same."""
    columns = []
    for column in table.columns:
        if pa.types.is_timestamp(column.type) and column.type.tz is not None:
            us = column.cast(pa.timestamp("us", tz=column.type.tz)).cast(pa.int64()).to_pylist()
            columns.append([None if v is None else _EPOCH + timedelta(microseconds=v) for v in us])
        else:
            columns.append(column.to_pylist())
    return [dict(zip(table.column_names, row)) for row in zip(*columns)]


def frame(cur: duckdb.DuckDBPyConnection, sql: str, params: Sequence[Any] | None = None) -> pd.DataFrame:
    return arrow(cur, sql, params).to_pandas()


def scalar(cur: duckdb.DuckDBPyConnection, sql: str, params: Sequence[Any] | None = None) -> Any:
    # fetchall, not fetchone: DuckDB 2 refuses new work on a cursor with an unfinished result
    rows = cur.execute(sql, list(params) if params else []).fetchall()
    return rows[0][0] if rows else None


def first_row(cur: duckdb.DuckDBPyConnection, sql: str, params: Sequence[Any] | None = None) -> tuple | None:
    rows = cur.execute(sql, list(params) if params else []).fetchall()
    return rows[0] if rows else None


def hour_of(column: str) -> str:
    """SQL for the UTC hour a TIMESTAMPTZ column's value falls in. Integer maths: ~10x faster
    than date_trunc, which goes through the calendar of the session's time zone."""
    return f"to_timestamp((epoch_us({column}) // 3600000000) * 3600)"


def utc_hour(t: datetime) -> datetime:
    """The UTC hour `t` falls in, as `hour_of` (an hour on a +05:30 clock is not a UTC hour)."""
    return t.astimezone(timezone.utc).replace(minute=0, second=0, microsecond=0)


def utc_hour_ceil(t: datetime) -> datetime:
    """The first UTC hour starting at or after `t`."""
    floor = utc_hour(t)
    return floor if floor == t else floor + timedelta(hours=1)
