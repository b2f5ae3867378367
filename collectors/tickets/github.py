"""GitHub issues of one repository (pull requests dropped), incremental by updated time.

GET /repos/{owner}/{repo}/issues with state=all, sort=updated, direction=asc and since=; pages
follow the Link header. Oldest first, so the checkpoint after any page is safe to resume from.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from datetime import datetime, timezone
from typing import Any

import pyarrow as pa
import pyarrow.compute as pc

from collectors.base import RunOutcome
from collectors.tickets import batch
from collectors.tickets.normalise import RawTicket, raw_table
from collectors.tickets.shapes import GitHubIssue, Items, answer_list
from collectors.tickets.source import Convert, Page, TicketCollector
from hypercare.config import GitHubSource
from hypercare.http import HttpClient
from hypercare.store import Store

PAGE_SIZE = 100
# The fields of `GitHubIssue`, as Arrow reads a page of them at once.
SHAPE = pa.struct([
    ("number", pa.int64()), ("state", pa.string()), ("state_reason", pa.string()), ("title", pa.string()),
    ("html_url", pa.string()), ("created_at", pa.string()), ("updated_at", pa.string()),
    ("labels", pa.list_(batch.NAMED)), ("pull_request", pa.struct([])),
])
ANSWER = pa.list_(SHAPE)


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


def github_page(page: pa.StructArray) -> tuple[pa.Table, datetime | None] | None:
    """Pages of issues (columns) as raw columns (pull requests dropped) and the newest updated
    time of all their items; None when they need the item-by-item check."""
    if page.null_count:
        return None
    number, state, reason = page.field("number"), page.field("state"), page.field("state_reason")
    labels = batch.names(page.field("labels"))
    created, updated = batch.instants(page.field("created_at")), batch.instants(page.field("updated_at"))
    if labels is None or created is None or updated is None or not batch.present(number, state):
        return None
    issue = pc.is_null(page.field("pull_request"))
    closed_for = pc.fill_null(pc.and_(pc.equal(state, "closed"), pc.not_equal(reason, "")), False)
    table = batch.raw(
        len(page), ticket_id=number.cast(pa.string()), created_at=created, updated_at=updated,
        title=page.field("title"), url=page.field("html_url"), status_raw=pc.if_else(closed_for, reason, state),
        status=pc.if_else(pc.equal(state, "open"), "open", "closed"), labels=labels,
    ).filter(issue)
    return table, pc.max(updated).as_py()


def github_items(items: list[Any], shapes: Items[GitHubIssue]) -> tuple[pa.Table, datetime | None]:
    """The same as `github_page`, item by item: each bad item is skipped and named in `shapes`."""
    valid = shapes.valid(items)
    # Pull requests come through the same endpoint; they still move the checkpoint.
    issues = [github_ticket(i) for i in valid if i.pull_request is None]
    return raw_table(issues), max((i.updated_at.astimezone(timezone.utc) for i in valid), default=None)


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
        pages = self.pages(client, url, params, hints)
        written = self.write_pages(store, pages, "updated_at", now, self.converter(issues))
        return RunOutcome(written, warning=issues.warning())

    def pages(self, client: HttpClient, url: str | None, params: dict[str, Any] | None,
              hints: dict[int, str]) -> Iterator[Page]:
        endpoint = f"GET /repos/{self.source.repo}/issues"
        while url:
            with self.explained(hints):
                resp = client.get(url, params)
            yield self.page(batch.body(resp), lambda resp=resp: answer_list(client.json(resp), self.name, endpoint, "issues"))
            url, params = resp.links.get("next", {}).get("url"), None

    @staticmethod
    def page(body: bytes, parse: Callable[[], list[Any]]) -> Page:
        """An answer page from its bytes; one Arrow can't read is parsed now (`parse`), so an
        answer that is no list of issues fails the run at its page, as it always did."""
        answer = batch.read_answer(body, ANSWER)
        if answer is None:
            items = parse()
            return Page(None, lambda: items)
        return Page(batch.items(answer), parse)

    def converter(self, shapes: Items[GitHubIssue]) -> Convert:
        """Pages of parsed issues -> raw tickets, batch-checked, item by item where needed."""
        return lambda pages: batch.chunk_rows(pages, github_page, lambda page: github_items(page, shapes))
