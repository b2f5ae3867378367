"""The Sentry collector: incremental issues, error counts and release health into the store.

Each batch is written in one transaction with its checkpoint (JSON in `checkpoints.cursor`):
- "projects": slug -> numeric id (the API filters by id), refreshed on every full sync;
- "issues": the last full sync, the start of the last complete pass, and the pass in progress
  (its cursor), so a run that fails or hits the page cap resumes where it committed;
- "error_counts": per project, the instant its counts were polled up to, and the projects
  whose issues changed since (their counts are due);
- "sessions": the instant release health was polled up to.
A run between full syncs asks only for issues seen since the last pass (with an overlap) and
re-polls error counts only for projects with a new or changed issue, from their last poll.
Asking by last-seen time never sees an issue being resolved or archived, so the whole period
is re-read every `full_sync_minutes`.
"""

from __future__ import annotations

import json
import logging
import os
from datetime import datetime, timedelta
from typing import Any

import pyarrow as pa

from collectors.base import RunOutcome
from collectors.sentry.client import SentryApi
from collectors.sentry.mapping import (
    ERROR_COUNT_SCHEMA,
    SESSION_SCHEMA,
    ceil_to,
    choose_interval,
    error_count_rows,
    floor_to,
    iso,
    issue_row,
    issues_table,
    parse_time,
    pick_go_live,
    session_rows,
)
from hypercare.clock import Clock
from hypercare.config import Config
from hypercare.decisions.window import stored_effective_window
from hypercare.errors import CollectorError
from hypercare.http import RetryPolicy
from hypercare.store import Store
from hypercare.store.read import scalar
from hypercare.store.releases import record_release
from hypercare.store.writes import (
    merge_rows,
    read_checkpoint,
    replace_range,
    save_checkpoint,
)
from hypercare.window import Window

log = logging.getLogger(__name__)


