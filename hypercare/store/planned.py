"""Planned periods (cutovers, maintenance): written from the config into `planned_periods`, and
marked or removed by a lead from the Health page after the fact.

Results inside a period stay stored and are left out of availability and the rules on the next
read. Marking and removing each leave a `decisions` row of kind `note` saying who did what, in
the same transaction.
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from datetime import datetime
from zoneinfo import ZoneInfo

import duckdb
import pyarrow as pa

from hypercare.auth.identity import Identity, require
from hypercare.clock import utc
from hypercare.config import PlannedPeriodConfig
from hypercare.decisions.model import new_decision
from hypercare.decisions.record import insert_decision
from hypercare.store import Store
from hypercare.store.read import first_row
from hypercare.store.writes import merge_rows

CONFIG_MARKER = "config"  # planned_periods.marked_by of the periods written from the config file
_TS = pa.timestamp("us", tz="UTC")
_SCHEMA = pa.schema([
    ("period_id", pa.string()), ("starts_at", _TS), ("ends_at", _TS), ("scope", pa.string()), ("reason", pa.string()),
    ("marked_by", pa.string()), ("marked_at", _TS), ("check_names", pa.list_(pa.string())),
])


class PlannedPeriodError(ValueError):
    """A planned period that can't be marked or removed, told as a sentence with the fix."""


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
        merge_rows(cur, "planned_periods", pa.Table.from_pylist(new, schema=_SCHEMA), ["period_id"])
    return len(new)


def mark_planned_period(store: Store, identity: Identity, starts_at: datetime, ends_at: datetime,
                        checks: Sequence[str] | None, reason: str, now: datetime, timezone: str = "UTC") -> str:
    """Mark [starts_at, ends_at) as planned for `checks` (None: every check and the rules, scope
    "all"), by `identity` (a lead); returns the new period's id. `timezone` is the team's, for the
    note's wording only."""
    require(identity, "lead", "marking a planned period")
    starts_at, ends_at, reason = utc(starts_at), utc(ends_at), (reason or "").strip()
    if ends_at <= starts_at:
        raise PlannedPeriodError("the end must be after the start: check both dates and times")
    if not reason:
        raise PlannedPeriodError("reason is empty: say what was planned (a cutover, maintenance, ...)")
    if checks is not None and not checks:
        raise PlannedPeriodError("no check chosen: choose the checks it covers, or mark it for all checks")
    row = {"period_id": f"page-{uuid.uuid4().hex[:16]}", "starts_at": starts_at, "ends_at": ends_at,
           "scope": "all" if checks is None else "checks", "reason": reason, "marked_by": identity.actor,
           "marked_at": utc(now), "check_names": None if checks is None else list(checks)}
    with store.transaction() as cur:
        merge_rows(cur, "planned_periods", pa.Table.from_pylist([row], schema=_SCHEMA), ["period_id"])
        insert_decision(cur, new_decision(
            "note", f"Planned period marked: {describe(starts_at, ends_at, row['check_names'], timezone)}", reason,
            identity.actor, now, evidence={"planned_period": _json(row), "action": "marked"}))
    return row["period_id"]


def remove_planned_period(store: Store, identity: Identity, period_id: str, now: datetime, timezone: str = "UTC") -> None:
    """Remove a period marked on a page, by `identity` (a lead). One from the config file is
    refused: it is removed by editing the config."""
    require(identity, "lead", "removing a planned period")
    with store.transaction() as cur:
        found = first_row(cur, "SELECT starts_at, ends_at, check_names, reason, marked_by FROM planned_periods "
                               "WHERE period_id = ?", [period_id])
        if found is None:
            raise PlannedPeriodError(f"there is no planned period {period_id}: it was removed already; reload the page")
        starts_at, ends_at, checks, reason, marked_by = found
        if marked_by == CONFIG_MARKER:
            raise PlannedPeriodError("this planned period comes from the config file: remove its [[planned_periods]] "
                                     "entry there, and the checks collector removes it on its next run")
        cur.execute("DELETE FROM planned_periods WHERE period_id = ?", [period_id])
        insert_decision(cur, new_decision(
            "note", f"Planned period removed: {describe(starts_at, ends_at, checks, timezone)}",
            f"It had been marked by {marked_by} for: {reason}", identity.actor, now,
            evidence={"planned_period": _json({"period_id": period_id, "starts_at": starts_at, "ends_at": ends_at,
                                               "check_names": checks, "reason": reason, "marked_by": marked_by}),
                      "action": "removed"}))


def describe(starts_at: datetime, ends_at: datetime, checks: Sequence[str] | None, timezone: str) -> str:
    """'Tue 24 Nov 02:00 – Tue 24 Nov 04:00 (Europe/Brussels), all checks and the rules'."""
    tz = ZoneInfo(timezone)
    covers = "all checks and the rules" if checks is None else "checks " + ", ".join(checks)
    return f"{starts_at.astimezone(tz):%a %d %b %H:%M} – {ends_at.astimezone(tz):%a %d %b %H:%M} ({timezone}), {covers}"


def _json(row: dict) -> dict:
    return {k: v.isoformat() if isinstance(v, datetime) else v for k, v in row.items()}
