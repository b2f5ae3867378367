"""The "checks" collector end to end: real servers, real DuckDB, cycles driven by a FixedClock."""

from __future__ import annotations

from pathlib import Path

import pytest

from collectors.base import run_collector
from collectors.health import HealthCollector
from collectors.registry import build_collectors
from hypercare.config import parse_config
from hypercare.store.read import frame, scalar
from tests.fakes.endpoints import Endpoints


@pytest.fixture
def endpoints():
    with Endpoints() as server:
        yield server


def make_config(endpoints: Endpoints, periods: list[dict] | None = None, **extra_checks):
    checks = [
        {"name": "api", "url": endpoints.url("/healthy"), "conditions": ['json.status == "UP"'], "success_threshold": 1},
        {"name": "web", "url": endpoints.url("/error"), "failure_threshold": 2},
        {"name": "sync", "url": endpoints.url("/healthy"), "interval_seconds": 300},
        *extra_checks.get("more", []),
    ]
    return parse_config(
        {"release": {"name": "r", "go_live_at": "2026-11-24T08:00:00+00:00"}, "checks": checks,
         "planned_periods": periods or []},
        base_dir=Path("."),
    )


def count(store, table: str) -> int:
    return scalar(store.cursor(), f"SELECT count(*) FROM {table}")


def test_cycles_write_results_and_flip_states_with_hysteresis(store, clock, endpoints):
    collector = HealthCollector(make_config(endpoints))
    first = run_collector(store, collector, clock)
    assert first.ok and count(store, "health_checks") == 3
    clock.advance(seconds=60)
    second = run_collector(store, collector, clock)
    assert second.ok
    rows = frame(store.cursor(), "SELECT check_name, ok, status_code, error FROM health_checks ORDER BY checked_at, check_name")
    assert rows["check_name"].tolist() == ["api", "sync", "web", "api", "web"]  # sync: every 300 s
    assert rows[rows.check_name == "web"]["error"].tolist() == ["status 500, expected == 200"] * 2
    flips = frame(store.cursor(), "SELECT check_name, from_state, to_state, reason FROM check_transitions ORDER BY changed_at, check_name")
    assert flips[["check_name", "from_state", "to_state"]].values.tolist() == [
        ["api", "unknown", "up"], ["web", "unknown", "down"]]
    assert flips.reason[1] == "2 failed checks in a row; last: status 500, expected == 200"
    rollup = scalar(store.cursor(), "SELECT sum(n) FROM health_rollup")
    assert rollup == 5


def test_rerun_at_the_same_instant_writes_nothing(store, clock, endpoints):
    collector = HealthCollector(make_config(endpoints))
    run_collector(store, collector, clock)
    again = run_collector(store, collector, clock)
    assert again.ok and again.rows_written == 0
    assert count(store, "health_checks") == 3 and count(store, "planned_periods") == 0


def test_a_restarted_collector_keeps_the_streak(store, clock, endpoints):
    config = make_config(endpoints)
    run_collector(store, HealthCollector(config), clock)  # web fails once: still unknown
    assert count(store, "check_transitions") == 1  # api only
    clock.advance(seconds=60)
    run_collector(store, HealthCollector(config), clock)  # a new process: second failure flips
    assert scalar(store.cursor(), "SELECT to_state FROM check_transitions WHERE check_name = 'web'") == "down"
    clock.advance(seconds=60)
    run_collector(store, HealthCollector(config), clock)
    assert count(store, "check_transitions") == 2  # still down: no second flip


def test_planned_periods_from_config_are_written_once_and_replaced_when_edited(store, clock, endpoints):
    period = {"starts_at": "2026-11-24T09:00:00+00:00", "ends_at": "2026-11-24T09:30:00+00:00", "reason": "cutover"}
    run_collector(store, HealthCollector(make_config(endpoints, [period, {**period, "checks": ["web"], "reason": "db"}])), clock)
    with store.transaction() as cur:  # a period marked from the page is not the config's to remove
        cur.execute("INSERT INTO planned_periods (period_id, scope, reason, marked_by) VALUES ('page-1', 'checks', 'x', 'alice')")
    clock.advance(seconds=60)
    run_collector(store, HealthCollector(make_config(endpoints, [period, {**period, "checks": ["web"], "reason": "db"}])), clock)
    stored = frame(store.cursor(), "SELECT reason, scope, check_names, marked_by FROM planned_periods ORDER BY reason")
    assert stored["reason"].tolist() == ["cutover", "db", "x"]
    assert stored["scope"].tolist() == ["all", "checks", "checks"]
    assert stored["check_names"][1].tolist() == ["web"]
    run_collector(store, HealthCollector(make_config(endpoints, [{**period, "reason": "cutover, longer"}])), clock)
    assert frame(store.cursor(), "SELECT reason FROM planned_periods ORDER BY reason")["reason"].tolist() == [
        "cutover, longer", "x"]


def test_a_missing_header_variable_skips_that_check_only(store, clock, endpoints, monkeypatch):
    monkeypatch.setenv("STATUS_TOKEN", "Bearer s3cret-token")
    more = [{"name": "auth", "url": endpoints.url("/auth"), "headers": {"Authorization": "env:STATUS_TOKEN"}},
            {"name": "private", "url": endpoints.url("/auth"), "headers": {"Authorization": "env:UNSET_TOKEN"}}]
    collector = HealthCollector(make_config(endpoints, more=more))
    assert collector.secrets == ["Bearer s3cret-token"]
    record = run_collector(store, collector, clock)
    assert not record.ok
    assert record.error == "not checked: private (set the environment variable UNSET_TOKEN)"
    names = frame(store.cursor(), "SELECT check_name, ok FROM health_checks ORDER BY check_name")
    assert names.values.tolist() == [["api", True], ["auth", True], ["sync", True], ["web", False]]


def test_registry_adds_the_collector_only_when_checks_are_configured(clock, endpoints):
    (collector,) = build_collectors(make_config(endpoints), clock)
    assert (collector.name, collector.kind, collector.interval_seconds) == ("checks", "checks", 60)
    empty = parse_config({"release": {"name": "r", "go_live_at": "2026-11-24T08:00:00+00:00"}}, base_dir=Path("."))
    assert build_collectors(empty, clock) == []
