"""Pure mapping from Sentry's JSON to rows of the data contract, and the Link header parser.

Nothing here does I/O; every function is tested on saved or hand-written JSON.
"""

from __future__ import annotations

import math
import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from typing import Any
from urllib.parse import parse_qs, urlsplit

import pyarrow as pa

from collectors.sentry.shapes import Deploy, IssueItem, Release, StatsAnswer, StatsGroup
from hypercare.errors import CollectorError

ISSUE_SCHEMA = pa.schema([
    ("issue_id", pa.string()), ("project", pa.string()), ("short_id", pa.string()),
    ("title", pa.string()), ("culprit", pa.string()), ("level", pa.string()),
    ("status", pa.string()), ("substatus", pa.string()),
    ("first_seen", pa.timestamp("us", tz="UTC")), ("last_seen", pa.timestamp("us", tz="UTC")),
    ("event_count", pa.int64()), ("user_count", pa.int64()), ("first_release", pa.string()),
    ("permalink", pa.string()), ("collected_at", pa.timestamp("us", tz="UTC")),
    ("stats_start", pa.timestamp("us", tz="UTC")), ("hourly_events", pa.list_(pa.int64())),
])
ERROR_COUNT_SCHEMA = pa.schema([
    ("project", pa.string()), ("bucket_start", pa.timestamp("us", tz="UTC")),
    ("bucket_seconds", pa.int32()), ("events", pa.int64()),
])
SESSION_SCHEMA = pa.schema([
    ("project", pa.string()), ("bucket_start", pa.timestamp("us", tz="UTC")),
    ("sessions", pa.int64()), ("crashed", pa.int64()), ("errored", pa.int64()), ("abnormal", pa.int64()),
])

# stats_v2 accepts whole hours that divide a day, and at most 1000 buckets per query.
INTERVALS = (3600, 7200, 10800, 14400, 21600, 28800, 43200, 86400)
GLITCHTIP_INTERVALS = (3600, 86400)  # its stats_v2 accepts 1h and 1d (and 1m) only
MAX_BUCKETS = 1000
SESSION_STATUSES = ("healthy", "errored", "crashed", "abnormal")


def parse_time(value: Any) -> datetime | None:
    """An ISO 8601 instant ('2026-11-22T21:00:00Z', with or without fraction) or epoch seconds."""
    if value is None or value == "":
        return None
    if isinstance(value, (int, float)):
        return datetime.fromtimestamp(value, timezone.utc)
    at = datetime.fromisoformat(str(value).replace("Z", "+00:00"))
    return at.replace(tzinfo=timezone.utc) if at.tzinfo is None else at.astimezone(timezone.utc)