class SentryCollector:
    name = "sentry"
    kind = "sentry"

    def __init__(self, config: Config, clock: Clock, policy: RetryPolicy = RetryPolicy()):
        if config.sentry is None:
            raise ValueError("SentryCollector needs a [sentry] section")
        self.full_config = config
        self.config = config.sentry
        self.release = config.release
        self.interval_seconds = self.config.interval_seconds
        self.token = os.environ.get(self.config.token_env, "").strip()
        self.secrets = [self.token] if self.token else []
        self.api = SentryApi(self.config.base_url, self.config.org, self.token, self.config.token_env,
                             clock=clock, timeout=self.config.timeout_seconds, policy=policy)

    @property
    def requests_made(self) -> int:
        return self.api.requests_made

    # -- one run --------------------------------------------------------------------------

    def collect(self, store: Store, now: datetime) -> RunOutcome:
        if not self.token:
            raise CollectorError(
                f"${self.config.token_env} is empty: set it to a Sentry auth token with the org:read, "
                f"project:read and event:read scopes (or name another variable in [sentry] token_env)",
                permanent=True,
            )
        issues = _State(store, "issues")
        full = issues.get("pass") is None and _due(issues.get("last_full_at"), now, self.config.full_sync_minutes)
        window = self._window(store, now, refresh=full)
        start, end = window.baseline_start, min(now, window.end)
        if end <= start:
            return RunOutcome(0)
        projects = self._projects(store, now, refresh=full)
        counts = _State(store, "error_counts")
        written, incomplete = self._issues(store, issues, counts, projects, start, end, now, full)
        bucket = choose_interval(window.span.end - window.span.start)
        written += self._error_counts(store, counts, projects, start, end, now, bucket, full)
        written += self._sessions(store, projects, start, end, now, bucket, full)
        return RunOutcome(written, incomplete)

    def _window(self, store: Store, now: datetime, refresh: bool) -> Window:
        r = self.release
        go_live = r.go_live_at or (None if refresh else scalar(
            store.cursor(), "SELECT max(go_live_at) FROM releases WHERE name = ?", [r.name]))
        if go_live is None:
            go_live = self._detect_go_live(store)
        # extend and exit decisions move the window's end, and with it what is collected
        return stored_effective_window(store.cursor(), Window(go_live, r.window_hours, r.baseline_hours, r.timezone))

    def _detect_go_live(self, store: Store) -> datetime:
        """Read the go-live instant from the release's deploys and write it into `releases`."""
        r = self.release
        version = r.version or ""
        what = f"release {version!r}"
        deploys, _ = self.api.get(self.api.org_url("releases", version, "deploys"), [], f"the deploys of {what}")
        details, _ = self.api.get(self.api.org_url("releases", version), [], what)
        go_live, source = pick_go_live(deploys if isinstance(deploys, list) else [], details, r.environment)
        if go_live is None:
            raise CollectorError(
                f"{what} has no finished deploy to {r.environment} and no release date yet; "
                f"set release.go_live_at, or record the deploy (sentry-cli releases deploys {version} new -e {r.environment})"
            )
        log.info("go-live of %s detected from the %s: %s", version, source, iso(go_live))
        record_release(store, self.full_config, go_live)
        return go_live

    def _projects(self, store: Store, now: datetime, refresh: bool) -> dict[str, str]:
        """Slug -> numeric id for the configured projects (the API filters by id)."""
        state = _State(store, "projects")
        wanted = self.config.projects
        if not refresh and all(slug in state.data for slug in wanted):
            return {slug: state.data[slug] for slug in wanted}
        found: dict[str, str] = {}
        what = f"the projects of organization {self.config.org!r}"
        for page in self.api.pages(self.api.org_url("projects"), [], what):
            found.update({str(p.get("slug")): str(p.get("id")) for p in page.rows if isinstance(p, dict)})
        missing = [slug for slug in wanted if slug not in found]
        if missing:
            seen = ", ".join(sorted(found)[:20]) or "none"
            raise CollectorError(
                f"project(s) {', '.join(missing)} not found in Sentry organization {self.config.org!r} "
                f"(the token sees: {seen}); fix [sentry] projects", permanent=True)
        projects = {slug: found[slug] for slug in wanted}
        with store.transaction() as cur:
            state.save(cur, projects, now)
        return projects

    def _issues(self, store: Store, state: _State, counts: _State, projects: dict[str, str], start: datetime,
                end: datetime, now: datetime, full: bool) -> tuple[int, str | None]:
        """Page through the issues (a new pass, or the one a previous run left unfinished).

        The projects of new or changed issues are marked in the error-count checkpoint, in the
        same transaction, so their counts are re-polled even if this run fails before that.
        """
        run = state.get("pass")
        if run is None:
            since = parse_time(state.get("since"))
            query = "" if full or since is None else f"lastSeen:>={iso(since - self._overlap)}"
            run = {"full": full or since is None, "started_at": iso(now), "start": iso(start),
                   "end": iso(end), "query": query, "cursor": None}
        # `query` is always sent: without it Sentry applies is:unresolved and hides resolved issues.
        params = [("query", run["query"]), ("environment", self.release.environment),
                  *(("project", pid) for pid in projects.values()),
                  ("start", run["start"]), ("end", run["end"]), ("sort", "date"),
                  ("limit", self.config.page_size)]
        what = f"the issues of organization {self.config.org!r}"
        seen: set[str] = set()
        written = pages = 0
        for page in self.api.pages(self.api.org_url("issues"), params, what, cursor=run["cursor"]):
            rows = []
            for raw in page.rows:
                row = issue_row(raw, now)
                if row["issue_id"] not in seen:
                    seen.add(row["issue_id"])
                    rows.append(row)
            run = {**run, "cursor": page.next_cursor}
            with store.transaction() as cur:
                if not run["full"]:  # the overlap re-reads issues already stored: keep them as they are
                    rows = _changed(cur, rows)
                dirty = set(counts.get("dirty") or []) | {r["project"] for r in rows if r["project"] in projects}
                if dirty != set(counts.get("dirty") or []):
                    counts.save(cur, {**counts.data, "dirty": sorted(dirty)}, now)
                written += merge_rows(cur, "sentry_issues", issues_table(rows), ["issue_id"])
                if page.next_cursor is None:
                    done = {"since": run["started_at"], "pass": None,
                            "last_full_at": run["started_at"] if run["full"] else state.get("last_full_at")}
                    state.save(cur, done, now)
                else:
                    state.save(cur, {**state.data, "pass": run}, now)
            pages += 1
            if page.next_cursor is not None and pages >= self.config.max_pages:
                return written, (
                    f"incomplete: stopped after {pages} pages of issues (max_pages = {self.config.max_pages}); "
                    "the next run continues from the saved cursor")
        return written, None

    def _error_counts(self, store: Store, state: _State, projects: dict[str, str], start: datetime,
                      end: datetime, now: datetime, bucket: int, full: bool) -> int:
        """Accepted error events per bucket and project, from stats_v2 (one project per query:
        grouping by project returns totals without a time series).

        Between full syncs only projects with a new or changed issue are re-polled: every
        accepted error event moves its issue's last-seen time or its count.
        """
        written = 0
        for slug, pid in projects.items():
            polled = parse_time((state.get("polled_to") or {}).get(slug))
            if not full and polled is not None and slug not in (state.get("dirty") or []):
                continue
            lo = start if full or polled is None else max(start, floor_to(polled - self._overlap, bucket))
            hi = ceil_to(end, bucket)
            params = [("field", "sum(quantity)"), ("category", "error"), ("outcome", "accepted"),
                      ("groupBy", "outcome"), ("project", pid), ("interval", f"{bucket // 3600}h"),
                      ("start", iso(lo)), ("end", iso(hi))]
            payload, _ = self.api.get(self.api.org_url("stats_v2"), params, f"the error counts of project {slug!r}")
            rows = [r for r in error_count_rows(payload, slug, bucket) if lo <= r["bucket_start"] < hi]
            with store.transaction() as cur:
                written += replace_range(cur, "error_counts", pa.Table.from_pylist(rows, schema=ERROR_COUNT_SCHEMA),
                                         "bucket_start", lo, hi, where={"project": slug})
                state.save(cur, {"polled_to": {**(state.get("polled_to") or {}), slug: iso(end)},
                                 "dirty": [d for d in state.get("dirty") or [] if d != slug]}, now)
        return written

    def _sessions(self, store: Store, projects: dict[str, str], start: datetime, end: datetime,
                  now: datetime, bucket: int, full: bool) -> int:
        """Sessions per status for the release, all projects in one query."""
        state = _State(store, "sessions")
        polled = parse_time(state.get("polled_to"))
        lo = start if full or polled is None else max(start, floor_to(polled - self._overlap, bucket))
        hi = ceil_to(end, bucket)
        params = [("field", "sum(session)"), ("groupBy", "project"), ("groupBy", "session.status"),
                  ("interval", f"{bucket // 3600}h"), ("environment", self.release.environment),
                  *(("project", pid) for pid in projects.values()),
                  ("start", iso(lo)), ("end", iso(hi))]
        if self.release.version:
            params.append(("query", f'release:"{self.release.version}"'))
        payload, _ = self.api.get(self.api.org_url("sessions"), params, "release health (sessions)")
        slug_by_id = {pid: slug for slug, pid in projects.items()}
        rows = [r for r in session_rows(payload, slug_by_id) if lo <= r["bucket_start"] < hi]
        written = 0
        with store.transaction() as cur:
            for slug in projects:
                mine = [r for r in rows if r["project"] == slug]
                written += replace_range(cur, "session_health", pa.Table.from_pylist(mine, schema=SESSION_SCHEMA),
                                         "bucket_start", lo, hi, where={"project": slug})
            state.save(cur, {"polled_to": iso(end)}, now)
        return written

    @property
    def _overlap(self) -> timedelta:
        return timedelta(minutes=self.config.overlap_minutes)


