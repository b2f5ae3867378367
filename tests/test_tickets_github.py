"""The GitHub collector against a local GitHub API: pagination, PRs dropped, incremental, rate limits, auth."""

from __future__ import annotations

from datetime import timedelta

import pytest

from collectors.base import run_collector
from collectors.tickets import ticket_collectors
from collectors.tickets.github import GitHubCollector
from hypercare.store.read import scalar
from tests.fakes.github import FakeGitHub, at, issue
from tests.fakes.ticket_api import Reply
from tests.tickets_helpers import config_with, runs, stored

TOKEN = "ghp_test_token_1234"


@pytest.fixture
def github(clock):
    with FakeGitHub(clock, token=TOKEN, max_per_page=10) as fake:
        yield fake


@pytest.fixture
def collector(github, tmp_path, clock, monkeypatch) -> GitHubCollector:
    monkeypatch.setenv("GITHUB_TOKEN", TOKEN)
    config = config_with(tmp_path, {
        "kind": "github", "name": "app-support", "repo": "acme/booking", "base_url": github.url,
        "categories": {"technical": ["bug"], "usage": ["question"]},
        "priorities": {"P1": ["urgent"], "P2": ["high"]},
    })
    [c] = ticket_collectors(config, clock)
    return c


def sample_issues() -> list[dict]:
    items = [issue(n, at(-30 + n), labels=("question",) if n % 3 else ("bug", "urgent")) for n in range(1, 24)]
    items += [issue(100 + n, at(n), pull_request=True, labels=("bug",)) for n in range(1, 6)]
    items.append(issue(50, at(2), state="closed", state_reason="completed", labels=("bug", "high")))
    items.append(issue(51, at(3), state="closed", state_reason="not_planned"))
    return items


def test_collects_issues_over_link_pages_and_drops_pull_requests(github, collector, store, clock):
    github.put(*sample_issues())
    record = run_collector(store, collector, clock)
    assert record.ok, record.error
    assert collector.name == "tickets:app-support" and collector.kind == "tickets"
    rows = stored(store)
    assert len(rows) == 25 and record.rows_written == 25
    assert not rows.ticket_id.isin([str(100 + n) for n in range(1, 6)]).any()
    assert len(github.requests) == 3  # 30 items, 10 per page, followed through Link rel="next"
    first = github.requests[0].query
    assert first["state"] == "all" and first["since"] == "2026-11-15T21:00:00Z"  # baseline start
    assert all(r.headers["x-github-api-version"] == "2022-11-28" for r in github.requests)
    by_id = rows.set_index("ticket_id")
    assert tuple(by_id.loc["3", ["priority", "category", "status"]]) == ("P1", "technical", "open")
    assert tuple(by_id.loc["50", ["priority", "status", "status_raw"]]) == ("P2", "solved", "completed")
    assert tuple(by_id.loc["51", ["status", "status_raw"]]) == ("closed", "not_planned")
    assert by_id.loc["51", "status"] == "closed" and by_id.loc["1", "category"] == "usage"
    assert by_id.loc["1", "url"] == "https://github.com/acme/booking/issues/1"
    assert list(by_id.loc["3", "labels"]) == ["bug", "urgent"]


def test_rerun_is_idempotent_and_asks_only_for_what_changed(github, collector, store, clock):
    github.put(*sample_issues())
    run_collector(store, collector, clock)
    served = github.served_items
    before = stored(store)
    clock.advance(minutes=5)
    github.put(issue(7, at(-23), at(20), state="closed", state_reason="completed", labels=("question",)))
    record = run_collector(store, collector, clock)
    assert record.ok
    after = stored(store)
    assert len(after) == len(before)  # no duplicates
    assert after.set_index("ticket_id").loc["7", "status"] == "solved"
    newest = "2026-11-23T17:00:00Z"  # updated_at of issue 7 now; the previous newest was at(5)
    since = github.requests[-1].query["since"]
    assert since == "2026-11-23T01:58:00Z"  # previous checkpoint at(5) minus the 120 s overlap
    assert github.served_items - served < served  # the second run read far fewer items
    assert scalar(store.cursor(), "SELECT cursor FROM checkpoints WHERE collector = 'tickets:app-support'") == \
        "2026-11-23T17:00:00+00:00" != newest


