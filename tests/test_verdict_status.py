"""Status precedence, phase-limited rules, exit streaks, and `evaluate` on a real store."""

from __future__ import annotations

import json
from datetime import timedelta

import pytest

from hypercare.verdict import evaluate
from hypercare.verdict.model import RuleResult
from hypercare.verdict.status import overall, streak
from hypercare.window import Window
from tests.verdict_helpers import GO_LIVE, error_buckets, make_config, runs

WINDOW = Window(GO_LIVE, 72, 168, "Europe/Brussels")


def result(level, outcome):
    return RuleResult("r", "errors_per_hour", "Sentry errors per hour", "/h", ">", 1, "1h", level, outcome,
                      "collected" if outcome != "insufficient data" else "stale", "", None, GO_LIVE, GO_LIVE, "the last hour")


@pytest.mark.parametrize("rules, expected", [
    ([("critical", "met"), ("warning", "met")], "red"),
    ([("critical", "insufficient data"), ("warning", "met")], "amber"),  # a met rule outranks an unknown one
    ([("critical", "insufficient data"), ("warning", "not met")], "unknown"),
    ([("critical", "not met"), ("warning", "insufficient data")], "green"),  # warnings without data don't block green
    ([("critical", "not met"), ("critical", "met")], "red"),
    ([("warning", "not met")], "unknown"),  # no critical rule in force: never green by default
    ([], "unknown"),
])
def test_precedence(rules, expected):
    assert overall([result(level, outcome) for level, outcome in rules])[0] == expected


def test_streak_counts_back_from_the_latest_hour():
    assert streak([True, True, False, True]) == 2
    assert streak([False, True]) == 0
    assert streak([True] * 5) == 5


SPIKE = {"name": "spike", "metric": "errors_vs_baseline", "op": ">=", "threshold": 3, "level": "critical"}


@pytest.fixture
def spiky(store, tmp_path):
    """Web errors: 10 per hour every hour, except 50 in the hour from T+9 h."""
    counts = {}
    t = WINDOW.baseline_start
    while t < WINDOW.end:
        counts[t] = 50 if t == GO_LIVE + timedelta(hours=9) else 10
        t += timedelta(hours=1)
    error_buckets(store, counts)
    runs(store, WINDOW.end, collectors=("sentry", "checks"), hours=320)
    return store


def test_a_met_critical_rule_is_red_with_its_figures(spiky, tmp_path):
    config = make_config(tmp_path, tickets=None, rules=[SPIKE])
    now = GO_LIVE + timedelta(hours=10, minutes=5)
    e = evaluate(spiky.cursor(), config, WINDOW, now)
    assert e.status == "red"
    (r,) = e.rules
    assert (r.result, r.value, r.current, r.baseline) == ("met", 5.0, 50.0, 10.0)
    assert (r.period_start, r.period_end) == (GO_LIVE + timedelta(hours=9), GO_LIVE + timedelta(hours=10))
    assert [(s.collector, s.state) for s in r.sources] == [("sentry", "fresh")]
    data = json.loads(e.to_json())
    assert data["status"] == "red" and data["rules"][0]["period_start"] == r.period_start.isoformat()
    assert evaluate(spiky.cursor(), config, WINDOW, now + timedelta(hours=1)).status == "green"


def test_phase_limited_rules_apply_only_in_their_hours(spiky, tmp_path):
    early = {**SPIKE, "name": "day one", "until_hour": 9}
    late = {**SPIKE, "name": "after day one", "from_hour": 10, "threshold": 6}
    config = make_config(tmp_path, tickets=None, rules=[early, late])
    e = evaluate(spiky.cursor(), config, WINDOW, GO_LIVE + timedelta(hours=10, minutes=5))
    assert [r.name for r in e.rules] == ["after day one"] and e.not_in_force == ("day one",)
    assert e.status == "green"  # 5x is below the relaxed threshold of 6x


def test_a_stale_source_is_insufficient_data_never_green(spiky, tmp_path):
    config = make_config(tmp_path, tickets=None, rules=[SPIKE])
    e = evaluate(spiky.cursor(), config, WINDOW, WINDOW.end + timedelta(hours=3))
    (r,) = e.rules
    assert (e.status, r.result, r.state, r.value) == ("unknown", "insufficient data", "stale", None)
    assert "sentry is stale" in r.reason


def test_before_go_live_the_window_has_not_started(spiky, tmp_path):
    config = make_config(tmp_path, tickets=None, rules=[SPIKE])
    (r,) = evaluate(spiky.cursor(), config, WINDOW, GO_LIVE - timedelta(hours=2)).rules
    assert (r.result, r.state) == ("insufficient data", "not started")


def test_exit_progress_is_the_streak_back_from_the_latest_hour(spiky, tmp_path):
    calm = {"name": "calm", "metric": "errors_per_hour", "op": "<=", "threshold": 20, "hold_hours": 6}
    config = make_config(tmp_path, tickets=None, rules=[SPIKE], exit=[calm])
    # the T+9 h hour had 50 errors: at T+13:30 the hours ending T+13, T+12, T+11 held, the one ending T+10 didn't
    (p,) = evaluate(spiky.cursor(), config, WINDOW, GO_LIVE + timedelta(hours=13, minutes=30)).exit
    assert (p.held_hours, p.hold_hours, p.ready) == (3, 6, False)
    (p,) = evaluate(spiky.cursor(), config, WINDOW, GO_LIVE + timedelta(hours=16, minutes=30)).exit
    assert (p.held_hours, p.ready) == (6, True)


def test_builtin_rules_cover_only_configured_sources(store, tmp_path):
    config = make_config(tmp_path, sentry=None, tickets=None)
    e = evaluate(store.cursor(), config, WINDOW, GO_LIVE + timedelta(hours=3))
    assert e.builtin
    assert {r.metric for r in e.rules} == {"error_budget_burn", "checks_down", "open_incidents", "sla_breaches"}
    everything = evaluate(store.cursor(), make_config(tmp_path), WINDOW, GO_LIVE + timedelta(hours=3))
    critical = {r.metric for r in everything.rules if r.level == "critical"}
    assert critical == {"errors_vs_baseline", "error_budget_burn", "open_incidents"}  # none reads sessions
    off = make_config(tmp_path, sentry=None, tickets=None, status={"builtin_rules": False})
    assert evaluate(store.cursor(), off, WINDOW, GO_LIVE + timedelta(hours=3)).rules == ()
