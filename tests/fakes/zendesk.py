"""A local Zendesk Support API: the cursor-based incremental ticket export, in its documented shape.

GET /api/v2/incremental/tickets/cursor.json takes start_time (epoch seconds, refused when less
than a minute old) or cursor, and per_page (at most 1000); answers {tickets, after_cursor,
after_url, before_cursor, before_url, end_of_stream}. The after_cursor of the last page is kept
by clients to resume later. Basic auth as "{email}/token:{api token}"; 401/403 carry Zendesk's
error bodies; a 429 can be scripted with Retry-After.
"""

from __future__ import annotations

import base64
from datetime import datetime, timezone
from typing import Any

from hypercare.clock import Clock
from tests.fakes.ticket_api import FakeApi, Reply, Request


def zendesk_ticket(id: int, created: datetime, updated: datetime | None = None, *, subject: str = "",
                   status: str = "open", priority: str | None = "normal", type: str | None = "question",
                   tags=()) -> dict[str, Any]:
    def iso(t: datetime) -> str:
        return t.astimezone(timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")

    return {
        "id": id,
        "url": f"https://acme.zendesk.com/api/v2/tickets/{id}.json",
        "subject": subject or f"Ticket {id}",
        "status": status,
        "priority": priority,
        "type": type,
        "tags": list(tags),
        "created_at": iso(created),
        "updated_at": iso(updated or created),
        "generated_timestamp": int((updated or created).timestamp()),
    }


def _cursor(ticket: dict[str, Any]) -> str:
    return base64.b64encode(f"{ticket['generated_timestamp']}|{ticket['id']}".encode()).decode()


def _position(cursor: str) -> tuple[int, int]:
    stamp, _, ident = base64.b64decode(cursor).decode().partition("|")
    return int(stamp), int(ident)


class FakeZendesk(FakeApi):
    def __init__(self, clock: Clock, email: str = "agent@acme.example", token: str = "zd_test_token_2468",
                 max_per_page: int = 1000):
        super().__init__()
        self.clock, self.email, self.token = clock, email, token
        self.max_per_page = max_per_page
        self.tickets: dict[int, dict[str, Any]] = {}
        self.served = 0

    def put(self, *tickets: dict[str, Any]) -> None:
        for ticket in tickets:
            self.tickets[ticket["id"]] = ticket

    def answer(self, request: Request) -> Reply:
        if request.basic_auth() != (f"{self.email}/token", self.token):
            return Reply(401, {"error": "Couldn't authenticate you"})
        if request.path != "/api/v2/incremental/tickets/cursor.json":
            return Reply(404, {"error": "InvalidEndpoint", "description": "Not found"})
        q = request.query
        ordered = sorted(self.tickets.values(), key=lambda t: (t["generated_timestamp"], t["id"]))
        if q.get("cursor"):
            after = _position(q["cursor"])
            remaining = [t for t in ordered if (t["generated_timestamp"], t["id"]) > after]
        elif "start_time" in q:
            start = int(q["start_time"])
            if start > self.clock.now().timestamp() - 60:
                return Reply(422, {"error": "InvalidValue", "description": "Too recent start_time. Use a start_time older than 1 minute."})
            remaining = [t for t in ordered if t["generated_timestamp"] >= start]
        else:
            return Reply(400, {"error": "InvalidPaginationParameter", "description": "start_time or cursor is required"})
        size = min(int(q.get("per_page", 1000)), self.max_per_page)
        page = remaining[:size]
        self.served += len(page)
        after = _cursor(page[-1]) if page else q.get("cursor")
        base = f"{self.url}{request.path}"
        return Reply(200, {
            "tickets": page,
            "after_cursor": after,
            "after_url": f"{base}?cursor={after}" if after else None,
            "before_cursor": _cursor(page[0]) if page else None,
            "before_url": f"{base}?cursor={_cursor(page[0])}" if page else None,
            "end_of_stream": len(remaining) <= size,
        })
