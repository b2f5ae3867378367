"""`hypercare status`: Nagios exit codes, --at, --json, the snapshot while the database is held."""

from __future__ import annotations

import json
from datetime import timedelta

import pytest

from hypercare.store import Store
from tests.test_cli import run_cli
from tests.verdict_helpers import GO_LIVE, error_buckets, runs

CONFIG = """
[release]
name = "Booking"
go_live_at = "2026-11-22T22:00:00+01:00"
timezone = "Europe/Brussels"

[store]
path = "data/hc.duckdb"

[sentry]
org = "acme"
projects = ["web"]

[[rules]]
name = "spike"
metric = "errors_vs_baseline"
op = ">="
threshold = 3
level = "critical"

[[rules]]
name = "raised"
metric = "errors_per_hour"
op = ">="
threshold = 12
level = "warning"
"""


@pytest.fixture
def setup(tmp_path):
    """Errors 10 / h, 50 in the hour from T+9 h and 15 in the hour from T+20 h; Sentry fresh."""
    path = tmp_path / "hypercare.toml"
    path.write_text(CONFIG)
    store = Store(tmp_path / "data" / "hc.duckdb")
    t, counts = GO_LIVE - timedelta(days=7), {}
    while t < GO_LIVE + timedelta(hours=72):
        counts[t] = {9: 50, 20: 15}.get(int((t - GO_LIVE).total_seconds() // 3600), 10)
        t += timedelta(hours=1)
    error_buckets(store, counts)
    runs(store, GO_LIVE + timedelta(hours=30), collectors=("sentry",), hours=40)
    store.close()
    return path


def at(hours: float) -> str:
    return (GO_LIVE + timedelta(hours=hours)).isoformat()


@pytest.mark.parametrize("hours, code, first", [
    (10.5, 2, "RED — Rollback criteria met — decision needed"),
    (21.5, 1, "AMBER — Warning criteria met"),
    (5.5, 0, "GREEN — No rollback or warning criterion met"),
    (45, 3, "UNKNOWN — Status unknown — a rollback criterion has insufficient data"),  # Sentry stale by then
])
def test_exit_codes_follow_nagios(setup, hours, code, first):
    result = run_cli("status", "--config", str(setup), "--at", at(hours))
    assert result.returncode == code, result.stdout + result.stderr
    lines = result.stdout.splitlines()
    assert lines[0] == first
    assert "issue user and event counts, which are today's" in result.stdout


def test_red_says_value_threshold_and_period(setup):
    out = run_cli("status", "--config", str(setup), "--at", at(10.5)).stdout
    assert "✗ critical spike — Sentry errors 5.0× the same hours of the baseline over the last hour, Mon 07:00–08:00 " \
           "(threshold ≥ 3.0×; 50.0 / h vs 10.0 / h)" in out


def test_json_is_the_whole_evaluation(setup):
    result = run_cli("status", "--config", str(setup), "--at", at(10.5), "--json")
    data = json.loads(result.stdout)
    assert result.returncode == 2 and data["status"] == "red"
    assert {r["name"]: r["result"] for r in data["rules"]} == {"spike": "met", "raised": "met"}


def test_config_and_store_problems_exit_3_with_a_sentence(tmp_path, setup):
    bad = tmp_path / "bad.toml"
    bad.write_text(CONFIG.replace('threshold = 3', 'threshold = "x"'))
    result = run_cli("status", "--config", str(bad))
    assert result.returncode == 3 and "threshold 'x' is not a number" in result.stderr
    missing = tmp_path / "fresh.toml"
    missing.write_text(CONFIG.replace("data/hc.duckdb", "data/none.duckdb"))
    result = run_cli("status", "--config", str(missing))
    assert result.returncode == 3 and "no database at" in result.stderr and "Traceback" not in result.stderr


def test_while_serve_holds_the_database_the_snapshot_is_read(setup, tmp_path):
    owner = Store(tmp_path / "data" / "hc.duckdb")
    try:
        owner.publish_snapshot()
        result = run_cli("status", "--config", str(setup), "--at", at(10.5))
        assert result.returncode == 2
        assert "read from the snapshot hc.snapshot.duckdb, written 0 min ago" in result.stdout
    finally:
        owner.close()


def test_a_bad_instant_is_a_usage_error(setup):
    result = run_cli("status", "--config", str(setup), "--at", "2026-11-23T09:00")
    assert result.returncode == 2 and "has no UTC offset" in result.stderr


def test_collect_once_ends_with_an_evaluation_in_status_history(tmp_path):
    (tmp_path / "tickets.csv").write_text("ticket_id,created_at,status,priority,category,title\n"
                                          "T-1,2026-11-23T09:00:00+01:00,open,P3,usage,How do I log in?\n")
    path = tmp_path / "hypercare.toml"
    path.write_text("""
[release]
name = "Booking"
go_live_at = "2026-11-22T22:00:00+01:00"

[store]
path = "data/hc.duckdb"

[[tickets]]
kind = "csv"
name = "desk"
path = "tickets.csv"
""")
    result = run_cli("collect", "--once", "--config", str(path))
    assert result.returncode == 0, result.stdout + result.stderr
    store = Store(tmp_path / "data" / "hc.duckdb", read_only=True)
    try:
        rows = store.cursor().execute("SELECT status, reasons FROM status_history").fetchall()
    finally:
        store.close()
    assert len(rows) == 1
    evaluation = json.loads(rows[0][1])
    assert rows[0][0] == evaluation["status"] and evaluation["builtin"] is True
    assert {r["metric"] for r in evaluation["rules"]} >= {"p1_tickets", "open_incidents"}
