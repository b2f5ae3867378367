"""The Sentry collector: incremental issues, error counts and release health into the store,
from any Sentry-compatible server (sentry.io, self-hosted Sentry, GlitchTip).

Each batch is written in one transaction with its checkpoint (JSON in `checkpoints.cursor`):
- "server": what the server offers (hypercare.store.queries.sentry_server.ServerOffer): its
  kind, the issue sort it accepts, and the optional endpoints it doesn't have;
- "projects": slug -> numeric id (the API filters by id), refreshed on every full sync;
- "issues": the last full sync, the start of the last complete pass, and the pass in progress
  (its cursor), so a run that fails or hits the page cap resumes where it committed;
- "error_counts": per project, the instant its counts were polled up to, and the projects
  whose issues changed since (their counts are due);
- "sessions": the instant release health was polled up to.
Issues are read newest-seen first; a run between full syncs stops paging once the issues are
older than its last pass minus the overlap (no search syntax: GlitchTip ignores `lastSeen:`),
and re-polls error counts only for projects with a new or changed issue. Reading by last-seen
time never sees an issue being resolved or archived, so the whole period is re-read every
`full_sync_minutes`; a full sync also asks the server again what it offers.

Issues are required. Error counts, sessions and deploys are optional: a server without one
(404, 405, or an HTML page where JSON was expected) makes the run partial, not failed.
"""

from __future__ import annotations

import json
import logging
import os
import re
from dataclasses import dataclass, field, replace
from datetime import datetime, timedelta
from typing import Any, Callable

import pyarrow as pa

from collectors.base import RunOutcome
from collectors.sentry.client import Refused, SentryApi
from collectors.sentry.mapping import (
    ERROR_COUNT_SCHEMA,
    GLITCHTIP_INTERVALS,
    INTERVALS,
    SESSION_SCHEMA,
    ceil_to,
    choose_interval,
    error_count_rows,
    floor_to,
    interval_param,
    iso,
    issue_row,
    issues_table,
    parse_time,
    pick_go_live,
    session_rows,
)
from collectors.sentry.shapes import (
    Deploy,
    IssueItem,
    ProjectItem,
    Release,
    StatsAnswer,
    answer,
    items,
)
from hypercare.clock import Clock
from hypercare.config import Config
from hypercare.decisions.window import stored_effective_window
from hypercare.errors import CollectorError
from hypercare.http import RetryPolicy
from hypercare.store import Store
from hypercare.store.queries.sentry_server import (
    CHECKPOINT,
    SORT_BY_LAST_SEEN,
    ServerOffer,
    server_offer,
)
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
MAX_SKIPPED_SHOWN = 3


