"""A Sentry-compatible server on 127.0.0.1 for tests and benchmarks.

It speaks the documented shapes of Sentry's Web API: organization issues with Link cursor
pagination (`rel="previous"`/`rel="next"`, `results`, `cursor`, value:offset:is_prev cursors over
last-seen time), stats_v2 (no time series when grouped by project, as Sentry does), sessions,
projects, releases and deploys; rate-limit headers; faults on demand (429 with
X-Sentry-Rate-Limit-Reset and a bare JSON string body, 5xx, 401/403/404 with `detail`, HTML
bodies, slow answers); and the envelope ingest endpoint `/api/{project_id}/envelope/`, which
accepts the real sentry-sdk's gzip/br-compressed envelopes and groups their events into issues.
"""

from __future__ import annotations

import bisect
import gzip
import json
import random
import threading
import zlib
from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timezone
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, unquote, urlencode, urlsplit

try:
    import brotli
except ImportError:  # the SDK then sends gzip
    brotli = None

HOUR = 3600
TOO_MANY = "You are attempting to use this endpoint too frequently. Limit is 40 requests in 1 seconds"
NOT_FOUND = {"detail": "The requested resource does not exist"}


def _iso(at: datetime) -> str:
    return at.astimezone(timezone.utc).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def _parse(value: str) -> datetime:
    try:
        return datetime.fromtimestamp(float(value), timezone.utc)
    except ValueError:
        at = datetime.fromisoformat(value.replace("Z", "+00:00"))
        return at if at.tzinfo else at.replace(tzinfo=timezone.utc)


def _hour(at: datetime) -> int:
    t = int(at.timestamp())
    return t - t % HOUR


class _Refused(Exception):
    """A query Sentry answers with 400 and this detail."""


@dataclass
class Fault:
    """Answer the `skip`+1-th to `skip`+`times`-th requests whose path contains `match` with this."""

    match: str
    status: int | None = None  # None: answer normally, after `delay`
    body: Any = None  # bytes/str sent as they are; anything else as JSON
    headers: dict[str, str] = field(default_factory=dict)
    times: int = 1
    skip: int = 0
    delay: float = 0.0
    content_type: str = "application/json"


@dataclass
class Issue:
    id: int
    project_id: int
    short_id: str
    title: str
    culprit: str
    first_seen: datetime
    last_seen: datetime
    count: int
    user_count: int
    level: str = "error"
    status: str = "unresolved"
    substatus: str = "new"
    first_release: str | None = None
    environments: set[str] = field(default_factory=lambda: {"production"})
    events: list[datetime] = field(default_factory=list)
    users: set[str] = field(default_factory=set)
    group_key: tuple | None = None  # how ingested events are grouped into this issue


