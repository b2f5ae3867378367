"""Each metric against an independent computation on known rows (plain Python over the rows
written), including a DST change inside `over`, a zero baseline and a planned period."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone
from zoneinfo import ZoneInfo

import pyarrow as pa
import pytest

from hypercare.store.writes import append_rows
from hypercare.verdict import evaluate
from hypercare.verdict.language import Over
from hypercare.verdict.metrics import CATALOGUE, Inputs, Scope
from hypercare.window import Period, Window
from tests.verdict_helpers import GO_LIVE, TS, error_buckets, health_results, issues, make_config, runs, tickets

TZ = ZoneInfo("Europe/Brussels")
H = timedelta(hours=1)


def measure(store, window, name, period, scope=Scope(), target=99.9, checks=("api", "web")):
    return CATALOGUE[name].measure(Inputs(store.cursor(), window, target, checks), period, scope)


def events(t: datetime) -> int:
    return int(t.timestamp() // 3600) % 13 + 2


def test_errors_vs_baseline_across_a_dst_change(store):
    # go-live Saturday 28 March 2026 22:00 CET; summer time starts Sunday 02:00 local
    go_live = datetime(2026, 3, 28, 21, 0, tzinfo=timezone.utc)
    window = Window(go_live, 72, 168, "Europe/Brussels")
    hours = [window.baseline_start + k * H for k in range(240)]
    error_buckets(store, {t: events(t) for t in hours})
    period = Over("hours", 6).period(window, go_live + timedelta(hours=8, minutes=20))  # 00:00–06:00 UTC Sunday
    got = measure(store, window, "errors_vs_baseline", period)
    # independently: the same local wall-clock hours a week earlier, as rates per hour
    now_rate = sum(events(period.start + k * H) for k in range(6)) / 6
    start_local = period.start.astimezone(TZ).replace(tzinfo=None) - timedelta(days=7)
    end_local = period.end.astimezone(TZ).replace(tzinfo=None) - timedelta(days=7)
    lo, hi = start_local.replace(tzinfo=TZ).astimezone(timezone.utc), end_local.replace(tzinfo=TZ).astimezone(timezone.utc)
    copy = [t for t in hours if lo <= t < hi]
    assert len(copy) == 7  # local 01:00–08:00 a week before is 7 real hours; the window's 6 hours skip 02:00
    base_rate = sum(events(t) for t in copy) / len(copy)
    assert got.value == pytest.approx(now_rate / base_rate)
    assert (got.current, got.baseline, got.samples) == (pytest.approx(now_rate), pytest.approx(base_rate), 6)


WINDOW = Window(GO_LIVE, 72, 168, "Europe/Brussels")
HOUR9 = Period(GO_LIVE + 9 * H, GO_LIVE + 10 * H)


def test_a_zero_baseline_gives_no_ratio_and_says_why(store, tmp_path):
    tickets(store, [{"created_at": HOUR9.start + timedelta(minutes=m)} for m in (5, 25)])
    got = measure(store, WINDOW, "tickets_per_hour_vs_baseline", HOUR9)
    assert (got.value, got.current, got.baseline) == (None, 2.0, 0.0)
    config = make_config(tmp_path, rules=[{"name": "surge", "metric": "tickets_per_hour_vs_baseline", "op": ">=",
                                           "threshold": 3, "level": "critical"}])
    runs(store, HOUR9.end + timedelta(minutes=5))
    (r,) = evaluate(store.cursor(), config, WINDOW, HOUR9.end + timedelta(minutes=5)).rules
    assert (r.result, r.state, r.reason) == ("insufficient data", "no baseline", "the baseline is 0 for these hours, so no ratio")


def test_availability_burn_and_latency_leave_out_a_planned_period(store):
    rows = []
    for k in range(60):
        t = HOUR9.start + timedelta(minutes=k)
        rows.append(("api", t, not 20 <= k < 30, 100 + k))  # fails 10 minutes, inside the planned period
        rows.append(("web", t, k % 15 != 0, 300))  # fails 4 times
    health_results(store, rows)
    with store.transaction() as cur:
        append_rows(cur, "planned_periods", pa.Table.from_pylist(
            [{"period_id": "p", "starts_at": HOUR9.start + timedelta(minutes=18), "ends_at": HOUR9.start + timedelta(minutes=32),
              "scope": "checks", "check_names": None}],
            schema=pa.schema([("period_id", pa.string()), ("starts_at", TS), ("ends_at", TS), ("scope", pa.string()),
                              ("check_names", pa.list_(pa.string()))])))
    counted = [r for r in rows if not (18 <= (r[1] - HOUR9.start).total_seconds() / 60 < 32)]
    ok = sum(r[2] for r in counted)
    assert measure(store, WINDOW, "availability", HOUR9).value == pytest.approx(100 * ok / len(counted))
    assert measure(store, WINDOW, "availability", HOUR9).samples == len(counted)
    burn = ((len(counted) - ok) / len(counted)) / (1 - 0.995)
    assert measure(store, WINDOW, "error_budget_burn", HOUR9, target=99.5).value == pytest.approx(burn)
    latencies = sorted(r[3] for r in counted)
    assert measure(store, WINDOW, "p95_latency_ms", HOUR9).value == latencies[-(-95 * len(latencies) // 100) - 1]
    only_api = measure(store, WINDOW, "availability", HOUR9, Scope(checks=("api",))).value
    assert only_api == 100.0  # its failures all fell in the planned period


def test_new_issue_users_is_the_largest_issue_never_a_sum(store):
    issues(store, [{"first_seen": HOUR9.start + timedelta(minutes=1), "user_count": 40},
                   {"first_seen": HOUR9.start + timedelta(minutes=30), "user_count": 70},
                   {"first_seen": HOUR9.start - timedelta(minutes=1), "user_count": 500},
                   {"first_seen": HOUR9.start + timedelta(minutes=2), "user_count": 90, "project": "api"}])
    assert measure(store, WINDOW, "new_issue_users", HOUR9).value == 90
    assert measure(store, WINDOW, "new_issue_users", HOUR9, Scope(projects=("web",))).value == 70
    assert measure(store, WINDOW, "new_issues", HOUR9).value == 3


def test_ticket_counts_by_priority_and_category(store):
    tickets(store, [{"created_at": HOUR9.start + timedelta(minutes=m), "priority": p, "category": c}
                    for m, p, c in [(1, "P1", "technical"), (2, "P2", "technical"), (3, "P1", "usage"), (70, "P1", "technical")]])
    assert measure(store, WINDOW, "p1_tickets", HOUR9).value == 2
    assert measure(store, WINDOW, "technical_tickets_per_hour", HOUR9).value == 2
    assert measure(store, WINDOW, "tickets_per_hour", Period(HOUR9.start, HOUR9.start + 2 * H)).value == 2


def test_open_incidents_as_of_an_instant_and_sla_breaches(store):
    def event(i, incident, at, kind):
        return {"event_id": f"e{i}", "incident_id": incident, "occurred_at": at, "kind": kind}
    with store.transaction() as cur:
        append_rows(cur, "incidents", pa.Table.from_pylist(
            [{"incident_id": "INC-1", "severity": "SEV1"}, {"incident_id": "INC-2", "severity": "SEV3"}]))
        append_rows(cur, "incident_events", pa.Table.from_pylist([
            event(1, "INC-1", HOUR9.start, "open"), event(2, "INC-1", HOUR9.start + 2 * H, "resolve"),
            event(3, "INC-2", HOUR9.start + timedelta(minutes=10), "open"),
            event(4, "INC-1", HOUR9.start + timedelta(minutes=20), "sla_breach"),
            event(5, "INC-2", HOUR9.start + 3 * H, "sla_breach"),
        ], schema=pa.schema([("event_id", pa.string()), ("incident_id", pa.string()), ("occurred_at", TS), ("kind", pa.string())])))
    at = lambda t: Period(t, t)  # noqa: E731
    assert measure(store, WINDOW, "open_incidents", at(HOUR9.start + H)).value == 2
    assert measure(store, WINDOW, "open_incidents", at(HOUR9.start + H), Scope(severity="SEV2")).value == 1
    assert measure(store, WINDOW, "open_incidents", at(HOUR9.start + 3 * H)).value == 1  # INC-1 resolved by then
    assert measure(store, WINDOW, "sla_breaches", Period(HOUR9.start, HOUR9.start + 4 * H)).value == 2
    assert measure(store, WINDOW, "sla_breaches", Period(HOUR9.start, HOUR9.start + 4 * H), Scope(severity="SEV1")).value == 1


def test_a_stale_checks_source_makes_check_rules_insufficient(store, tmp_path):
    health_results(store, [("api", HOUR9.start + timedelta(minutes=k), False, 100) for k in range(60)])
    runs(store, HOUR9.start - 2 * H, collectors=("checks",), hours=12)  # last run 2 h before: stale
    config = make_config(tmp_path, sentry=None, tickets=None, rules=[
        {"name": "down", "metric": "availability", "op": "<", "threshold": 99, "level": "critical"}])
    (r,) = evaluate(store.cursor(), config, WINDOW, HOUR9.end + timedelta(minutes=1)).rules
    assert (r.result, r.state, r.value) == ("insufficient data", "stale", None)
    assert r.sources[0].state == "stale"
