"""Health figures: availability, latency percentiles, the status strip, current state, TLS days.

Availability = successful checks / checks in [start, end), leaving out results that fall in a
planned period covering the check (`planned_periods`, scope 'checks' or 'all', `check_names`
NULL = every check); their rows stay stored, and a period added later changes the numbers on the
next read. Whole UTC hours untouched by a planned period are read from the exact hourly tables
(counts from `health_hourly`, latencies from `health_rollup`); partial hours and hours a period
touches are read from `health_checks`.
Percentiles are nearest-rank (a latency that was measured), over results that got an answer.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from datetime import datetime, timedelta, timezone
from typing import Any

import duckdb
import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from hypercare.store import health_since
from hypercare.store.read import arrow, first_row, frame, hour_of, scalar
from hypercare.store.schema import STATE_OF_RESULTS
from hypercare.window import Window

HOUR = timedelta(hours=1)
EPOCH = datetime(1970, 1, 1, tzinfo=timezone.utc)  # no hourly row: every raw result
PERCENTILES = (0.5, 0.95, 0.99)
_BITS, _OFFSET = 33, 1 << 31  # a (check code, latency_ms) pair as one sortable int64: code × _SHIFT + latency + _OFFSET
_SHIFT = 1 << _BITS
APPLIES = "p.scope IN ('checks', 'all') AND (p.check_names IS NULL OR list_contains(p.check_names, {name}))"


def _floor_hour(t: datetime) -> datetime:
    return t.replace(minute=0, second=0, microsecond=0)


def _ceil_hour(t: datetime) -> datetime:
    floor = _floor_hour(t)
    return floor if floor == t else floor + HOUR


def _edges(start: datetime, end: datetime) -> tuple[tuple[datetime, datetime], list[tuple], list[tuple]]:
    """How [start, end) is read: the UTC hours [lo, hi) taken whole from an hourly table, the
    ranges added from raw rows and those taken out again (the parts of a whole hour outside
    [start, end)). A partial hour is read raw, or whole minus the rest of it when the rest is
    shorter: at the live edge that rest is the future, which holds no rows to read."""
    lo, hi = _ceil_hour(start), _floor_hour(end)
    if lo > hi:  # inside one hour
        if HOUR - (end - start) < end - start:
            return (hi, lo), [], [(hi, start), (end, lo)]
        return (lo, lo), [(start, end)], []
    plus, minus = [], []
    if start < lo:
        if start - (lo - HOUR) < lo - start:
            lo -= HOUR
            minus.append((lo, start))
        else:
            plus.append((start, lo))
    if hi < end:
        if _ceil_hour(end) - end < end - hi:
            minus.append((end, hi + HOUR))
            hi += HOUR
        else:
            plus.append((hi, end))
    return (lo, hi), plus, minus


def results_sql(
    cur: duckdb.DuckDBPyConnection, start: datetime, end: datetime, check_names: Sequence[str] | None
) -> tuple[str, list[Any]]:
    """A query of the results counted in [start, end): (check_name, hour_start, ok, latency_ms, n)."""
    return _whole_hours_and_edges(cur, start, end, check_names, "check_name, hour_start, ok, latency_ms, n FROM health_rollup",
                                  "h.ok, h.latency_ms, {sign}")


def latency_sql(
    cur: duckdb.DuckDBPyConnection, start: datetime, end: datetime, check_names: Sequence[str] | None
) -> tuple[str, list[Any]]:
    """`results_sql`'s answered results, (hour_start, latency_ms, n): for every check together
    (`check_names` None) the whole hours come from `health_latency`, else from `health_rollup`."""
    if check_names is not None:
        sql, params = results_sql(cur, start, end, check_names)
        return f"SELECT hour_start, latency_ms, n FROM ({sql}) WHERE latency_ms IS NOT NULL", params
    sql, params = _whole_hours_and_edges(cur, start, end, None, "NULL AS check_name, hour_start, latency_ms, n FROM health_latency",
                                         "h.latency_ms, {sign}")
    return f"SELECT hour_start, latency_ms, n FROM ({sql}) WHERE latency_ms IS NOT NULL", params


def counts_sql(
    cur: duckdb.DuckDBPyConnection, start: datetime, end: datetime, check_names: Sequence[str] | None,
    periods: Periods | None = None,
) -> tuple[str, list[Any]]:
    """`results_sql`'s results counted per check and hour, from `health_hourly` for whole hours:
    (check_name, hour_start, ok, failed, n): ok, not ok (ok false) and all results. `periods`:
    the planned periods when the caller read them already (several spans at once)."""
    return _whole_hours_and_edges(cur, start, end, check_names,
                                  "check_name, hour_start, ok_n AS ok, failed_n AS failed, n FROM health_hourly",
                                  "{sign} * (h.ok IS TRUE)::INT, {sign} * (h.ok IS FALSE)::INT, {sign}", periods)


Periods = list[tuple[datetime, datetime, list[str] | None]]  # planned periods covering checks: start, end, names


def _planned_periods(cur: duckdb.DuckDBPyConnection) -> Periods:
    return cur.execute("SELECT starts_at, ends_at, check_names FROM planned_periods "
                       "WHERE scope IN ('checks', 'all')").fetchall()


def _planned(periods: Periods, start: datetime, end: datetime) -> tuple[str, list[Any]]:
    """A condition on health_checks h: the result lies in [start, end) inside a planned period
    that covers its check. An OR of the periods' ranges, so DuckDB's zone maps skip the rest."""
    clipped = [(max(s, start), min(e, end), names) for s, e, names in periods if s < end and e > start]
    conditions = [f"(h.checked_at >= ? AND h.checked_at < ?{'' if names is None else ' AND list_contains(?, h.check_name)'})"
                  for _, _, names in clipped]
    return " OR ".join(conditions) or "FALSE", [v for s, e, names in clipped for v in (s, e, names) if v is not None]


def _whole_hours_and_edges(
    cur: duckdb.DuckDBPyConnection, start: datetime, end: datetime, check_names: Sequence[str] | None,
    hourly: str, raw: str, periods: Periods | None = None,
) -> tuple[str, list[Any]]:
    """`hourly` (a select list and table keyed by check_name, hour_start) for the hours `_edges`
    reads whole, and `raw` (the same columns after check_name and hour_start, over health_checks
    h, its counts multiplied by `{sign}`) for the raw ranges: added, taken out, and taken out
    where a planned period covers the check (`periods`, read when not given). Rows may count
    -1: consumers sum them."""
    (lo, hi), plus, minus = _edges(start, end)
    planned, planned_params = _planned(_planned_periods(cur) if periods is None else periods, start, end)
    names = [] if check_names is None else [list(check_names)]
    named = "TRUE" if check_names is None else "{}check_name IN (SELECT unnest(?::VARCHAR[]))"
    sign = f"CASE WHEN {_ranges(minus)} THEN -1 ELSE 1 END" if minus else "1"
    # plain comparisons: TIMESTAMPTZ + INTERVAL goes through the calendar on every row
    sql = f"""
        SELECT {hourly}
        WHERE hour_start >= ? AND hour_start < ? AND {named.format('')}
        UNION ALL
        SELECT h.check_name, {hour_of('h.checked_at')}, {raw.format(sign='h.sign')}
        FROM (SELECT *, {sign} AS sign FROM health_checks h WHERE ({_ranges(plus + minus)}) AND {named.format('h.')}) h
        UNION ALL
        SELECT h.check_name, {hour_of('h.checked_at')}, {raw.format(sign='-1')} FROM health_checks h
        WHERE ({planned}) AND {named.format('h.')}
    """
    params: list[Any] = [lo, hi, *names]
    params += [t for span in minus for t in span] + [t for span in plus + minus for t in span] + names
    params += planned_params + names
    return sql, params


def _ranges(spans: list[tuple[datetime, datetime]]) -> str:
    """A condition on health_checks h: the result lies in one of `spans` (as many pairs of parameters)."""
    return " OR ".join("(h.checked_at >= ? AND h.checked_at < ?)" for _ in spans) or "FALSE"


def _hours(start: datetime, end: datetime) -> list[datetime]:
    hours, h = [], start
    while h < end:
        hours.append(h)
        h += HOUR
    return hours


def availability(
    cur: duckdb.DuckDBPyConnection, start: datetime, end: datetime, check_names: Sequence[str] | None = None
) -> tuple[int, int] | None:
    """(successful checks, checks) in [start, end) outside planned periods; None when there are none."""
    sql, params = counts_sql(cur, start, end, check_names)
    ok, total = cur.execute(f"SELECT sum(ok), sum(n) FROM ({sql})", params).fetchall()[0]
    return (int(ok or 0), int(total)) if total else None


def hourly_counts(
    cur: duckdb.DuckDBPyConnection, start: datetime, end: datetime, check_names: Sequence[str] | None = None
) -> pd.DataFrame:
    """`availability`'s counts per UTC hour of [start, end): indexed by hour_start, columns ok and
    total (hours without a counted result are absent)."""
    sql, params = counts_sql(cur, start, end, check_names)
    return frame(
        cur,
        f"SELECT hour_start, coalesce(sum(ok), 0)::BIGINT AS ok, sum(n)::BIGINT AS total FROM ({sql}) GROUP BY 1 "
        "HAVING sum(n) > 0",
        params,
    ).set_index("hour_start")


def hourly_counts_by_check(cur: duckdb.DuckDBPyConnection, start: datetime, end: datetime) -> pd.DataFrame:
    """`availability`'s counts of every check in [start, end), as rows to sum: indexed by
    hour_start, columns check_name, ok and total (a check may have several rows in an hour). One
    read that the counts of any set of checks, per hour, can be summed from."""
    periods = _planned_periods(cur)
    _, plus, minus = _edges(start, end)
    if plus or minus or any(s < end and e > start for s, e, _ in periods):
        sql, params = counts_sql(cur, start, end, None, periods)
        return frame(cur, f"SELECT hour_start, check_name, sum(ok)::BIGINT AS ok, sum(n)::BIGINT AS total FROM ({sql}) "
                          "GROUP BY ALL", params).set_index("hour_start")
    # whole hours that no planned period touches: `counts_sql` would read just these rows, and
    # leaving out its empty raw parts and the grouping saves ~5 ms on 24,000 rows
    return frame(cur, "SELECT hour_start, check_name, ok_n AS ok, n AS total FROM health_hourly "
                      "WHERE hour_start >= ? AND hour_start < ?", [start, end]).set_index("hour_start")


def latency_histogram(
    cur: duckdb.DuckDBPyConnection, start: datetime, end: datetime, check_names: Sequence[str] | None = None
) -> pd.DataFrame:
    """Results that got an answer in [start, end), outside planned periods, over the checks
    together: indexed by UTC hour_start, columns latency_ms and n (how many had that latency).
    `nearest_rank` turns any run of its hours into the same percentile `percentiles` gives."""
    sql, params = latency_sql(cur, start, end, check_names)
    return frame(cur, f"SELECT hour_start, latency_ms, sum(n)::BIGINT AS n FROM ({sql}) GROUP BY ALL HAVING sum(n) > 0",
                 params).set_index("hour_start")


def nearest_rank(histogram: pd.DataFrame, q: float) -> float | None:
    """The nearest-rank `q`-quantile of a latency_ms / n histogram (as `percentiles` defines it);
    None when it is empty."""
    counts = histogram.groupby("latency_ms")["n"].sum().sort_index()
    if counts.empty:
        return None
    cumulative = counts.cumsum().to_numpy()
    rank = max(1, math.ceil(round(q * cumulative[-1], 6)))
    return float(counts.index[int(np.searchsorted(cumulative, rank))])


def latency_percentile(
    cur: duckdb.DuckDBPyConnection, start: datetime, end: datetime, q: float, check_names: Sequence[str] | None = None
) -> float | None:
    """Nearest-rank `q`-quantile (0 < q <= 1) of latency_ms in [start, end) over the given checks
    together, outside planned periods; None when no check got an answer."""
    table = percentiles(cur, start, end, check_names, qs=(q,), by_check=False)
    return None if table.empty else float(table.iloc[0, 1])


def percentiles(
    cur: duckdb.DuckDBPyConnection,
    start: datetime,
    end: datetime,
    check_names: Sequence[str] | None = None,
    qs: Sequence[float] = PERCENTILES,
    by_check: bool = True,
    periods: Periods | None = None,
) -> pd.DataFrame:
    """Nearest-rank latency quantiles: one row per check (or one 'all' row), a column p<q*100>.
    `periods`: the planned periods when the caller read them already."""
    if not 0 < min(qs) <= max(qs) <= 1:
        raise ValueError(f"quantiles must lie in (0, 1]; got {list(qs)}")
    if by_check:
        since = _since_histogram(cur, start, end, check_names, periods)
        if since is not None:
            histogram, delta = since
            return _ranks(histogram, qs, delta)
        sql, params = results_sql(cur, start, end, check_names)
        histogram = arrow(cur, f"SELECT check_name, latency_ms, sum(n)::BIGINT AS n FROM ({sql}) "
                               "WHERE latency_ms IS NOT NULL GROUP BY ALL", params)
    else:
        sql, params = latency_sql(cur, start, end, check_names)
        histogram = arrow(cur, f"SELECT 'all' AS check_name, latency_ms, sum(n)::BIGINT AS n FROM ({sql}) GROUP BY ALL",
                          params)
    return nearest_ranks(histogram, qs)


# check names; where each check's latencies start (and the last one's end); latencies, sorted per
# check; their running counts (`_cumulative`: 0 first, one more than there are latencies)
Histogram = tuple[list[str], np.ndarray, np.ndarray, np.ndarray]
Delta = tuple[np.ndarray, np.ndarray]  # keys (check code × _SHIFT + latency + _OFFSET), unsorted; counts


def nearest_ranks(histogram: pa.Table, qs: Sequence[float]) -> pd.DataFrame:
    """Per check_name of a (check_name, latency_ms, n) table (any key for check_name: the report
    passes hours), the nearest-rank latency of each quantile, as `_ranks` finds it."""
    return _ranks(_histogram(histogram), qs)


def _histogram(table: pa.Table) -> Histogram:
    """A (check_name, latency_ms, n) table as `_ranks` takes it."""
    names = table.column("check_name").combine_chunks().dictionary_encode()
    codes = names.indices.to_numpy(zero_copy_only=False)
    latency = table.column("latency_ms").to_numpy()
    order = _key_order(_keys(codes, latency))
    starts = np.searchsorted(codes[order], np.arange(len(names.dictionary) + 1))
    return names.dictionary.to_pylist(), starts, latency[order], _cumulative(table.column("n").to_numpy()[order])


def _keys(codes: np.ndarray, latency: np.ndarray) -> np.ndarray:
    return codes.astype(np.int64) * _SHIFT + latency.astype(np.int64) + _OFFSET


def _key_order(keys: np.ndarray) -> np.ndarray:
    """`np.argsort(keys, kind="stable")` of `_keys`: when the checks and the spread of latencies
    each fit 16 bits, two stable passes that NumPy does as radix sorts, latency then check
    (~4x faster on the Health page's ~100,000 delta keys than one sort of the int64 keys)."""
    if len(keys):
        codes, latency = keys >> _BITS, keys & (_SHIFT - 1)
        latency = latency - latency.min()
        if codes.max() < 1 << 16 and latency.max() < 1 << 16:
            order = np.argsort(latency.astype(np.uint16), kind="stable")
            return order[np.argsort(codes[order].astype(np.uint16), kind="stable")]
    return np.argsort(keys, kind="stable")


def _ranks(histogram: Histogram, qs: Sequence[float], delta: Delta | None = None) -> pd.DataFrame:
    """Per check of a histogram (plus an optional delta over the same names, its counts maybe
    negative, its total never), the nearest-rank latency of each quantile: the smallest latency
    whose cumulative count reaches ceil(q × total), at least 1. All (check, quantile) pairs are
    bisected together, first over each check's own latencies, then over the delta's between the
    two found, so the delta is never merged in and each step reads a few values per pair
    (searching all the keys at every step waits on memory). Checks whose counts sum to 0 are
    left out."""
    names, starts, latency, since = histogram
    keys, changes = np.empty(0, np.int64), np.empty(0, np.int64)
    if delta is not None:
        order = _key_order(delta[0])
        keys, changes = delta[0][order], delta[1][order]
    added = _cumulative(changes)
    base = np.arange(len(names), dtype=np.int64) * _SHIFT
    first, stop = starts[:-1], starts[1:]
    before = since[first] + added[np.searchsorted(keys, base)]
    totals = since[stop] + added[np.searchsorted(keys, base + _SHIFT)] - before
    kept = np.flatnonzero(totals > 0)
    table: dict[str, Any] = {"check_name": np.asarray(names, dtype=object)[kept] if len(kept) else pd.Series(dtype=object)}
    if len(kept):
        base, first, stop = (np.tile(a[kept], len(qs)) for a in (base, first, stop))
        # round(): 0.95 * 100 is 95.00000000000001 in floating point, whose ceil would skip a rank
        rank = np.concatenate([np.maximum(1, np.ceil(np.round(float(q) * totals[kept], 6))) for q in qs]).astype(np.int64)
        target = np.tile(before[kept], len(qs)) + rank
        values = latency if len(latency) else np.zeros(1, np.int32)  # none: every pair's answer is a delta key
        key = lambda i: base + values[i] + _OFFSET  # noqa: E731
        # the first of each check's own latencies whose count reaches the target (stop: none does)
        i = _first_reaching(first - 1, stop, lambda at: since[at + 1] + added[np.searchsorted(keys, key(at), "right")] >= target)
        # a delta key between that latency and the one before may reach it first
        low = np.where(i > first, key(np.maximum(i - 1, 0)), base - 1)
        high = np.where(i < stop, key(np.minimum(i, len(values) - 1)), base + _SHIFT)
        j_low, j_high = np.searchsorted(keys, low, "right"), np.searchsorted(keys, high)
        # the delta counted up to each key probed, its equal keys included (not worked out for every key)
        j = _first_reaching(j_low - 1, j_high,
                            lambda at: since[i] + added[np.searchsorted(keys, keys[at], "right")] >= target)
        answer = np.where(j < j_high, keys[np.minimum(j, len(keys) - 1)] if len(keys) else high, high)
        for q, found in zip(qs, np.split(answer - base - _OFFSET, len(qs))):
            table[f"p{q * 100:g}"] = found.astype(np.int32)
    else:
        table.update({f"p{q * 100:g}": pd.Series(dtype="int32") for q in qs})
    found = pd.DataFrame(table)
    return found.sort_values("check_name", kind="stable").reset_index(drop=True)


def _first_reaching(low: np.ndarray, high: np.ndarray, reached: Callable[[np.ndarray], np.ndarray]) -> np.ndarray:
    """Per pair, the first index in (low, high) where `reached` holds (monotone in the index), else
    high: bisected together, `reached` asked only inside."""
    while (active := high - low > 1).any():
        middle = np.where(active, (low + high) // 2, high - 1)
        hit = active & reached(np.maximum(middle, 0))
        low, high = np.where(hit | ~active, low, middle), np.where(hit, middle, high)
    return high


def _cumulative(counts: np.ndarray) -> np.ndarray:
    """0, then the running totals of `counts`."""
    cumulative = np.zeros(len(counts) + 1, dtype=np.int64)
    cumulative[1:] = counts  # then summed in place: ~15x faster than np.cumsum casting int32 counts as it goes
    return np.cumsum(cumulative, out=cumulative)


def _since_histogram(
    cur: duckdb.DuckDBPyConnection, start: datetime, end: datetime, check_names: Sequence[str] | None,
    periods: Periods | None = None,
) -> tuple[Histogram, Delta | None] | None:
    """`results_sql`'s latencies by check over [start, end) as `_ranks` takes them, from
    `health_since` when it counts from `start` (the go-live), else None: its counts plus every
    result in [through, end) (or minus [end, through)), minus those in planned periods (counted
    in health_since, left out of figures: those it counts are taken out of what is kept)."""
    found = health_since.span(cur)
    if found is None or found[0] != start or end <= start:
        return None
    through = found[2]
    names = list(check_names) if check_names is not None else None
    periods = _planned_periods(cur) if periods is None else periods
    counted = min(through, end)  # planned results before it: out of the kept counts; after it: out of the delta
    since = _since_kept(cur, found[3], names, _planned(periods, start, counted))
    (lo, hi), plus, minus = _edges(*sorted((through, end)))
    sign = 1 if end > through else -1  # [through, end) comes in, or [end, through) out
    planned, planned_params = _planned(periods, counted, end)
    delta = arrow(cur, f"""
        SELECT check_name, latency_ms, {sign} * n AS n FROM health_rollup
        WHERE hour_start >= ? AND hour_start < ? AND latency_ms IS NOT NULL
        UNION ALL
        SELECT h.check_name, h.latency_ms, CASE WHEN {_ranges(minus)} THEN {-sign} ELSE {sign} END FROM health_checks h
        WHERE ({_ranges(plus + minus)}) AND h.latency_ms IS NOT NULL
        UNION ALL
        SELECT h.check_name, h.latency_ms, -1 FROM health_checks h WHERE ({planned}) AND h.latency_ms IS NOT NULL
    """, [lo, hi, *(t for span in minus + plus + minus for t in span), *planned_params])
    return _with_delta(since, _named(delta, names))


def _named(table: pa.Table, names: list[str] | None) -> pa.Table:
    """The rows of `table` (check_name, ...) of the named checks (None: all)."""
    if names is None:
        return table
    return table.filter(pc.is_in(table.column("check_name"), value_set=pa.array(names, pa.string())))


_KEPT: dict[tuple, Histogram] = {}  # the latest counts kept, by (version, names, planned periods)


def _since_kept(
    cur: duckdb.DuckDBPyConnection, version: str, names: list[str] | None, planned: tuple[str, list[Any]]
) -> Histogram:
    """`health_since`'s counts of the named checks (None: all) less those of its results that lie
    in planned periods (`planned`: `_planned`'s condition over the hours it counts), kept under
    the span's version they were read at: the counts change once an hour (or when late results
    arrive) and the Health page reads them on every run (~10 % of its table), and a cutover
    planned at the go-live is some 30,000 results to take out again on each."""
    condition, params = planned
    key = (version, None if names is None else tuple(names), condition, repr(params))
    kept = _KEPT.get(key)
    if kept is not None:
        return kept
    # the version read with the rows, so what is kept is what that version holds; n as INTEGER[]:
    # DuckDB hands two list columns over ~2x faster when they share a width
    read = arrow(cur, "SELECT (SELECT version::VARCHAR FROM health_since_span) AS version, check_name, latency_ms, "
                      "n::INTEGER[] AS n FROM health_since" + ("" if names is None else " WHERE check_name IN "
                                                               "(SELECT unnest(?::VARCHAR[]))"), [] if names is None else [names])
    taken = arrow(cur, f"SELECT h.check_name, h.latency_ms, -1 AS n FROM health_checks h WHERE ({condition}) "
                       "AND h.latency_ms IS NOT NULL", params)
    histogram = _merged(*_plus(read.drop_columns(["version"]), _named(taken, names)))
    if read.num_rows:
        _KEPT.clear()
        _KEPT[(read.column("version")[0].as_py(), *key[1:])] = histogram
    return histogram


def _plus(since: pa.Table, delta: pa.Table) -> tuple[Histogram, Delta | None]:
    """`health_since`'s rows (check_name, latency_ms and n lists sorted by latency) and a
    (check_name, latency_ms, n) delta as `_ranks` takes them, over the same names."""
    lists, counts = since.column("latency_ms").combine_chunks(), since.column("n").combine_chunks()
    offsets = lists.offsets.to_numpy().astype(np.int64)
    return _with_delta((since.column("check_name").to_pylist(), offsets - offsets[0], lists.flatten().to_numpy(),
                        _cumulative(counts.flatten().to_numpy())), delta)


def _with_delta(histogram: Histogram, delta: pa.Table) -> tuple[Histogram, Delta | None]:
    """`histogram` and a (check_name, latency_ms, n) delta as `_ranks` takes them, over the same
    names: the delta's others are added to the histogram's, with no latencies of their own."""
    names, starts, latency, since = histogram
    if delta.num_rows == 0:
        return histogram, None
    column = delta.column("check_name").combine_chunks().dictionary_encode()  # the delta's names hashed once
    words = column.dictionary
    names = names + pc.filter(words, pc.invert(pc.is_in(words, value_set=pa.array(names, pa.string())))).to_pylist()
    codes = pc.index_in(words, value_set=pa.array(names, pa.string())).to_numpy(zero_copy_only=False)
    starts = np.r_[starts, np.full(len(names) - len(starts) + 1, starts[-1])]  # names only the delta has
    return (names, starts, latency, since), (_keys(codes[column.indices.to_numpy(zero_copy_only=False)],
                                                   delta.column("latency_ms").to_numpy()), delta.column("n").to_numpy())


def _merged(histogram: Histogram, delta: Delta | None) -> Histogram:
    """`histogram` with `delta` counted in: one sorted list of latencies per check again, those
    whose count comes to 0 left out. The histogram's keys are sorted and each there once: the
    delta's are summed per key and added where found, inserted where not (sorting all the keys
    together took ~4x as long on a 500,000-latency histogram)."""
    if delta is None:
        return histogram
    names, starts, latency, since = histogram
    keys, counts = _keys(np.repeat(np.arange(len(names)), np.diff(starts)), latency), np.diff(since)
    order = _key_order(delta[0])
    changed, changes = delta[0][order], delta[1][order]
    first = np.flatnonzero(np.r_[True, np.diff(changed) != 0])  # each delta key's first copy
    changed, changes = changed[first], np.add.reduceat(changes, first)
    at = np.searchsorted(keys, changed)
    found = at < len(keys)
    found[found] = keys[at[found]] == changed[found]
    counts[at[found]] += changes[found]
    keys, counts = np.insert(keys, at[~found], changed[~found]), np.insert(counts, at[~found], changes[~found])
    keys, counts = keys[counts != 0], counts[counts != 0]
    codes = keys >> _BITS
    return (names, np.searchsorted(codes, np.arange(len(names) + 1)), (keys - codes * _SHIFT - _OFFSET).astype(np.int32),
            _cumulative(counts))


def availability_by_check(
    cur: duckdb.DuckDBPyConnection, start: datetime, end: datetime, check_names: Sequence[str] | None = None
) -> pd.DataFrame:
    """Per check with results in [start, end): ok, total, availability (percent)."""
    sql, params = counts_sql(cur, start, end, check_names)
    return frame(
        cur,
        f"""
        SELECT check_name, nullif(sum(ok), 0) AS ok, sum(n) AS total,
               100.0 * coalesce(sum(ok), 0) / sum(n) AS availability
        FROM ({sql}) GROUP BY check_name HAVING sum(n) > 0 ORDER BY check_name
        """,
        params,
    )


def status_strip(
    cur: duckdb.DuckDBPyConnection, start: datetime, end: datetime, check_names: Sequence[str]
) -> pd.DataFrame:
    """One row per (check, UTC hour) overlapping [start, end): ok, total and status: "up" (all
    ok), "down" (none ok), "degraded" (some), "planned" (only planned time), "no data"."""
    if not check_names or start >= end:
        return pd.DataFrame(columns=["check_name", "hour_start", "ok", "total", "status"])
    sql, params = counts_sql(cur, start, end, check_names)
    hours = _hours(_floor_hour(start), end)
    return frame(
        cur,
        f"""
        WITH counted AS (SELECT check_name, hour_start, nullif(sum(ok), 0) AS ok, sum(n) AS total
                         FROM ({sql}) GROUP BY ALL),
        grid AS (SELECT c.check_name, c.i, h.hour_start
                 FROM (SELECT unnest(l) AS check_name, unnest(range(len(l))) AS i FROM (SELECT ?::VARCHAR[] AS l)) c,
                 (SELECT unnest(?::TIMESTAMPTZ[]) AS hour_start) h)
        SELECT g.check_name, g.hour_start, coalesce(c.ok, 0)::BIGINT AS ok, coalesce(c.total, 0)::BIGINT AS total,
               CASE WHEN c.total > 0 AND c.ok = c.total THEN 'up'
                    WHEN c.total > 0 AND coalesce(c.ok, 0) = 0 THEN 'down'
                    WHEN c.total > 0 THEN 'degraded'
                    WHEN EXISTS (SELECT 1 FROM planned_periods p WHERE {APPLIES.format(name='g.check_name')}
                                 AND p.starts_at < g.hour_start + INTERVAL 1 HOUR AND p.ends_at > g.hour_start)
                         THEN 'planned'
                    ELSE 'no data' END AS status
        FROM grid g LEFT JOIN counted c USING (check_name, hour_start)
        ORDER BY g.i, g.hour_start
        """,
        params + [list(check_names), hours],
    )


def current_states(cur: duckdb.DuckDBPyConnection, now: datetime, check_names: Sequence[str]) -> pd.DataFrame:
    """Per check, as of `now`: state ("up", "down", "unknown") and since when, the latest
    result, the latest failure with its reason, the first result, and TLS days left.

    The hours before the latest hour with results (by `now`) are read from `health_state` (those
    merged already) and `health_hourly`, that hour from the raw results up to `now`, shaped alike
    and merged: the latest results always come from `health_checks` itself."""
    hour, through = first_row(cur, "SELECT (SELECT max(hour_start) FROM health_hourly WHERE hour_start <= ?), "
                                   "(SELECT max(through) FROM health_state)", [now])
    hour = hour or EPOCH
    merged = through is not None and through <= hour  # health_state holds no hour after `now`'s
    raw = f"SELECT check_name, {STATE_OF_RESULTS} FROM health_checks WHERE checked_at >= ? AND checked_at <= ? GROUP BY ALL"
    return frame(
        cur,
        f"""
        WITH flips AS (SELECT check_name, arg_max(to_state, changed_at) AS state, max(changed_at) AS since
                  FROM check_transitions WHERE changed_at <= ? GROUP BY check_name),
        hourly AS (SELECT * EXCLUDE (through) FROM health_state WHERE ?
                   UNION ALL BY NAME
                   SELECT * EXCLUDE (hour_start) FROM health_hourly WHERE hour_start >= ? AND hour_start < ?
                   UNION ALL BY NAME ({raw})),
        results AS (SELECT check_name, min(first_at) AS first_checked_at, max(last_at) AS last_checked_at,
                           arg_max(last_ok, last_ok_at) AS last_ok, max(last_failure_at) AS last_failure_at,
                           arg_max(last_failure, last_failure_error_at) AS last_failure,
                           arg_max(cert_expires_at, cert_at) AS cert_expires_at
                    FROM hourly GROUP BY check_name)
        SELECT n.check_name, coalesce(f.state, 'unknown') AS state, f.since,
               r.last_checked_at, r.last_ok, r.last_failure_at, r.last_failure, r.first_checked_at,
               r.cert_expires_at, epoch(r.cert_expires_at - ?::TIMESTAMPTZ) / 86400 AS tls_days_left
        FROM (SELECT unnest(l) AS check_name, unnest(range(len(l))) AS i FROM (SELECT ?::VARCHAR[] AS l)) n
        LEFT JOIN flips f USING (check_name) LEFT JOIN results r USING (check_name)
        ORDER BY n.i
        """,
        [now, merged, through if merged else EPOCH, hour, hour, now, now, list(check_names)],
    )


def down_at(cur: duckdb.DuckDBPyConnection, at: datetime, check_names: Sequence[str]) -> int:
    """How many of the checks were in state "down" at `at` (their latest transition by then),
    read from check_transitions alone so it stays cheap on a big results table."""
    return int(cur.execute(
        """SELECT count(*) FROM (SELECT check_name, arg_max(to_state, changed_at) AS state FROM check_transitions
                                 WHERE changed_at <= ? AND list_contains(?::VARCHAR[], check_name) GROUP BY check_name)
           WHERE state = 'down'""",
        [at, list(check_names)],
    ).fetchall()[0][0])


def check_summary(
    cur: duckdb.DuckDBPyConnection, now: datetime, window: Window, check_names: Sequence[str]
) -> pd.DataFrame:
    """The Health page's table: `current_states` plus availability (percent) over the elapsed
    window, the last 24 h, the last hour, and the same hours of the baseline as the elapsed
    window (the mean over `Window.baseline_samples`, like the Overview's tile), and latency
    percentiles over the elapsed window. Availability is None where a check has no counted
    result; the baseline is None ("no baseline") where the same hours have no copy or the
    copies hold no result of that check."""
    table = current_states(cur, now, check_names)
    elapsed = window.elapsed(now)
    samples = window.baseline_samples(elapsed)
    spans = {
        "availability_window": (elapsed.start, elapsed.end),
        "availability_24h": (now - timedelta(hours=24), now),
        "availability_1h": (now - HOUR, now),
        **{f"baseline {i}": (s.start, s.end) for i, s in enumerate(samples)},
    }
    periods = _planned_periods(cur)
    # every check: no name filter per row; the reindex below picks
    found = _availability_by_span(cur, spans, periods)
    copies = sorted(c for c in found.columns if c.startswith("baseline"))
    found["availability_baseline"] = found[copies].mean(axis=1) if copies else np.nan
    found = found.reindex(columns=[*list(spans)[:3], "availability_baseline"])
    latency = percentiles(cur, elapsed.start, elapsed.end, periods=periods).set_index("check_name")
    picked = pd.concat([found, latency], axis=1).reindex(table["check_name"])
    return pd.concat([table, picked.set_axis(table.index)], axis=1)  # one concat: assigning 7 columns took ~2x


def _availability_by_span(
    cur: duckdb.DuckDBPyConnection, spans: dict[str, tuple[datetime, datetime]], periods: Periods
) -> pd.DataFrame:
    """`availability_by_check`'s percentage for each named span in one query, a column each,
    indexed by check_name (the checks with a counted result in some span; None where a span has
    none). Read as `counts_sql` reads, with only the counts availability takes (each raw range a
    plain scan, the span a number): a statement this size spent half its time being planned."""
    parts, params = [], []
    for i, (start, end) in enumerate(spans.values()):
        (lo, hi), plus, minus = _edges(start, end)
        planned, planned_params = _planned(periods, start, end)
        parts.append(f"SELECT {i} AS span, check_name, ok_n AS ok, n FROM health_hourly WHERE hour_start >= ? AND hour_start < ?")
        params += [lo, hi]
        for sign, condition, more in ((1, _ranges(plus), plus), (-1, _ranges(minus), minus), (-1, planned, None)):
            if condition != "FALSE":
                parts.append(f"SELECT {i}, h.check_name, {sign} * (h.ok IS TRUE)::INT, {sign} FROM health_checks h "
                             f"WHERE {condition}")
                params += planned_params if more is None else [t for span in more for t in span]
    columns = ", ".join(f'max(a) FILTER (WHERE span = {i}) AS "{label}"' for i, label in enumerate(spans))
    return cur.execute(f"""
        SELECT check_name, {columns}
        FROM (SELECT span, check_name, 100.0 * coalesce(sum(ok), 0) / sum(n) AS a
              FROM ({" UNION ALL ".join(parts)}) GROUP BY ALL HAVING sum(n) > 0)
        GROUP BY check_name
    """, params).df().set_index("check_name")