class FakeSentry:
    """State and behaviour; `start()` serves it on 127.0.0.1 in a thread (use as a context manager)."""

    def __init__(self, org: str = "acme", token: str = "sntrys_test_token_0123456789",
                 projects: tuple[str, ...] = ("web", "api"), now: Callable[[], datetime] | None = None,
                 rate_limit_headers: bool = True, link_style: str = "sentry"):
        self.org = org
        self.token = token
        self.now = now or (lambda: datetime.now(timezone.utc))
        self.rate_limit_headers = rate_limit_headers  # False: like self-hosted, no X-Sentry-Rate-Limit-*
        self.link_style = link_style  # "sentry", "wrapped" (odd spacing/line breaks), "no-cursor"
        self.projects: dict[int, str] = {}
        self.keys: dict[int, str] = {}
        self.issues: dict[int, Issue] = {}
        self.errors: dict[int, dict[int, int]] = defaultdict(lambda: defaultdict(int))  # project -> hour -> n
        self.sessions: dict[int, dict[int, dict[str, int]]] = defaultdict(dict)  # project -> hour -> status -> n
        self.sessions_release: str | None = None
        self.releases: dict[str, dict[str, Any]] = {}
        self.deploys: dict[str, list[dict[str, Any]]] = defaultdict(list)
        self.faults: list[Fault] = []
        self.requests: list[tuple[str, str, dict[str, list[str]]]] = []
        self.stats_transform: Callable[[dict], dict] | None = None
        self.on_request: Callable[[str], None] | None = None  # called with each path before answering
        self.short_pages = 0  # answer this many fewer issues than `limit` (Sentry may filter after paging)
        self.envelopes = 0
        self.raw_envelopes: list[bytes] = []
        self.encodings: list[str] = []
        self._lock = threading.RLock()
        self.stopped = threading.Event()  # ends a slow answer early when the server stops
        self._next_issue = 1000
        self._per_project: dict[int, int] = defaultdict(int)
        self._version = 0  # bumped by every change to the issues
        self._listing: tuple | None = None
        self._server: ThreadingHTTPServer | None = None
        for slug in projects:
            self.add_project(slug)

    # -- lifecycle --------------------------------------------------------------------------------

    def start(self) -> FakeSentry:
        handler = type("Handler", (_Handler,), {"fake": self})
        self._server = ThreadingHTTPServer(("127.0.0.1", 0), handler)
        self._server.daemon_threads = True
        threading.Thread(target=self._server.serve_forever, name="fake-sentry", daemon=True).start()
        return self

    def stop(self) -> None:
        self.stopped.set()
        if self._server:
            self._server.shutdown()
            self._server.server_close()

    def __enter__(self) -> FakeSentry:
        return self.start()

    def __exit__(self, *exc: Any) -> None:
        self.stop()

    @property
    def url(self) -> str:
        host, port = self._server.server_address[:2]
        return f"http://{host}:{port}"

    def dsn(self, project: str) -> str:
        pid = self.project_id(project)
        return f"{self.url.replace('://', f'://{self.keys[pid]}@')}/{pid}"

    def api_requests(self, contains: str = "/api/0/") -> int:
        return sum(1 for _, path, _ in self.requests if contains in path)

    # -- data -------------------------------------------------------------------------------------

    def add_project(self, slug: str) -> int:
        with self._lock:
            pid = 4500000 + len(self.projects) + 1
            self.projects[pid] = slug
            self.keys[pid] = f"{pid:032x}"
            return pid

    def project_id(self, slug: str) -> int:
        return next(pid for pid, s in self.projects.items() if s == slug)

    def add_issue(self, project: str, title: str, first_seen: datetime, last_seen: datetime | None = None,
                  count: int = 1, user_count: int = 1, **kw: Any) -> Issue:
        with self._lock:
            self._next_issue += 1
            pid = self.project_id(project)
            self._per_project[pid] += 1
            n = self._per_project[pid]
            issue = Issue(self._next_issue, pid, f"{project.upper()}-{n:X}", title, kw.pop("culprit", "app.views in handler"),
                          first_seen, last_seen or first_seen, count, user_count, **kw)
            self.issues[issue.id] = issue
            self._version += 1
            return issue

    def update_issue(self, issue_id: int, **changes: Any) -> None:
        with self._lock:
            for k, v in changes.items():
                setattr(self.issues[issue_id], k, v)
            self._version += 1

    def add_error_counts(self, project: str, start: datetime, counts: list[int]) -> None:
        """Accepted error events per hour from `start` (rounded down to the hour)."""
        with self._lock:
            series = self.errors[self.project_id(project)]
            for i, n in enumerate(counts):
                series[_hour(start) + i * HOUR] += n

    def add_sessions(self, project: str, start: datetime, hours: list[dict[str, int]]) -> None:
        with self._lock:
            series = self.sessions[self.project_id(project)]
            for i, statuses in enumerate(hours):
                series[_hour(start) + i * HOUR] = dict(statuses)

    def add_release(self, version: str, deploys: list[dict[str, Any]] = (), **dates: Any) -> None:
        with self._lock:
            self.releases[version] = {"version": version, "shortVersion": version, "dateCreated": None,
                                      "dateReleased": None, "firstEvent": None, "lastEvent": None, **dates}
            for i, d in enumerate(deploys):
                self.deploys[version].append({"id": str(i + 1), "name": None, "url": None,
                                              "dateStarted": None, **d})

    # -- request handling -------------------------------------------------------------------------

    def take_fault(self, path: str) -> Fault | None:
        with self._lock:
            for fault in self.faults:
                if fault.match in path and fault.times > 0:
                    if fault.skip > 0:
                        fault.skip -= 1
                        continue
                    fault.times -= 1
                    return fault
        return None

    def public(self, path: str) -> tuple[int, Any] | None:
        """An answer for a path outside /api/0/ that needs no token; None: not one (Sentry has none)."""
        return None

    def rate_headers(self) -> dict[str, str]:
        if not self.rate_limit_headers:
            return {}
        reset = int(self.now().timestamp()) + 1
        return {"X-Sentry-Rate-Limit-Limit": "40", "X-Sentry-Rate-Limit-Remaining": "39",
                "X-Sentry-Rate-Limit-Reset": str(reset), "X-Sentry-Rate-Limit-ConcurrentLimit": "25",
                "X-Sentry-Rate-Limit-ConcurrentRemaining": "24"}

    def api(self, segments: list[str], q: dict[str, list[str]], base: str) -> tuple[int, Any, dict[str, str]]:
        """Route /api/0/... ; returns (status, JSON body, extra headers)."""
        if len(segments) < 2 or segments[0] != "organizations":
            return 404, NOT_FOUND, {}
        if segments[1] != self.org:
            return 404, NOT_FOUND, {}
        rest = segments[2:]
        with self._lock:
            if rest == ["issues"]:
                return self._issues(q, base)
            if rest == ["projects"]:
                rows = [{"id": str(pid), "slug": slug, "name": slug.title(), "platform": "python"}
                        for pid, slug in sorted(self.projects.items())]
                return 200, rows, {"Link": self._link(base, "0:0:1", False, "0:100:0", False)}
            try:
                if rest == ["stats_v2"]:
                    return self._stats(q)
                if rest == ["sessions"]:
                    return self._sessions(q)
            except _Refused as refused:
                return 400, {"detail": str(refused)}, {}
            if len(rest) in (2, 3) and rest[0] == "releases":
                release = self.releases.get(rest[1])
                if release is None:
                    return 404, {"detail": "Release not found"}, {}
                if len(rest) == 2:
                    return 200, release, {}
                if rest[2] == "deploys":
                    return 200, list(self.deploys[rest[1]]), {}
        return 404, NOT_FOUND, {}

    def _link(self, base: str, prev_cursor: str, prev_results: bool, next_cursor: str, next_results: bool) -> str:
        def part(rel: str, cursor: str, results: bool) -> str:
            url = f"{base}&cursor={cursor}" if "?" in base else f"{base}?cursor={cursor}"
            flag = "true" if results else "false"
            if self.link_style == "no-cursor":
                return f'<{url}>; rel="{rel}"; results="{flag}"'
            if self.link_style == "wrapped":
                return f'\n  < {url} >;rel={rel} ;  results="{flag}";cursor="{cursor}";'
            return f'<{url}>; rel="{rel}"; results="{flag}"; cursor="{cursor}"'

        return ", ".join([part("previous", prev_cursor, prev_results), part("next", next_cursor, next_results)])

    def _issues(self, q: dict[str, list[str]], base: str) -> tuple[int, Any, dict[str, str]]:
        limit = int((q.get("limit") or ["25"])[0])
        if limit > 100 or limit < 1:
            return 400, {"limit": ["Ensure this value is less than or equal to 100."]}, {}
        query = q["query"][0] if "query" in q else "is:unresolved"  # Sentry's silent default
        filters = []
        for token in query.split():
            key, _, value = token.partition(":")
            if key == "is":
                wanted = {"unresolved": "unresolved", "resolved": "resolved", "ignored": "ignored", "archived": "ignored"}.get(value)
                if wanted is None:
                    return 400, {"detail": f"Invalid value '{value}' for 'is:' search."}, {}
                filters.append(lambda i, w=wanted: i.status == w)
            elif key in ("lastSeen", "firstSeen"):
                op = ">=" if value.startswith(">=") else ">" if value.startswith(">") else None
                if op is None:
                    return 400, {"detail": f"Invalid search query: {token}"}, {}
                at = _parse(value[len(op):])
                attr = "last_seen" if key == "lastSeen" else "first_seen"
                filters.append(lambda i, a=attr, t=at, o=op: getattr(i, a) >= t if o == ">=" else getattr(i, a) > t)
            else:
                return 400, {"detail": f"Invalid search query: {token}"}, {}
        projects = {int(p) for p in q.get("project", []) if p != "-1"}
        envs = set(q.get("environment", []))
        start = _parse(q["start"][0]) if "start" in q else None
        end = _parse(q["end"][0]) if "end" in q else None
        sort = (q.get("sort") or ["date"])[0]
        score = {"date": lambda i: i.last_seen, "new": lambda i: i.first_seen,
                 "freq": lambda i: i.count, "user": lambda i: i.user_count}.get(sort)
        if score is None:
            return 400, {"detail": f"Invalid sort: {sort}"}, {}
        key = (query, tuple(sorted(projects)), tuple(sorted(envs)), start, end, sort, self._version)
        if self._listing is None or self._listing[0] != key:  # a listing is re-sorted only after a change
            matched = [
                i for i in self.issues.values()
                if (not projects or i.project_id in projects) and (not envs or i.environments & envs)
                and (start is None or i.last_seen >= start) and (end is None or i.first_seen <= end)
                and all(f(i) for f in filters)
            ]

            def value(i: Issue) -> int:
                s = score(i)
                return int(s.timestamp() * 1000) if isinstance(s, datetime) else int(s)

            matched.sort(key=lambda i: (value(i), i.id), reverse=True)
            self._listing = (key, matched, [-value(i) for i in matched])
        _, matched, negated = self._listing
        cursor = (q.get("cursor") or [None])[0]
        pos = 0
        if cursor:
            try:
                cv, offset, _ = (int(x) for x in cursor.split(":"))
            except ValueError:
                return 400, {"detail": "Invalid cursor parameter."}, {}
            pos = bisect.bisect_left(negated, -cv)  # the first issue scored at or below the cursor
            pos += offset if pos < len(matched) and -negated[pos] == cv else 0
        size = max(1, limit - self.short_pages)
        page = matched[pos:pos + size]
        more = pos + size < len(matched)
        if page:
            last = -negated[pos + len(page) - 1]
            same = sum(1 for n in negated[pos:pos + len(page)] if -n == last)
            if -negated[pos] == last and cursor and int(cursor.split(":")[0]) == last:
                same += int(cursor.split(":")[1])
            next_c = f"{last}:{same}:0"
            prev_c = f"{-negated[pos]}:0:1"
        else:
            next_c = cursor or "0:0:0"
            prev_c = next_c.rsplit(":", 1)[0] + ":1"
        collapse = set(q.get("collapse", []))
        rows = [self._issue_json(i, collapse) for i in page]
        return 200, rows, {"Link": self._link(base, prev_c, pos > 0, next_c, more)}

    def _issue_json(self, i: Issue, collapse: set[str]) -> dict[str, Any]:
        slug = self.projects[i.project_id]
        now_h = _hour(self.now())
        hours = [now_h - (23 - k) * HOUR for k in range(24)]
        counts = dict.fromkeys(hours, 0)
        for at in i.events:
            if _hour(at) in counts:
                counts[_hour(at)] += 1
        if not i.events and _hour(i.last_seen) in counts:
            counts[_hour(i.last_seen)] = i.count
        body = {
            "id": str(i.id), "shortId": i.short_id, "title": i.title, "culprit": i.culprit,
            "level": i.level, "status": i.status, "substatus": i.substatus, "type": "error",
            "permalink": f"{self.url}/organizations/{self.org}/issues/{i.id}/",
            "project": {"id": str(i.project_id), "name": slug.title(), "slug": slug, "platform": "python"},
            "firstRelease": {"version": i.first_release} if i.first_release else None,
            "metadata": {"title": i.title}, "isPublic": False, "isUnhandled": True, "numComments": 0,
            "hasSeen": False, "statusDetails": {}, "annotations": [], "assignedTo": None,
            "count": str(i.count), "userCount": i.user_count,
            "firstSeen": _iso(i.first_seen), "lastSeen": _iso(i.last_seen),
            "stats": {"24h": [[h, counts[h]] for h in hours]},
        }
        if collapse & {"stats", "lifetime"}:
            for key in ("count", "userCount", "firstSeen", "lastSeen"):
                body.pop(key)
        if "stats" in collapse:
            body.pop("stats")
        return body

    def _range(self, q: dict[str, list[str]]) -> tuple[int, list[int]]:
        """(interval seconds, bucket starts) of a stats_v2 or sessions query; _Refused when invalid."""
        interval = (q.get("interval") or ["1h"])[0]
        unit = {"h": HOUR, "d": 24 * HOUR}.get(interval[-1:])
        try:
            seconds = int(interval[:-1]) * unit if unit else 0
        except ValueError:
            seconds = 0
        if seconds < HOUR or (24 * HOUR) % seconds:
            raise _Refused("The interval has to be a multiple of the minimum interval of one hour and divide one day.")
        if "start" not in q or "end" not in q:
            raise _Refused("start and end are required")
        start, end = _parse(q["start"][0]), _parse(q["end"][0])
        lo = int(start.timestamp()) - int(start.timestamp()) % seconds
        buckets = list(range(lo, int(end.timestamp()), seconds))
        if len(buckets) > 1000:
            raise _Refused("Your interval and date range would create too many results. "
                           "Use a larger interval, or a smaller date range.")
        return seconds, buckets

    def _stats(self, q: dict[str, list[str]]) -> tuple[int, Any, dict[str, str]]:
        fields = q.get("field", [])
        if not fields or not q.get("groupBy"):
            return 400, {"detail": 'At least one "field" and one "groupBy" are required.'}, {}
        seconds, buckets = self._range(q)
        projects = [int(p) for p in q.get("project", []) if p != "-1"] or sorted(self.projects)
        accepted = q.get("outcome", ["accepted"])[0] == "accepted" and q.get("category", ["error"])[0] == "error"

        def series(pids: list[int]) -> list[int]:
            return [sum(self.errors[p].get(b + h, 0) for p in pids for h in range(0, seconds, HOUR)) if accepted else 0
                    for b in buckets]

        group_by = q["groupBy"]
        if "project" in group_by:  # Sentry answers totals only when grouping by project
            groups = [{"by": {"project": p}, "totals": {f: sum(series([p])) for f in fields}} for p in projects]
        else:
            values = series(projects)
            by = {"outcome": "accepted"} if "outcome" in group_by else {"category": "error"}
            groups = [{"by": by, "totals": {f: sum(values) for f in fields}, "series": {f: values for f in fields}}]
        body = {"start": _iso(datetime.fromtimestamp(buckets[0] if buckets else 0, timezone.utc)),
                "end": q["end"][0], "intervals": [_iso(datetime.fromtimestamp(b, timezone.utc)) for b in buckets],
                "groups": groups}
        return 200, self.stats_transform(body) if self.stats_transform else body, {}

    def _sessions(self, q: dict[str, list[str]]) -> tuple[int, Any, dict[str, str]]:
        fields = q.get("field", [])
        group_by = q.get("groupBy", [])
        if not fields:
            return 400, {"detail": 'Request is missing a "field"'}, {}
        if "session.status" in group_by and any(f.startswith("crash_free") for f in fields):
            return 400, {"detail": "Cannot group field crash_free_rate(session) by session.status"}, {}
        seconds, buckets = self._range(q)
        projects = [int(p) for p in q.get("project", []) if p != "-1"] or sorted(self.projects)
        release_query = (q.get("query") or [""])[0]
        release_ok = not release_query or release_query.strip() == f'release:"{self.sessions_release}"'
        groups = []
        for pid in projects:
            data = self.sessions.get(pid, {})
            if not data or not release_ok:
                continue
            for status in ("healthy", "errored", "crashed", "abnormal"):
                values = [sum(data.get(b + h, {}).get(status, 0) for h in range(0, seconds, HOUR)) for b in buckets]
                by = {"session.status": status, **({"project": pid} if "project" in group_by else {})}
                groups.append({"by": by, "totals": {f: sum(values) for f in fields}, "series": {f: values for f in fields}})
        random.Random(len(groups)).shuffle(groups)  # Sentry gives no order
        return 200, {"start": q["start"][0], "end": q["end"][0], "query": release_query,
                     "intervals": [_iso(datetime.fromtimestamp(b, timezone.utc)) for b in buckets],
                     "groups": groups}, {}

    # -- ingest -----------------------------------------------------------------------------------

    def ingest(self, project_id: int, body: bytes, encoding: str) -> tuple[int, Any]:
        if project_id not in self.projects:
            return 404, {"detail": "project not found"}
        if encoding == "gzip":
            body = gzip.decompress(body)
        elif encoding == "br":
            if brotli is None:
                return 415, {"detail": "br needs the brotli module"}
            body = brotli.decompress(body)
        elif encoding == "deflate":
            body = zlib.decompress(body)
        with self._lock:
            self.envelopes += 1
            self.encodings.append(encoding)
            self.raw_envelopes.append(body)
        header, items = _parse_envelope(body)
        for item_header, payload in items:
            if item_header.get("type") in ("event", "error"):
                self._group(project_id, json.loads(payload))
        return 200, {"id": header.get("event_id")}

    def _group(self, project_id: int, event: dict[str, Any]) -> None:
        """Group an event into an issue by its exception type and top frame (or its message)."""
        values = ((event.get("exception") or {}).get("values")) or []
        if values:
            exc = values[-1]
            frames = ((exc.get("stacktrace") or {}).get("frames")) or [{}]
            top = frames[-1]
            key = (exc.get("type"), top.get("module"), top.get("function"))
            title = f"{exc.get('type')}: {exc.get('value')}" if exc.get("value") else str(exc.get("type"))
            culprit = event.get("transaction") or f"{top.get('module')} in {top.get('function')}"
        else:
            message = event.get("message") or (event.get("logentry") or {}).get("message") or "<unlabeled event>"
            key = ("message", message, None)
            title, culprit = message, event.get("transaction") or ""
        ts = event.get("timestamp")
        at = _parse(str(ts)) if ts is not None else self.now()
        user = event.get("user") or {}
        who = str(user.get("id") or user.get("email") or user.get("ip_address") or "")
        env = event.get("environment") or "production"
        with self._lock:
            issue = next((i for i in self.issues.values() if i.project_id == project_id and i.group_key == key), None)
            if issue is None:
                issue = self.add_issue(self.projects[project_id], title, at, at, count=0, user_count=0,
                                       culprit=culprit, level=event.get("level", "error"),
                                       first_release=event.get("release"), environments=set(), group_key=key)
            issue.events.append(at)
            issue.count += 1
            if who:
                issue.users.add(who)
            issue.user_count = len(issue.users)
            issue.last_seen = max(issue.last_seen, at)
            issue.first_seen = min(issue.first_seen, at)
            issue.environments.add(env)
            self._version += 1
            self.errors[project_id][_hour(at)] += 1


