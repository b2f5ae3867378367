"""The Sentry collector against the fake Sentry over real HTTP: pagination, faults, increments."""

from __future__ import annotations

import json
import logging
from datetime import datetime, timedelta, timezone
from pathlib import Path

import pytest
from streamlit.testing.v1 import AppTest

from collectors.base import run_collector
from collectors.sentry import SentryCollector
from hypercare import runtime
from hypercare.runtime import AppContext
from hypercare.store.read import frame
from hypercare.store.writes import read_checkpoint
from tests.fakes.sentry import TOO_MANY, FakeSentry, Fault
from tests.sentry_helpers import GO_LIVE, POLICY, TOKEN, make_config, seed

PAGE = str(Path(__file__).parents[1] / "dashboard" / "views" / "errors.py")


@pytest.fixture
def fake(clock):
    with FakeSentry(token=TOKEN, now=clock.now) as server:
        seed(server)
        yield server


@pytest.fixture(autouse=True)
def token(monkeypatch):
    monkeypatch.setenv("SENTRY_AUTH_TOKEN", TOKEN)


def collector(fake, tmp_path, clock, release=None, **sentry):
    return SentryCollector(make_config(fake.url, tmp_path, release=release, **sentry), clock, POLICY)


def table(store, name, order):
    return frame(store.cursor(), f"SELECT * FROM {name} ORDER BY {order}")


def issues(store):
    return table(store, "sentry_issues", "issue_id")


def state(store, scope):
    raw = read_checkpoint(store.cursor(), "sentry", scope)
    return json.loads(raw) if raw else None


def test_full_run_stores_every_status_with_numeric_counts(fake, store, clock, tmp_path):
    gone = fake.add_issue("web", "KeyError: 'plan'", GO_LIVE + timedelta(hours=1), count=7, user_count=2,
                          status="resolved", substatus=None)
    record = run_collector(store, collector(fake, tmp_path, clock), clock)
    assert record.ok, record.error
    got = issues(store).set_index("issue_id")
    assert len(got) == 11
    row = got.loc[str(gone.id)]
    assert row.status == "resolved" and row.event_count == 7 and row.project == "web"
    sent = [q for _, path, q in fake.requests if path.endswith("/issues/")]
    assert all(q["query"] == [""] and "collapse" not in q and q["limit"] == ["100"] for q in sent)
    assert all(q["environment"] == ["production"] for q in sent)


