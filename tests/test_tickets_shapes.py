"""Ticket API answers are checked at the boundary: a bad item is skipped and counted in the run's
warning; a bad answer fails the run with a sentence naming the endpoint and the field, and the
checkpoint stays where it was."""

from __future__ import annotations

import pytest

from collectors.base import run_collector
from collectors.tickets import ticket_collectors
from hypercare.store.writes import read_checkpoint
from tests.fakes.github import FakeGitHub, at, issue
from tests.fakes.jira import FakeJira, jira_issue
from tests.fakes.ticket_api import Reply
from tests.fakes.zendesk import FakeZendesk, zendesk_ticket
from tests.tickets_helpers import config_with, stored

GITHUB_TOKEN, EMAIL, TOKEN = "ghp_test_token_1234", "ops@acme.example", "api_test_token_5678"


@pytest.fixture
def env(monkeypatch):
    for name, value in {"GITHUB_TOKEN": GITHUB_TOKEN, "JIRA_EMAIL": EMAIL, "JIRA_API_TOKEN": TOKEN,
                        "ZENDESK_EMAIL": EMAIL, "ZENDESK_API_TOKEN": TOKEN}.items():
        monkeypatch.setenv(name, value)


def collector_for(tmp_path, clock, entry: dict):
    [c] = ticket_collectors(config_with(tmp_path, entry), clock)
    return c


def checkpoints(store, name: str) -> dict:
    return {scope: read_checkpoint(store.cursor(), name, scope) for scope in ("updated_at", "cursor")}


def without(item: dict, *path: str) -> dict:
    node = item
    for key in path[:-1]:
        node = node[key]
    del node[path[-1]]
    return item


def test_github_skips_an_issue_without_state_and_counts_it(env, tmp_path, clock, store):
    with FakeGitHub(clock, token=GITHUB_TOKEN) as github:
        github.put(issue(1, at(-3)), without(issue(2, at(-2)), "state"), issue(3, at(-1)),
                   {**issue(4, at(-1)), "created_at": "yesterday"})
        c = collector_for(tmp_path, clock, {"kind": "github", "name": "gh", "repo": "acme/booking", "base_url": github.url})
        record = run_collector(store, c, clock)
    assert (record.status, record.rows_written) == ("ok", 2)
    assert list(stored(store).ticket_id) == ["1", "3"]
    assert record.error == ("2 issues skipped (not the shape the API documents): number 2: state: field required; "
                            "number 4: created_at: 'yesterday' is not a date and time")


def test_github_answering_an_object_fails_naming_the_endpoint_and_keeps_the_checkpoint(env, tmp_path, clock, store):
    with FakeGitHub(clock, token=GITHUB_TOKEN) as github:
        github.put(issue(1, at(-3)))
        c = collector_for(tmp_path, clock, {"kind": "github", "name": "gh", "repo": "acme/booking", "base_url": github.url})
        assert run_collector(store, c, clock).ok
        before = checkpoints(store, c.name)
        github.script.append(Reply(200, {"message": "Moved", "items": []}))
        record = run_collector(store, c, clock)
    assert record.status == "failed" and checkpoints(store, c.name) == before
    assert record.error == ("tickets:gh: GET /repos/acme/booking/issues answered a dict where a list of issues was "
                            "expected; nothing after the last good page was written and the next run tries again")


def test_jira_skips_an_issue_without_dates_and_fails_on_a_page_without_issues(env, tmp_path, clock, store):
    with FakeJira(EMAIL, TOKEN, user_tz="Europe/Brussels") as jira:
        jira.put(jira_issue("HELP-1", at(-3)), without(jira_issue("HELP-2", at(-2)), "fields", "created"))
        c = collector_for(tmp_path, clock, {"kind": "jira", "name": "help", "base_url": jira.url, "jql": "project = HELP"})
        first = run_collector(store, c, clock)
        assert (first.status, first.rows_written) == ("ok", 1)
        assert first.error == ("1 issue skipped (not the shape the API documents): key HELP-2: fields.created: "
                               "field required")
        before = checkpoints(store, c.name)
        jira.script += [Reply(200, {"accountId": "x", "timeZone": "Europe/Brussels"}),
                        Reply(200, {"issues": {"HELP-1": {}}, "isLast": True})]
        record = run_collector(store, c, clock)
    assert record.status == "failed" and checkpoints(store, c.name) == before
    assert record.error.startswith("tickets:help: GET /rest/api/3/search/jql answered without the expected shape: "
                                   "issues: input should be a valid list;")


def test_jira_myself_answering_a_list_fails_the_run(env, tmp_path, clock, store):
    with FakeJira(EMAIL, TOKEN) as jira:
        c = collector_for(tmp_path, clock, {"kind": "jira", "name": "help", "base_url": jira.url, "jql": "project = HELP"})
        jira.script.append(Reply(200, ["not", "a", "user"]))
        record = run_collector(store, c, clock)
    assert record.status == "failed" and record.error.startswith(
        "tickets:help: GET /rest/api/3/myself answered a list where an object was expected")


def test_zendesk_skips_a_ticket_with_a_bad_date_and_fails_on_an_empty_object(env, tmp_path, clock, store):
    with FakeZendesk(clock, EMAIL, TOKEN) as zendesk:
        zendesk.put(zendesk_ticket(1, at(-3)), {**zendesk_ticket(2, at(-2)), "updated_at": 1700000000})
        c = collector_for(tmp_path, clock, {"kind": "zendesk", "name": "desk", "base_url": zendesk.url})
        first = run_collector(store, c, clock)
        assert (first.status, first.rows_written) == ("ok", 1)
        assert first.error == ("1 ticket skipped (not the shape the API documents): id 2: updated_at: 1700000000 is "
                                "not a date and time")
        before = checkpoints(store, c.name)
        assert before["cursor"] is not None
        zendesk.script.append(Reply(200, {}))
        record = run_collector(store, c, clock)
    assert record.status == "failed" and checkpoints(store, c.name) == before
    assert record.error == ("tickets:desk: GET /api/v2/incremental/tickets/cursor.json answered without the expected "
                            "shape: tickets: field required; nothing after the last good page was written and the next "
                            "run tries again")
