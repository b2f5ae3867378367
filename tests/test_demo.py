"""The demo go-live's story, as numbers read back from its database."""

from __future__ import annotations

from datetime import timedelta

from hypercare.demo import CHECKOUT_ISSUE_ID, DEMO_NOW, build_demo, demo_window
from hypercare.store.read import frame, scalar


def test_window_is_72_hours_and_the_clock_is_pinned_inside_it(demo):
    config, _ = demo
    window = demo_window(config)
    assert window.end - window.go_live_at == timedelta(hours=72)
    local = window.local(window.go_live_at)
    assert (local.strftime("%A %H:%M"), str(local.tzinfo)) == ("Sunday 22:00", "Europe/Brussels")
    assert window.phase(DEMO_NOW) == "hypercare"
    assert 36 <= window.hours_since_go_live(DEMO_NOW) <= 40


def test_new_issue_at_t_plus_9h_hits_hundreds_of_users_and_is_fixed_by_t_plus_14h(demo):
    config, store = demo
    window = demo_window(config)
    issue = frame(store.cursor(), "SELECT * FROM sentry_issues WHERE issue_id = ?", [CHECKOUT_ISSUE_ID]).iloc[0]
    hours_in = (issue.first_seen - window.go_live_at).total_seconds() / 3600
    assert 8.5 <= hours_in <= 9.5
    assert issue.user_count >= 200 and issue.status == "resolved"
    fixed = (issue.last_seen - window.go_live_at).total_seconds() / 3600
    assert 13.5 <= fixed <= 14.5
    # the error counts show the burst and its end
    per_hour = lambda h: scalar(store.cursor(), "SELECT sum(events) FROM error_counts WHERE bucket_start >= ? AND bucket_start < ?",  # noqa: E731
                                [window.go_live_at + timedelta(hours=h), window.go_live_at + timedelta(hours=h + 1)])
    assert per_hour(10) > 4 * per_hour(16)


def test_monday_morning_ticket_surge_is_mostly_usage_questions(demo):
    config, store = demo
    window = demo_window(config)
    # Monday 08:00-12:00 Brussels, and the same hours of the Monday before (the baseline)
    start = window.go_live_at + timedelta(hours=10)
    surge = frame(store.cursor(), "SELECT category FROM tickets WHERE created_at >= ? AND created_at < ?",
                  [start, start + timedelta(hours=4)])
    baseline = scalar(store.cursor(), "SELECT count(*) FROM tickets WHERE created_at >= ? AND created_at < ?",
                      [start - timedelta(days=7), start - timedelta(days=7, hours=-4)])
    assert window.local(start).strftime("%A %H:%M") == "Monday 08:00"
    assert len(surge) >= 3 * max(baseline, 1)
    assert (surge["category"] == "usage").mean() >= 0.70


def test_payment_provider_check_flaps_inside_the_window_only(demo):
    config, store = demo
    window = demo_window(config)
    failures = frame(store.cursor(), "SELECT checked_at FROM health_checks WHERE check_name = 'payment-provider' AND NOT ok "
                     "AND checked_at >= ?", [window.go_live_at + timedelta(hours=1)])
    assert len(failures) >= 20
    assert failures["checked_at"].min() >= window.go_live_at + timedelta(hours=17)


def test_decisions_include_go_and_a_declined_rollback(demo):
    _, store = demo
    decisions = frame(store.cursor(), "SELECT kind, summary, reason FROM decisions ORDER BY decided_at")
    assert decisions["kind"].iloc[0] == "go"
    declined = decisions[decisions["summary"].str.contains("Rollback considered and declined")]
    assert len(declined) == 1 and declined["reason"].iloc[0]


def test_every_table_the_pages_read_has_rows(demo):
    _, store = demo
    for table in ("releases", "sentry_issues", "error_counts", "session_health", "health_checks", "health_rollup",
                  "tickets", "decisions", "planned_periods", "collector_runs", "checkpoints"):
        assert scalar(store.cursor(), f"SELECT count(*) FROM {table}") > 0, table
    assert scalar(store.cursor(), "SELECT max(checked_at) FROM health_checks") < DEMO_NOW  # nothing from the future


def test_same_seed_gives_the_same_data(tmp_path, demo):
    config, store = demo
    again = build_demo(tmp_path / "again.duckdb", config)
    query = "SELECT md5(string_agg(t::VARCHAR, '|' ORDER BY t::VARCHAR)) FROM {} t"
    for table in ("error_counts", "health_checks", "tickets", "sentry_issues"):
        assert scalar(again.cursor(), query.format(table)) == scalar(store.cursor(), query.format(table)), table
    again.close()


def test_every_demo_issue_has_its_own_short_id(demo):
    _, store = demo
    total, distinct = store.cursor().execute("SELECT count(*), count(DISTINCT short_id) FROM sentry_issues").fetchall()[0]
    assert total == distinct > 10