CHANGES = ("last_seen", "event_count", "user_count", "status", "substatus", "title", "level")


def _changed(cur, rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """The rows that are new or differ from what is stored in what Sentry changes about an issue."""
    columns = ", ".join(CHANGES)
    stored = {r[0]: r[1:] for r in cur.execute(
        f"SELECT issue_id, {columns} FROM sentry_issues WHERE list_contains(?, issue_id)",
        [[r["issue_id"] for r in rows]]).fetchall()}
    return [r for r in rows if stored.get(r["issue_id"]) != tuple(r[c] for c in CHANGES)]


def _due(last_full_at: str | None, now: datetime, every_minutes: float) -> bool:
    last = parse_time(last_full_at)
    return last is None or now - last >= timedelta(minutes=every_minutes)


class _State:
    """A checkpoint holding a JSON object, read when created, saved inside a transaction."""

    def __init__(self, store: Store, scope: str):
        self.scope = scope
        raw = read_checkpoint(store.cursor(), SentryCollector.name, scope)
        try:
            data = json.loads(raw) if raw else {}
        except ValueError:
            data = None
        # Anything else (e.g. a bare timestamp written by an older version) starts afresh with a full sync.
        self.data: dict[str, Any] = data if isinstance(data, dict) else {}

    def get(self, key: str) -> Any:
        return self.data.get(key)

    def save(self, cur, data: dict[str, Any], now: datetime) -> None:
        self.data = data
        save_checkpoint(cur, SentryCollector.name, self.scope, json.dumps(data, sort_keys=True), now)
