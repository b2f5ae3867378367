"""Jira Cloud / Jira Service Management issues from a JQL filter, incremental by updated time.

GET /rest/api/3/search/jql (the old /search is gone from Jira Cloud) with nextPageToken / isLast,
no total. Only the fields named come back. JQL dates have minute resolution in the user's own
time zone, so the bound is written on that clock (read from /myself) and floored to the minute;
the overlap and the upsert absorb what is read twice.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime, timezone
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from collectors.base import RunOutcome
from collectors.tickets.normalise import RawTicket
from collectors.tickets.shapes import Items, JiraIssue, JiraPage, JiraUser, answer
from collectors.tickets.source import Page, TicketCollector, newest
from hypercare.config import JiraSource
from hypercare.http import HttpClient
from hypercare.store import Store

PAGE_SIZE = 100
FIELDS = "summary,status,priority,labels,components,issuetype,created,updated"
# Jira's own status categories, used when no mapping knows a workflow's status name.
STATUS_CATEGORIES = {"new": "open", "indeterminate": "open", "done": "solved"}


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
        pages = self.pages(client, params, hints, self.checkpoint(store, "updated_at"), issues)
        written = self.write_pages(store, pages, "updated_at", now)
        return RunOutcome(written, warning=issues.warning())

    def pages(self, client: HttpClient, params: dict[str, Any], hints: dict[int, str],
              cursor: str | None, shapes: Items[JiraIssue]) -> Iterator[Page]:
        url = f"{self.source.base_url}/rest/api/3/search/jql"
        while True:
            with self.explained(hints):
                page = answer(JiraPage, client.json(client.get(url, params)), self.name, "GET /rest/api/3/search/jql")
            rows, cursor = self.page_rows(page.issues, shapes, cursor)
            yield rows, cursor
            token_next = page.nextPageToken
            # The last page may omit nextPageToken rather than send isLast (JRACLOUD-92184).
            if page.isLast or not token_next:
                return
            params = {**params, "nextPageToken": token_next}

    def page_rows(self, items: list[Any], shapes: Items[JiraIssue], cursor: str | None) -> Page:
        """One page's parsed JSON issues as ticket rows, and the checkpoint after them."""
        tickets = [jira_ticket(issue, self.source.base_url) for issue in shapes.valid(items)]
        cursor = newest(cursor, [t.updated_at.astimezone(timezone.utc) for t in tickets])
        return self.normaliser.table(tickets), cursor


def _zone(name: str | None) -> ZoneInfo:
    try:
        return ZoneInfo(name or "UTC")
    except (ZoneInfoNotFoundError, ValueError):
        return ZoneInfo("UTC")
