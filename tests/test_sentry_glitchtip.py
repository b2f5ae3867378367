"""The Sentry collector against GlitchTip (the fake speaks its real API) and against Sentry
servers that lack an optional endpoint: per-endpoint degradation, the sort GlitchTip accepts,
incremental runs without search syntax, users unknown, go-live without deploys."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from datetime import datetime, timedelta, timezone
from pathlib import Path

import pytest
import sentry_sdk
from streamlit.testing.v1 import AppTest

from collectors.base import run_collector
from collectors.sentry import SentryCollector
from hypercare import runtime
from hypercare.clock import FixedClock
from hypercare.config import parse_config
from hypercare.runtime import AppContext
from hypercare.store import Store
from hypercare.store.queries.sentry_server import server_offer
from hypercare.store.read import frame, scalar
from hypercare.store.writes import read_checkpoint
from hypercare.verdict import evaluate
from tests.fakes.glitchtip import FakeGlitchTip
from tests.fakes.sentry import FakeSentry, Fault
from tests.sentry_helpers import GO_LIVE, POLICY, TOKEN, make_config, seed

ROOT = Path(__file__).parents[1]
PAGE = str(ROOT / "dashboard" / "views" / "errors.py")


@pytest.fixture(autouse=True)
def token(monkeypatch):
    monkeypatch.setenv("SENTRY_AUTH_TOKEN", TOKEN)


@pytest.fixture
def glitchtip(clock):
    with FakeGlitchTip(token=TOKEN, now=clock.now) as server:
        seed(server)
        yield server


@pytest.fixture
def sentry(clock):
    with FakeSentry(token=TOKEN, now=clock.now) as server:
        seed(server)
        yield server


def collector(fake, tmp_path, clock, release=None, **sentry):
    return SentryCollector(make_config(fake.url, tmp_path, release=release, **sentry), clock, POLICY)


def issues(store):
    return frame(store.cursor(), "SELECT * FROM sentry_issues ORDER BY issue_id").set_index("issue_id")


def checkpoint(store, scope):
    return read_checkpoint(store.cursor(), "sentry", scope)


def issue_requests(fake):
    return [q for _, path, q in fake.requests if path.endswith("/issues/")]


def test_first_run_on_glitchtip_is_partial_and_stores_issues_and_counts_exactly(glitchtip, store, clock, tmp_path):
    quiet = int((GO_LIVE + timedelta(hours=3)).timestamp())
    for slug in ("api", "web"):
        del glitchtip.errors[glitchtip.project_id(slug)][quiet]  # an hour without events: GlitchTip says null
    record = run_collector(store, collector(glitchtip, tmp_path, clock), clock)
    assert record.ok and record.status == "partial", record.error
    assert "not offered by this server (GlitchTip 4.2.5)" in record.error
    assert scalar(store.cursor(), "SELECT status FROM collector_runs WHERE run_id = ?", [record.run_id]) == "partial"
    assert "release-health sessions" in record.error and "users per issue" in record.error
    got = issues(store)
    assert len(got) == 10 and record.rows_written >= 10
    assert got.user_count.isna().all()  # GlitchTip's userCount is always 0: unknown, not 0
    assert got.substatus.isna().all() and got.hourly_events.isna().all()
    expected = {str(i.id): i.count for i in glitchtip.issues.values()}
    assert got.event_count.to_dict() == expected
    counts = frame(store.cursor(), "SELECT project, sum(events)::BIGINT AS n, count(*) AS buckets FROM error_counts GROUP BY 1 ORDER BY 1")
    start, end = int((GO_LIVE - timedelta(hours=168)).timestamp()), int(clock.now().timestamp())
    sent = {slug: sum(n for h, n in glitchtip.errors[glitchtip.project_id(slug)].items() if start <= h < end)
            for slug in ("api", "web")}
    assert dict(zip(counts.project, counts.n)) == sent
    assert set(counts.buckets) == {(end - start) // 3600}  # the quiet hour is a 0, not a gap
    zero = frame(store.cursor(), "SELECT events FROM error_counts WHERE bucket_start = to_timestamp(?)", [quiet])
    assert list(zero.events) == [0, 0]
    assert frame(store.cursor(), "SELECT * FROM session_health").empty
    sorts = [q["sort"][0] for q in issue_requests(glitchtip)]
    assert sorts == ["date", "-last_seen"]  # 422 on Sentry's sort, then GlitchTip's
    offer = server_offer(store.cursor())
    assert (offer.kind, offer.version, offer.sort) == ("glitchtip", "4.2.5", "-last_seen")
    assert offer.missing == {"sessions": "404"}


def test_incremental_run_on_glitchtip_sees_new_events_without_search_or_full_reread(glitchtip, store, clock, tmp_path):
    c = collector(glitchtip, tmp_path, clock, page_size=3)
    run_collector(store, c, clock)
    full_requests = len(issue_requests(glitchtip))
    clock.advance(minutes=5)
    hot = next(i for i in glitchtip.issues.values() if glitchtip.projects[i.project_id] == "api")
    glitchtip.update_issue(hot.id, last_seen=clock.now(), count=hot.count + 5)
    glitchtip.add_error_counts("api", clock.now(), [5])
    new = glitchtip.add_issue("web", "ZeroDivisionError", clock.now() - timedelta(minutes=1), count=2)
    before = len(glitchtip.requests)
    record = run_collector(store, c, clock)
    assert record.ok, record.error
    got = issues(store)
    assert got.loc[str(hot.id)].event_count == hot.count and str(new.id) in got.index
    asked = issue_requests(glitchtip)[full_requests:]
    assert len(asked) == 1 and asked[0]["query"] == [""] and asked[0]["sort"] == ["-last_seen"]  # remembered
    paths = [p for _, p, _ in glitchtip.requests[before:]]
    assert not any(p.endswith("/sessions/") for p in paths)  # not offered: not asked again until a full sync
    assert not any("/api/settings/" in p for p in paths)
    this_hour = clock.now().replace(minute=0, second=0, microsecond=0)
    n = scalar(store.cursor(), "SELECT events FROM error_counts WHERE project = 'api' AND bucket_start = ?", [this_hour])
    assert n == 4 + 5


def test_a_long_baseline_on_glitchtip_uses_daily_counts(glitchtip, store, clock, tmp_path):
    record = run_collector(store, collector(glitchtip, tmp_path, clock, release={"baseline_hours": 24 * 45}), clock)
    assert record.ok, record.error
    assert {q["interval"][0] for _, p, q in glitchtip.requests if p.endswith("/stats_v2/")} == {"1d"}  # never 2h
    assert set(frame(store.cursor(), "SELECT bucket_seconds FROM error_counts").bucket_seconds) == {86400}


def test_a_self_hosted_sentry_without_stats_v2_keeps_issues_and_says_not_offered(sentry, store, clock, tmp_path):
    sentry.faults.append(Fault("/stats_v2/", 404, {"detail": "The requested resource does not exist"}))
    config = make_config(sentry.url, tmp_path)
    record = run_collector(store, SentryCollector(config, clock, POLICY), clock)
    assert record.status == "partial" and "error counts (stats_v2)" in record.error
    assert len(issues(store)) == 10 and frame(store.cursor(), "SELECT * FROM error_counts").empty
    assert sentry.api_requests("/stats_v2/") == 1  # the first project's 404 answers for the server
    at = open_errors_page(config, store, clock)
    assert "Errors per hour: not offered: this server (Sentry) doesn't offer error counts (stats_v2)." in [i.value for i in at.info]


def test_a_full_sync_asks_again_what_the_server_offers(glitchtip, store, clock, tmp_path):
    c = collector(glitchtip, tmp_path, clock, full_sync_minutes=60)
    run_collector(store, c, clock)
    clock.advance(minutes=61)
    before = len(glitchtip.requests)
    run_collector(store, c, clock)
    paths = [p for _, p, _ in glitchtip.requests[before:]]
    assert "/api/settings/" in paths and any(p.endswith("/sessions/") for p in paths)


def test_sessions_vanishing_mid_way_make_the_run_partial_not_failed(sentry, store, clock, tmp_path):
    c = collector(sentry, tmp_path, clock, full_sync_minutes=60)
    first = run_collector(store, c, clock)
    assert first.status == "ok" and first.error is None
    stored = frame(store.cursor(), "SELECT count(*) AS n FROM session_health").n.item()
    assert stored > 0
    clock.advance(minutes=61)
    sentry.faults.append(Fault("/sessions/", 404, {"detail": "The requested resource does not exist"}, times=99))
    record = run_collector(store, c, clock)
    assert record.status == "partial" and "release-health sessions" in record.error and "(Sentry)" in record.error
    assert "slug" not in record.error  # not a wrong org or project: an endpoint this server lacks
    assert frame(store.cursor(), "SELECT count(*) AS n FROM session_health").n.item() == stored  # kept as collected
    assert server_offer(store.cursor()).missing == {"sessions": "404"}


@pytest.mark.parametrize("fault", [
    Fault("/sessions/", 405, {"detail": 'Method "GET" not allowed.'}),
    Fault("/sessions/", 200, "<!doctype html><html><body>Sentry</body></html>", content_type="text/html"),
])
def test_405_or_an_html_page_is_not_offered(sentry, store, clock, tmp_path, fault):
    sentry.faults.append(fault)
    record = run_collector(store, collector(sentry, tmp_path, clock), clock)
    assert record.ok and "release-health sessions" in record.error


def test_a_5xx_on_an_optional_endpoint_is_a_failure_never_not_offered(sentry, store, clock, tmp_path):
    sentry.faults.append(Fault("/sessions/", 503, "", times=10))
    record = run_collector(store, collector(sentry, tmp_path, clock), clock)
    assert record.status == "failed" and "503" in record.error
    assert server_offer(store.cursor()).missing == {}
    assert record.rows_written == len(issues(store)) + frame(store.cursor(), "SELECT count(*) AS n FROM error_counts").n.item()
    assert record.rows_written > 10  # what was written before the failure is reported exactly


def test_a_404_on_the_issues_is_still_a_slug_problem(sentry, store, clock, tmp_path):
    sentry.faults.append(Fault("/issues/", 404, {"detail": "The requested resource does not exist"}))
    record = run_collector(store, collector(sentry, tmp_path, clock), clock)
    assert not record.ok and "does not know the issues" in record.error and "project slugs" in record.error


def test_go_live_without_deploys_falls_back_to_the_release_date(glitchtip, store, clock, tmp_path):
    glitchtip.add_release("shop@2.0.0", dateCreated="2026-11-22T08:00:00Z", dateReleased="2026-11-23T09:30:00Z")
    config = make_config(glitchtip.url, tmp_path, release={"go_live_at": None})
    record = run_collector(store, SentryCollector(config, clock, POLICY), clock)
    assert record.ok, record.error
    assert AppContext(config, store, clock).go_live_at() == datetime(2026, 11, 23, 9, 30, tzinfo=timezone.utc)
    assert "go-live 2026-11-23T09:30:00Z taken from the release dateReleased (this server has no deploys)" in record.error
    assert "deploys" in server_offer(store.cursor()).missing


def test_a_release_the_token_may_not_read_names_the_scope(clock, store, tmp_path):
    with FakeGlitchTip(token=TOKEN, now=clock.now, scopes=("org:read", "project:read", "event:read")) as fake:
        seed(fake)
        fake.add_release("shop@2.0.0", dateCreated="2026-11-22T08:00:00Z")
        config = make_config(fake.url, tmp_path, release={"go_live_at": None})
        record = run_collector(store, SentryCollector(config, clock, POLICY), clock)
    assert not record.ok and "project:releases" in record.error and "go_live_at" in record.error


def test_glitchtip_with_old_html_404_pages(clock, store, tmp_path):
    with FakeGlitchTip(token=TOKEN, now=clock.now, html_404=True) as fake:
        seed(fake)
        record = run_collector(store, collector(fake, tmp_path, clock), clock)
    assert record.ok and "release-health sessions" in record.error


# --- malformed but well-formed answers (issue 11, item 6) -------------------------------------

@pytest.mark.parametrize("body, named", [
    ([1, 2], "a list where an object was expected"),
    ({}, "no `intervals`"),
    ({"intervals": ["Tuesday"], "groups": []}, "`intervals.0` = 'Tuesday'"),
    ({"intervals": [], "groups": [{"series": {"sum(quantity)": "many"}}]}, "`groups.0.series.sum(quantity)`"),
])
def test_a_malformed_stats_answer_fails_the_run_and_moves_no_checkpoint(sentry, store, clock, tmp_path, body, named):
    sentry.faults.append(Fault("/stats_v2/", 200, body))
    record = run_collector(store, collector(sentry, tmp_path, clock), clock)
    assert not record.ok
    assert "error counts of project 'web' (stats_v2)" in record.error and named in record.error
    assert "unexpected" not in record.error
    counts = json.loads(checkpoint(store, "error_counts") or "{}")
    assert "web" not in (counts.get("polled_to") or {})
    assert frame(store.cursor(), "SELECT * FROM error_counts WHERE project = 'web'").empty


def test_an_empty_sessions_answer_fails_the_run_and_moves_no_checkpoint(sentry, store, clock, tmp_path):
    sentry.faults.append(Fault("/sessions/", 200, {}))
    record = run_collector(store, collector(sentry, tmp_path, clock), clock)
    assert not record.ok and "release health (sessions) (sessions) with no `intervals`" in record.error
    assert checkpoint(store, "sessions") is None


def test_malformed_issues_are_skipped_and_counted(sentry, store, clock, tmp_path):
    def break_some(rows):
        rows[0] = {k: v for k, v in rows[0].items() if k != "project"}
        rows[1] = {**rows[1], "title": None}
        rows[2] = {**rows[2], "lastSeen": "not a date"}
        return rows

    real_issues = sentry._issues

    def issues_with_breakage(q, base):
        status, rows, headers = real_issues(q, base)
        return status, break_some(rows) if status == 200 else rows, headers

    sentry._issues = issues_with_breakage
    record = run_collector(store, collector(sentry, tmp_path, clock), clock)
    assert record.ok, record.error
    assert "skipped 3 malformed item(s)" in record.error
    assert "no `project`" in record.error and "`title` = None" in record.error and "`lastSeen` = 'not a date'" in record.error
    got = issues(store)
    assert len(got) == 7 and got.title.notna().all() and got.project.notna().all() and got.last_seen.notna().all()


# --- the Errors page agrees with itself ---------------------------------------------------------

def open_errors_page(config, store, clock):
    runtime.set_context(AppContext(config, store, clock))
    at = AppTest.from_file(PAGE, default_timeout=30).run()
    assert not at.exception, at.exception
    return at


def add_new_issues(fake):
    for n, slug in enumerate(("web", "api", "web")):
        fake.add_issue(slug, f"CheckoutError {n}", GO_LIVE + timedelta(hours=n + 1), count=5 + n, user_count=2 + n)


def test_errors_page_on_glitchtip_says_not_offered_where_it_applies(glitchtip, store, clock, tmp_path):
    add_new_issues(glitchtip)
    config = make_config(glitchtip.url, tmp_path)
    assert run_collector(store, SentryCollector(config, clock, POLICY), clock).ok
    at = open_errors_page(config, store, clock)
    tiles = {m.label: m.value for m in at.metric}
    new = frame(store.cursor(), "SELECT count(*) AS n FROM sentry_issues WHERE first_seen >= ?", [GO_LIVE]).n.item()
    assert tiles == {"New issues since go-live": f"{new:,}", "Users hit by new issues": "not offered",
                     "Regressions": "not offered", "Crash-free sessions": "not offered"}
    infos = [i.value for i in at.info]
    assert infos == ["Regressions: not offered: this server (GlitchTip 4.2.5) doesn't offer regressions (issue substatus).",
                     "Crash-free rate: not offered: this server (GlitchTip 4.2.5) doesn't offer release-health sessions."]
    assert not at.error
    table = at.dataframe[0].value
    assert len(table) == new and "users" not in table.columns
    assert not any(c.startswith("events ") for c in table.columns)  # no per-issue trend on GlitchTip
    assert not table.isna().any().any()  # no None/NaN cell
    captions = [c.value for c in at.caption]
    assert any("Partial: not offered by this server" in c for c in captions)
    assert f"{new} issues · no hourly trend: this server (GlitchTip 4.2.5) doesn't offer hourly events per issue" in captions


def test_errors_page_on_sentry_keeps_every_figure(sentry, store, clock, tmp_path):
    add_new_issues(sentry)
    config = make_config(sentry.url, tmp_path)
    assert run_collector(store, SentryCollector(config, clock, POLICY), clock).ok
    at = open_errors_page(config, store, clock)
    tiles = {m.label: m.value for m in at.metric}
    assert "not offered" not in tiles.values() and "unknown" not in tiles.values()
    users = frame(store.cursor(), "SELECT sum(user_count) AS n FROM sentry_issues WHERE first_seen >= ?", [GO_LIVE]).n.item()
    assert users == 2 + 3 + 4 and tiles["Users hit by new issues"] == "4–9"  # most by one issue – sum
    assert "users" in at.dataframe[0].value.columns


# --- end to end: the real sentry-sdk -> GlitchTip -> collector -> DuckDB -> Errors page -------------

def checkout(cart: dict) -> float:
    return sum(cart["prices"].values()) / len(cart["items"])


def test_real_sdk_to_glitchtip_to_the_errors_page(store, tmp_path):
    real_now = datetime.now(timezone.utc)  # the SDK stamps events with the wall clock
    clock = FixedClock(real_now + timedelta(minutes=1))
    with FakeGlitchTip(token=TOKEN, now=clock.now) as fake:
        sentry_sdk.init(dsn=fake.dsn("web"), release="shop@2.0.0", environment="production", default_integrations=False)
        try:
            for user in ("u1", "u2", "u1"):
                sentry_sdk.set_user({"id": user})
                try:
                    checkout({"prices": {}, "items": []})
                except ZeroDivisionError as exc:
                    sentry_sdk.capture_exception(exc)
            sentry_sdk.capture_message("payment provider slow")
            sentry_sdk.flush(timeout=5)
        finally:
            sentry_sdk.get_client().close(timeout=2)
        assert fake.envelopes == 4
        config = make_config(fake.url, tmp_path, release={"go_live_at": (real_now - timedelta(hours=2)).isoformat()})
        record = run_collector(store, SentryCollector(config, clock, POLICY), clock)
    assert record.ok and "not offered" in record.error
    got = frame(store.cursor(), "SELECT title, event_count, user_count FROM sentry_issues ORDER BY title")
    assert list(got.title) == ["ZeroDivisionError: division by zero", "payment provider slow"]
    assert list(got.event_count) == [3, 1] and got.user_count.isna().all()
    assert frame(store.cursor(), "SELECT sum(events) AS n FROM error_counts WHERE project = 'web'").n.item() == 4
    at = open_errors_page(config, store, clock)
    tiles = {m.label: m.value for m in at.metric}
    assert tiles["New issues since go-live"] == "2" and tiles["Users hit by new issues"] == "not offered"
    assert list(at.dataframe[0].value["events"]) == ["3", "1"]


def test_collect_once_exits_0_on_a_partial_run_and_says_what_is_not_offered(tmp_path):
    now = datetime.now(timezone.utc)  # the CLI runs on the system clock
    with FakeGlitchTip(token=TOKEN) as fake:
        fake.add_issue("web", "TypeError: boom", now - timedelta(hours=1), now - timedelta(minutes=5), count=4)
        fake.add_error_counts("web", now - timedelta(hours=3), [1, 2, 3])
        config = tmp_path / "hypercare.toml"
        config.write_text(f"""
