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
from collectors.tickets.source import Page, TicketCollector, newest
from hypercare.config import JiraSource
from hypercare.http import HttpClient
from hypercare.store import Store

PAGE_SIZE = 100
FIELDS = "summary,status,priority,labels,components,issuetype,created,updated"
# Jira's own status categories, used when no mapping knows a workflow's status name.
STATUS_CATEGORIES = {"new": "open", "indeterminate": "open", "done": "solved"}


def jira_ticket(issue: dict[str, Any], base_url: str) -> RawTicket:
    f = issue["fields"]
    status = f.get("status") or {}
    labels = [*(f.get("labels") or ()), *(c["name"] for c in f.get("components") or ())]
    return RawTicket(
        ticket_id=issue["key"],
        created_at=datetime.fromisoformat(f["created"]),
        updated_at=datetime.fromisoformat(f["updated"]),
        title=f.get("summary"),
        url=f"{base_url}/browse/{issue['key']}",
        status_raw=status.get("name"),
        status=STATUS_CATEGORIES.get((status.get("statusCategory") or {}).get("key", "")),
        priority_raw=(f.get("priority") or {}).get("name") or "",
        category_raw=(f.get("issuetype") or {}).get("name"),
        labels=tuple(labels),
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
        tz = _zone(me.get("timeZone"))
        params: dict[str, Any] = {
            "jql": bounded_jql(src.jql, self.updated_since(store, now), tz),
            "fields": FIELDS,
            "maxResults": PAGE_SIZE,
        }
        pages = self.pages(client, params, hints, self.checkpoint(store, "updated_at"))
        return RunOutcome(self.write_pages(store, pages, "updated_at", now))

    def pages(self, client: HttpClient, params: dict[str, Any], hints: dict[int, str],
              cursor: str | None) -> Iterator[Page]:
        url = f"{self.source.base_url}/rest/api/3/search/jql"
        while True:
            with self.explained(hints):
                page = client.json(client.get(url, params))
            tickets = [jira_ticket(issue, self.source.base_url) for issue in page.get("issues") or ()]
            cursor = newest(cursor, [t.updated_at.astimezone(timezone.utc) for t in tickets])
            yield self.normaliser.table(tickets), cursor
            token_next = page.get("nextPageToken")
            # The last page may omit nextPageToken rather than send isLast (JRACLOUD-92184).
            if page.get("isLast") or not token_next:
                return
            params = {**params, "nextPageToken": token_next}


def _zone(name: str | None) -> ZoneInfo:
    try:
        return ZoneInfo(name or "UTC")
    except (ZoneInfoNotFoundError, ValueError):
        return ZoneInfo("UTC")