def iso(at: datetime) -> str:
    return at.astimezone(timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")


# --- Link header -----------------------------------------------------------------------------

@dataclass(frozen=True)
class LinkTarget:
    url: str
    results: bool | None  # None when the server left the attribute out
    cursor: str | None


_LINK = re.compile(r"<([^>]*)>([^<]*)")
_PARAM = re.compile(r'([A-Za-z_-]+)\s*=\s*(?:"([^"]*)"|([^\s;,"]+))')


def parse_link(header: str | None) -> dict[str, LinkTarget]:
    """The targets of a Link header by rel. Tolerates extra whitespace, line breaks, trailing
    separators and a missing cursor attribute (then the cursor comes from the URL)."""
    links: dict[str, LinkTarget] = {}
    for url, rest in _LINK.findall(header or ""):
        attrs = {m.group(1).lower(): m.group(2) if m.group(2) is not None else m.group(3) for m in _PARAM.finditer(rest)}
        rel = attrs.get("rel")
        if not rel:
            continue
        cursor = attrs.get("cursor") or (parse_qs(urlsplit(url.strip()).query).get("cursor") or [None])[0]
        results = attrs.get("results")
        links[rel] = LinkTarget(url.strip(), None if results is None else results.lower() == "true", cursor)
    return links


def next_cursor(header: str | None, page_had_rows: bool) -> str | None:
    """Where the next page starts, or None at the end.

    Sentry always sends rel="next" and ends a listing with results="false"; a page shorter than
    the limit is not the last one. Without a results attribute, an empty page ends the listing.
    """
    target = parse_link(header).get("next")
    if target is None or not target.cursor:
        return None
    if target.results is None:
        return target.cursor if page_had_rows else None
    return target.cursor if target.results else None


# --- issues ----------------------------------------------------------------------------------

def _release_version(value: Any) -> str | None:
    if isinstance(value, Mapping):
        version = value.get("version") or value.get("shortVersion")
        return version if isinstance(version, str) else None
    return value if isinstance(value, str) else None


def _hourly(stats: Mapping[str, Any] | None) -> tuple[datetime | None, list[int] | None]:
    """The start and counts of an issue's `stats["24h"]` ([[epoch, n], ...]); (None, None)
    when absent or not that shape (the per-issue trend is then unknown, nothing else)."""
    points = stats.get("24h") if isinstance(stats, Mapping) else None
    if not isinstance(points, list) or not points:
        return None, None
    try:
        pairs = [(datetime.fromtimestamp(float(p[0]), timezone.utc), int(p[1] or 0)) for p in points]
    except (TypeError, ValueError, IndexError, OverflowError, OSError):
        return None, None
    return pairs[0][0], [n for _, n in pairs]


def issue_row(issue: IssueItem, collected_at: datetime, counts_users: bool = True) -> dict[str, Any]:
    """One `sentry_issues` row from a validated element of the organization issues list.

    `counts_users` False (GlitchTip, whose userCount is always 0): user_count is NULL, unknown.
    The issue's `stats["24h"]` series (hourly event counts) is kept for the trend over the last hours.
    """
    stats_start, hourly = _hourly(issue.stats)
    return {
        "issue_id": issue.id,
        "project": issue.project.slug,
        "short_id": issue.shortId,
        "title": issue.title,
        "culprit": issue.culprit,
        "level": issue.level,
        "status": issue.status,
        "substatus": issue.substatus,
        "first_seen": issue.firstSeen,
        "last_seen": issue.lastSeen,
        "event_count": issue.count,
        "user_count": issue.userCount if counts_users else None,
        "first_release": _release_version(issue.firstRelease),
        "permalink": issue.permalink,
        "collected_at": collected_at,
        "stats_start": stats_start,
        "hourly_events": hourly,
    }


def issues_table(rows: Iterable[Mapping[str, Any]]) -> pa.Table:
    return pa.Table.from_pylist(list(rows), schema=ISSUE_SCHEMA)


# --- time series -----------------------------------------------------------------------------

def choose_interval(span: timedelta, intervals: Sequence[int] = INTERVALS) -> int:
    """The finest stats_v2 interval (seconds) of `intervals` that covers `span` plus one partial
    bucket in at most MAX_BUCKETS buckets."""
    for seconds in intervals:
        if math.ceil(span.total_seconds() / seconds) + 1 <= MAX_BUCKETS:
            return seconds
    raise CollectorError(f"a period of {span} needs more than {MAX_BUCKETS} daily buckets; shorten baseline_hours")


def interval_param(seconds: int) -> str:
    """stats_v2's `interval`: whole days as "1d" (GlitchTip knows no "24h"), else hours."""
    return f"{seconds // 86400}d" if seconds % 86400 == 0 else f"{seconds // 3600}h"


def floor_to(at: datetime, seconds: int) -> datetime:
    """Round down to a multiple of `seconds` since the epoch (day-dividing intervals align to UTC midnight)."""
    epoch = int(at.timestamp())
    return datetime.fromtimestamp(epoch - epoch % seconds, timezone.utc)


def ceil_to(at: datetime, seconds: int) -> datetime:
    down = floor_to(at, seconds)
    return down if down == at else down + timedelta(seconds=seconds)


def _series(group: StatsGroup, field: str, endpoint: str) -> list[float | None]:
    if group.series is None or field not in group.series:
        raise CollectorError(
            f"the server answered {endpoint} without a time series for {field} (a groupBy=project query "
            "returns totals only); nothing of that answer was stored"
        )
    return group.series[field]


def error_count_rows(answer: StatsAnswer, project: str, bucket_seconds: int,
                     field: str = "sum(quantity)", null_is_zero: bool = False) -> list[dict[str, Any]]:
    """Rows for `error_counts` from one project's stats_v2 answer.

    Values line up with `intervals` by index. Every group counts (the query already filters the
    outcome and category), in whatever order they come; a bucket where every group is null is
    left out (unknown), never stored as 0 -- unless `null_is_zero`: GlitchTip sums its hourly
    statistics rows with a LEFT JOIN, so its null is an hour without events.
    """
    totals: list[int | None] = [0 if null_is_zero else None] * len(answer.intervals)
    for group in answer.groups:
        for i, value in enumerate(_series(group, field, "stats_v2")[: len(totals)]):
            if value is not None:
                totals[i] = (totals[i] or 0) + int(value)
    return [
        {"project": project, "bucket_start": at, "bucket_seconds": bucket_seconds, "events": n}
        for at, n in zip(answer.intervals, totals)
        if n is not None
    ]


def session_rows(answer: StatsAnswer, slug_by_id: Mapping[str, str],
                 field: str = "sum(session)") -> list[dict[str, Any]]:
    """Rows for `session_health` from a sessions answer grouped by project and session.status.

    The statuses are disjoint, so sessions = healthy + errored + crashed + abnormal. A bucket
    without any number is left out: no sessions is "no data", never a 100 % crash-free rate.
    """
    cells: dict[tuple[str, int], dict[str, int]] = {}
    for group in answer.groups:
        project = slug_by_id.get(str(group.by.get("project")), str(group.by.get("project")))
        status = group.by.get("session.status")
        if status not in SESSION_STATUSES:
            continue
        for i, value in enumerate(_series(group, field, "sessions")[: len(answer.intervals)]):
            if value is not None:
                cell = cells.setdefault((project, i), dict.fromkeys(SESSION_STATUSES, 0))
                cell[status] += int(value)
    rows = []
    for (project, i), c in sorted(cells.items()):
        total = sum(c.values())
        if total == 0:
            continue
        rows.append({"project": project, "bucket_start": answer.intervals[i], "sessions": total,
                     "crashed": c["crashed"], "errored": c["errored"], "abnormal": c["abnormal"]})
    return rows


# --- go-live ---------------------------------------------------------------------------------

def pick_go_live(deploys: Sequence[Deploy], release: Release | None,
                 environment: str) -> tuple[datetime | None, str]:
    """The go-live instant and where it came from: the first finished deploy to `environment`,
    else the release's dateReleased, firstEvent, dateCreated (each may be null; GlitchTip has
    no deploys and no firstEvent)."""
    finished = [d.dateFinished for d in deploys if d.environment == environment and d.dateFinished]
    if finished:
        return min(finished).astimezone(timezone.utc), f"deploy to {environment} finished"
    for key in ("dateReleased", "firstEvent", "dateCreated"):
        at = getattr(release, key, None) if release is not None else None
        if at is not None:
            return at.astimezone(timezone.utc), f"release {key}"
    return None, "none"