def test_labels_filter_is_sent(github, tmp_path, clock, monkeypatch, store):
    monkeypatch.setenv("GITHUB_TOKEN", TOKEN)
    config = config_with(tmp_path, {"kind": "github", "repo": "acme/booking", "base_url": github.url,
                                    "labels": ["support", "prod"]})
    github.put(issue(1, at(1), labels=("support", "prod")), issue(2, at(1), labels=("support",)))
    [c] = ticket_collectors(config, clock)
    assert run_collector(store, c, clock).ok
    assert github.requests[0].query["labels"] == "support,prod"
    assert list(stored(store).ticket_id) == ["1"] and c.name == "tickets:github"


def test_exhausted_quota_403_waits_for_the_reset_then_continues(github, collector, store, clock):
    github.put(*sample_issues())
    github.quota, github.reset_every = 1, timedelta(minutes=10)
    github.reset_at = clock.now() + github.reset_every
    github.used = 1  # spent: the first request meets a 403 with x-ratelimit-remaining: 0
    start = clock.now()
    record = run_collector(store, collector, clock)
    assert record.ok, record.error
    assert len(stored(store)) == 25
    assert github.requests[0] and clock.slept[0] == pytest.approx(600, abs=1)  # until x-ratelimit-reset
    assert clock.now() - start >= timedelta(minutes=30)  # one page per quota window


def test_a_reset_too_far_away_fails_the_run_cleanly(github, collector, store, clock):
    github.put(*sample_issues())
    github.quota = github.used = 1  # spent for the next hour: longer than the policy waits
    record = run_collector(store, collector, clock)
    assert not record.ok and "403" in record.error and "try again later" in record.error
    assert len(stored(store)) == 0 and len(github.requests) == 1


def test_429_retry_after_is_honoured(github, collector, store, clock):
    github.put(*sample_issues())
    github.script.append(Reply(429, {"message": "You have exceeded a secondary rate limit."}, {"Retry-After": "42"}))
    assert run_collector(store, collector, clock).ok
    assert clock.slept[0] == 42
    assert len(stored(store)) == 25


def test_secondary_rate_limit_403_with_retry_after_is_waited_for(github, collector, store, clock):
    github.put(*sample_issues())
    github.script.append(Reply(403, {"message": "You have exceeded a secondary rate limit."},
                               {"Retry-After": "60", "x-ratelimit-remaining": "4000"}))
    assert run_collector(store, collector, clock).ok
    assert clock.slept[0] == 60


def test_bad_token_is_reported_once_not_retried_and_never_shown(github, collector, store, clock, monkeypatch):
    monkeypatch.setenv("GITHUB_TOKEN", "ghp_wrong_token_9876")
    record = run_collector(store, collector, clock)
    assert not record.ok
    assert len(github.requests) == 1
    assert "GITHUB_TOKEN" in record.error and "Bad credentials" in record.error
    assert "ghp_wrong_token_9876" not in runs(store).error.iloc[0]


def test_403_without_rate_limit_signals_is_a_permission_error(github, collector, store, clock):
    github.script.append(Reply(403, {"message": "Resource not accessible by personal access token"},
                               {"x-ratelimit-remaining": "4999"}))
    record = run_collector(store, collector, clock)
    assert not record.ok and len(github.requests) == 1
    assert "Issues: read" in record.error and "Resource not accessible" in record.error


def test_unknown_repository_and_missing_token_are_clear(github, tmp_path, clock, store, monkeypatch):
    config = config_with(tmp_path, {"kind": "github", "repo": "acme/nope", "base_url": github.url})
    [c] = ticket_collectors(config, clock)
    assert "GITHUB_TOKEN is not set" in run_collector(store, c, clock).error
    monkeypatch.setenv("GITHUB_TOKEN", TOKEN)
    assert "no repository acme/nope" in run_collector(store, c, clock).error


def test_a_failing_page_keeps_committed_pages_and_the_next_run_resumes(github, collector, store, clock):
    github.put(*sample_issues())
    original = github.answer

    def flaky(request):  # page 2 fails on every attempt
        return Reply(502, {"message": "Server Error"}) if request.query.get("page") == "2" else original(request)

    github.answer = flaky
    record = run_collector(store, collector, clock)
    assert not record.ok and "502" in record.error
    assert len(stored(store)) == 10  # page 1 committed with its checkpoint
    cursor = scalar(store.cursor(), "SELECT cursor FROM checkpoints WHERE collector = ?", [collector.name])
    assert cursor == "2026-11-22T01:00:00+00:00"  # newest updated_at of page 1 (issue 10)
    github.answer = original
    assert run_collector(store, collector, clock).ok
    assert len(stored(store)) == 25
    assert github.requests[-1].query["since"] == "2026-11-22T00:58:00Z"
