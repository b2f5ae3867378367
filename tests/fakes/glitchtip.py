"""A GlitchTip server on 127.0.0.1: the Sentry-compatible API as GlitchTip really answers it.

Shapes taken from glitchtip-backend (apps/issue_events/api/issues.py, glitchtip/api/pagination.py,
apps/stats, apps/releases, glitchtip/api/api.py):
- `GET /api/settings/` (no auth): its own settings document (`iPaidForGlitchTip`, `version`, ...);
- issues: `sort` is one of last_seen, first_seen, count, priority (each also with '-'), default
  -last_seen; anything else is django-ninja's 422. `start`/`end` filter on first seen. The
  `query` is split into terms: `is:` filters the status, any other `key:value` filters on an
  issue tag of that name, so `lastSeen:>=...` matches nothing. `userCount` is always 0; no
  `substatus`, `firstRelease` or `stats`.
- the Link header is a Python set's text (`{'<...>; rel="previous"; results="false", ...'}`)
  and a link without results carries no cursor;
- stats_v2: `{"intervals", "groups": [{"series": {field: [...]}}]}` without `by` or `totals`,
  null for an hour without events, `interval` only 1h, 1d or 1m;
- no release-health `sessions` and no release `deploys`: 404 `{"detail": "Not found"}` (the
  JSON fallback of newer versions; `html_404=True` gives the HTML page of older ones);
- a release has dateCreated and dateReleased (no firstEvent) and needs the project:releases scope.
Ingest (`/api/{project_id}/envelope/`) is the Sentry fake's: the real sentry-sdk feeds it.
"""

from __future__ import annotations

import base64
from datetime import datetime, timezone
from typing import Any

from tests.fakes.sentry import HOUR, FakeSentry, Issue, _iso, _parse

SORTS = ("last_seen", "first_seen", "count", "priority")
NOT_FOUND = {"detail": "Not found"}


