"""A CSV export read by DuckDB's own CSV reader into a staging Arrow table and made raw tickets in SQL.

Same result as `csv.read_tickets` (Python's csv module, one row at a time), which stays the
reference and the path for files DuckDB reads differently:
- fields are stripped of what `str.strip` strips; a row whose fields are all empty is ignored;
- times: ISO 8601 forms that DuckDB reads the same way are parsed in SQL; a time without an
  offset takes the zone's offset of its day, except on a day with a DST change, where it goes
  through Python's zoneinfo like every other value (an ambiguous time is its first occurrence, a
  time in the spring gap takes the offset before it). Both happen in the one statement that reads
  the file, through two vectorised Python functions (a day's offset, a time's text) that compute
  each distinct day or text once;
- problems keep their line numbers: only when a file has some does one pass of Python's csv
  module (C, no row objects) say where each record starts. When that pass and DuckDB disagree on
  the records (a quote DuckDB won't read, mixed line ends, …), `None` sends the file to the
  reference path, as does any error of DuckDB's reader.
"""

from __future__ import annotations

import codecs
import csv
import tempfile
from array import array
from datetime import datetime, time
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import duckdb
import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from collectors.tickets.normalise import TS
from hypercare.config import CsvSource

# Every character str.strip() removes.
WHITESPACE = "\t\n\x0b\x0c\r\x1c\x1d\x1e\x1f \x85\xa0\u1680\u2000\u2001\u2002\u2003\u2004\u2005\u2006\u2007\u2008\u2009\u200a\u2028\u2029\u202f\u205f\u3000"
SPACE = "[" + "".join(f"\\x{{{ord(c):x}}}" for c in WHITESPACE) + "]"  # RE2: any of them
_TIME = r"(?:[01]\d|2[0-3]):[0-5]\d(?::[0-5]\d(?:\.\d{1,6})?)?"
# datetime.fromisoformat forms DuckDB casts to the same value: a date (years 1000-9999; DuckDB also
# takes year 0), optionally a time, and an offset.
NAIVE = rf"[1-9]\d{{3}}-\d\d-\d\d(?:[ T]{_TIME})?"
AWARE = rf"([1-9]\d{{3}}-\d\d-\d\d[ T]{_TIME})(Z|[+-](?:[01]\d|2[0-3]):?[0-5]\d)"
ROWS, RAW = "_csv_rows", "_csv_raw"
_TABLES = ("_csv_rejects", "_csv_scans")


def stage(cur: duckdb.DuckDBPyConnection, src: CsvSource, tz: ZoneInfo, header: Any, width: int,
          time_problem: Any) -> tuple[int, list[str]] | None:
    """Read the file into the relation RAW (RAW_SCHEMA): an Arrow table registered on `cur` and
    a temporary view (read outside any transaction: a reader error must not abort one; `drop`
    removes them); return (rows kept, one "line N: …" per unreadable row), or None for the
    reference path.

    `header` is the checked header (field → column index, field → header name); `time_problem`
    turns a time's text into (instant, None) or (None, what is wrong), as the reference does."""
    functions = _functions(cur, tz, src.time_format, time_problem)
    names = {f"{field}_name": header.names.get(field, "") for field in ("ticket_id", "created_at", "updated_at")}
    with tempfile.TemporaryDirectory() as folder:
        path = _utf8(src, Path(folder))
        try:
            rows = _read(cur, path, src, header.index, width, functions, names)
        except duckdb.Error:
            return None
    staged = rows.num_rows
    cur.register(ROWS, rows.append_column("pos", pa.array(np.arange(staged))))
    rejected = cur.execute("SELECT count(*) FROM _csv_rejects").fetchall()[0][0]
    bad = cur.execute(f"SELECT pos, problem FROM {ROWS} WHERE problem IS NOT NULL ORDER BY pos").fetchall()
    found: list[tuple[int, str]] = []
    if rejected or bad:
        lines = _record_lines(src, width, staged, found)
        if lines is None:
            return None
        found += [(lines[pos], problem) for pos, problem in bad]
    problems = [f"line {line}: {problem}" for line, problem in sorted(found)]
    cur.execute(f"CREATE TEMP VIEW {RAW} AS {_RAW_SQL}")
    kept = cur.execute(f"SELECT count(*) FROM {RAW}").fetchall()[0][0]
    return kept, problems


def drop(cur: duckdb.DuckDBPyConnection) -> None:
    """Remove what `stage` made (the cursor outlives the run)."""
    cur.execute(f"DROP VIEW IF EXISTS {RAW}")
    cur.unregister(ROWS)
    for table in _TABLES:
        cur.execute(f"DROP TABLE IF EXISTS {table}")
    for name in _function_names(cur):
        try:
            cur.remove_function(name)
        except duckdb.InvalidInputException:  # not registered (stage stopped before)
            pass


