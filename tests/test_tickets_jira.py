"""The Jira collector against a local Jira Cloud API: search/jql paging, the user's time zone, limits, auth."""

from __future__ import annotations

from datetime import timedelta

import pandas as pd
import pytest

from collectors.base import run_collector
from collectors.tickets import ticket_collectors
from tests.fakes.github import at
from tests.fakes.jira import FakeJira, jira_issue
from tests.fakes.ticket_api import Reply
from tests.tickets_helpers import config_with, runs, stored

EMAIL, TOKEN = "ops@acme.example", "atl_test_token_5678"


@pytest.fixture
def jira():
    with FakeJira(EMAIL, TOKEN, user_tz="America/New_York", max_results=3) as fake:
        yield fake


@pytest.fixture
def collector(jira, tmp_path, clock, monkeypatch):
    monkeypatch.setenv("JIRA_EMAIL", EMAIL)
    monkeypatch.setenv("JIRA_API_TOKEN", TOKEN)
    config = config_with(tmp_path, {"kind": "jira", "name": "help", "base_url": jira.url, "jql": "project = HELP"})
    [c] = ticket_collectors(config, clock)
    return c


def sample() -> list[dict]:
    return [
        jira_issue("HELP-1", at(-20), priority="Highest", issuetype="Bug", components=("Checkout",)),
        jira_issue("HELP-2", at(-10), status="Awaiting vendor", category="indeterminate", issuetype="Question"),
        jira_issue("HELP-3", at(1), status="Done", category="done", priority="Low", labels=("payment",)),
        jira_issue("HELP-4", at(2), status="Waiting for customer", category="indeterminate", priority=None,
                   issuetype="Service Request"),
        jira_issue("HELP-5", at(3), priority="Blocker-ish", issuetype="Incident"),
        jira_issue("HELP-6", at(4)),
        jira_issue("HELP-7", at(5), issuetype="Task", labels=("how-to",)),
        jira_issue("OTHER-1", at(5)),
    ]


def test_collects_every_page_and_maps_jira_fields(jira, collector, store, clock):
    jira.put(*sample())
    record = run_collector(store, collector, clock)
    assert record.ok, record.error
    rows = stored(store).set_index("ticket_id")
    assert list(rows.index) == [f"HELP-{n}" for n in range(1, 8)]
    searches = [r for r in jira.requests if r.path.endswith("/search/jql")]
    assert len(searches) == 3 and "nextPageToken" in searches[1].query  # 7 issues, 3 a page
    assert searches[0].query["fields"] == "summary,status,priority,labels,components,issuetype,created,updated"
    assert tuple(rows.loc["HELP-1", ["priority", "category", "status"]]) == ("P1", "technical", "open")
    assert list(rows.loc["HELP-1", "labels"]) == ["Checkout"]
    assert rows.loc["HELP-1", "url"] == f"{jira.url}/browse/HELP-1"
    assert (rows.loc["HELP-2", "status"], rows.loc["HELP-2", "status_raw"]) == ("open", "Awaiting vendor")
    assert rows.loc["HELP-2", "category"] == "usage" and list(rows.loc["HELP-2", "unmapped"]) == []
    assert tuple(rows.loc["HELP-3", ["status", "priority"]]) == ("solved", "P4")
    assert rows.loc["HELP-4", "status"] == "pending" and pd.isna(rows.loc["HELP-4", "priority"])
    assert list(rows.loc["HELP-4", "unmapped"]) == ["category"] and rows.loc["HELP-4", "category_raw"] == "Service Request"
    assert list(rows.loc["HELP-5", "unmapped"]) == ["priority"] and rows.loc["HELP-5", "priority_raw"] == "Blocker-ish"
    assert rows.loc["HELP-7", "category"] == "usage"  # Task is unknown, but the how-to label maps
    assert rows.created_at["HELP-1"].to_pydatetime() == at(-20)


def test_jql_is_bounded_on_the_users_clock_and_reruns_ask_for_less(jira, collector, store, clock):
    jira.put(*sample())
    run_collector(store, collector, clock)
    first = next(r for r in jira.requests if r.path.endswith("/search/jql")).query["jql"]
    # Baseline start 2026-11-15 21:00 UTC is 16:00 in New York (the account's zone), minute resolution.
    assert first == '(project = HELP) AND updated >= "2026-11-15 16:00" ORDER BY updated ASC, key ASC'
    jira.requests.clear()
    clock.advance(minutes=5)
    jira.put(jira_issue("HELP-6", at(4), at(30), status="Resolved", category="done"))
    assert run_collector(store, collector, clock).ok
    searches = [r for r in jira.requests if r.path.endswith("/search/jql")]
    # Newest seen was HELP-7 at 2026-11-23 02:00 UTC; minus 120 s = 2026-11-22 20:58 in New York.
    assert '"2026-11-22 20:58"' in searches[0].query["jql"]
    assert len(searches) == 1  # HELP-7 again (overlap) and the changed HELP-6: one page
    rows = stored(store).set_index("ticket_id")
    assert len(rows) == 7 and rows.loc["HELP-6", "status"] == "solved"


def test_429_waits_for_retry_after_then_x_ratelimit_reset(jira, collector, store, clock):
    jira.put(*sample())
    reset = (clock.now() + timedelta(minutes=2)).strftime("%Y-%m-%dT%H:%MZ")  # Jira: ISO 8601, minutes
    jira.script += [
        Reply(429, {"errorMessages": ["Rate limit exceeded."]}, {"Retry-After": "30", "X-RateLimit-Reset": reset}),
        Reply(429, {"errorMessages": ["Rate limit exceeded."]}, {"X-RateLimit-Reset": reset}),
    ]
    assert run_collector(store, collector, clock).ok
    assert clock.slept[0] == 30
    assert clock.slept[1] == pytest.approx(90, abs=1)  # the rest of the way to the reset instant
    assert len(stored(store)) == 7


def test_wrong_credentials_fail_once_with_the_variable_names(jira, collector, store, clock, monkeypatch):
    monkeypatch.setenv("JIRA_API_TOKEN", "atl_wrong_token_0000")
    record = run_collector(store, collector, clock)
    assert not record.ok and len(jira.requests) == 1
    assert "JIRA_EMAIL / JIRA_API_TOKEN" in record.error and "must be authenticated" in record.error
    assert "atl_wrong_token_0000" not in runs(store).error.iloc[0]


def test_refused_jql_says_so(jira, tmp_path, clock, store, monkeypatch):
    monkeypatch.setenv("JIRA_EMAIL", EMAIL)
    monkeypatch.setenv("JIRA_API_TOKEN", TOKEN)
    config = config_with(tmp_path, {"kind": "jira", "base_url": jira.url, "jql": "assignee was bob"})
    [c] = ticket_collectors(config, clock)
    record = run_collector(store, c, clock)
    assert "Jira refused the query; check jql = 'assignee was bob'" in record.error
    assert "Error in the JQL Query" in record.error


def test_last_page_without_token_ends_the_run(jira, collector, store, clock):
    jira.put(*sample()[:2])
    jira.script.append(Reply(200, {"issues": [], "isLast": False}))  # no nextPageToken: nothing more to ask
    assert run_collector(store, collector, clock).ok
    assert len([r for r in jira.requests if r.path.endswith("/search/jql")]) == 1