def test_error_counts_and_sessions(fake, store, clock, tmp_path):
    run_collector(store, collector(fake, tmp_path, clock), clock)
    counts = table(store, "error_counts", "project, bucket_start")
    hours = int((clock.now() - (GO_LIVE - timedelta(hours=168))).total_seconds() // 3600)
    assert len(counts) == 2 * hours
    assert set(counts.bucket_seconds) == {3600}
    assert counts[counts.project == "api"].events.eq(4).all() and counts[counts.project == "web"].events.eq(3).all()
    sessions = table(store, "session_health", "project, bucket_start")
    assert len(sessions) == 2 * 25  # T0 .. now, hourly, per project
    assert (sessions.sessions == 100).all() and (sessions.crashed == 3).all()
    stats = [q for _, path, q in fake.requests if path.endswith("/stats_v2/")]
    assert {q["groupBy"][0] for q in stats} == {"outcome"} and all(len(q["project"]) == 1 for q in stats)


def test_no_sessions_is_no_data(fake, store, clock, tmp_path):
    fake.sessions.clear()
    run_collector(store, collector(fake, tmp_path, clock), clock)
    assert table(store, "session_health", "project").empty


def test_pagination_over_many_short_pages(fake, store, clock, tmp_path):
    for n in range(30):
        fake.add_issue("api", f"ValueError {n}", GO_LIVE + timedelta(minutes=n))
    fake.short_pages = 1  # pages shorter than the limit are not the end
    record = run_collector(store, collector(fake, tmp_path, clock, page_size=5), clock)
    assert record.ok, record.error
    assert len(issues(store)) == 40
    assert fake.api_requests("/issues/") == 10


@pytest.mark.parametrize("style", ["wrapped", "no-cursor"])
def test_link_headers_formatted_differently(fake, store, clock, tmp_path, style):
    fake.link_style = style
    record = run_collector(store, collector(fake, tmp_path, clock, page_size=3), clock)
    assert record.ok, record.error
    assert len(issues(store)) == 10


def test_an_issue_that_moves_between_pages_is_stored_once(fake, store, clock, tmp_path):
    first = max(fake.issues.values(), key=lambda i: i.last_seen)
    calls = []

    def move(path):
        if path.endswith("/issues/"):
            calls.append(path)
            if len(calls) == 2:  # it gets older while we page: it shows up again further on
                fake.update_issue(first.id, last_seen=GO_LIVE - timedelta(days=3))

    fake.on_request = move
    record = run_collector(store, collector(fake, tmp_path, clock, page_size=3), clock)
    assert record.ok and len(issues(store)) == 10
    assert record.rows_written >= 10


def test_page_cap_records_an_incomplete_run_and_resumes(fake, store, clock, tmp_path):
    c = collector(fake, tmp_path, clock, page_size=2, max_pages=2)
    first = run_collector(store, c, clock)
    assert not first.ok and first.error.startswith("incomplete") and "max_pages" in first.error
    assert len(issues(store)) == 4
    assert state(store, "issues")["pass"]["cursor"]
    runs = [run_collector(store, c, clock) for _ in range(2)]
    assert [r.ok for r in runs] == [False, True]
    assert len(issues(store)) == 10 and state(store, "issues")["pass"] is None


def test_rate_limit_waits_for_the_reset_header(fake, store, clock, tmp_path):
    reset = int(clock.now().timestamp()) + 30
    fake.faults.append(Fault("/issues/", 429, json.dumps(TOO_MANY), {"X-Sentry-Rate-Limit-Reset": str(reset)}))
    record = run_collector(store, collector(fake, tmp_path, clock), clock)
    assert record.ok, record.error
    assert 30 in clock.slept and len(issues(store)) == 10


def test_rate_limit_without_headers_backs_off(fake, store, clock, tmp_path):
    fake.rate_limit_headers = False  # self-hosted
    fake.faults.append(Fault("/stats_v2/", 429, json.dumps(TOO_MANY), times=2))
    record = run_collector(store, collector(fake, tmp_path, clock), clock)
    assert record.ok, record.error
    assert clock.slept[:2] == [1.0, 2.0]  # exponential backoff (jitter pinned)


def test_slows_down_when_the_quota_is_nearly_spent(fake, store, clock, tmp_path):
    reset = int(clock.now().timestamp()) + 7
    fake.faults.append(Fault("/projects/", None, headers={}, times=0))
    original = fake.rate_headers
    fake.rate_headers = lambda: {**original(), "X-Sentry-Rate-Limit-Remaining": "1",
                                 "X-Sentry-Rate-Limit-Reset": str(reset)}
    run_collector(store, collector(fake, tmp_path, clock), clock)
    assert clock.slept and clock.slept[0] == 7


def test_server_errors_are_retried_then_recorded_without_half_writes(fake, store, clock, tmp_path):
    fake.faults.append(Fault("/issues/", 502, "<html><body>Bad gateway</body></html>", times=1,
                             content_type="text/html"))
    assert run_collector(store, collector(fake, tmp_path, clock), clock).ok
    before = issues(store)
    fake.faults.append(Fault("/issues/", 503, "", times=10))
    clock.advance(hours=2)  # a full sync is due
    record = run_collector(store, collector(fake, tmp_path, clock), clock)
    assert not record.ok and "503" in record.error and "after 4 attempts" in record.error
    assert issues(store).equals(before)


@pytest.mark.parametrize("status, detail, expected", [
    (401, {"detail": "Invalid token"}, "rejected the token in $SENTRY_AUTH_TOKEN"),
    (403, {"detail": "You do not have permission to perform this action."}, "event:read"),
    (404, {"detail": "The requested resource does not exist"}, "does not know"),
    (400, {"detail": ["Invalid query", {"start": "bad date"}]}, "Invalid query; start: bad date"),
])
def test_client_errors_are_permanent_and_explained(fake, store, clock, tmp_path, status, detail, expected):
    fake.faults.append(Fault("/projects/", status, detail))
    record = run_collector(store, collector(fake, tmp_path, clock), clock)
    assert not record.ok and expected in record.error
    assert fake.api_requests() == 1  # not retried


def test_html_instead_of_json_is_an_error_not_a_crash(fake, store, clock, tmp_path):
    fake.faults.append(Fault("/projects/", 200, "<html><body>Sign in</body></html>", content_type="text/html"))
    record = run_collector(store, collector(fake, tmp_path, clock), clock)
    assert not record.ok and "instead of JSON" in record.error and "unexpected" not in record.error


def test_a_slow_answer_times_out_and_is_retried(fake, store, clock, tmp_path):
    fake.faults.append(Fault("/projects/", None, delay=0.6))
    record = run_collector(store, collector(fake, tmp_path, clock, timeout_seconds=0.2), clock)
    assert record.ok, record.error
    assert fake.api_requests("/projects/") == 2


def test_second_run_asks_for_little_and_changes_nothing(fake, store, clock, tmp_path):
    fake.add_issue("web", "Seen just now", GO_LIVE, clock.now() - timedelta(minutes=2))  # inside the overlap
    c = collector(fake, tmp_path, clock)
    run_collector(store, c, clock)
    first_requests = fake.api_requests()
    snapshot = {t: table(store, t, o) for t, o in
                [("sentry_issues", "issue_id"), ("error_counts", "project, bucket_start"),
                 ("session_health", "project, bucket_start")]}
    clock.advance(minutes=5)
    record = run_collector(store, c, clock)
    assert record.ok
    second = fake.api_requests() - first_requests
    assert second == 2  # issues seen since the last pass (one, unchanged: no counts asked), release health
    for name, before in snapshot.items():
        order = "issue_id" if name == "sentry_issues" else "project, bucket_start"
        assert table(store, name, order).equals(before), name
    issue_query = [q for _, p, q in fake.requests if p.endswith("/issues/")][-1]
    assert issue_query["query"] == [""] and issue_query["sort"] == ["date"]  # no search syntax: one page, newest first


def test_incremental_run_picks_up_changes_and_their_counts(fake, store, clock, tmp_path):
    c = collector(fake, tmp_path, clock)
    run_collector(store, c, clock)
    clock.advance(minutes=5)
    hot = next(i for i in fake.issues.values() if fake.projects[i.project_id] == "api")
    fake.update_issue(hot.id, last_seen=clock.now(), count=999)
    fake.add_error_counts("api", clock.now(), [50])
    new = fake.add_issue("web", "ZeroDivisionError", clock.now(), count=2)
    run_collector(store, c, clock)
    got = issues(store).set_index("issue_id")
    assert got.loc[str(hot.id)].event_count == 999 and str(new.id) in got.index
    counts = table(store, "error_counts", "bucket_start")
    assert counts[(counts.project == "api") & (counts.bucket_start == clock.now().replace(minute=0))].events.item() == 54
    stats = [q for _, p, q in fake.requests if p.endswith("/stats_v2/")]
    assert len(stats) == 2 + 2  # the full run's two projects, then both touched projects again


def test_full_sync_sees_an_issue_resolved_without_new_events(fake, store, clock, tmp_path):
    c = collector(fake, tmp_path, clock, full_sync_minutes=60, page_size=3)
    run_collector(store, c, clock)
    target = min(fake.issues.values(), key=lambda i: i.last_seen)  # not on the first page of an incremental run
    fake.update_issue(target.id, status="resolved", substatus=None)
    clock.advance(minutes=30)
    run_collector(store, c, clock)
    assert issues(store).set_index("issue_id").loc[str(target.id)].status == "unresolved"  # not read
    clock.advance(minutes=31)
    run_collector(store, c, clock)
    assert issues(store).set_index("issue_id").loc[str(target.id)].status == "resolved"


def test_failure_mid_pagination_keeps_the_checkpoint_at_the_last_page(fake, store, clock, tmp_path):
    c = collector(fake, tmp_path, clock, page_size=3)
    fake.faults.append(Fault("/issues/", 500, {"detail": "Internal Error"}, times=4, skip=2))
    record = run_collector(store, c, clock)
    assert not record.ok
    assert len(issues(store)) == 6
    saved = state(store, "issues")["pass"]
    assert saved["cursor"] and saved["full"]
    before = fake.api_requests("/issues/")
    assert run_collector(store, c, clock).ok
    assert fake.api_requests("/issues/") - before == 2  # pages 3 and 4 only
    assert len(issues(store)) == 10 and state(store, "issues")["pass"] is None


def test_the_token_appears_nowhere(fake, store, clock, tmp_path, caplog):
    caplog.set_level(logging.DEBUG)
    fake.faults.append(Fault("/issues/", 403, {"detail": f"token {TOKEN} lacks event:read"}))
    fake.faults.append(Fault("/stats_v2/", 503, f"upstream said {TOKEN}", times=10))
    run_collector(store, collector(fake, tmp_path, clock), clock)
    run_collector(store, collector(fake, tmp_path, clock), clock)
    cur = store.cursor()
    tables = [r[0] for r in cur.execute("SELECT table_name FROM information_schema.tables").fetchall()]
    dump = "".join(frame(cur, f'SELECT * FROM "{t}"').to_csv() for t in tables)
    assert "lacks event:read" in dump  # the error was recorded, scrubbed
    assert TOKEN not in dump and TOKEN not in caplog.text
    runtime.set_context(AppContext(make_config(fake.url, tmp_path), store, clock))
    at = AppTest.from_file(PAGE, default_timeout=30).run()
    shown = [e.value for e in (*at.error, *at.info, *at.metric)] + [d.value.to_csv() for d in at.dataframe]
    assert "The last Sentry collection failed" in " ".join(shown) and TOKEN not in " ".join(shown)


def test_missing_token_is_a_clear_permanent_error(fake, store, clock, tmp_path, monkeypatch):
    monkeypatch.delenv("SENTRY_AUTH_TOKEN")
    record = run_collector(store, collector(fake, tmp_path, clock), clock)
    assert not record.ok and "$SENTRY_AUTH_TOKEN is empty" in record.error
    assert fake.api_requests() == 0


def test_unknown_project_is_named(fake, store, clock, tmp_path):
    c = SentryCollector(make_config(fake.url, tmp_path, projects=["web", "mobile"]), clock, POLICY)
    record = run_collector(store, c, clock)
    assert not record.ok and "mobile" in record.error and "api, web" in record.error


def test_go_live_is_read_from_the_deploy_and_written_to_releases(fake, store, clock, tmp_path):
    version = "shop/web+build 2@1"  # '/', '+', ' ' and '@' in one path segment
    fake.add_release(version, deploys=[
        {"environment": "staging", "dateFinished": "2026-11-20T10:00:00Z"},
        {"environment": "production", "dateStarted": "2026-11-23T09:40:00Z", "dateFinished": "2026-11-23T09:55:00Z"},
    ], dateCreated="2026-11-19T08:00:00Z")
    config = make_config(fake.url, tmp_path, release={"go_live_at": None, "version": version})
    record = run_collector(store, SentryCollector(config, clock, POLICY), clock)
    assert record.ok, record.error
    expected = datetime(2026, 11, 23, 9, 55, tzinfo=timezone.utc)
    assert AppContext(config, store, clock).go_live_at() == expected
    assert any(p.endswith("/releases/shop%2Fweb%2Bbuild%202%401/deploys/") for _, p, _ in fake.requests)


def test_go_live_unknown_says_what_to_do(fake, store, clock, tmp_path):
    fake.add_release("shop@3")
    config = make_config(fake.url, tmp_path, release={"go_live_at": None, "version": "shop@3"})
    record = run_collector(store, SentryCollector(config, clock, POLICY), clock)
    assert not record.ok and "no finished deploy to production" in record.error and "go_live_at" in record.error


def test_long_baseline_uses_a_coarser_interval(fake, store, clock, tmp_path):
    c = collector(fake, tmp_path, clock, release={"baseline_hours": 24 * 45})
    assert run_collector(store, c, clock).ok
    assert set(table(store, "error_counts", "project").bucket_seconds) == {7200}
    assert {q["interval"][0] for _, p, q in fake.requests if p.endswith("/stats_v2/")} == {"2h"}


def test_an_html_error_page_is_explained(fake, store, clock, tmp_path):
    fake.faults.append(Fault("/projects/", 404, "<!DOCTYPE html><html><h1>Not Found</h1></html>", content_type="text/html"))
    record = run_collector(store, collector(fake, tmp_path, clock), clock)
    assert not record.ok and "an HTML page instead of Sentry's JSON" in record.error


def test_a_checkpoint_it_cannot_read_starts_a_full_sync(fake, store, clock, tmp_path):
    from hypercare.store.writes import save_checkpoint

    with store.transaction() as cur:  # e.g. a bare timestamp, as the demo writes
        save_checkpoint(cur, "sentry", "issues", "2026-11-24T10:57:00+00:00", clock.now())
    record = run_collector(store, collector(fake, tmp_path, clock), clock)
    assert record.ok and len(issues(store)) == 10 and state(store, "issues")["last_full_at"]


def test_counts_of_a_changed_project_are_polled_even_after_a_failed_run(fake, store, clock, tmp_path):
    c = collector(fake, tmp_path, clock)
    run_collector(store, c, clock)
    clock.advance(minutes=5)
    hot = next(i for i in fake.issues.values() if fake.projects[i.project_id] == "api")
    fake.update_issue(hot.id, last_seen=clock.now(), count=hot.count + 7)
    fake.add_error_counts("api", clock.now(), [7])
    fake.faults.append(Fault("/stats_v2/", 503, "", times=4))
    assert not run_collector(store, c, clock).ok  # the issue is stored, its counts are not
    assert state(store, "error_counts")["dirty"] == ["api"]
    clock.advance(minutes=5)
    assert run_collector(store, c, clock).ok
    counts = table(store, "error_counts", "bucket_start")
    this_hour = clock.now().replace(minute=0, second=0)  # the retries' waits moved the clock a few seconds
    assert counts[(counts.project == "api") & (counts.bucket_start == this_hour)].events.item() == 11
    assert state(store, "error_counts")["dirty"] == []
