"""Planned periods (cutovers, maintenance) written from the config into `planned_periods`."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

import duckdb
import pyarrow as pa

from hypercare.config import PlannedPeriodConfig
from hypercare.store.writes import merge_rows

CONFIG_MARKER = "config"  # planned_periods.marked_by of the periods written from the config file


def write_planned_periods(cur: duckdb.DuckDBPyConnection, periods: Sequence[PlannedPeriodConfig], now: datetime) -> int:
    """Make the config's planned periods the stored ones marked by the config; returns how many
    were new. Periods marked on a page are left alone."""
    ids = [p.period_id for p in periods]
    cur.execute(
        "DELETE FROM planned_periods WHERE marked_by = ? AND NOT list_contains(?, period_id)", [CONFIG_MARKER, ids]
    )
    stored = {r[0] for r in cur.execute("SELECT period_id FROM planned_periods WHERE list_contains(?, period_id)", [ids]).fetchall()}
    new = [
        {"period_id": p.period_id, "starts_at": p.starts_at, "ends_at": p.ends_at, "scope": p.scope,
         "reason": p.reason, "marked_by": CONFIG_MARKER, "marked_at": now, "check_names": p.checks}
        for p in periods if p.period_id not in stored
    ]
    if new:
        schema = pa.schema([
            ("period_id", pa.string()), ("starts_at", pa.timestamp("us", tz="UTC")),
            ("ends_at", pa.timestamp("us", tz="UTC")), ("scope", pa.string()), ("reason", pa.string()),
            ("marked_by", pa.string()), ("marked_at", pa.timestamp("us", tz="UTC")),
            ("check_names", pa.list_(pa.string())),
        ])
        merge_rows(cur, "planned_periods", pa.Table.from_pylist(new, schema=schema), ["period_id"])
    return len(new)
