"""The store: migrations, idempotent batched writes, checkpoints atomic with their batch, snapshot."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

import duckdb
import pyarrow as pa
import pytest

from hypercare.store import Store, StoreError, schema
from hypercare.store.read import frame, scalar
from hypercare.store.writes import (
    compare_and_set,
    insert_new,
    merge_rows,
    read_checkpoint,
    record_health_results,
    replace_range,
    save_checkpoint,
)

T0 = datetime(2026, 11, 22, 21, 0, tzinfo=timezone.utc)
TS = pa.timestamp("us", tz="UTC")
CONTRACT = {"releases", "sentry_issues", "error_counts", "session_health", "health_checks", "check_transitions",
            "tickets", "incidents", "incident_events", "notifications", "decisions", "planned_periods",
            "status_history", "collector_runs", "checkpoints"}


def tables(cur) -> set[str]:
    return {r[0] for r in cur.execute("SELECT table_name FROM information_schema.tables").fetchall()}


def test_fresh_file_has_every_contract_table(store):
    assert CONTRACT <= tables(store.cursor())
    assert store.schema_version() == schema.LATEST


def test_older_file_is_migrated_on_open(tmp_path, monkeypatch):
    path = tmp_path / "old.duckdb"
    Store(path).close()  # written by a version that knew only the migrations so far
    monkeypatch.setattr(schema, "MIGRATIONS", schema.MIGRATIONS + [(99, "test column", "ALTER TABLE tickets ADD COLUMN extra VARCHAR")])
    monkeypatch.setattr("hypercare.store.db.MIGRATIONS", schema.MIGRATIONS)
    monkeypatch.setattr("hypercare.store.db.LATEST", 99)
    store = Store(path)
    cur = store.cursor()
    assert store.schema_version() == 99
    assert "extra" in frame(cur, "SELECT * FROM tickets LIMIT 0").columns
    assert scalar(cur, "SELECT count(*) FROM schema_version WHERE version = 1") == 1  # not re-applied
    store.close()


def ticket_rows(n: int, status: str = "open") -> pa.Table:
    return pa.table({
        "source": ["desk"] * n, "ticket_id": [f"T-{i}" for i in range(n)],
        "created_at": pa.array([T0 + timedelta(minutes=i) for i in range(n)], TS),
        "status": [status] * n, "title": [f"ticket {i}" for i in range(n)],
    })


def test_merge_rows_is_idempotent_and_updates(store):
    with store.transaction() as cur:
        assert merge_rows(cur, "tickets", ticket_rows(500), ["source", "ticket_id"]) == 500
    with store.transaction() as cur:
        merge_rows(cur, "tickets", ticket_rows(500), ["source", "ticket_id"])
    cur = store.cursor()
    assert scalar(cur, "SELECT count(*) FROM tickets") == 500
    with store.transaction() as cur:
        merge_rows(cur, "tickets", ticket_rows(10, "solved"), ["source", "ticket_id"])
    assert scalar(store.cursor(), "SELECT count(*) FILTER (WHERE status = 'solved') FROM tickets") == 10
    assert scalar(store.cursor(), "SELECT count(*) FROM tickets") == 500


def test_merge_rows_keeps_the_last_row_of_a_key_within_a_batch(store):
    batch = pa.concat_tables([ticket_rows(3, "open"), ticket_rows(3, "closed")])
    with store.transaction() as cur:
        assert merge_rows(cur, "tickets", batch, ["source", "ticket_id"]) == 3
    assert frame(store.cursor(), "SELECT DISTINCT status FROM tickets")["status"].tolist() == ["closed"]


def test_rows_without_a_key_are_refused(store):
    rows = pa.table({"source": ["desk"], "ticket_id": pa.array([None], pa.string())})
    with pytest.raises(StoreError, match="without ticket_id"):
        with store.transaction() as cur:
            merge_rows(cur, "tickets", rows, ["source", "ticket_id"])


def counts(start: datetime, hours: int, value: int, project: str = "web") -> pa.Table:
    return pa.table({
        "project": [project] * hours, "bucket_start": pa.array([start + timedelta(hours=h) for h in range(hours)], TS),
        "bucket_seconds": pa.array([3600] * hours, pa.int32()), "events": pa.array([value] * hours, pa.int64()),
    })


def test_replace_range_repolls_a_time_series_without_duplicates(store):
    with store.transaction() as cur:
        replace_range(cur, "error_counts", counts(T0, 10, 5), "bucket_start", T0, T0 + timedelta(hours=10), {"project": "web"})
        replace_range(cur, "error_counts", counts(T0, 10, 1, "api"), "bucket_start", T0, T0 + timedelta(hours=10), {"project": "api"})
    with store.transaction() as cur:  # the last 4 hours re-polled with corrected values
        start = T0 + timedelta(hours=6)
        replace_range(cur, "error_counts", counts(start, 4, 7), "bucket_start", start, start + timedelta(hours=4), {"project": "web"})
    cur = store.cursor()
    assert scalar(cur, "SELECT count(*) FROM error_counts") == 20
    assert scalar(cur, "SELECT sum(events) FROM error_counts WHERE project = 'web'") == 6 * 5 + 4 * 7
    assert scalar(cur, "SELECT sum(events) FROM error_counts WHERE project = 'api'") == 10
    with pytest.raises(StoreError, match="outside the range"):
        with store.transaction() as cur:
            replace_range(cur, "error_counts", counts(T0, 10, 5), "bucket_start", T0, T0 + timedelta(hours=2))


def health_rows(check: str, start: datetime, n: int, every_s: int = 60) -> pa.Table:
    return pa.table({
        "check_name": [check] * n, "checked_at": pa.array([start + timedelta(seconds=every_s * i) for i in range(n)], TS),
        "ok": [i % 10 != 0 for i in range(n)], "status_code": pa.array([200 if i % 10 else 503 for i in range(n)], pa.int32()),
        "latency_ms": pa.array([100 + i % 37 for i in range(n)], pa.int32()),
    })


def test_health_results_and_rollup_stay_exact_when_resent(store):
    first = health_rows("api", T0, 200)
    with store.transaction() as cur:
        assert record_health_results(cur, first) == 200
    overlap = health_rows("api", T0 + timedelta(minutes=150), 100)  # 50 already stored, 50 new
    with store.transaction() as cur:
        assert record_health_results(cur, overlap) == 50
    cur = store.cursor()
    assert scalar(cur, "SELECT count(*) FROM health_checks") == 250
    expected = frame(cur, "SELECT date_trunc('hour', checked_at) h, ok, latency_ms, count(*) n FROM health_checks GROUP BY ALL ORDER BY ALL")
    rollup = frame(cur, "SELECT hour_start h, ok, latency_ms, sum(n) n FROM health_rollup GROUP BY ALL ORDER BY ALL")
    assert rollup.to_dict("records") == expected.to_dict("records")


def test_insert_new_counts_only_new_keys(store):
    rows = pa.table({"check_name": ["a", "b"], "changed_at": pa.array([T0, T0], TS), "to_state": ["down", "up"]})
    with store.transaction() as cur:
        assert insert_new(cur, "check_transitions", rows, ["check_name", "changed_at"], "changed_at") == 2
        assert insert_new(cur, "check_transitions", rows, ["check_name", "changed_at"], "changed_at") == 0


def test_insert_new_without_a_time_column_looks_up_the_whole_table(store):
    first = pa.table({"notification_id": ["n1", "n2"], "kind": ["open", "open"]})
    again = pa.table({"notification_id": ["n2", "n3", "n3"], "kind": ["changed", "new", "new"]})
    with store.transaction() as cur:
        assert insert_new(cur, "notifications", first, ["notification_id"]) == 2
        assert insert_new(cur, "notifications", again, ["notification_id"]) == 1  # n3 once; n2 kept as it was
    assert frame(store.cursor(), "SELECT notification_id, kind FROM notifications ORDER BY 1").values.tolist() == [
        ["n1", "open"], ["n2", "open"], ["n3", "new"]]


def test_compare_and_set_writes_only_rows_still_at_the_version_read(store):
    store.cursor().execute("INSERT INTO incidents (incident_id, level, version) VALUES ('A', 1, 0), ('B', 1, 3), ('C', 1, 0)")
    batch = pa.table({"incident_id": ["A", "B"], "level": [2, 2], "version": [1, 1], "seen": [0, 0]})  # B is at 3
    with store.transaction() as cur:
        assert compare_and_set(cur, "incidents", batch, ["incident_id"], "seen") == 1
    rows = frame(store.cursor(), "SELECT incident_id, level, version FROM incidents ORDER BY 1").values.tolist()
    assert rows == [["A", 2, 1], ["B", 1, 3], ["C", 1, 0]]


def test_checkpoint_is_saved_with_its_batch_or_not_at_all(store):
    with store.transaction() as cur:
        merge_rows(cur, "tickets", ticket_rows(5), ["source", "ticket_id"])
        save_checkpoint(cur, "tickets:desk", "updated", "cursor-1", T0)
    with pytest.raises(RuntimeError):
        with store.transaction() as cur:
            merge_rows(cur, "tickets", ticket_rows(50), ["source", "ticket_id"])
            save_checkpoint(cur, "tickets:desk", "updated", "cursor-2", T0)
            raise RuntimeError("killed halfway")
    cur = store.cursor()
    assert read_checkpoint(cur, "tickets:desk", "updated") == "cursor-1"
    assert scalar(cur, "SELECT count(*) FROM tickets") == 5


def test_snapshot_is_readable_while_the_owner_holds_the_file(store):
    with store.transaction() as cur:
        merge_rows(cur, "tickets", ticket_rows(7), ["source", "ticket_id"])
    path = store.publish_snapshot()
    assert path == store.snapshot_path and path.exists()
    reader = Store.open_for_reading(store.path)  # the file itself is held: falls back to the snapshot
    try:
        assert reader.path == path
        assert scalar(reader.cursor(), "SELECT count(*) FROM tickets") == 7
    finally:
        reader.close()
    con = duckdb.connect(str(path), read_only=True)
    assert tables(con) >= CONTRACT
    con.close()


def test_a_batch_repeating_a_key_is_stored_once(store):
    rows = health_rows("api", T0, 5)
    with store.transaction() as cur:
        assert record_health_results(cur, pa.concat_tables([rows, rows.slice(0, 2)])) == 5
    cur = store.cursor()
    assert scalar(cur, "SELECT count(*) FROM health_checks") == 5
    assert scalar(cur, "SELECT sum(n) FROM health_rollup") == 5


def test_opening_the_database_removes_snapshot_temps_a_killed_publisher_left(tmp_path):
    path = tmp_path / "hc.duckdb"
    Store(path).close()
    left = [tmp_path / f"hc.snapshot.duckdb.{pid}.tmp" for pid in (4242, 4243)]
    for tmp in left:
        tmp.write_bytes(b"\0" * 1024)  # a half-written copy
    (tmp_path / "hc.snapshot.duckdb.4242.tmp.wal").write_bytes(b"x")
    keep = [tmp_path / "hc.snapshot.duckdb", tmp_path / "other.snapshot.duckdb.1.tmp", tmp_path / "hc.snapshot.duckdb.x.tmp"]
    for other in keep:
        other.write_bytes(b"keep")
    Store(path, read_only=True).close()  # a reader never deletes
    assert all(tmp.exists() for tmp in left)
    store = Store(path)
    store.close()
    assert sorted(p.name for p in tmp_path.iterdir()) == sorted(["hc.duckdb", *(p.name for p in keep)])