[release]
name = "Shop"
go_live_at = "{(now - timedelta(hours=2)).isoformat()}"
baseline_hours = 24

[store]
path = "hypercare.duckdb"

[sentry]
base_url = "{fake.url}"
org = "acme"
projects = ["web", "api"]
""")
        env = {**os.environ, "SENTRY_AUTH_TOKEN": TOKEN}
        done = subprocess.run([sys.executable, "-m", "hypercare.cli", "collect", "--once", "--only", "sentry",
                               "--config", str(config)], cwd=ROOT, env=env, capture_output=True, text=True, timeout=60)
    assert done.returncode == 0, done.stdout + done.stderr
    line = done.stdout.splitlines()[0]
    store = Store(tmp_path / "hypercare.duckdb")
    try:
        rows = scalar(store.cursor(), "SELECT (SELECT count(*) FROM sentry_issues) + (SELECT count(*) FROM error_counts)")
    finally:
        store.close()
    assert rows > 40 and line.startswith(f"sentry: {rows} rows, "), line
    assert "partial; note: not offered by this server (GlitchTip 4.2.5): release-health sessions, users per issue" in line


@pytest.mark.parametrize("server, expected", [("glitchtip", ("insufficient data", "not offered")),
                                              ("sentry", ("met", "collected"))])
def test_a_rule_on_users_says_not_offered_on_glitchtip_never_a_confident_0(server, expected, request, store, clock, tmp_path):
    fake = request.getfixturevalue(server)
    add_new_issues(fake)
    config = make_config(fake.url, tmp_path)
    assert run_collector(store, SentryCollector(config, clock, POLICY), clock).ok
    rule = {"name": "big new issue", "metric": "new_issue_users", "op": ">=", "threshold": 3, "level": "critical",
            "over": "window"}
    config = parse_config({**config.model_dump(mode="json", exclude_none=True), "rules": [rule]}, base_dir=tmp_path)
    (result,) = evaluate(store.cursor(), config, AppContext(config, store, clock).window(), clock.now()).rules
    assert (result.result, result.state) == expected
    if server == "glitchtip":
        assert result.reason == "this server (GlitchTip 4.2.5) doesn't offer users per issue" and result.value is None
    else:
        assert result.value == 4  # the most users one new issue hit
