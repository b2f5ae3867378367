"""The Errors page's queries: new issues ranked by impact, regressions, errors per hour against
the same hours of the baseline, and the crash-free session rate.

Hours are UTC hours [h, h + 1 h). Missing data is NaN / None ("unknown"), never 0: an hour with
no collected bucket has no count, and an hour without sessions has no crash-free rate.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

import duckdb
import numpy as np
import pandas as pd

from hypercare.store.error_hourly import error_hours
from hypercare.store.queries.triage import ISSUE_SET_ASIDE, NOTHING, SetAside, leaves_out, set_aside
from hypercare.store.read import first_row, frame
from hypercare.window import Period, Window

HOUR = timedelta(hours=1)
RECENT_HOURS = 3
# Sentry's coarsest stats bucket is a day; bounding a coarse bucket's start from below with it lets
# DuckDB skip the older row groups instead of testing every bucket's end.
LONGEST_BUCKET = timedelta(days=1)
PER_HOUR_COLUMNS = ["hour", "events", "baseline_mean", "baseline_low", "baseline_high", "baseline_samples"]


def _floor_hour(at: datetime) -> datetime:
    return at.replace(minute=0, second=0, microsecond=0)


def recent_hours(now: datetime, hours: int = RECENT_HOURS) -> tuple[Period, Period]:
    """The last `hours` complete clock hours before `now`, and the `hours` before them."""
    end = _floor_hour(now)
    recent = Period(end - hours * HOUR, end)
    return recent, Period(recent.start - hours * HOUR, recent.start)


def _issues(cur: duckdb.DuckDBPyConnection, where: str, period: Period, now: datetime, hours: int) -> pd.DataFrame:
    """Issues matching `where` (over columns of sentry_issues and a.lo, a.hi = `period`), with
    their events in the last `hours` complete clock hours before `now` (`recent_events`) and in
    the `hours` before those (`earlier_events`), from Sentry's hourly issue stats: both periods
    are whole hours, so the trend compares like with like. An issue last seen before such a
    period had 0 events in it; otherwise, without stats covering it, unknown."""
    recent, earlier = recent_hours(now, hours)
    return frame(
        cur,
        f"""
        WITH a AS (SELECT ?::TIMESTAMPTZ AS lo, ?::TIMESTAMPTZ AS hi, ?::TIMESTAMPTZ AS rs,
                          ?::TIMESTAMPTZ AS es, ?::TIMESTAMPTZ AS re),
        picked AS (SELECT sentry_issues.* FROM sentry_issues, a WHERE {where}),
        hourly AS (
            SELECT issue_id, stats_start + to_hours(i - 1) AS hour, hourly_events[i] AS n
            FROM (SELECT issue_id, stats_start, hourly_events,
                         generate_subscripts(hourly_events, 1) AS i FROM picked WHERE hourly_events IS NOT NULL)
        ),
        sums AS (
            SELECT issue_id,
                   sum(n) FILTER (WHERE hour >= a.rs AND hour < a.re) AS recent,
                   sum(n) FILTER (WHERE hour >= a.es AND hour < a.rs) AS earlier,
                   max(hour) + INTERVAL 1 HOUR AS covered_to
            FROM hourly, a GROUP BY issue_id
        )
        SELECT p.issue_id, p.short_id, p.project, p.title, p.culprit, p.level, p.status, p.substatus,
               p.first_seen, p.last_seen, p.user_count, p.event_count,
               CASE WHEN p.last_seen < a.rs THEN 0 WHEN s.covered_to >= a.re THEN s.recent END AS recent_events,
               CASE WHEN p.last_seen < a.es THEN 0 WHEN s.covered_to >= a.rs THEN s.earlier END AS earlier_events,
               p.permalink
        FROM picked p CROSS JOIN a LEFT JOIN sums s USING (issue_id)
        ORDER BY p.user_count DESC NULLS LAST, p.event_count DESC NULLS LAST,
                 recent_events DESC NULLS LAST, p.issue_id
        """,
        [period.start, period.end, recent.start, earlier.start, recent.end],
    )


def new_issues(cur: duckdb.DuckDBPyConnection, window: Window, now: datetime,
               hours: int = RECENT_HOURS) -> pd.DataFrame:
    """Issues first seen since go-live (up to `now` and the window's end), ranked by impact:
    users, then events, then events in the last `hours` hours."""
    end = min(now, window.end)
    return _issues(cur, "first_seen >= a.lo AND first_seen < a.hi", Period(window.go_live_at, end), now, hours)


def regressions(cur: duckdb.DuckDBPyConnection, window: Window, now: datetime,
                hours: int = RECENT_HOURS) -> pd.DataFrame:
    """Issues Sentry marks as regressed (resolved, then seen again) with events since go-live."""
    end = min(now, window.end)
    return _issues(cur, "substatus = 'regressed' AND last_seen >= a.lo AND first_seen < a.hi",
                   Period(window.go_live_at, end), now, hours)


def hourly_errors(cur: duckdb.DuckDBPyConnection, span: Period, projects: Sequence[str] | None = None) -> pd.Series:
    """Error events per UTC hour over `span`, indexed by hour; hours without a bucket are absent.

    Buckets finer than an hour add up; a coarser bucket is spread evenly over its hours.
    `projects`: only these Sentry projects (None: every project).
    """
    names = _names(projects)
    fine, params = error_hours(cur, _floor_hour(span.start), span.end, projects)
    df = frame(
        cur,
        f"""
        SELECT hour, sum(events)::DOUBLE AS events FROM (
            SELECT hour_start AS hour, events FROM ({fine}) WHERE bucket_seconds <= 3600
            UNION ALL
            SELECT date_trunc('hour', bucket_start) + to_hours(k), events / (bucket_seconds // 3600)
            FROM (SELECT *, unnest(range(bucket_seconds // 3600)) AS k FROM error_counts
                  WHERE bucket_seconds > 3600 AND bucket_start < ? AND bucket_start > ?
                    AND bucket_start + to_seconds(bucket_seconds) > ?
                    AND (?::VARCHAR[] IS NULL OR list_contains(?::VARCHAR[], project)))
        ) GROUP BY 1 HAVING hour >= ? AND hour < ? ORDER BY 1
        """,
        [*params, span.end, span.start - LONGEST_BUCKET, span.start, names, names, span.start, span.end],
    )
    return pd.Series(df["events"].to_numpy(), index=pd.DatetimeIndex(df["hour"]), dtype="float64")


def errors_per_hour(cur: duckdb.DuckDBPyConnection, window: Window, now: datetime) -> pd.DataFrame:
    """One row per hour of the window so far: `events` (NaN: not collected) and the band of the
    same hours of the baseline: `baseline_mean`, `baseline_low`, `baseline_high` (NaN: no
    baseline) and `baseline_samples` (how many baseline hours had data)."""
    end = min(now, window.end)
    first = _floor_hour(window.go_live_at)
    totals = hourly_errors(cur, Period(window.baseline_start, end)) if end > first else None
    if totals is None or totals.empty:
        return pd.DataFrame(columns=PER_HOUR_COLUMNS)
    lookup = {ts.to_pydatetime(): v for ts, v in totals.items()}
    rows = []
    hour = first
    while hour < end:
        samples = [lookup[s.start] for s in window.baseline_samples(Period(hour, hour + HOUR)) if s.start in lookup]
        rows.append({
            "hour": hour, "events": lookup.get(hour, np.nan),
            "baseline_mean": float(np.mean(samples)) if samples else np.nan,
            "baseline_low": float(min(samples)) if samples else np.nan,
            "baseline_high": float(max(samples)) if samples else np.nan,
            "baseline_samples": len(samples),
        })
        hour += HOUR
    return pd.DataFrame(rows)


def crash_free(cur: duckdb.DuckDBPyConnection, span: Period) -> pd.DataFrame:
    """Per UTC hour over `span`, all projects: sessions, crashed, and `crash_free` =
    1 − crashed / sessions (NaN when there were no sessions: no data, never 100 %)."""
    return frame(
        cur,
        """
        SELECT date_trunc('hour', bucket_start) AS hour, sum(sessions)::BIGINT AS sessions,
               sum(crashed)::BIGINT AS crashed,
               CASE WHEN sum(sessions) > 0 THEN 1 - sum(crashed) / sum(sessions) END AS crash_free
        FROM session_health WHERE bucket_start >= ? AND bucket_start < ?
        GROUP BY 1 ORDER BY 1
        """,
        [span.start, span.end],
    )


@dataclass(frozen=True)
class ErrorsSummary:
    new_issues: int
    new_issue_users: int | None  # summed over issues (a person hit by two counts twice); None: not reported
    regressions: int
    crash_free_since_go_live: float | None  # None: no sessions
    crash_free_baseline: float | None
    new_issue_users_max: int | None = 0  # the most users any one new issue hit: a lower bound; None: not reported
    sessions_ever: int = 0  # release-health sessions collected at all (0: not offered)
    set_aside: int = 0  # new issues set aside in the triage inbox: in none of the new-issue figures

    @property
    def users_hit(self) -> str:
        """The people hit by new issues, honestly bounded: the most any one issue hit, up to the
        sum over issues (a person hit by two issues is in the sum twice). '428', '428–512'."""
        low, high = self.new_issue_users_max, self.new_issue_users
        if low is None or high is None:
            return "unknown"
        return f"{low:,}" if low == high else f"{low:,}–{high:,}"


def summary(cur: duckdb.DuckDBPyConnection, window: Window, now: datetime) -> ErrorsSummary:
    """The Errors page's tiles; new issues set aside in the triage inbox now are left out of the
    new-issue figures and counted apart."""
    end = min(now, window.end)
    test, params = leaves_out(set_aside(cur, now), ISSUE_SET_ASIDE)
    new = f"first_seen >= a.lo AND first_seen < a.hi AND NOT {test}"
    new, users, most, users_unknown, regressed, left = first_row(
        cur,
        f"""
        SELECT count(*) FILTER (WHERE {new}),
               coalesce(sum(user_count) FILTER (WHERE {new}), 0),
               coalesce(max(user_count) FILTER (WHERE {new}), 0),
               -- a server that doesn't count users (GlitchTip) leaves user_count NULL: unknown, not 0
               coalesce(bool_or(user_count IS NULL) FILTER (WHERE {new}), false),
               count(*) FILTER (WHERE substatus = 'regressed' AND last_seen >= a.lo AND first_seen < a.hi),
               count(*) FILTER (WHERE first_seen >= a.lo AND first_seen < a.hi AND {test})
        FROM sentry_issues, (SELECT ?::TIMESTAMPTZ AS lo, ?::TIMESTAMPTZ AS hi) a
        """,
        [*params * 4, *params, window.go_live_at, end],
    )
    sessions_ever = first_row(cur, "SELECT coalesce(sum(sessions), 0) FROM session_health")[0]
    return ErrorsSummary(int(new), None if users_unknown else int(users), int(regressed),
                         _crash_free_rate(cur, Period(window.go_live_at, end)),
                         _crash_free_rate(cur, window.baseline), None if users_unknown else int(most),
                         int(sessions_ever), int(left))


def _crash_free_rate(cur: duckdb.DuckDBPyConnection, period: Period) -> float | None:
    sessions, crashed = session_totals(cur, period)
    return None if not sessions else 1 - crashed / sessions


def session_totals(cur: duckdb.DuckDBPyConnection, period: Period,
                   projects: Sequence[str] | None = None) -> tuple[int, int]:
    """(sessions, crashed) in hourly buckets starting in [start, end), of `projects` (None: all)."""
    sessions, crashed = first_row(
        cur,
        "SELECT coalesce(sum(sessions), 0), coalesce(sum(crashed), 0) FROM session_health "
        "WHERE bucket_start >= ? AND bucket_start < ? AND (?::VARCHAR[] IS NULL OR list_contains(?::VARCHAR[], project))",
        [period.start, period.end, _names(projects), _names(projects)])
    return int(sessions), int(crashed)


def largest_new_issue(cur: duckdb.DuckDBPyConnection, period: Period, projects: Sequence[str] | None = None,
                      aside: SetAside = NOTHING) -> tuple[int, int | None]:
    """(issues first seen in [start, end), the most users any one of them has hit), of `projects`.

    The users are Sentry's count as collected (today's), never a sum over issues: one person
    hit by two issues is one person. 0 users when no issue is new; None when a new issue's users
    are unknown (a server that doesn't count users, such as GlitchTip). Issues set aside in the
    triage inbox (`aside`) are left out."""
    test, params = leaves_out(aside, ISSUE_SET_ASIDE)
    issues, users, unknown = first_row(
        cur,
        "SELECT count(*), coalesce(max(user_count), 0), coalesce(bool_or(user_count IS NULL), false) "
        "FROM sentry_issues WHERE first_seen >= ? AND first_seen < ? "
        f"AND (?::VARCHAR[] IS NULL OR list_contains(?::VARCHAR[], project)) AND NOT {test}",
        [period.start, period.end, _names(projects), _names(projects), *params])
    return int(issues), None if unknown else int(users)


def _names(names: Sequence[str] | None) -> list[str] | None:
    return None if names is None else list(names)
