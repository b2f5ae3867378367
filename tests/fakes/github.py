"""A local GitHub REST API for repository issues, speaking the documented shapes.

GET /repos/{owner}/{repo}/issues with state, labels (all must match), since (updated at or
after), sort=updated, direction, per_page (at most 100), page; a Link header with next/last;
pull requests mixed in (they carry a `pull_request` key); x-ratelimit-* headers on every answer
and, once the quota is spent, 403 with x-ratelimit-remaining: 0 until x-ratelimit-reset (epoch
seconds on the given clock); 401 "Bad credentials"; 404 "Not Found" for unknown repositories.
"""

from __future__ import annotations

import bisect
import math
from datetime import datetime, timedelta, timezone
from typing import Any
from urllib.parse import urlencode

from hypercare.clock import Clock
from tests.fakes.ticket_api import FakeApi, Reply, Request

DOCS = "https://docs.github.com/rest"


def issue(number: int, created: datetime, updated: datetime | None = None, *, title: str = "", labels=(),
          state: str = "open", state_reason: str | None = None, pull_request: bool = False) -> dict[str, Any]:
    item = {
        "id": 1_000_000 + number,
        "number": number,
        "title": title or f"Issue {number}",
        "state": state,
        "state_reason": state_reason,
        "labels": [{"id": i, "name": name, "color": "ededed"} for i, name in enumerate(labels)],
        "created_at": created.strftime("%Y-%m-%dT%H:%M:%SZ"),
        "updated_at": (updated or created).strftime("%Y-%m-%dT%H:%M:%SZ"),
        "html_url": f"https://github.com/acme/booking/{'pull' if pull_request else 'issues'}/{number}",
    }
    if pull_request:
        item["pull_request"] = {"url": f"https://api.github.com/repos/acme/booking/pulls/{number}"}
    return item


class FakeGitHub(FakeApi):
    def __init__(self, clock: Clock, repo: str = "acme/booking", token: str = "ghp_test_token_1234",
                 quota: int = 5000, max_per_page: int = 100, reset_every: timedelta = timedelta(hours=1)):
        super().__init__()
        self.clock = clock
        self.repo = repo
        self.token = token
        self.quota = quota
        self.max_per_page = max_per_page
        self.used = 0
        self.reset_every = reset_every
        self.reset_at = clock.now() + reset_every
        self._items: list[dict[str, Any]] = []
        self._keys: list[str] = []
        self.served_items = 0

    def put(self, *items: dict[str, Any]) -> None:
        """Add or replace issues (by number), kept ordered by updated_at."""
        numbers = {i["number"] for i in items}
        merged = [i for i in self._items if i["number"] not in numbers] + list(items)
        merged.sort(key=lambda i: (i["updated_at"], i["number"]))
        self._items, self._keys = merged, [i["updated_at"] for i in merged]

    def _limits(self) -> dict[str, str]:
        now = self.clock.now()
        if now >= self.reset_at:
            self.used, self.reset_at = 0, now + self.reset_every
        return {
            "x-ratelimit-limit": str(self.quota),
            "x-ratelimit-remaining": str(max(self.quota - self.used, 0)),
            "x-ratelimit-used": str(self.used),
            "x-ratelimit-reset": str(math.ceil(self.reset_at.timestamp())),
            "x-ratelimit-resource": "core",
        }

    def answer(self, request: Request) -> Reply:
        if request.headers.get("authorization") not in (f"Bearer {self.token}", f"token {self.token}"):
            return Reply(401, {"message": "Bad credentials", "documentation_url": DOCS, "status": "401"})
        limits = self._limits()
        if self.used >= self.quota:
            return Reply(403, {"message": "API rate limit exceeded for user ID 1.", "documentation_url": DOCS}, limits)
        self.used += 1
        limits = self._limits()
        if request.path != f"/repos/{self.repo}/issues":
            return Reply(404, {"message": "Not Found", "documentation_url": DOCS, "status": "404"}, limits)
        q = request.query
        start = bisect.bisect_left(self._keys, q["since"]) if q.get("since") else 0
        items = self._items[start:]
        if q.get("state", "open") != "all":
            items = [i for i in items if i["state"] == q.get("state", "open")]
        if q.get("labels"):
            wanted = set(q["labels"].split(","))
            items = [i for i in items if wanted <= {label["name"] for label in i["labels"]}]
        if q.get("direction", "desc") == "desc":
            items = items[::-1]
        per_page = min(int(q.get("per_page", 30)), self.max_per_page)
        page = int(q.get("page", 1))
        chunk = items[(page - 1) * per_page: page * per_page]
        self.served_items += len(chunk)
        last = max(math.ceil(len(items) / per_page), 1)
        links = []
        base = f"{self.url}{request.path}"
        if page < last:
            links.append(f'<{base}?{urlencode({**q, "page": page + 1})}>; rel="next"')
            links.append(f'<{base}?{urlencode({**q, "page": last})}>; rel="last"')
        if page > 1:
            links.append(f'<{base}?{urlencode({**q, "page": page - 1})}>; rel="prev"')
            links.append(f'<{base}?{urlencode({**q, "page": 1})}>; rel="first"')
        headers = {**limits, **({"Link": ", ".join(links)} if links else {})}
        return Reply(200, chunk, headers)


def at(hour: float, base: datetime = datetime(2026, 11, 22, 21, 0, tzinfo=timezone.utc)) -> datetime:
    """`hour` hours after the demo go-live (2026-11-22 21:00 UTC); negative for the baseline."""
    return base + timedelta(hours=hour)
