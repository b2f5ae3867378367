"""Jira Cloud / Jira Service Management issues from a JQL filter, incremental by updated time.

GET /rest/api/3/search/jql (the old /search is gone from Jira Cloud) with nextPageToken / isLast,
no total. Only the fields named come back. JQL dates have minute resolution in the user's own
time zone, so the bound is written on that clock (read from /myself) and floored to the minute;
the overlap and the upsert absorb what is read twice.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from datetime import datetime, timezone
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import pyarrow as pa
import pyarrow.compute as pc

from collectors.base import RunOutcome
from collectors.tickets import batch
from collectors.tickets.normalise import RawTicket, raw_table
from collectors.tickets.shapes import Items, JiraIssue, JiraPage, JiraUser, answer
from collectors.tickets.source import Convert, Page, TicketCollector
from hypercare.config import JiraSource
from hypercare.http import HttpClient
from hypercare.store import Store

PAGE_SIZE = 100
FIELDS = "summary,status,priority,labels,components,issuetype,created,updated"
# Jira's own status categories, used when no mapping knows a workflow's status name.
STATUS_CATEGORIES = {"new": "open", "indeterminate": "open", "done": "solved"}
# The fields of `JiraIssue`, as Arrow reads a page of them at once.
SHAPE = pa.struct([("key", pa.string()), ("fields", pa.struct([
    ("created", pa.string()), ("updated", pa.string()), ("summary", pa.string()),
    ("status", pa.struct([("name", pa.string()), ("statusCategory", pa.struct([("key", pa.string())]))])),
    ("priority", batch.NAMED), ("issuetype", batch.NAMED), ("labels", pa.list_(pa.string())),
    ("components", pa.list_(batch.NAMED)),
]))])
ANSWER = pa.struct([("issues", pa.list_(SHAPE)), ("isLast", pa.bool_()), ("nextPageToken", pa.string())])


def jira_ticket(issue: JiraIssue, base_url: str) -> RawTicket:
    f = issue.fields
    category = f.status.statusCategory if f.status else None
    return RawTicket(
        ticket_id=issue.key,
        created_at=f.created,
        updated_at=f.updated,
        title=f.summary,
        url=f"{base_url}/browse/{issue.key}",
        status_raw=f.status.name if f.status else None,
        status=STATUS_CATEGORIES.get(category.key or "") if category else None,
        priority_raw=f.priority.name if f.priority else "",
        category_raw=f.issuetype.name if f.issuetype else None,
        labels=(*f.labels, *(c.name for c in f.components)),
    )


def jira_page(page: pa.StructArray, base_url: str) -> tuple[pa.Table, datetime | None] | None:
    """Pages of issues (columns) as raw columns and their newest updated time; None when they
    need the item-by-item check."""
    if page.null_count:
        return None
    key, f = page.field("key"), page.field("fields")
    status, priority, issuetype = f.field("status"), f.field("priority"), f.field("issuetype")
    components = batch.names(f.field("components"))
    created, updated = batch.instants(f.field("created")), batch.instants(f.field("updated"))
    if (components is None or created is None or updated is None or not batch.present(key, f)
            or not batch.strings(f.field("labels")) or not batch.named(priority) or not batch.named(issuetype)):
        return None
    has_status = pc.is_valid(status)
    category = status.field("statusCategory")
    nothing = pa.nulls(len(page), pa.string())
    table = batch.raw(
        len(page), ticket_id=key, created_at=created, updated_at=updated, title=f.field("summary"),
        url=pc.binary_join_element_wise(f"{base_url}/browse", key, "/"),
        status_raw=pc.if_else(has_status, status.field("name"), nothing),
        status=pc.if_else(pc.and_(has_status, pc.is_valid(category)),
                          batch.lookup(pc.fill_null(category.field("key"), ""), STATUS_CATEGORIES), nothing),
        priority_raw=pc.if_else(pc.is_valid(priority), priority.field("name"), ""),
        category_raw=pc.if_else(pc.is_valid(issuetype), issuetype.field("name"), nothing),
        labels=batch.concat_lists(f.field("labels"), components),
    )
    return table, pc.max(updated).as_py()


def jira_items(items: list[Any], shapes: Items[JiraIssue], base_url: str) -> tuple[pa.Table, datetime | None]:
    """The same as `jira_page`, item by item: each bad item is skipped and named in `shapes`."""
    tickets = [jira_ticket(issue, base_url) for issue in shapes.valid(items)]
    return raw_table(tickets), max((t.updated_at.astimezone(timezone.utc) for t in tickets), default=None)


def bounded_jql(jql: str, since: datetime, tz: ZoneInfo) -> str:
    """The configured filter, updated since `since` (on the user's clock, floored to the minute)."""
    return f'({jql}) AND updated >= "{since.astimezone(tz):%Y-%m-%d %H:%M}" ORDER BY updated ASC, key ASC'


class JiraCollector(TicketCollector):
    source: JiraSource

    def collect(self, store: Store, now: datetime) -> RunOutcome:
        src = self.source
        client = self.basic_auth_client(src.email_env, src.token_env, "the email address of the Jira account",
                                        "an Atlassian API token of that account")
        hints = {
            400: f"Jira refused the query; check jql = {src.jql!r}",
            401: f"Jira rejected the account in {src.email_env} / {src.token_env}; check both (an API token, not a password)",
            403: f"the account in {src.email_env} may not browse these issues; give it Browse projects",
            404: f"no Jira Cloud REST API at {src.base_url}; check base_url (e.g. https://acme.atlassian.net)",
        }
        with self.explained(hints):
            me = client.json(client.get(f"{src.base_url}/rest/api/3/myself"))
        tz = _zone(answer(JiraUser, me, self.name, "GET /rest/api/3/myself").timeZone)
        params: dict[str, Any] = {
            "jql": bounded_jql(src.jql, self.updated_since(store, now), tz),
            "fields": FIELDS,
            "maxResults": PAGE_SIZE,
        }
        issues = Items(JiraIssue, "issues", "key")
        written = self.write_pages(store, self.pages(client, params, hints), "updated_at", now, self.converter(issues))
        return RunOutcome(written, warning=issues.warning())

    def pages(self, client: HttpClient, params: dict[str, Any], hints: dict[int, str]) -> Iterator[Page]:
        url = f"{self.source.base_url}/rest/api/3/search/jql"
        while True:
            with self.explained(hints):
                resp = client.get(url, params)
                page, is_last, token_next = self.page(
                    batch.body(resp), lambda resp=resp: answer(JiraPage, client.json(resp), self.name, "GET /rest/api/3/search/jql"))
            yield page
            # The last page may omit nextPageToken rather than send isLast (JRACLOUD-92184).
            if is_last or not token_next:
                return
            params = {**params, "nextPageToken": token_next}

    @staticmethod
    def page(body: bytes, parse: Callable[[], JiraPage]) -> tuple[Page, bool | None, str | None]:
        """An answer page from its bytes, and its isLast and nextPageToken; one Arrow can't
        read is parsed and checked now (`parse`), so a wrong answer fails the run at its page."""
        read = batch.read_answer(body, ANSWER)
        if read is None or read.field("issues").null_count:
            page = parse()
            return Page(None, lambda: page.issues), page.isLast, page.nextPageToken
        return (Page(batch.items(read.field("issues")), lambda: parse().issues),
                read.field("isLast")[0].as_py(), read.field("nextPageToken")[0].as_py())

    def converter(self, shapes: Items[JiraIssue]) -> Convert:
        """Pages of parsed issues -> raw tickets, batch-checked, item by item where needed."""
        base = self.source.base_url
        return lambda pages: batch.chunk_rows(pages, lambda items: jira_page(items, base),
                                              lambda page: jira_items(page, shapes, base))


def _zone(name: str | None) -> ZoneInfo:
    try:
        return ZoneInfo(name or "UTC")
    except (ZoneInfoNotFoundError, ValueError):
        return ZoneInfo("UTC")