@dataclass
class _Run:
    """One run so far: rows written (exact, also when a later step fails), malformed items
    skipped, and notes for the run's warning."""

    now: datetime
    full: bool
    offer: ServerOffer
    written: int = 0
    skipped: list[str] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)

    def outcome(self, incomplete: str | None) -> RunOutcome:
        warning = list(self.notes)
        if self.skipped:
            shown = "; ".join(self.skipped[:MAX_SKIPPED_SHOWN])
            more = f" and {len(self.skipped) - MAX_SKIPPED_SHOWN} more" if len(self.skipped) > MAX_SKIPPED_SHOWN else ""
            warning.append(f"skipped {len(self.skipped)} malformed item(s) the server sent ({shown}{more})")
        return RunOutcome(self.written, incomplete, warning="; ".join(warning) or None,
                          partial=self.offer.summary() or None)


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
        run = _Run(now, full, server_offer(store.cursor()))
        try:
            return self._collect(store, run, issues)
        except CollectorError as exc:
            exc.rows_written = run.written
            raise

    def _collect(self, store: Store, run: _Run, issues: _State) -> RunOutcome:
        if run.full:
            self._ask_what_the_server_is(store, run)
        window = self._window(store, run)
        start, end = window.baseline_start, min(run.now, window.end)
        if end <= start:
            return run.outcome(None)
        projects = self._projects(store, run.now, refresh=run.full)
        counts = _State(store, "error_counts")
        incomplete = self._issues(store, run, issues, counts, projects, start, end)
        bucket = choose_interval(window.span.end - window.span.start,
                                 GLITCHTIP_INTERVALS if run.offer.kind == "glitchtip" else INTERVALS)
        self._error_counts(store, run, counts, projects, start, end, bucket)
        self._sessions(store, run, projects, start, end, bucket)
        return run.outcome(incomplete)

    # -- what the server offers -----------------------------------------------------------

    def _ask_what_the_server_is(self, store: Store, run: _Run) -> None:
        """GlitchTip answers `GET /api/settings/` with its own document; Sentry has none.
        If the question can't be answered now, the last answer stands until the next full sync."""
        try:
            settings = self.api.server_settings()
        except CollectorError as exc:
            log.warning("could not tell which server %s is (%s); keeping %s", self.config.base_url, exc.message,
                        run.offer.name)
            return
        glitchtip = isinstance(settings, dict) and "iPaidForGlitchTip" in settings
        version = settings.get("version") if glitchtip else None
        # Outside text shown on pages: keep only what a version number is made of.
        version = re.sub(r"[^0-9A-Za-z.+_-]", "", str(version))[:40] if isinstance(version, (str, int, float)) else ""
        offer = replace(run.offer, kind="glitchtip" if glitchtip else "sentry", version=version or None)
        if offer != run.offer:
            self._remember(store, run, offer)

    def _remember(self, store: Store, run: _Run, offer: ServerOffer) -> None:
        with store.transaction() as cur:
            save_checkpoint(cur, *CHECKPOINT, offer.to_json(), run.now)
        run.offer = offer

    def _optional(self, store: Store, run: _Run, part: str, call: Callable[[], Any]) -> Any:
        """`call()` for an optional endpoint, or None when the server doesn't offer it. What it
        answered is remembered, so runs between full syncs don't ask again; a full sync does."""
        if part in run.offer.missing and not run.full:
            return None
        try:
            result = call()
        except Refused as exc:
            if not exc.not_offered:
                raise
            how = "an HTML page" if exc.status == 200 else str(exc.status)
            log.info("%s doesn't offer %s (it answered %s)", run.offer.name, part, how)
            self._remember(store, run, run.offer.with_missing(part, how))
            return None
        if part in run.offer.missing:
            self._remember(store, run, run.offer.with_missing(part, None))
        return result

    # -- go-live and projects -------------------------------------------------------------

    def _window(self, store: Store, run: _Run) -> Window:
        r = self.release
        go_live = r.go_live_at or (None if run.full else scalar(
            store.cursor(), "SELECT max(go_live_at) FROM releases WHERE name = ?", [r.name]))
        if go_live is None:
            go_live = self._detect_go_live(store, run)
        # extend and exit decisions move the window's end, and with it what is collected
        return stored_effective_window(store.cursor(), Window(go_live, r.window_hours, r.baseline_hours, r.timezone))

    def _detect_go_live(self, store: Store, run: _Run) -> datetime:
        """Read the go-live instant from the release's deploys (where the server has them), else
        from the release's own dates, and write it into `releases`."""
        r = self.release
        version = r.version or ""
        what = f"release {version!r}"
        raw_deploys = self._optional(store, run, "deploys", lambda: self.api.get(
            self.api.org_url("releases", version, "deploys"), [], f"the deploys of {what}")[0])
        deploys, bad = items(Deploy, raw_deploys if isinstance(raw_deploys, list) else [], "deploy")
        run.skipped += bad
        try:
            details, _ = self.api.get(self.api.org_url("releases", version), [], what)
        except Refused as exc:
            if exc.status == 403:
                raise CollectorError(
                    f"the token in ${self.config.token_env} may not read {what} ({exc.detail}); reading a release "
                    f"needs the project:releases scope (GlitchTip) or project:read (Sentry): add it to the token, "
                    f"or set release.go_live_at", permanent=True) from None
            raise
        release = answer(Release, details, what, "releases/{version}")
        go_live, source = pick_go_live(deploys, release, r.environment)
        if go_live is None:
            raise CollectorError(
                f"{what} has no finished deploy to {r.environment} and no release date yet; "
                f"set release.go_live_at, or record the deploy (sentry-cli releases deploys {version} new -e {r.environment})"
            )
        log.info("go-live of %s detected from the %s: %s", version, source, iso(go_live))
        if not source.startswith("deploy"):
            run.notes.append(f"go-live {iso(go_live)} taken from the {source}"
                             + (" (this server has no deploys)" if "deploys" in run.offer.missing else ""))
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
            good, _ = items(ProjectItem, page.rows, "project")  # other projects' oddities don't matter
            found.update({p.slug: p.id for p in good})
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

    # -- issues ---------------------------------------------------------------------------

    def _issues(self, store: Store, run: _Run, state: _State, counts: _State, projects: dict[str, str],
                start: datetime, end: datetime) -> str | None:
        """Page through the issues, newest-seen first (a new pass, or the one a previous run
        left unfinished). A pass between full syncs stops at the first page that reaches
        issues last seen before its `since` (the last pass's start minus the overlap).

        The projects of new or changed issues are marked in the error-count checkpoint, in the
        same transaction, so their counts are re-polled even if this run fails before that.
        Returns why the run stopped early, or None.
        """
        pass_ = state.get("pass")
        if pass_ is None:
            since = parse_time(state.get("since"))
            full = run.full or since is None
            pass_ = {"full": full, "started_at": iso(run.now), "start": iso(start), "end": iso(end),
                     "since": None if full else iso(since - self._overlap), "cursor": None}
        since = parse_time(pass_.get("since"))
        what = f"the issues of organization {self.config.org!r}"
        seen: set[str] = set()
        pages = 0
        for page in self._issue_pages(store, run, pass_, projects, what):
            good, bad = items(IssueItem, page.rows, "issue")
            run.skipped += bad
            rows = []
            for issue in good:
                if issue.id not in seen:
                    seen.add(issue.id)
                    rows.append(issue_row(issue, run.now, counts_users=run.offer.offers("users")))
            older = since is not None and any(i.lastSeen < since for i in good)
            following = None if older else page.next_cursor
            pass_ = {**pass_, "cursor": following}
            with store.transaction() as cur:
                if not pass_["full"]:  # the overlap re-reads issues already stored: keep them as they are
                    rows = _changed(cur, rows)
                dirty = set(counts.get("dirty") or []) | {r["project"] for r in rows if r["project"] in projects}
                if dirty != set(counts.get("dirty") or []):
                    counts.save(cur, {**counts.data, "dirty": sorted(dirty)}, run.now)
                run.written += merge_rows(cur, "sentry_issues", issues_table(rows), ["issue_id"])
                if following is None:
                    done = {"since": pass_["started_at"], "pass": None,
                            "last_full_at": pass_["started_at"] if pass_["full"] else state.get("last_full_at")}
                    state.save(cur, done, run.now)
                else:
                    state.save(cur, {**state.data, "pass": pass_}, run.now)
            if following is None:
                return None
            pages += 1
            if pages >= self.config.max_pages:
                return (f"incomplete: stopped after {pages} pages of issues (max_pages = {self.config.max_pages}); "
                        "the next run continues from the saved cursor")
        return None

    def _issue_pages(self, store: Store, run: _Run, pass_: dict[str, Any], projects: dict[str, str], what: str):
        """The pages of the issue list, sorted by last seen, newest first: `sort=date` on Sentry,
        `-last_seen` where that is refused (GlitchTip answers 422). The one that works is remembered."""
        for attempt in range(2):
            # `query` is always sent: without it Sentry applies is:unresolved and hides resolved issues.
            params = [("query", ""), ("environment", self.release.environment),
                      *(("project", pid) for pid in projects.values()),
                      ("start", pass_["start"]), ("end", pass_["end"]), ("sort", run.offer.sort),
                      ("limit", self.config.page_size)]
            pages = self.api.pages(self.api.org_url("issues"), params, what, cursor=pass_["cursor"])
            try:
                first = next(pages, None)
            except Refused as exc:
                if attempt or exc.status not in (400, 422) or "sort" not in exc.detail.lower():
                    raise
                other = next(s for s in SORT_BY_LAST_SEEN if s != run.offer.sort)
                log.info("%s refused sort=%s (%s); asking with sort=%s", run.offer.name, run.offer.sort, exc.status, other)
                self._remember(store, run, replace(run.offer, sort=other))
                continue
            if first is not None:
                yield first
                yield from pages
            return

    # -- error counts and sessions --------------------------------------------------------

    def _error_counts(self, store: Store, run: _Run, state: _State, projects: dict[str, str], start: datetime,
                      end: datetime, bucket: int) -> None:
        """Accepted error events per bucket and project, from stats_v2 (one project per query:
        grouping by project returns totals without a time series).

        Between full syncs only projects with a new or changed issue are re-polled: every
        accepted error event moves its issue's last-seen time or its count.
        """
        for slug, pid in projects.items():
            polled = parse_time((state.get("polled_to") or {}).get(slug))
            if not run.full and polled is not None and slug not in (state.get("dirty") or []):
                continue
            lo = start if run.full or polled is None else max(start, floor_to(polled - self._overlap, bucket))
            hi = ceil_to(end, bucket)
            params = [("field", "sum(quantity)"), ("category", "error"), ("outcome", "accepted"),
                      ("groupBy", "outcome"), ("project", pid), ("interval", interval_param(bucket)),
                      ("start", iso(lo)), ("end", iso(hi))]
            what = f"the error counts of project {slug!r}"
            payload = self._optional(store, run, "error_counts",
                                     lambda: self.api.get(self.api.org_url("stats_v2"), params, what)[0])
            if payload is None:
                return
            stats = answer(StatsAnswer, payload, what, "stats_v2")
            rows = [r for r in error_count_rows(stats, slug, bucket, null_is_zero=run.offer.kind == "glitchtip")
                    if lo <= r["bucket_start"] < hi]
            with store.transaction() as cur:
                run.written += replace_range(cur, "error_counts", pa.Table.from_pylist(rows, schema=ERROR_COUNT_SCHEMA),
                                             "bucket_start", lo, hi, where={"project": slug})
                state.save(cur, {"polled_to": {**(state.get("polled_to") or {}), slug: iso(end)},
                                 "dirty": [d for d in state.get("dirty") or [] if d != slug]}, run.now)

    def _sessions(self, store: Store, run: _Run, projects: dict[str, str], start: datetime, end: datetime,
                  bucket: int) -> None:
        """Sessions per status for the release, all projects in one query."""
        state = _State(store, "sessions")
        polled = parse_time(state.get("polled_to"))
        lo = start if run.full or polled is None else max(start, floor_to(polled - self._overlap, bucket))
        hi = ceil_to(end, bucket)
        params = [("field", "sum(session)"), ("groupBy", "project"), ("groupBy", "session.status"),
                  ("interval", interval_param(bucket)), ("environment", self.release.environment),
                  *(("project", pid) for pid in projects.values()),
                  ("start", iso(lo)), ("end", iso(hi))]
        if self.release.version:
            params.append(("query", f'release:"{self.release.version}"'))
        what = "release health (sessions)"
        payload = self._optional(store, run, "sessions",
                                 lambda: self.api.get(self.api.org_url("sessions"), params, what)[0])
        if payload is None:
            return
        sessions = answer(StatsAnswer, payload, what, "sessions")
        slug_by_id = {pid: slug for slug, pid in projects.items()}
        rows = [r for r in session_rows(sessions, slug_by_id) if lo <= r["bucket_start"] < hi]
        with store.transaction() as cur:
            for slug in projects:
                mine = [r for r in rows if r["project"] == slug]
                run.written += replace_range(cur, "session_health", pa.Table.from_pylist(mine, schema=SESSION_SCHEMA),
                                             "bucket_start", lo, hi, where={"project": slug})
            state.save(cur, {"polled_to": iso(end)}, run.now)

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
