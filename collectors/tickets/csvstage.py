"""A CSV export read by DuckDB's own CSV reader into a staging table and made raw tickets in SQL.

Same result as `csv.read_tickets` (Python's csv module, one row at a time), which stays the
reference and the path for files DuckDB reads differently:
- fields are stripped of what `str.strip` strips; a row whose fields are all empty is ignored;
- times: ISO 8601 forms that DuckDB reads the same way are parsed in SQL; a time without an
  offset takes the zone's offset of its day, except on a day with a DST change, where it goes
  through Python's zoneinfo like every other value (an ambiguous time is its first occurrence, a
  time in the spring gap takes the offset before it). Only distinct values ever reach Python;
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
import pyarrow as pa

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
STAGE, ROWS = "_csv_stage", "_csv_rows"
RAW = "_csv_raw"


def stage(cur: duckdb.DuckDBPyConnection, src: CsvSource, tz: ZoneInfo, header: Any, width: int,
          time_problem: Any) -> tuple[int, list[str]] | None:
    """Read the file into the relation RAW (RAW_SCHEMA), in temporary tables of `cur` (outside
    any transaction: a reader error must not abort one; `drop` removes them); return
    (rows kept, one "line N: …" per unreadable row), or None for the reference path.

    `header` is the checked header (field → column index, field → header name); `time_problem`
    turns a time's text into (instant, None) or (None, what is wrong), as the reference does."""
    with tempfile.TemporaryDirectory() as folder:
        path = _utf8(src, Path(folder))
        try:
            _read(cur, path, src, header.index, width)
        except duckdb.Error:
            return None
    _resolve_times(cur, tz, src.time_format, time_problem)
    names = {f"{field}_name": header.names.get(field, "") for field in ("ticket_id", "created_at", "updated_at")}
    cur.execute(f"CREATE TEMP TABLE {ROWS} AS {_ROWS_SQL}", names)
    cur.execute(f"DROP TABLE {STAGE}")
    rejected = cur.execute("SELECT count(*) FROM _csv_rejects").fetchall()[0][0]
    bad = cur.execute(f"SELECT pos, problem FROM {ROWS} WHERE problem IS NOT NULL ORDER BY pos").fetchall()
    staged = cur.execute(f"SELECT count(*) FROM {ROWS}").fetchall()[0][0]
    found: list[tuple[int, str]] = []
    if rejected or bad:
        lines = _record_lines(src, width, staged, found)
        if lines is None:
            return None
        found += [(lines[pos], problem) for pos, problem in bad]
    problems = [f"line {line}: {problem}" for line, problem in sorted(found)]
    cur.execute(f"CREATE TEMP VIEW {RAW} AS {_RAW_SQL.format(rows=ROWS)}")
    kept = cur.execute(f"SELECT count(*) FROM {RAW}").fetchall()[0][0]
    return kept, problems


def drop(cur: duckdb.DuckDBPyConnection) -> None:
    """Remove what `stage` made (the cursor outlives the run)."""
    cur.execute(f"DROP VIEW IF EXISTS {RAW}")
    for table in (STAGE, ROWS, "_csv_days", "_csv_times", "_csv_rejects", "_csv_scans"):
        cur.execute(f"DROP TABLE IF EXISTS {table}")


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


def _strip(column: str) -> str:
    """`column` as str.strip() leaves it ('' for NULL); the trim over every whitespace character
    costs ten times more, so it only runs on a value that starts or ends outside printable ASCII."""
    return (f"coalesce(CASE WHEN ascii({column}) BETWEEN 33 AND 126 AND ascii(right({column}, 1)) BETWEEN 33 AND 126 "
            f"THEN {column} ELSE trim({column}, $ws) END, '')")


def _read(cur: duckdb.DuckDBPyConnection, path: Path, src: CsvSource, index: dict[str, int], width: int) -> None:
    """STAGE: one row per record of the right width, in file order (consecutive rowids; inside a
    transaction they don't start at 0), with the stripped texts the mapping reads and each time
    split into its local part and offset; other records land in the rejects table. A 4 MB read
    buffer (DuckDB's default is 32 MB) keeps the read's memory near the size of the data."""
    columns = "{" + ", ".join(f"'c{i}': 'VARCHAR'" for i in range(width)) + "}"

    def text(field: str) -> str:
        return _strip(f"c{index[field]}") if field in index else "''"

    def nullable(field: str) -> str:
        return f"nullif({text(field)}, '')" if field in index else "NULL::VARCHAR"

    times = ", ".join(
        f"""CASE WHEN regexp_full_match({f}_text, '{NAIVE}') THEN TRY_CAST({f}_text AS TIMESTAMP)
                 WHEN regexp_full_match({f}_text, '{AWARE}') THEN TRY_CAST(regexp_extract({f}_text, '{AWARE}', 1) AS TIMESTAMP)
            END AS {f}_local,
            CASE WHEN NOT regexp_full_match({f}_text, '{NAIVE}') AND regexp_full_match({f}_text, '{AWARE}')
                 THEN _csv_offset(regexp_extract({f}_text, '{AWARE}', 2)) END AS {f}_offset"""
        for f in ("created_at", "updated_at"))
    cur.execute("""CREATE OR REPLACE TEMP MACRO _csv_offset(z) AS
        CASE WHEN z = 'Z' THEN 0 ELSE (CASE WHEN z[1] = '-' THEN -1 ELSE 1 END)
             * (z[2:3]::INTEGER * 60 + z[-2:]::INTEGER) END""")
    cur.execute(
        f"""CREATE TEMP TABLE {STAGE} AS
        SELECT * EXCLUDE (labels_text), {times},
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
                            rejects_table = '_csv_rejects', rejects_scan = '_csv_scans', encoding = 'utf-8', buffer_size = 4194304))""",
        {"path": str(path), "delim": src.delimiter, "ws": WHITESPACE},
    )


