"""Zendesk Support tickets through the cursor-based incremental ticket export.

GET /api/v2/incremental/tickets/cursor.json with start_time (epoch seconds, at least a minute
old) on the first run, then cursor=<after_cursor>; each batch is written with its after_cursor,
so the next run resumes exactly where the last committed batch ended (no overlap needed: the
export returns every ticket changed since the cursor, and the upsert absorbs a re-sent one).
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import replace
from datetime import datetime, timedelta
from typing import Any

import pyarrow as pa
import pyarrow.compute as pc

from collectors.base import RunOutcome
from collectors.tickets import batch
from collectors.tickets.normalise import RawTicket, raw_table
from collectors.tickets.shapes import Items, ZendeskPage, ZendeskTicket, answer
from collectors.tickets.source import Convert, Page, TicketCollector
from hypercare.config import ZendeskSource
from hypercare.http import HttpClient
from hypercare.store import Store

PAGE_SIZE = 1000
# Zendesk refuses a start_time within the last minute.
NEWEST_START = timedelta(minutes=1)
# The fields of `ZendeskTicket`, as Arrow reads a page of them at once.
SHAPE = pa.struct([
    ("id", pa.int64()), ("created_at", pa.string()), ("updated_at", pa.string()), ("subject", pa.string()),
    ("status", pa.string()), ("priority", pa.string()), ("type", pa.string()), ("tags", pa.list_(pa.string())),
])
ANSWER = pa.struct([("tickets", pa.list_(SHAPE)), ("after_cursor", pa.string()), ("end_of_stream", pa.bool_())])


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


def zendesk_page(page: pa.StructArray, base_url: str) -> tuple[pa.Table, None] | None:
    """Pages of tickets (columns) as raw columns (the export's cursor, not their times, is the
    checkpoint); None when they need the item-by-item check."""
    if page.null_count:
        return None
    ident, tags = page.field("id").cast(pa.string()), page.field("tags")
    created, updated = batch.instants(page.field("created_at")), batch.instants(page.field("updated_at"))
    if created is None or updated is None or not batch.present(ident) or not batch.strings(tags):
        return None
    return batch.raw(
        len(page), ticket_id=ident, created_at=created, updated_at=updated, title=page.field("subject"),
        url=pc.binary_join_element_wise(f"{base_url}/agent/tickets", ident, "/"), status_raw=page.field("status"),
        priority_raw=pc.fill_null(page.field("priority"), ""), category_raw=page.field("type"), labels=tags,
    ), None


def zendesk_items(items: list[Any], shapes: Items[ZendeskTicket], base_url: str) -> tuple[pa.Table, None]:
    """The same as `zendesk_page`, item by item: each bad item is skipped and named in `shapes`."""
    return raw_table([zendesk_ticket(t, base_url) for t in shapes.valid(items)]), None


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
        written = self.write_pages(store, self.pages(client, params, hints), "cursor", now, self.converter(tickets))
        return RunOutcome(written, warning=tickets.warning())

    def pages(self, client: HttpClient, params: dict[str, Any], hints: dict[int, str]) -> Iterator[Page]:
        url = f"{self.source.url}/api/v2/incremental/tickets/cursor.json"
        endpoint = "GET /api/v2/incremental/tickets/cursor.json"
        while True:
            with self.explained(hints):
                resp = client.get(url, params)
                page, after_cursor, end_of_stream = self.page(
                    batch.body(resp), lambda resp=resp: answer(ZendeskPage, client.json(resp), self.name, endpoint))
            cursor = after_cursor or params.get("cursor")
            yield replace(page, after=cursor)
            if end_of_stream or not after_cursor:
                return
            params = {"per_page": PAGE_SIZE, "cursor": cursor}

    @staticmethod
    def page(body: bytes, parse: Callable[[], ZendeskPage]) -> tuple[Page, str | None, bool]:
        """An answer page from its bytes, and its after_cursor and end_of_stream; one Arrow
        can't read is parsed and checked now (`parse`), so a wrong answer fails the run at its page."""
        read = batch.read_answer(body, ANSWER)
        if read is None or read.field("tickets").null_count or read.field("end_of_stream").null_count:
            page = parse()
            return Page(None, lambda: page.tickets), page.after_cursor, page.end_of_stream
        return (Page(batch.items(read.field("tickets")), lambda: parse().tickets),
                read.field("after_cursor")[0].as_py(), read.field("end_of_stream")[0].as_py())

    def converter(self, shapes: Items[ZendeskTicket]) -> Convert:
        """Pages of parsed tickets -> raw tickets, batch-checked, item by item where needed."""
        base = self.source.url
        return lambda pages: batch.chunk_rows(pages, lambda items: zendesk_page(items, base),
                                              lambda page: zendesk_items(page, shapes, base))
