"""The checklist's rows: the latest manual change of each item, and the audit log of changes."""

from __future__ import annotations

from datetime import datetime

import duckdb
import pandas as pd

from hypercare.readiness.checklist import Tick
from hypercare.store.read import arrow, frame


def latest_ticks(cur: duckdb.DuckDBPyConnection, at: datetime) -> dict[str, Tick]:
    """The latest tick or un-tick of each item made at or before `at`, by item title."""
    rows = arrow(cur, """
        SELECT item, action, actor, occurred_at, note FROM checklist_events WHERE occurred_at <= ?
        QUALIFY row_number() OVER (PARTITION BY item ORDER BY occurred_at DESC, event_id DESC) = 1
        """, [at]).to_pylist()
    return {r["item"]: Tick(r["action"], r["actor"], r["occurred_at"], r["note"]) for r in rows}


def checklist_log(cur: duckdb.DuckDBPyConnection, at: datetime) -> pd.DataFrame:
    """Every tick and un-tick made at or before `at`, newest first: occurred_at (UTC), item,
    action ("tick" or "untick"), actor, note (the un-tick's reason; None when none was given)."""
    return frame(cur, "SELECT occurred_at, item, action, actor, note FROM checklist_events WHERE occurred_at <= ? "
                      "ORDER BY occurred_at DESC, event_id DESC", [at])
