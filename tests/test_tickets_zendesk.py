"""The Zendesk collector against a local incremental export: cursor pages, resuming, limits, auth."""

from __future__ import annotations

import pandas as pd
import pytest

from collectors.base import run_collector
from collectors.tickets import ticket_collectors
from hypercare.store.read import scalar
from tests.fakes.github import at
from tests.fakes.ticket_api import Reply
from tests.fakes.zendesk import FakeZendesk, zendesk_ticket
from tests.tickets_helpers import config_with, runs, stored

EMAIL, TOKEN = "agent@acme.example", "zd_test_token_2468"


@pytest.fixture
def zendesk(clock):
    with FakeZendesk(clock, EMAIL, TOKEN, max_per_page=4) as fake:
        yield fake


@pytest.fixture
def collector(zendesk, tmp_path, clock, monkeypatch):
    monkeypatch.setenv("ZENDESK_EMAIL", EMAIL)
    monkeypatch.setenv("ZENDESK_API_TOKEN", TOKEN)
    config = config_with(tmp_path, {"kind": "zendesk", "name": "desk", "base_url": zendesk.url,
                                    "categories": {"usage": ["login"]}})
    [c] = ticket_collectors(config, clock)
    return c


def sample() -> list[dict]:
    return [
        zendesk_ticket(1, at(-200)),  # older than the baseline: the first run's start_time leaves it out
        zendesk_ticket(2, at(-30), type="problem", priority="urgent", tags=("checkout",)),
        zendesk_ticket(3, at(-5), status="hold", priority=None, type=None, tags=("login",)),
        zendesk_ticket(4, at(1), status="solved", priority="low", type="task"),
        zendesk_ticket(5, at(2), status="new", priority="high", type="incident"),
        zendesk_ticket(6, at(3), status="closed"),
        zendesk_ticket(7, at(4), status="deleted"),
        zendesk_ticket(8, at(5), priority="critical-ish", type="question"),
    ]


def test_exports_every_page_from_the_baseline_start(zendesk, collector, store, clock):
    zendesk.put(*sample())
    record = run_collector(store, collector, clock)
    assert record.ok, record.error
    first = zendesk.requests[0]
    assert first.query["start_time"] == str(int(at(-168).timestamp()))
    assert [r.query.get("cursor") is not None for r in zendesk.requests] == [False, True]  # 7 tickets, 4 a page
    rows = stored(store).set_index("ticket_id")
    assert list(rows.index) == [str(n) for n in range(2, 9)]
    assert tuple(rows.loc["2", ["status", "priority", "category"]]) == ("open", "P1", "technical")
    assert tuple(rows.loc["3", ["status", "category"]]) == ("pending", "usage") and pd.isna(rows.loc["3", "priority"])
    assert tuple(rows.loc["4", ["status", "priority", "category", "category_raw"]]) == ("solved", "P4", "other", "task")
    assert list(rows.loc["4", "unmapped"]) == ["category"]
    assert rows.loc["7", "status"] == "closed" and rows.loc["7", "status_raw"] == "deleted"
    assert list(rows.loc["8", "unmapped"]) == ["priority"]
    assert rows.loc["2", "url"] == f"{zendesk.url}/agent/tickets/2" and list(rows.loc["2", "labels"]) == ["checkout"]


def test_next_run_resumes_from_the_stored_cursor(zendesk, collector, store, clock):
    zendesk.put(*sample())
    run_collector(store, collector, clock)
    cursor = scalar(store.cursor(), "SELECT cursor FROM checkpoints WHERE collector = 'tickets:desk'")
    zendesk.requests.clear()
    served = zendesk.served
    clock.advance(minutes=5)
    zendesk.put(zendesk_ticket(5, at(2), at(30), status="solved", priority="high", type="incident"))
    assert run_collector(store, collector, clock).ok
    assert zendesk.requests[0].query["cursor"] == cursor and "start_time" not in zendesk.requests[0].query
    assert zendesk.served - served == 1  # only the changed ticket came back
    rows = stored(store).set_index("ticket_id")
    assert len(rows) == 7 and rows.loc["5", "status"] == "solved"
    assert run_collector(store, collector, clock).rows_written == 0  # nothing changed: nothing written


def test_429_retry_after_is_honoured(zendesk, collector, store, clock):
    zendesk.put(*sample())
    zendesk.script.append(Reply(429, {"error": "TooManyRequests"}, {"Retry-After": "17"}))
    assert run_collector(store, collector, clock).ok
    assert clock.slept == [17] and len(stored(store)) == 7


@pytest.mark.parametrize("status, body, expected", [
    (401, {"error": "Couldn't authenticate you"}, "ZENDESK_EMAIL / ZENDESK_API_TOKEN"),
    (403, {"error": "Forbidden", "description": "You do not have access to this page."}, "admin role"),
])
def test_auth_errors_are_permanent_and_clear(zendesk, collector, store, clock, status, body, expected):
    zendesk.script.append(Reply(status, body))
    record = run_collector(store, collector, clock)
    assert not record.ok and expected in record.error and len(zendesk.requests) == 1
    assert body["error"] in record.error and TOKEN not in runs(store).error.iloc[0]


def test_wrong_token_is_rejected_by_the_server(zendesk, collector, store, clock, monkeypatch):
    monkeypatch.setenv("ZENDESK_API_TOKEN", "zd_wrong_token_1357")
    record = run_collector(store, collector, clock)
    assert "Couldn't authenticate you" in record.error and "zd_wrong_token_1357" not in record.error
