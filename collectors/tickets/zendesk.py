"""Zendesk Support tickets through the cursor-based incremental ticket export.

GET /api/v2/incremental/tickets/cursor.json with start_time (epoch seconds, at least a minute
old) on the first run, then cursor=<after_cursor>; each batch is written with its after_cursor,
so the next run resumes exactly where the last committed batch ended (no overlap needed: the
export returns every ticket changed since the cursor, and the upsert absorbs a re-sent one).
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime, timedelta
from typing import Any

from collectors.base import RunOutcome
from collectors.tickets.normalise import RawTicket
from collectors.tickets.shapes import Items, ZendeskPage, ZendeskTicket, answer
from collectors.tickets.source import Page, TicketCollector
from hypercare.config import ZendeskSource
from hypercare.http import HttpClient
from hypercare.store import Store

PAGE_SIZE = 1000
# Zendesk refuses a start_time within the last minute.
NEWEST_START = timedelta(minutes=1)


def zendesk_ticket(ticket: ZendeskTicket, base_url: str) -> RawTicket:
    return RawTicket(
        ticket_id=str(ticket.id),
        created_at=ticket.created_at,
        updated_at=ticket.updated_at,
        title=ticket.subject,
        url=f"{base_url}/agent/tickets/{ticket.id}",
        status_raw=ticket.status,
        priority_raw=ticket.priority or "",
        category_raw=ticket.type,
        labels=tuple(ticket.tags),
    )


class ZendeskCollector(TicketCollector):
    source: ZendeskSource

    def collect(self, store: Store, now: datetime) -> RunOutcome:
        src = self.source
        client = self.basic_auth_client(src.email_env, src.token_env, "the email address of a Zendesk agent",
                                        "a Zendesk API token", username="{email}/token")
        hints = {
            401: f"Zendesk rejected the agent in {src.email_env} / {src.token_env}; check both and that token access is on",
            403: f"the agent in {src.email_env} may not export tickets; an admin role is needed for the incremental export",
            404: f"no Zendesk at {src.url}; check base_url or subdomain",
            422: "Zendesk refused the export request",
        }
        cursor = self.checkpoint(store, "cursor")
        params: dict[str, Any] = {"per_page": PAGE_SIZE}
        if cursor:
            params["cursor"] = cursor
        else:
            params["start_time"] = int(min(self.history_start(now), now - NEWEST_START).timestamp())
        tickets = Items(ZendeskTicket, "tickets", "id")
        written = self.write_pages(store, self.pages(client, params, hints, tickets), "cursor", now)
        return RunOutcome(written, warning=tickets.warning())

    def pages(self, client: HttpClient, params: dict[str, Any], hints: dict[int, str],
              shapes: Items[ZendeskTicket]) -> Iterator[Page]:
        url = f"{self.source.url}/api/v2/incremental/tickets/cursor.json"
        endpoint = "GET /api/v2/incremental/tickets/cursor.json"
        while True:
            with self.explained(hints):
                page = answer(ZendeskPage, client.json(client.get(url, params)), self.name, endpoint)
            rows, _ = self.page_rows(page.tickets, shapes, None)
            cursor = page.after_cursor or params.get("cursor")
            yield rows, cursor
            if page.end_of_stream or not page.after_cursor:
                return
            params = {"per_page": PAGE_SIZE, "cursor": cursor}

    def page_rows(self, items: list[Any], shapes: Items[ZendeskTicket], cursor: str | None) -> Page:
        """One page's parsed JSON tickets as ticket rows; the export's own cursor follows them."""
        tickets = [zendesk_ticket(t, self.source.url) for t in shapes.valid(items)]
        return self.normaliser.table(tickets), cursor
