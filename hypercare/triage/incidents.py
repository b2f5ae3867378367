"""Incident items: an incident still unacknowledged past its acknowledge target, or unresolved
past its resolve target (an SLA breach), with the deadlines the escalation engine acts on
(`store.queries.incidents.open_incidents`). An incident acknowledged after missing its acknowledge
target has a person on it and is no item until its resolve target passes too.
"""

from __future__ import annotations

from datetime import datetime

import duckdb
import pandas as pd

from hypercare.incidents.escalation import SEVERITIES, in_hypercare
from hypercare.store.queries.incidents import open_incidents
from hypercare.triage.model import Item
from hypercare.triage.score import Signals, score
from hypercare.window import Window


def incident_items(cur: duckdb.DuckDBPyConnection, window: Window | None, now: datetime) -> list[Item]:
    table = open_incidents(cur, now, in_hypercare(window, now))
    go_live_at = window.go_live_at if window else None
    return [item for r in table.to_dict("records") if (item := _item(r, go_live_at, now)) is not None]


def _instant(value) -> datetime | None:
    """A pandas cell as a datetime (None: no deadline)."""
    return None if value is None or pd.isna(value) else pd.Timestamp(value).to_pydatetime()


def _item(r: dict, go_live_at: datetime | None, now: datetime) -> Item | None:
    missed = set(filter(None, r["breached"].split(", ")))
    if r["status"] == "open" and "ack" in missed:
        kind, due = "unacknowledged", _instant(r["ack_due_at"])
    elif "resolve" in missed:
        kind, due = "SLA breach", _instant(r["resolve_due_at"])
    else:
        return None
    opened = _instant(r["opened_at"])
    past = due is not None and due <= now
    last_seen = due if past else opened
    severity = r["severity"]
    level = int(severity[-1]) if severity in SEVERITIES else 4
    signals = Signals(users=None, users_note="incidents don't count users", last_hour=None, hour_before=None,
                      unit="events", level=level, level_label=severity or "no severity",
                      new=go_live_at is not None and opened >= go_live_at, first_seen=opened)
    return Item(
        key=f"incident:{r['incident_id']}", source="incidents", kind=kind, title=r["title"], ref=r["incident_id"],
        first_seen=opened, last_seen=last_seen,
        figures={"minutes past target": round((now - due).total_seconds() / 60) if past else None,
                 "level": r["level"]},
        link=None, score=score(signals, now), suggested_severity=severity or "SEV4",
    )