def _resolve_times(cur: duckdb.DuckDBPyConnection, tz: ZoneInfo, fmt: str | None, time_problem: Any) -> None:
    """_csv_days: the zone's offset of each day that has local times (NULL on a day with a DST
    change); _csv_times: every time text SQL did not resolve, as Python reads it."""
    if fmt:  # a configured strptime format: Python reads every distinct value
        cur.execute(f"UPDATE {STAGE} SET created_at_local = NULL, updated_at_local = NULL, "
                    "created_at_offset = NULL, updated_at_offset = NULL")
    days = cur.execute(f"""SELECT DISTINCT d FROM (
        SELECT created_at_local::DATE AS d FROM {STAGE} WHERE created_at_offset IS NULL
        UNION ALL SELECT updated_at_local::DATE FROM {STAGE} WHERE updated_at_offset IS NULL) WHERE d IS NOT NULL""").fetchall()
    offsets = [(d, _day_offset(d, tz)) for (d,) in days]
    cur.register("_csv_day_list", pa.table({"day": pa.array([d for d, _ in offsets], pa.date32()),
                                           "seconds": pa.array([s for _, s in offsets], pa.int32())}))
    cur.execute("CREATE TEMP TABLE _csv_days AS SELECT * FROM _csv_day_list")
    cur.unregister("_csv_day_list")
    unresolved = cur.execute(f"""SELECT DISTINCT t FROM (
        SELECT created_at_text AS t, created_at_local AS l, created_at_offset AS o FROM {STAGE}
        UNION ALL SELECT updated_at_text, updated_at_local, updated_at_offset FROM {STAGE} WHERE updated_at_text <> '')
        LEFT JOIN _csv_days ON day = l::DATE
        WHERE l IS NULL OR (o IS NULL AND seconds IS NULL)""").fetchall()
    read = [(t, *time_problem(t)) for (t,) in unresolved]
    cur.register("_csv_time_list", pa.table({
        "text": pa.array([r[0] for r in read], pa.string()),
        "at": pa.array([r[1] for r in read], TS),
        "problem": pa.array([r[2] for r in read], pa.string())}))
    cur.execute("CREATE TEMP TABLE _csv_times AS SELECT * FROM _csv_time_list")
    cur.unregister("_csv_time_list")


def _day_offset(day: Any, tz: ZoneInfo) -> int | None:
    """The zone's UTC offset all day long, or None when it changes that day."""
    first = datetime.combine(day, time.min, tzinfo=tz).utcoffset()
    last = datetime.combine(day, time.max, tzinfo=tz).utcoffset()
    return int(first.total_seconds()) if first == last else None


def _instant_sql(f: str) -> str:
    return f"""coalesce(
        CASE WHEN {f}_offset IS NOT NULL THEN ({f}_local - to_minutes({f}_offset)) AT TIME ZONE 'UTC'
             WHEN {f}_d.seconds IS NOT NULL THEN ({f}_local - to_seconds({f}_d.seconds)) AT TIME ZONE 'UTC' END,
        {f}_t.at)"""


_JOINS = " ".join(f"""LEFT JOIN _csv_days {f}_d ON {f}_d.day = s.{f}_local::DATE AND s.{f}_offset IS NULL
                      LEFT JOIN _csv_times {f}_t ON {f}_t.text = s.{f}_text""" for f in ("created_at", "updated_at"))
# Every staged record with its instants and, for a record that can't be kept, the problem (the
# reference's order: an empty id, then the created time, then the updated time).
_ROWS_SQL = f"""
    SELECT pos, any_field, ticket_id, title, url, status_raw, priority_raw, category_raw, labels, created_at,
           CASE WHEN updated_at_text = '' THEN created_at ELSE updated_at END AS updated_at,
           CASE WHEN NOT any_field THEN NULL
                WHEN ticket_id = '' THEN $ticket_id_name || ' is empty'
                WHEN created_at IS NULL THEN $created_at_name || ' ' || created_problem
                WHEN updated_at_text <> '' AND updated_at IS NULL THEN $updated_at_name || ' ' || updated_problem
           END AS problem
    FROM (SELECT s.rowid - (SELECT min(rowid) FROM {STAGE}) AS pos, s.*, {_instant_sql('created_at')} AS created_at, {_instant_sql('updated_at')} AS updated_at,
                 created_at_t.problem AS created_problem, updated_at_t.problem AS updated_problem
          FROM {STAGE} s {_JOINS})"""


_RAW_SQL = """SELECT pos, ticket_id, created_at, updated_at, title, url, status_raw, NULL::VARCHAR AS status,
                     priority_raw, category_raw, labels
              FROM {rows} WHERE any_field AND problem IS NULL"""


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
