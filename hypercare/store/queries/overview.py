"""The Overview's figures: KPI tiles against the same hours of the baseline, and the timeline.

Every KPI is a `Kpi`: the measured value (None = unknown: the data can't say), the baseline
(None = no baseline), and a note saying which period and data it used.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime

import duckdb
import pandas as pd

from hypercare.store.read import frame, hour_of, scalar
from hypercare.window import Period, Window


@dataclass(frozen=True)
class Kpi:
    key: str
    label: str
    value: float | None
    baseline: float | None
    unit: str
    note: str

    @property
    def ratio(self) -> float | None:
        """value / baseline, when both are known and the baseline isn't 0."""
        if self.value is None or not self.baseline:
            return None
        return self.value / self.baseline


def error_events(cur: duckdb.DuckDBPyConnection, period: Period) -> int | None:
    """Sentry error events in buckets starting in [start, end); None when no bucket was collected."""
    return scalar(
        cur,
        "SELECT CASE WHEN count(*) = 0 THEN NULL ELSE sum(events) END FROM error_counts "
        "WHERE bucket_start >= ? AND bucket_start < ?",
        [period.start, period.end],
    )


def new_issue_count(cur: duckdb.DuckDBPyConnection, period: Period) -> int:
    """Sentry issues first seen in [start, end)."""
    return scalar(
        cur,
        "SELECT count(*) FROM sentry_issues WHERE first_seen >= ? AND first_seen < ?",
        [period.start, period.end],
    )


def baseline_mean(window: Window, period: Period, measure: Callable[[Period], float | None]) -> float | None:
    """Mean of `measure` over the same hours of the baseline; None when there is no sample or
    no sample has data."""
    values = [v for v in (measure(s) for s in window.baseline_samples(period)) if v is not None]
    return sum(values) / len(values) if values else None


def errors_per_hour(cur: duckdb.DuckDBPyConnection, window: Window, now: datetime) -> Kpi:
    hour = window.last_hour(now)
    return Kpi(
        "errors_per_hour",
        "Sentry errors / h",
        error_events(cur, hour),
        baseline_mean(window, hour, lambda p: error_events(cur, p)),
        "events",
        _hour_note(window, hour),
    )


def new_issues(cur: duckdb.DuckDBPyConnection, window: Window, now: datetime) -> Kpi:
    since = window.elapsed(now)
    return Kpi(
        "new_issues",
        "New Sentry issues",
        new_issue_count(cur, since),
        baseline_mean(window, since, lambda p: new_issue_count(cur, p)),
        "issues",
        f"first seen since go-live ({since.hours:.0f} h); baseline: issues first seen in the same hours before go-live",
    )


TIMELINE_SERIES = {
    # series: SQL giving (hour, value) for [?, ?); hours with no data are absent, not zero
    "errors": f"SELECT {hour_of('bucket_start')}, sum(events) FROM error_counts "
              "WHERE bucket_start >= ? AND bucket_start < ? GROUP BY 1",
    "failed checks": "SELECT hour_start, sum(n) FROM health_rollup "
                     "WHERE hour_start >= ? AND hour_start < ? AND NOT ok GROUP BY 1",
    "tickets": f"SELECT {hour_of('created_at')}, count(*) FROM tickets "
               "WHERE created_at >= ? AND created_at < ? GROUP BY 1",
}


def timeline_series(cur: duckdb.DuckDBPyConnection, series: str, span: Period) -> pd.DataFrame:
    """One hourly series of the timeline: columns hour (UTC), series, value."""
    return frame(
        cur,
        f"SELECT h AS hour, ? AS series, v::DOUBLE AS value FROM ({TIMELINE_SERIES[series]}) t(h, v) ORDER BY hour",
        [series, span.start, span.end],
    )


def timeline(cur: duckdb.DuckDBPyConnection, span: Period) -> pd.DataFrame:
    """Hourly series over baseline + window: errors (Sentry events), failed checks (failed
    health-check results), tickets (created); columns hour (UTC), series, value."""
    return pd.concat([timeline_series(cur, name, span) for name in TIMELINE_SERIES], ignore_index=True)


def decisions(cur: duckdb.DuckDBPyConnection, span: Period) -> pd.DataFrame:
    """Decisions logged in the span, oldest first: decided_at, kind, summary, reason, actor."""
    return frame(
        cur,
        "SELECT decided_at, kind, summary, reason, actor FROM decisions "
        "WHERE decided_at >= ? AND decided_at < ? ORDER BY decided_at",
        [span.start, span.end],
    )


def _hour_note(window: Window, hour: Period) -> str:
    start, end = window.local(hour.start), window.local(hour.end)
    return f"{start:%a %H:%M}–{end:%H:%M} local; baseline: the same hour a {'week' if window.baseline_hours >= 168 else 'day'} before"


KPI_FUNCTIONS = (errors_per_hour, new_issues)


def kpis(cur: duckdb.DuckDBPyConnection, window: Window, now: datetime) -> list[Kpi]:
    """Every KPI tile of the Overview, in display order."""
    return [kpi(cur, window, now) for kpi in KPI_FUNCTIONS]


HIGHER_IS_BETTER = frozenset({"availability"})
