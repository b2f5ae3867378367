"""Sentry items: issues new since go-live, regressed since go-live, and spikes of old issues.

One read over `sentry_issues` (resolved and ignored issues left out). The hourly counts come from
each issue's stored `stats["24h"]` (`hourly_events`, starting at `stats_start`): 24 UTC hours up
to and including the hour it was collected in, so the last complete hour before `now` is element
i = hours(stats_start → that hour) + 1, the hour before it is i − 1, and the hours 1 .. i − 1 are
the baseline of a spike (up to 23 hours, the most the stats hold). An issue last seen before an
hour had 0 events in it; otherwise, where the stats don't cover the hour, the count is unknown.
"""

from __future__ import annotations

from datetime import datetime, timedelta

import duckdb

from hypercare.config import TriageConfig
from hypercare.store.read import arrow, records
from hypercare.triage.model import Item
from hypercare.triage.score import Signals, score, suggested_severity

SPIKE_MIN_HOURS = 6  # fewer hours of stats before the last hour: no mean to compare a spike with
LEVELS = {"fatal": 1, "error": 2, "warning": 3}  # any other level (info, debug, unknown): 4
HOUR = timedelta(hours=1)


def last_complete_hour(now: datetime) -> datetime:
    """The start of the last complete UTC clock hour before `now`."""
    return now.replace(minute=0, second=0, microsecond=0) - HOUR


def sentry_rows(cur: duckdb.DuckDBPyConnection, go_live_at: datetime | None, now: datetime,
                triage: TriageConfig) -> list[dict]:
    """Issues that are new since go-live (`new`), regressed since go-live (`regressed`), or
    spiking (`spike`), with `last_hour`, `hour_before` (events; None: unknown) and, for old
    issues, `hourly_mean` over `mean_hours` hours before the last one. Without a go-live
    instant only spikes are found."""
    return records(arrow(
        cur,
        """
        WITH a AS (SELECT ?::TIMESTAMPTZ AS go, ?::TIMESTAMPTZ AS h, ?::DOUBLE AS factor, ?::BIGINT AS min_events,
                          ?::BIGINT AS min_hours),
        c AS (
            SELECT s.*, a.*,
                   coalesce(s.first_seen >= a.go, false) AS new,
                   coalesce(s.first_seen < a.go AND s.substatus = 'regressed' AND s.last_seen >= a.go, false) AS regressed,
                   ((epoch(a.h) - epoch(s.stats_start)) // 3600)::BIGINT + 1 AS i
            FROM sentry_issues s, a
            WHERE coalesce(s.status, 'unresolved') NOT IN ('resolved', 'ignored')
              AND (s.first_seen >= a.go OR (s.substatus = 'regressed' AND s.last_seen >= a.go) OR s.last_seen >= a.h)
        ),
        m AS (
            SELECT *,
                   CASE WHEN i BETWEEN 1 AND len(hourly_events) THEN hourly_events[i]
                        WHEN last_seen < h THEN 0 END AS last_hour,
                   CASE WHEN i - 1 BETWEEN 1 AND len(hourly_events) THEN hourly_events[i - 1]
                        WHEN last_seen < h - INTERVAL 1 HOUR THEN 0 END AS hour_before,
                   CASE WHEN i BETWEEN 2 AND len(hourly_events) THEN i - 1 ELSE 0 END AS mean_hours
            FROM c
        ),
        r AS (
            SELECT *, CASE WHEN mean_hours > 0 THEN list_sum(hourly_events[1:mean_hours]) / mean_hours END AS hourly_mean
            FROM m
        )
        SELECT issue_id, short_id, project, title, level, first_seen, last_seen, user_count, event_count,
               permalink, new, regressed, last_hour, hour_before, hourly_mean, mean_hours,
               NOT new AND NOT regressed AND mean_hours >= min_hours AND last_hour >= min_events
                   AND last_hour > factor * hourly_mean AS spike
        FROM r
        WHERE new OR regressed OR (mean_hours >= min_hours AND last_hour >= min_events AND last_hour > factor * hourly_mean)
        """,
        [go_live_at, last_complete_hour(now), triage.spike_factor, triage.spike_min_events, SPIKE_MIN_HOURS],
    ))


def sentry_items(cur: duckdb.DuckDBPyConnection, go_live_at: datetime | None, now: datetime,
                 triage: TriageConfig) -> list[Item]:
    return [_item(r, now) for r in sentry_rows(cur, go_live_at, now, triage)]


def _item(r: dict, now: datetime) -> Item:
    kind = "new issue" if r["new"] else "regression" if r["regressed"] else "spike"
    level = (r["level"] or "").lower()
    signals = Signals(
        users=r["user_count"], users_note="the Sentry server doesn't report users",
        last_hour=r["last_hour"], hour_before=r["hour_before"], unit="events",
        level=LEVELS.get(level, 4), level_label=level or "level not given",
        new=r["new"], first_seen=r["first_seen"],
    )
    s = score(signals, now)
    figures = {"users": r["user_count"], "events": r["event_count"],
               "events last hour": r["last_hour"], "events hour before": r["hour_before"]}
    if kind == "spike":
        figures["hourly mean before"] = round(r["hourly_mean"], 2)
        figures["hours in the mean"] = r["mean_hours"]
    return Item(
        key=f"sentry:{r['issue_id']}", source="sentry", kind=kind, title=r["title"] or r["short_id"] or r["issue_id"],
        ref=r["issue_id"], first_seen=r["first_seen"], last_seen=r["last_seen"], figures=figures,
        link=r["permalink"], score=s, suggested_severity=suggested_severity(s),
    )
