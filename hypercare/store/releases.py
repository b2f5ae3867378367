"""The `releases` table: the release being watched, as configured or as detected from Sentry."""

from __future__ import annotations

from datetime import datetime, timedelta

import pyarrow as pa

from hypercare.config import Config
from hypercare.store import health_since
from hypercare.store.db import Store
from hypercare.store.writes import merge_rows


def record_release(store: Store, config: Config, go_live_at: datetime | None = None) -> None:
    """Upsert the configured release; `go_live_at` overrides the config (a detected instant)."""
    r = config.release
    go_live = go_live_at or r.go_live_at
    if go_live is None:
        return
    row = {
        "release_id": f"{r.name}@{r.version or ''}", "name": r.name, "version": r.version,
        "environment": r.environment, "go_live_at": go_live, "window_hours": float(r.window_hours),
        "baseline_hours": float(r.baseline_hours),
    }
    table = pa.Table.from_pylist([row], schema=pa.schema([
        ("release_id", pa.string()), ("name", pa.string()), ("version", pa.string()),
        ("environment", pa.string()), ("go_live_at", pa.timestamp("us", tz="UTC")),
        ("window_hours", pa.float64()), ("baseline_hours", pa.float64()),
    ]))
    with store.transaction() as cur:
        merge_rows(cur, "releases", table, ["release_id"])
        health_since.follow(cur, go_live, go_live + timedelta(hours=float(r.window_hours)))
