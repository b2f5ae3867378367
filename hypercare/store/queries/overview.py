"""The Overview's figures: KPI tiles against the same hours of the baseline, and the timeline.

Every KPI is a `Kpi`: the measured value (None = unknown: the data can't say), the baseline
(None = no baseline), and a note saying which period and data it used.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

import duckdb
import pandas as pd

from hypercare.store.error_hourly import error_hours
from hypercare.store.queries import health, tickets, triage
from hypercare.store.queries.freshness import Freshness, source_freshness
from hypercare.store.queries.kpi import (
    Kpi,
    last_hour_words,
    measured_kpi,
    since_go_live_words,
    unless_stale,
    with_set_aside,
)
from hypercare.store.queries.triage import ISSUE_SET_ASIDE, NOTHING, Counted, SetAside, leaves_out
from hypercare.store.read import first_row, frame, hour_of, scalar
from hypercare.window import Period, Window


def error_events(cur: duckdb.DuckDBPyConnection, period: Period) -> int | None:
    """Sentry error events in buckets starting in [start, end); None when no bucket was collected."""
    hours, params = error_hours(cur, period.start, period.end)
    return scalar(cur, f"SELECT CASE WHEN coalesce(sum(buckets), 0) = 0 THEN NULL ELSE sum(events) END FROM ({hours})",
                  params)


def count_new_issues(cur: duckdb.DuckDBPyConnection, period: Period, projects: Sequence[str] | None = None,
                     aside: SetAside = NOTHING) -> Counted:
    """Sentry issues first seen in [start, end), of `projects` (None: every project); the
    issues set aside in the triage inbox (`aside`, queries.triage.set_aside) are counted apart."""
    names = None if projects is None else list(projects)
    test, params = leaves_out(aside, ISSUE_SET_ASIDE)
    counted, left = first_row(
        cur,
        f"SELECT count(*) FILTER (WHERE NOT {test}), count(*) FILTER (WHERE {test}) FROM sentry_issues "
        "WHERE first_seen >= ? AND first_seen < ? AND (?::VARCHAR[] IS NULL OR list_contains(?::VARCHAR[], project))",
        [*params, *params, period.start, period.end, names, names],
    )
    return Counted(counted, left)


def new_issue_count(cur: duckdb.DuckDBPyConnection, period: Period, projects: Sequence[str] | None = None,
                    aside: SetAside = NOTHING) -> int:
    """count_new_issues without the set-aside ones."""
    return count_new_issues(cur, period, projects, aside).counted


def errors_per_hour(cur: duckdb.DuckDBPyConnection, window: Window, now: datetime) -> Kpi:
    hour = window.last_hour(now)
    return measured_kpi("errors_per_hour", "Sentry errors / h", "events", window, hour,
                        lambda p: error_events(cur, p), _hour_note(window, hour),
                        period_words=last_hour_words(window, hour))


def new_issues(cur: duckdb.DuckDBPyConnection, window: Window, now: datetime, aside: SetAside | None = None) -> Kpi:
    """Issues first seen since go-live, those set aside in the triage inbox now left out and counted apart
    (`aside`: triage.set_aside at `now` when the caller read it already)."""
    since = window.elapsed(now)
    aside = triage.set_aside(cur, now) if aside is None else aside
    kpi = measured_kpi("new_issues", "New Sentry issues", "issues", window, since,
                       lambda p: new_issue_count(cur, p, aside=aside),
                       f"first seen since go-live ({since.hours:.0f} h); baseline: the same hours before go-live",
                       period_words="first seen " + since_go_live_words(window, now), since_go_live=True, now=now)
    return with_set_aside(kpi, lambda: count_new_issues(cur, since, aside=aside).set_aside)


def timeline_series(cur: duckdb.DuckDBPyConnection, series: str, span: Period) -> pd.DataFrame:
    """One hourly series of the timeline, "errors" (Sentry events) or "tickets" (created):
    columns hour (UTC), series, value; hours with no data are absent, not zero."""
    if series == "errors":
        sql, params = error_hours(cur, span.start, span.end)
        hourly = f"SELECT hour_start, sum(events) FROM ({sql}) GROUP BY 1"
    else:
        hourly = (f"SELECT {hour_of('created_at')}, count(*) FROM tickets "
                  "WHERE created_at >= ? AND created_at < ? GROUP BY 1")
        params = [span.start, span.end]
    return frame(cur, f"SELECT h AS hour, ? AS series, v::DOUBLE AS value FROM ({hourly}) t(h, v) ORDER BY hour",
                 [series, *params])


def failed_checks_series(cur: duckdb.DuckDBPyConnection, span: Period) -> pd.DataFrame:
    """Failed check results per hour in two series: "failed checks" (counted in availability)
    and "planned failed checks" (inside a planned period covering the check: left out of
    availability, drawn apart so a cutover never looks like an outage)."""
    sql, params = health.counts_sql(cur, span.start, span.end, None)
    # `failed <> 0` reaches the raw rows before their planned-period test: 4x faster, the same sums
    # (counts_sql rows may count -1: a planned result or the rest of a partial hour taken out)
    counted = frame(cur, f"SELECT hour_start AS hour, 'failed checks' AS series, sum(failed)::DOUBLE AS value FROM ({sql}) "
                         "WHERE failed <> 0 GROUP BY 1 HAVING sum(failed) > 0 ORDER BY 1", params)
    # only the raw rows inside a planned period are read (the OR of their ranges skips the rest)
    periods = cur.execute("SELECT starts_at, ends_at FROM planned_periods WHERE scope IN ('checks', 'all') "
                          "AND starts_at < ? AND ends_at > ?", [span.end, span.start]).fetchall()
    inside = " OR ".join("(h.checked_at >= ? AND h.checked_at < ?)" for _ in periods) or "FALSE"
    planned = frame(
        cur,
        f"""SELECT {hour_of('h.checked_at')} AS hour, 'planned failed checks' AS series, count(*)::DOUBLE AS value
            FROM health_checks h WHERE h.checked_at >= ? AND h.checked_at < ? AND NOT h.ok AND ({inside})
              AND EXISTS (SELECT 1 FROM planned_periods p WHERE {health.APPLIES.format(name='h.check_name')}
                          AND h.checked_at >= p.starts_at AND h.checked_at < p.ends_at)
            GROUP BY 1 ORDER BY 1""",
        [span.start, span.end] + [t for period in periods for t in period],
    )
    return pd.concat([counted, planned], ignore_index=True)


def timeline(cur: duckdb.DuckDBPyConnection, span: Period) -> pd.DataFrame:
    """Hourly series over baseline + window: errors (Sentry events), failed checks (failed
    health-check results outside planned periods), planned failed checks (inside them), tickets
    (created); columns hour (UTC), series, value."""
    return pd.concat([timeline_series(cur, "errors", span), failed_checks_series(cur, span),
                      timeline_series(cur, "tickets", span)], ignore_index=True)


def decisions(cur: duckdb.DuckDBPyConnection, span: Period) -> pd.DataFrame:
    """Decisions logged in the span, oldest first: decided_at, kind, summary, reason, actor."""
    return frame(
        cur,
        "SELECT decided_at, kind, summary, reason, actor FROM decisions "
        "WHERE decided_at >= ? AND decided_at < ? ORDER BY decided_at",
        [span.start, span.end],
    )


def planned_periods(cur: duckdb.DuckDBPyConnection, span: Period) -> pd.DataFrame:
    """Planned periods (cutovers, maintenance) overlapping the span: starts_at, ends_at, scope, reason."""
    return frame(
        cur,
        "SELECT starts_at, ends_at, scope, reason FROM planned_periods WHERE starts_at < ? AND ends_at > ? ORDER BY starts_at",
        [span.end, span.start],
    )


def _hour_note(window: Window, hour: Period) -> str:
    return f"{window.span_label(hour)} ({window.timezone}); baseline: the same hour a {'week' if window.baseline_hours >= 168 else 'day'} before"


def availability(cur: duckdb.DuckDBPyConnection, window: Window, now: datetime, target: float | None = None) -> Kpi:
    """Successful checks / checks since go-live (planned periods excluded), against `target`
    (percent) first and the same hours of the baseline second."""
    def percent(p: Period) -> float | None:
        counts = health.availability(cur, p.start, p.end)
        return None if counts is None else 100.0 * counts[0] / counts[1]

    since = window.elapsed(now)
    return measured_kpi("availability", "Availability", "%", window, since, percent,
                        f"successful checks / checks since go-live ({since.hours:.0f} h), planned periods "
                        "excluded; baseline: the same hours before go-live",
                        period_words=since_go_live_words(window, now) + ", planned periods excluded",
                        since_go_live=True, now=now, target=target, higher_is_better=True)


def latency_p95(cur: duckdb.DuckDBPyConnection, window: Window, now: datetime) -> Kpi:
    since = window.elapsed(now)
    return measured_kpi("latency_p95", "Check latency p95", "ms", window, since,
                        lambda p: health.latency_percentile(cur, p.start, p.end, 0.95),
                        f"all checks together since go-live ({since.hours:.0f} h), planned periods excluded; "
                        "baseline: the same hours before go-live",
                        period_words="all checks " + since_go_live_words(window, now), since_go_live=True, now=now)


def tickets_per_hour(cur: duckdb.DuckDBPyConnection, window: Window, now: datetime, aside: SetAside | None = None) -> Kpi:
    """Tickets created in the last full hour, those set aside in the triage inbox now left out and counted apart
    (`aside`: as in new_issues)."""
    hour = window.last_hour(now)
    aside = triage.set_aside(cur, now) if aside is None else aside
    kpi = measured_kpi("tickets_per_hour", "Tickets / h", "tickets", window, hour,
                       lambda p: tickets.tickets_created(cur, p.start, p.end, aside=aside), _hour_note(window, hour),
                       period_words=last_hour_words(window, hour))
    return with_set_aside(kpi, lambda: tickets.count_tickets(cur, hour.start, hour.end, aside=aside).set_aside)


KPI_SOURCES = {  # which collectors a tile's figure comes from (prefixes of collector names)
    "errors_per_hour": ("sentry", "Sentry"), "new_issues": ("sentry", "Sentry"),
    "availability": ("checks", "health-check"), "latency_p95": ("checks", "health-check"),
    "tickets_per_hour": ("tickets:", "ticket"),
}


def kpis(
    cur: duckdb.DuckDBPyConnection, window: Window, now: datetime, sources: tuple[tuple[str, float], ...],
    availability_target: float | None = None, *, fresh: Sequence[Freshness] | None = None,
    aside: SetAside | None = None,
) -> list[Kpi]:
    """Every KPI tile of the Overview, in display order; `sources` are the configured
    (collector, interval) pairs, whose freshness decides whether a figure can be trusted.
    `fresh` (source_freshness of `sources` at `now`) and `aside` (triage.set_aside at `now`):
    when the caller read them already (the report reads each once for all its sections)."""
    fresh = source_freshness(cur, now, sources) if fresh is None else fresh
    aside = triage.set_aside(cur, now) if aside is None else aside
    tiles = []
    for kpi in (errors_per_hour(cur, window, now), new_issues(cur, window, now, aside),
                availability(cur, window, now, availability_target), latency_p95(cur, window, now),
                tickets_per_hour(cur, window, now, aside)):
        prefix, what = KPI_SOURCES[kpi.key]
        tiles.append(unless_stale(kpi, [f for f in fresh if f.collector.startswith(prefix)], what))
    return tiles