class FakeGlitchTip(FakeSentry):
    def __init__(self, *args: Any, version: str = "4.2.5", html_404: bool = False,
                 scopes: tuple[str, ...] = ("org:read", "project:read", "project:releases", "event:read"), **kw: Any):
        super().__init__(*args, **kw)
        self.version = version
        self.html_404 = html_404
        self.scopes = set(scopes)

    def public(self, path: str) -> tuple[int, Any] | None:
        if path == "/api/settings/":
            return 200, {"socialApps": [], "billingEnabled": False, "iPaidForGlitchTip": False,
                         "enableUserRegistration": True, "enableSocialAppsUserRegistration": True,
                         "enableOrganizationCreation": False, "stripePublicKey": None, "plausibleUrl": None,
                         "plausibleDomain": None, "chatwootWebsiteToken": None, "sentryDSN": None,
                         "sentryTracesSampleRate": None, "environment": None, "version": self.version,
                         "serverTimeZone": "UTC", "glitchtipInstanceName": None, "enabledFeatures": []}
        return None

    def not_found(self) -> tuple[int, Any, dict[str, str]]:
        if self.html_404:
            return 404, "<!doctype html><html><title>Not Found</title><h1>Not Found</h1></html>", {"Content-Type": "text/html"}
        return 404, NOT_FOUND, {}

    def rate_headers(self) -> dict[str, str]:
        return {}  # GlitchTip sends Retry-After on a 429 only

    def api(self, segments: list[str], q: dict[str, list[str]], base: str) -> tuple[int, Any, dict[str, str]]:
        rest = segments[2:] if len(segments) >= 2 and segments[:2] == ["organizations", self.org] else None
        if rest in (["sessions"],) or (rest and rest[0] == "releases" and rest[2:] == ["deploys"]):
            return self.not_found()
        if rest and rest[0] == "releases" and len(rest) == 2:
            if "project:releases" not in self.scopes:
                return 403, {"detail": "You do not have permission to perform this action."}, {}
            release = self.releases.get(rest[1])
            if release is None:
                return 404, NOT_FOUND, {}
            return 200, {"version": release["version"], "shortVersion": release["version"], "deployCount": 0,
                         "dateCreated": release["dateCreated"], "dateReleased": release["dateReleased"],
                         "url": None, "data": {}, "projects": []}, {}
        status, body, headers = super().api(segments, q, base)
        if status == 404 and body == {"detail": "The requested resource does not exist"}:
            return self.not_found()
        return status, body, headers

    def _issues(self, q: dict[str, list[str]], base: str) -> tuple[int, Any, dict[str, str]]:
        sort = (q.get("sort") or ["-last_seen"])[0]
        if sort.lstrip("-") not in SORTS:
            expected = ", ".join(f"'{s}'" for s in (*SORTS, *(f"-{s}" for s in SORTS)))
            return 422, {"detail": [{"type": "literal_error", "loc": ["query", "sort"],
                                     "msg": f"Input should be {expected}", "ctx": {"expected": expected}}]}, {}
        limit = min(int((q.get("limit") or ["50"])[0]), 100)
        filters = []
        for term in (q.get("query") or [""])[0].split():
            name, _, value = term.partition(":")
            if name == "is":
                filters.append(lambda i, v=value: i.status == v)
            elif value:  # a tag filter: GlitchTip issues carry no tag named lastSeen
                filters.append(lambda i: False)
        projects = {int(p) for p in q.get("project", [])}
        envs = set(q.get("environment", []))
        start = _parse(q["start"][0]) if "start" in q else None
        end = _parse(q["end"][0]) if "end" in q else None
        matched = [
            i for i in self.issues.values()
            if (not projects or i.project_id in projects) and (not envs or i.environments & envs)
            and (start is None or i.first_seen >= start) and (end is None or i.first_seen <= end)
            and all(f(i) for f in filters)
        ]
        key = {"last_seen": lambda i: i.last_seen, "first_seen": lambda i: i.first_seen,
               "count": lambda i: i.count, "priority": lambda i: i.count}[sort.lstrip("-")]
        matched.sort(key=lambda i: (key(i), i.id), reverse=sort.startswith("-"))
        offset = _offset((q.get("cursor") or [None])[0])
        if offset is None:
            return 400, {"detail": "Invalid cursor"}, {}
        page = matched[offset:offset + limit]
        links = []
        if offset > 0:
            links.append(self._glitchtip_link(base, "previous", max(0, offset - limit)))
        else:
            links.append(f'<{base}>; rel="previous"; results="false"')
        if offset + limit < len(matched):
            links.append(self._glitchtip_link(base, "next", offset + limit))
        else:
            links.append(f'<{base}>; rel="next"; results="false"')
        link = str({", ".join(links)})  # GlitchTip assigns a set to the header: its text is what is sent
        return 200, [self._glitchtip_issue(i) for i in page], {"Link": link, "X-Hits": str(len(matched))}

    def _glitchtip_link(self, base: str, rel: str, offset: int) -> str:
        cursor = base64.b64encode(f"o={offset}".encode()).decode()
        url = f"{base}&cursor={cursor}" if "?" in base else f"{base}?cursor={cursor}"
        return f'<{url}>; rel="{rel}"; results="true"; cursor="{cursor}"'

    def _glitchtip_issue(self, i: Issue) -> dict[str, Any]:
        slug = self.projects[i.project_id]
        return {"id": str(i.id), "shortId": i.short_id, "title": i.title, "culprit": i.culprit,
                "level": i.level, "status": i.status, "type": "error", "count": str(i.count), "userCount": 0,
                "firstSeen": _iso(i.first_seen), "lastSeen": _iso(i.last_seen),
                "permalink": f"{self.url}/{self.org}/issues/{i.id}", "isPublic": False, "hasSeen": False,
                "numComments": 0, "shareId": None, "logger": None, "metadata": {"title": i.title},
                "project": {"id": str(i.project_id), "name": slug.title(), "slug": slug, "platform": "python"},
                "matchingEventId": None}

    def _stats(self, q: dict[str, list[str]]) -> tuple[int, Any, dict[str, str]]:
        interval = (q.get("interval") or ["1h"])[0]
        if interval not in ("1h", "1d", "1m"):
            return 400, {"interval": [f'"{interval}" is not a valid choice.']}, {}
        if (q.get("category") or [""])[0] not in ("error", "transaction"):
            return 400, {"category": ["This field is required."]}, {}
        seconds = {"1h": HOUR, "1d": 24 * HOUR, "1m": 60}[interval]
        start, end = _parse(q["start"][0]), _parse(q["end"][0])
        lo = int(start.timestamp()) // HOUR * HOUR
        hi = (int(end.timestamp()) + HOUR) // HOUR * HOUR  # GlitchTip rounds the end up by an hour
        projects = [int(p) for p in q.get("project", [])] or sorted(self.projects)
        buckets = list(range(lo, hi + 1, seconds))  # generate_series includes its end

        def events(b: int) -> int | None:
            found = [self.errors[p][h] for p in projects for h in range(b, b + seconds, HOUR) if h in self.errors[p]]
            return sum(found) if found else None  # a sum over no rows is null

        body = {"intervals": [_iso(datetime.fromtimestamp(b, timezone.utc)) for b in buckets],
                "groups": [{"series": {(q.get("field") or ["sum(quantity)"])[0]: [events(b) for b in buckets]}}]}
        return 200, self.stats_transform(body) if self.stats_transform else body, {}


def _offset(cursor: str | None) -> int | None:
    if not cursor:
        return 0
    try:
        text = base64.b64decode(cursor.encode()).decode()
        return int(text.removeprefix("o="))
    except ValueError:
        return None

