"""Config and store helpers shared by the ticket tests."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from hypercare.config import Config, parse_config
from hypercare.store.read import frame

RELEASE = {
    "name": "FitBook", "go_live_at": "2026-11-22T22:00:00+01:00", "window_hours": 72,
    "baseline_hours": 168, "timezone": "Europe/Brussels",
}


def config_with(tmp_path: Path, *tickets: dict[str, Any]) -> Config:
    return parse_config({"release": RELEASE, "tickets": list(tickets)}, base_dir=tmp_path)


def stored(store, source: str | None = None):
    sql = "SELECT * FROM tickets" + (" WHERE source = ?" if source else "") + " ORDER BY source, ticket_id"
    return frame(store.cursor(), sql, [source] if source else None)


def runs(store):
    return frame(store.cursor(), "SELECT * FROM collector_runs ORDER BY started_at, finished_at")