def _utf8(src: CsvSource, folder: Path) -> Path:
    """The file itself when it is UTF-8, else a UTF-8 copy (decoded by Python's codec, as the
    reference reads it). The caller has already decoded it once, so this cannot fail."""
    if codecs.lookup(src.encoding).name in ("utf-8", "utf-8-sig"):
        return src.path
    copy = folder / "export.csv"
    with open(src.path, encoding=src.encoding, newline="") as f, open(copy, "w", encoding="utf-8", newline="") as out:
        while chunk := f.read(1 << 20):
            out.write(chunk)
    return copy


def _function_names(cur: duckdb.DuckDBPyConnection) -> tuple[str, str]:
    """(a day's offset, a time's text): Python functions are seen by every cursor of the
    database, so each cursor (one per thread) registers its own."""
    return f"_csv_day_offset_{id(cur):x}", f"_csv_time_{id(cur):x}"


def _functions(cur: duckdb.DuckDBPyConnection, tz: ZoneInfo, fmt: str | None, time_problem: Any) -> tuple[str, str]:
    """Register the two Python functions the read calls, per batch of rows (Arrow arrays), each
    distinct day or text computed once per run: a date's offset in `tz` in seconds (NULL on a
    day with a DST change), and a time's text as {at, problem} (`time_problem`). Both return NULL
    for some rows, which DuckDB allows only with the "special" null handling."""
    drop(cur)
    day_name, time_name = _function_names(cur)
    offsets: dict[Any, int | None] = {}
    times: dict[str, tuple[Any, str | None]] = {}

    def day_offsets(days: pa.Array) -> pa.Array:
        distinct = pc.unique(days)
        found = [None if d is None else offsets[d] if d in offsets else offsets.setdefault(d, _day_offset(d, tz))
                 for d in distinct.to_pylist()]
        return pc.take(pa.array(found, pa.int32()), pc.index_in(days, value_set=distinct))

    def read_times(texts: pa.Array) -> pa.Array:
        distinct = pc.unique(texts)
        found = [times[t] if t in times else times.setdefault(t, time_problem(t)) for t in distinct.to_pylist()]
        read = pa.StructArray.from_arrays([pa.array([f[0] for f in found], TS), pa.array([f[1] for f in found], pa.string())],
                                          names=["at", "problem"])
        return pc.take(read, pc.index_in(texts, value_set=distinct))

    cur.create_function(day_name, day_offsets, [duckdb.sqltype("DATE")], duckdb.sqltype("INTEGER"), type="arrow",
                        null_handling="special")
    cur.create_function(time_name, read_times, [duckdb.sqltype("VARCHAR")],
                        duckdb.struct_type({"at": duckdb.sqltype("TIMESTAMPTZ"), "problem": duckdb.sqltype("VARCHAR")}),
                        type="arrow", null_handling="special")
    return day_name, time_name


def _strip(column: str) -> str:
    """`column` as str.strip() leaves it ('' for NULL); the trim over every whitespace character
    costs ten times more, so it only runs on a value that starts or ends outside printable ASCII."""
    return (f"coalesce(CASE WHEN ascii({column}) BETWEEN 33 AND 126 AND ascii(right({column}, 1)) BETWEEN 33 AND 126 "
            f"THEN {column} ELSE trim({column}, $ws) END, '')")