def _parse_envelope(body: bytes) -> tuple[dict[str, Any], list[tuple[dict[str, Any], bytes]]]:
    """Sentry's envelope format: a header line, then items of a header line and a payload
    (`length` bytes when given, else up to the next newline)."""
    first, _, rest = body.partition(b"\n")
    header = json.loads(first) if first.strip() else {}
    items = []
    while rest.strip():
        line, _, rest = rest.partition(b"\n")
        if not line.strip():
            continue
        item_header = json.loads(line)
        length = item_header.get("length")
        if length is not None:
            payload, rest = rest[:length], rest[length:]
            rest = rest[1:] if rest.startswith(b"\n") else rest
        else:
            payload, _, rest = rest.partition(b"\n")
        items.append((item_header, payload))
    return header, items


class _Handler(BaseHTTPRequestHandler):
    fake: FakeSentry
    protocol_version = "HTTP/1.1"

    def log_message(self, *args: Any) -> None:
        pass

    def _send(self, status: int, body: Any, headers: dict[str, str] | None = None,
              content_type: str = "application/json") -> None:
        data = body if isinstance(body, bytes) else body.encode() if isinstance(body, str) else json.dumps(body).encode()
        self.send_response(status)
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(data)))
        for k, v in (headers or {}).items():
            self.send_header(k, v)
        self.end_headers()
        self.wfile.write(data)

    def _fault(self, path: str) -> bool:
        if self.fake.on_request:
            self.fake.on_request(path)
        fault = self.fake.take_fault(path)
        if fault is None:
            return False
        if fault.delay:  # a slow server: answer late (or not at all once stopped)
            self.fake.stopped.wait(fault.delay)
        if fault.status is None:
            return False
        self._send(fault.status, fault.body if fault.body is not None else "", fault.headers, fault.content_type)
        return True

    def do_GET(self) -> None:
        parts = urlsplit(self.path)
        q = parse_qs(parts.query, keep_blank_values=True)
        self.fake.requests.append(("GET", parts.path, q))
        if self._fault(parts.path):
            return
        public = self.fake.public(parts.path)
        if public is not None:
            self._send(*public)
            return
        if not parts.path.startswith("/api/0/"):
            self._send(404, "<html><body><h1>Not Found</h1></body></html>", content_type="text/html")
            return
        if self.headers.get("Authorization") != f"Bearer {self.fake.token}":
            self._send(401, {"detail": "Invalid token"})
            return
        segments = [unquote(s) for s in parts.path[len("/api/0/"):].strip("/").split("/")]
        base_q = urlencode([(k, v) for k, vs in q.items() if k != "cursor" for v in vs])
        base = f"http://{self.headers.get('Host')}{parts.path}" + (f"?{base_q}" if base_q else "")
        status, body, headers = self.fake.api(segments, q, base)
        content_type = headers.pop("Content-Type", "application/json")
        self._send(status, body, {**self.fake.rate_headers(), **headers}, content_type)

    def do_POST(self) -> None:
        parts = urlsplit(self.path)
        self.fake.requests.append(("POST", parts.path, {}))
        body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
        if self._fault(parts.path):
            return
        segments = parts.path.strip("/").split("/")
        if len(segments) == 3 and segments[0] == "api" and segments[2] == "envelope" and segments[1].isdigit():
            status, answer = self.fake.ingest(int(segments[1]), body, self.headers.get("Content-Encoding", ""))
            self._send(status, answer)
            return
        self._send(404, NOT_FOUND)
