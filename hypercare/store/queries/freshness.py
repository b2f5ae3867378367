"""Freshness of each source: its last successful collection and whether it is stale.

Stale (DESIGN.md): no successful run for 3 x the source's interval. A source that never ran is
"never"; both make the source's figures "unknown", never green. A run still `running` is not
the latest run yet (the one before it speaks); an `interrupted` one is, and it did not succeed.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone

import duckdb

from hypercare.store.read import arrow

STALE_AFTER_INTERVALS = 3
# Runs that finished up to this long after `now` still count: pages round `now` down to share
# cached results, and a run that just finished must not look like one from the future.
NOW_SLACK = timedelta(minutes=1)
EARLIEST = datetime(1, 1, 1, tzinfo=timezone.utc)  # before any run


@dataclass(frozen=True)
class Freshness:
    collector: str
    interval_seconds: float
    last_ok_at: datetime | None
    last_run_at: datetime | None
    last_error: str | None  # of the latest run: why it failed, or what an ok run skipped
    latest_ok: bool | None  # whether the latest run succeeded; None: no run yet
    state: str  # "fresh" | "stale" | "never"
    latest_status: str | None = None  # of the latest run that ended: ok, partial, failed, interrupted

    @property
    def usable(self) -> bool:
        return self.state == "fresh"


def source_freshness(
    cur: duckdb.DuckDBPyConnection, now: datetime, sources: Sequence[tuple[str, float]]
) -> list[Freshness]:
    """One Freshness per (collector name, interval in seconds), in the order given."""
    return freshness_at(cur, [now], sources)[0]


def freshness_at(
    cur: duckdb.DuckDBPyConnection, instants: Sequence[datetime], sources: Sequence[tuple[str, float]]
) -> list[list[Freshness]]:
    """`source_freshness` at each of `instants` in one query (an exit streak asks for each hour).

    Each run is aggregated once, in the span from the instant before it to the first instant it
    ended by; an instant then carries forward the spans up to it (joining each run to every
    instant it ended by aggregates most runs once per instant: ~2x the time)."""
    if not sources or not instants:
        return [[] for _ in instants]
    names = [name for name, _ in sources]
    ends = sorted({t + NOW_SLACK for t in instants})
    rows = arrow(
        cur,
        """
        WITH runs AS (
            -- an interrupted run has no finished_at (when it stopped is unknown): its start orders it
            SELECT collector, ok, error, finished_at, coalesce(finished_at, started_at) AS ended_at,
                   coalesce(status, CASE WHEN ok THEN 'ok' ELSE 'failed' END) AS status
            FROM collector_runs
            WHERE list_contains(?, collector) AND status IS DISTINCT FROM 'running'
        ),
        spans AS (SELECT unnest(?::INTEGER[]) AS k, unnest(?::TIMESTAMPTZ[]) AS after, unnest(?::TIMESTAMPTZ[]) AS upto)
        SELECT k, collector,
               max(finished_at) FILTER (WHERE ok) AS last_ok_at,
               max(ended_at) AS last_run_at,
               -- a struct, because arg_max skips NULL arguments and would dig up an old error
               arg_max({'ok': ok, 'error': error, 'status': status}, ended_at) AS latest
        FROM runs JOIN spans ON ended_at > after AND ended_at <= upto
        GROUP BY k, collector
        """,
        [names, list(range(len(ends))), [EARLIEST, *ends[:-1]], ends],
    ).to_pylist()
    found = {(r["k"], r["collector"]): r for r in rows}
    by_end, carried = {}, {name: {} for name in names}
    for k, end in enumerate(ends):
        for name in names:
            if (k, name) in found:  # its latest run is the latest so far; a success may be older
                span = found[(k, name)]
                carried[name] = {**span, "last_ok_at": span["last_ok_at"] or carried[name].get("last_ok_at")}
        by_end[end] = dict(carried)
    return [[_freshness(name, interval, now, by_end[now + NOW_SLACK][name]) for name, interval in sources]
            for now in instants]


def _freshness(name: str, interval: float, now: datetime, r: dict) -> Freshness:
    last_ok = r.get("last_ok_at")
    if last_ok is None:
        state = "never"
    elif now - last_ok > timedelta(seconds=STALE_AFTER_INTERVALS * interval):
        state = "stale"
    else:
        state = "fresh"
    latest = r.get("latest") or {}
    return Freshness(name, interval, last_ok, r.get("last_run_at"), latest.get("error"), latest.get("ok"), state,
                     latest.get("status"))