def _read(cur: duckdb.DuckDBPyConnection, path: Path, src: CsvSource, index: dict[str, int], width: int,
          functions: tuple[str, str], names: dict[str, str]) -> pa.Table:
    """One row per record of the right width, in file order, with the stripped texts the mapping
    reads, the instants and, for a record that can't be kept, the problem; other records land in
    the rejects table. A 4 MB read buffer (DuckDB's default is
    32 MB) keeps the read's memory near the size of the data. An Arrow table is made faster than
    a temporary table and read faster by the merge's scans."""
    columns = "{" + ", ".join(f"'c{i}': 'VARCHAR'" for i in range(width)) + "}"

    def text(field: str) -> str:
        return _strip(f"c{index[field]}") if field in index else "''"

    def nullable(field: str) -> str:
        return f"nullif({text(field)}, '')" if field in index else "NULL::VARCHAR"

    day_offset, read_time = functions
    # Each time as SQL reads it (NULL when it can't, or with a configured format), then as Python does.
    in_sql = ", ".join(
        f"""CASE WHEN regexp_full_match({f}_text, '{NAIVE}')
                 THEN (TRY_CAST({f}_text AS TIMESTAMP) - to_seconds({day_offset}(TRY_CAST({f}_text AS DATE)))) AT TIME ZONE 'UTC'
                 WHEN regexp_full_match({f}_text, '{AWARE}')
                 THEN (TRY_CAST(regexp_extract({f}_text, '{AWARE}', 1) AS TIMESTAMP)
                       - to_minutes(_csv_offset(regexp_extract({f}_text, '{AWARE}', 2)))) AT TIME ZONE 'UTC'
            END AS {f}_sql""" if not src.time_format else f"NULL::TIMESTAMPTZ AS {f}_sql"
        for f in ("created_at", "updated_at"))
    in_python = ", ".join(f"CASE WHEN {f}_sql IS NULL THEN {read_time}({f}_text) END AS {f}_read"
                          for f in ("created_at", "updated_at"))
    cur.execute("""CREATE OR REPLACE TEMP MACRO _csv_offset(z) AS
        CASE WHEN z = 'Z' THEN 0 ELSE (CASE WHEN z[1] = '-' THEN -1 ELSE 1 END)
             * (z[2:3]::INTEGER * 60 + z[-2:]::INTEGER) END""")
    return cur.sql(
        f"""SELECT any_field, ticket_id, title, url, status_raw, priority_raw, category_raw, labels, created_at,
               CASE WHEN updated_at_text = '' THEN created_at ELSE updated_at END AS updated_at,
               -- the reference's order: an empty id, then the created time, then the updated time
               CASE WHEN NOT any_field THEN NULL
                    WHEN ticket_id = '' THEN $ticket_id_name || ' is empty'
                    WHEN created_at IS NULL THEN $created_at_name || ' ' || created_at_read.problem
                    WHEN updated_at_text <> '' AND updated_at IS NULL THEN $updated_at_name || ' ' || updated_at_read.problem
               END AS problem
        FROM (SELECT *, coalesce(created_at_sql, created_at_read.at) AS created_at,
                        coalesce(updated_at_sql, updated_at_read.at) AS updated_at
              FROM (SELECT *, {in_python}
                    FROM (SELECT * EXCLUDE (labels_text), {in_sql},
                                 list_filter(CASE WHEN regexp_matches(labels_text, '{SPACE}')
                                                  THEN list_transform(string_split(labels_text, ','), lambda v: trim(v, $ws))
                                                  ELSE string_split(labels_text, ',') END, lambda v: v <> '') AS labels
                          FROM (SELECT ({' OR '.join(f"coalesce(c{i}, '') <> ''" for i in range(width))}) AS any_field,
                                       {text('ticket_id')} AS ticket_id, {text('created_at')} AS created_at_text,
                                       {text('updated_at')} AS updated_at_text, {text('labels')} AS labels_text,
                                       {nullable('title')} AS title, {nullable('url')} AS url, {nullable('status')} AS status_raw,
                                       {text('priority') if 'priority' in index else 'NULL::VARCHAR'} AS priority_raw,
                                       {nullable('category')} AS category_raw
                                FROM read_csv($path, delim = $delim, quote = '"', escape = '"', header = true, auto_detect = false,
                                              columns = {columns}, strict_mode = true, store_rejects = true,
                                              rejects_table = '_csv_rejects', rejects_scan = '_csv_scans', encoding = 'utf-8',
                                              buffer_size = 4194304)))))""",
        params={"path": str(path), "delim": src.delimiter, "ws": WHITESPACE, **names},
    ).to_arrow_table()


def _day_offset(day: Any, tz: ZoneInfo) -> int | None:
    """The zone's UTC offset all day long, or None when it changes that day."""
    first = datetime.combine(day, time.min, tzinfo=tz).utcoffset()
    last = datetime.combine(day, time.max, tzinfo=tz).utcoffset()
    return int(first.total_seconds()) if first == last else None


_RAW_SQL = f"""SELECT pos, ticket_id, created_at, updated_at, title, url, status_raw, NULL::VARCHAR AS status,
                      priority_raw, category_raw, labels
               FROM {ROWS} WHERE any_field AND problem IS NULL"""


def _record_lines(src: CsvSource, width: int, staged: int, problems: list[tuple[int, str]]) -> array | None:
    """The line where each staged record starts (by position), read with Python's csv module as
    the reference does; records of the wrong width are added to `problems`. None when the two
    readers disagree on the records."""
    lines = array("q")
    with open(src.path, encoding=src.encoding, newline="") as f:
        reader = csv.reader(f, delimiter=src.delimiter)
        next(reader, None)
        line = reader.line_num + 1
        try:
            for fields in reader:
                if len(fields) == width:
                    lines.append(line)
                elif any(fields):
                    problems.append((line, f"{len(fields)} fields, the header has {width}"))
                line = reader.line_num + 1
        except csv.Error:
            return None
    return lines if len(lines) == staged else None
