"""Small stores for the verdict's tests: rows written through the store's own write paths."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone
from pathlib import Path

import pyarrow as pa

from hypercare.config import Config, parse_config
from hypercare.store import Store
from hypercare.store.writes import append_rows, record_health_results

TS = pa.timestamp("us", tz="UTC")
GO_LIVE = datetime(2026, 11, 22, 21, 0, tzinfo=timezone.utc)

BASE = {
    "release": {"name": "Booking", "go_live_at": GO_LIVE.isoformat(), "timezone": "Europe/Brussels"},
    "sentry": {"org": "acme", "projects": ["web", "api"]},
    "checks": [{"name": "api", "url": "https://api.example/health"}, {"name": "web", "url": "https://www.example/"}],
    "tickets": [{"kind": "csv", "name": "desk", "path": "t.csv"}],
}


def make_config(tmp: Path, **sections) -> Config:
    data = {**BASE, "store": {"path": str(tmp / "data" / "hc.duckdb")}, **sections}
    return parse_config({k: v for k, v in data.items() if v is not None}, base_dir=tmp)


def runs(store: Store, now: datetime, collectors=("sentry", "checks", "tickets:desk"), hours: float = 240) -> None:
    """Successful runs of each collector every 5 minutes over the `hours` before `now`."""
    rows = []
    t = now - timedelta(hours=hours)
    while t <= now:
        rows += [{"run_id": f"{c}-{t.isoformat()}", "collector": c, "started_at": t, "finished_at": t, "ok": True}
                 for c in collectors]
        t += timedelta(minutes=5)
    with store.transaction() as cur:
        append_rows(cur, "collector_runs", pa.Table.from_pylist(rows, schema=pa.schema([
            ("run_id", pa.string()), ("collector", pa.string()), ("started_at", TS), ("finished_at", TS), ("ok", pa.bool_())])))


def error_buckets(store: Store, counts: dict[datetime, int], project: str = "web", seconds: int = 3600) -> None:
    rows = [{"project": project, "bucket_start": t, "bucket_seconds": seconds, "events": n} for t, n in counts.items()]
    with store.transaction() as cur:
        append_rows(cur, "error_counts", pa.Table.from_pylist(rows, schema=pa.schema([
            ("project", pa.string()), ("bucket_start", TS), ("bucket_seconds", pa.int32()), ("events", pa.int64())])))


def health_results(store: Store, results: list[tuple[str, datetime, bool, int | None]]) -> None:
    """(check_name, checked_at, ok, latency_ms) rows, with their rollup."""
    table = pa.Table.from_pylist(
        [{"check_name": n, "checked_at": t, "ok": ok, "latency_ms": ms} for n, t, ok, ms in results],
        schema=pa.schema([("check_name", pa.string()), ("checked_at", TS), ("ok", pa.bool_()), ("latency_ms", pa.int32())]))
    with store.transaction() as cur:
        record_health_results(cur, table)


def tickets(store: Store, rows: list[dict]) -> None:
    full = [{"source": "desk", "ticket_id": f"T-{i}", "priority": "P3", "category": "usage", **r} for i, r in enumerate(rows)]
    with store.transaction() as cur:
        append_rows(cur, "tickets", pa.Table.from_pylist(full, schema=pa.schema([
            ("source", pa.string()), ("ticket_id", pa.string()), ("created_at", TS), ("priority", pa.string()),
            ("category", pa.string())])))


def issues(store: Store, rows: list[dict]) -> None:
    full = [{"issue_id": str(i), "project": "web", **r} for i, r in enumerate(rows)]
    with store.transaction() as cur:
        append_rows(cur, "sentry_issues", pa.Table.from_pylist(full, schema=pa.schema([
            ("issue_id", pa.string()), ("project", pa.string()), ("first_seen", TS), ("user_count", pa.int64())])))
