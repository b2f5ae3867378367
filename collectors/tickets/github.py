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
from collectors.tickets.shapes import GitHubIssue, Items, answer_list
from collectors.tickets.source import Page, TicketCollector, newest
from hypercare.config import GitHubSource
from hypercare.http import HttpClient
from hypercare.store import Store

PAGE_SIZE = 100


def github_ticket(issue: GitHubIssue) -> RawTicket:
    """An issue as a RawTicket; GitHub has no priority field, so labels carry it."""
    state = issue.state
    # A closed issue's reason says more than "closed": completed (solved) or not_planned / duplicate.
    reason = issue.state_reason if state == "closed" else None
    return RawTicket(
        ticket_id=str(issue.number),
        created_at=issue.created_at.astimezone(timezone.utc),
        updated_at=issue.updated_at.astimezone(timezone.utc),
        title=issue.title,
        url=issue.html_url,
        status_raw=reason or state,
        status="open" if state == "open" else "closed",
        labels=tuple(label if isinstance(label, str) else label.name for label in issue.labels),
    )


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
        issues = Items(GitHubIssue, "issues", "number")
        pages = self.pages(client, url, params, hints, self.checkpoint(store, "updated_at"), issues)
        written = self.write_pages(store, pages, "updated_at", now)
        return RunOutcome(written, warning=issues.warning())

    def pages(self, client: HttpClient, url: str | None, params: dict[str, Any] | None,
              hints: dict[int, str], cursor: str | None, shapes: Items[GitHubIssue]) -> Iterator[Page]:
        endpoint = f"GET /repos/{self.source.repo}/issues"
        while url:
            with self.explained(hints):
                resp = client.get(url, params)
            rows, cursor = self.page_rows(answer_list(client.json(resp), self.name, endpoint, "issues"), shapes, cursor)
            yield rows, cursor
            url, params = resp.links.get("next", {}).get("url"), None

    def page_rows(self, items: list[Any], shapes: Items[GitHubIssue], cursor: str | None) -> Page:
        """One page's parsed JSON items as ticket rows, and the checkpoint after them."""
        valid = shapes.valid(items)
        # Pull requests come through the same endpoint; they still move the checkpoint.
        issues = [github_ticket(i) for i in valid if i.pull_request is None]
        cursor = newest(cursor, [i.updated_at.astimezone(timezone.utc) for i in valid])
        return self.normaliser.table(issues), cursor
