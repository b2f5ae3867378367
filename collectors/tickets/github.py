"""GitHub issues of one repository (pull requests dropped), incremental by updated time.

GET /repos/{owner}/{repo}/issues with state=all, sort=updated, direction=asc and since=; pages
follow the Link header. Oldest first, so the checkpoint after any page is safe to resume from.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime, timezone
from typing import Any

from collectors.base import RunOutcome
from collectors.tickets.normalise import RawTicket
from collectors.tickets.source import Page, TicketCollector, newest
from hypercare.config import GitHubSource
from hypercare.errors import CollectorError
from hypercare.http import HttpClient
from hypercare.store import Store

PAGE_SIZE = 100


def github_ticket(issue: dict[str, Any]) -> RawTicket:
    """An issue as a RawTicket; GitHub has no priority field, so labels carry it."""
    state = issue["state"]
    # A closed issue's reason says more than "closed": completed (solved) or not_planned / duplicate.
    reason = issue.get("state_reason") if state == "closed" else None
    return RawTicket(
        ticket_id=str(issue["number"]),
        created_at=_time(issue["created_at"]),
        updated_at=_time(issue["updated_at"]),
        title=issue.get("title"),
        url=issue.get("html_url"),
        status_raw=reason or state,
        status="open" if state == "open" else "closed",
        labels=tuple(label["name"] if isinstance(label, dict) else str(label) for label in issue.get("labels") or ()),
    )


def _time(text: str) -> datetime:
    return datetime.fromisoformat(text).astimezone(timezone.utc)


class GitHubCollector(TicketCollector):
    source: GitHubSource

    def collect(self, store: Store, now: datetime) -> RunOutcome:
        src = self.source
        token = self.secret(src.token_env, f"a GitHub token that can read issues of {src.repo}")
        client = HttpClient(
            headers={
                "Accept": "application/vnd.github+json",
                "X-GitHub-Api-Version": "2022-11-28",
                "Authorization": f"Bearer {token}",
            },
            clock=self.clock,
            secrets=[token],
            timeout=self.timeouts(),
        )
        since = self.updated_since(store, now)
        url: str | None = f"{src.base_url}/repos/{src.repo}/issues"
        params: dict[str, Any] | None = {
            "state": "all", "sort": "updated", "direction": "asc", "per_page": PAGE_SIZE,
            "since": since.astimezone(timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ"),
        }
        if src.labels:
            params["labels"] = ",".join(src.labels)  # GitHub keeps issues that carry all of them
        hints = {
            401: f"GitHub rejected the token in {src.token_env}; create a new one",
            403: f"the token in {src.token_env} may not read issues of {src.repo}; grant it Issues: read",
            404: f"no repository {src.repo} at {src.base_url}, or the token in {src.token_env} cannot see it",
            410: f"issues are disabled in {src.repo}",
        }
        pages = self.pages(client, url, params, hints, self.checkpoint(store, "updated_at"))
        return RunOutcome(self.write_pages(store, pages, "updated_at", now))

    def pages(self, client: HttpClient, url: str | None, params: dict[str, Any] | None,
              hints: dict[int, str], cursor: str | None) -> Iterator[Page]:
        while url:
            with self.explained(hints):
                resp = client.get(url, params)
            items = client.json(resp)
            if not isinstance(items, list):
                raise CollectorError(f"{self.name}: expected a list of issues from {url}, got {type(items).__name__}")
            # Pull requests come through the same endpoint; they still move the checkpoint.
            issues = [github_ticket(i) for i in items if "pull_request" not in i]
            cursor = newest(cursor, [_time(i["updated_at"]) for i in items])
            yield self.normaliser.table(issues), cursor
            url, params = resp.links.get("next", {}).get("url"), None
