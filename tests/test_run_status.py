"""`collector_runs.status`: running before the first batch, then ok / partial / failed, and a run
whose process was killed found `running` at the next start and marked interrupted."""

from __future__ import annotations

import signal
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from pathlib import Path

import pyarrow as pa
import pytest

from collectors.base import RunOutcome, run_collector
from collectors.scheduler import run_once
from hypercare.errors import CollectorError
from hypercare.states import source_state
from hypercare.store import Store
from hypercare.store.queries.freshness import source_freshness
from hypercare.store.read import frame, scalar
from hypercare.store.writes import merge_rows
from tests.fakes.github import FakeGitHub, at, issue
from tests.process import hypercare, wait_until
from tests.test_cli import run_cli

TOKEN = "ghp_test_token_1234"


@dataclass
class Scripted:
    """A collector whose outcome is given; it checks that its run is `running` while it works."""

    store: Store
    outcome: RunOutcome | Exception
    name: str = "tickets:desk"
    kind: str = "tickets"
    interval_seconds: float = 300
    secrets: tuple[str, ...] = ()
    seen_status: str | None = None

    def collect(self, store: Store, now: datetime) -> RunOutcome:
        self.seen_status = scalar(store.cursor(), "SELECT status FROM collector_runs WHERE collector = ?", [self.name])
        if isinstance(self.outcome, Exception):
            raise self.outcome
        return self.outcome


@pytest.mark.parametrize(("outcome", "status", "ok", "error"), [
    (RunOutcome(5), "ok", True, None),
    (RunOutcome(5, warning="2 rows skipped"), "ok", True, "2 rows skipped"),
    (RunOutcome(5, partial="sessions not offered by this server"), "partial", True, "sessions not offered by this server"),
    (RunOutcome(5, incomplete="stopped at the page cap"), "failed", False, "stopped at the page cap"),
    (CollectorError("desk answered 401"), "failed", False, "desk answered 401"),
])
def test_each_outcome_has_its_status_and_ok_is_true_for_ok_and_partial(store, clock, outcome, status, ok, error):
    collector = Scripted(store, outcome)
    record = run_collector(store, collector, clock)
    assert collector.seen_status == "running"  # written before the first batch
    row = store.cursor().execute("SELECT status, ok, error, finished_at IS NOT NULL FROM collector_runs").fetchall()
    assert (record.status, record.ok) == (status, ok)
    assert row == [(status, ok, error, True)]


def runs_table(*rows: dict) -> pa.Table:
    return pa.Table.from_pylist([{"rows_written": 1, "error": None, **r} for r in rows])


def test_freshness_skips_a_running_run_and_reports_an_interrupted_one(store):
    now = datetime(2026, 11, 24, 11, 0, tzinfo=timezone.utc)
    ago = lambda minutes: now - timedelta(minutes=minutes)  # noqa: E731
    with store.transaction() as cur:
        merge_rows(cur, "collector_runs", runs_table(
            {"run_id": "a1", "collector": "a", "started_at": ago(9), "finished_at": ago(8), "status": "ok", "ok": True},
            {"run_id": "a2", "collector": "a", "started_at": ago(2), "finished_at": None, "status": "running", "ok": None},
            {"run_id": "b1", "collector": "b", "started_at": ago(30), "finished_at": ago(29), "status": "ok", "ok": True},
            {"run_id": "b2", "collector": "b", "started_at": ago(20), "finished_at": None, "status": "interrupted",
             "ok": False, "error": "the run was interrupted"},
        ), ["run_id"])
    a, b = source_freshness(store.cursor(), now, [("a", 300), ("b", 300)])
    assert (a.state, a.latest_ok, a.latest_status, a.last_ok_at) == ("fresh", True, "ok", ago(8))
    assert (b.state, b.latest_ok, b.latest_status, b.last_error) == ("stale", False, "interrupted", "the run was interrupted")
    assert b.last_run_at == ago(20) and b.last_ok_at == ago(29)
    assert source_state([b], "ticket").reason == "b's last run was interrupted"


def test_a_collect_killed_with_sigkill_shows_as_interrupted_at_the_next_start(tmp_path, clock, monkeypatch):
    monkeypatch.setenv("GITHUB_TOKEN", TOKEN)
    with FakeGitHub(clock, token=TOKEN, max_per_page=2) as github:
        github.put(*[issue(n, at(-30 + n)) for n in range(1, 7)])
        github.stall_after = 1  # the first page is answered, the second never
        config = tmp_path / "hypercare.toml"
        config.write_text(f"""
[release]
name = "Booking platform"
go_live_at = "2026-11-22T22:00:00+01:00"

[store]
path = "data/hc.duckdb"

[[tickets]]
kind = "github"
name = "desk"
repo = "acme/booking"
base_url = "{github.url}"
""")
        log = tmp_path / "collect.log"
        with hypercare("collect", "--once", "--config", str(config), log=log) as proc:
            wait_until(github.stalled.is_set, proc, log)
            proc.send_signal(signal.SIGKILL)
            proc.wait(timeout=20)
        assert proc.returncode == -signal.SIGKILL
        path = tmp_path / "data" / "hc.duckdb"
        store = Store(path)
        try:  # the file opens; the run is left `running` (its pages were not committed yet)
            assert scalar(store.cursor(), "SELECT status FROM collector_runs") == "running"
        finally:
            store.close()
        github.stall_after = None
        again = run_cli("collect", "--once", "--config", str(config))
    assert again.returncode == 0, again.stderr
    store = Store(path)
    try:
        runs = frame(store.cursor(), "SELECT status, ok, finished_at, error FROM collector_runs ORDER BY started_at")
        assert list(runs.status) == ["interrupted", "ok"] and list(runs.ok) == [False, True]
        assert runs.finished_at.isna().iloc[0] and "interrupted" in runs.error.iloc[0]
        assert scalar(store.cursor(), "SELECT count(*) FROM tickets") == 6
    finally:
        store.close()
    assert "was interrupted" in again.stderr  # said when found


def test_run_once_marks_what_a_dead_process_left_running(store, clock):
    with store.transaction() as cur:
        merge_rows(cur, "collector_runs", runs_table(
            {"run_id": "old", "collector": "tickets:desk", "started_at": clock.now() - timedelta(hours=1),
             "finished_at": None, "status": "running", "ok": None}), ["run_id"])
    [record] = run_once(store, [Scripted(store, RunOutcome(1))], clock)
    statuses = dict(store.cursor().execute("SELECT run_id, status FROM collector_runs").fetchall())
    assert statuses == {"old": "interrupted", record.run_id: "ok"}


def test_migration_30_gives_old_runs_the_status_their_ok_said(tmp_path):
    import duckdb

    from hypercare.store.db import migrate
    from hypercare.store.schema import MIGRATIONS

    path = Path(tmp_path / "old.duckdb")
    con = duckdb.connect(str(path))
    con.execute("CREATE TABLE schema_version (version INTEGER, description VARCHAR, applied_at TIMESTAMPTZ)")
    for version, description, sql in MIGRATIONS:
        if version < 30:
            con.execute(sql)
            con.execute("INSERT INTO schema_version VALUES (?, ?, now())", [version, description])
    con.execute("INSERT INTO collector_runs (run_id, collector, ok) VALUES ('g', 'a', true), ('b', 'a', false)")
    assert 30 in migrate(con)
    assert dict(con.execute("SELECT run_id, status FROM collector_runs").fetchall()) == {"g": "ok", "b": "failed"}
    con.close()
