"""Incident queries: engine states, open incidents by urgency, timelines, counts, MTTA/MTTR, signals.

Deadlines come from `hypercare.incidents.escalation.deadlines` on each incident's frozen policy, so the page
counts down to exactly the instants the engine acts on. Instants are UTC; intervals [start, end).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from functools import lru_cache

import duckdb
import pandas as pd

from hypercare.incidents.escalation import (
    SEVERITIES,
    STATES,
    EscalationPolicy,
    IncidentState,
    deadlines,
)
from hypercare.store.read import arrow, frame, scalar

# Events after which the SLA clock, the level timer and the reminder timer restart.
_CLOCK_KINDS = ("open", "reopen")
_LEVEL_KINDS = ("open", "reopen", "escalate")
_NOTIFIED_KINDS = ("open", "reopen", "escalate", "sla_breach", "reminder")


def incident_states(cur: duckdb.DuckDBPyConnection, incident_ids: list[str] | None = None) -> list[IncidentState]:
    """The engine's view of every unresolved incident (or of the given ones, whatever their state)."""
    rows = arrow(
        cur,
        """
        WITH ev AS (
            SELECT incident_id,
                   max(occurred_at) FILTER (WHERE list_contains(?, kind)) AS clock_at,
                   max(occurred_at) FILTER (WHERE list_contains(?, kind)) AS level_at,
                   max(occurred_at) FILTER (WHERE list_contains(?, kind)) AS notified_at
            FROM incident_events GROUP BY incident_id
        ), breaches AS (
            SELECT e.incident_id, list(DISTINCT e.to_value) AS breached
            FROM incident_events e JOIN ev USING (incident_id)
            WHERE e.kind = 'sla_breach' AND e.occurred_at >= ev.clock_at
            GROUP BY e.incident_id
        )
        SELECT i.incident_id, i.severity, i.status, i.level, i.policy::VARCHAR AS policy,
               coalesce(ev.clock_at, i.opened_at) AS clock_at,
               coalesce(ev.level_at, i.opened_at) AS level_at,
               coalesce(ev.notified_at, i.opened_at) AS notified_at,
               coalesce(b.breached, []) AS breached
        FROM incidents i LEFT JOIN ev USING (incident_id) LEFT JOIN breaches b USING (incident_id)
        WHERE CASE WHEN ?::VARCHAR[] IS NULL THEN i.status <> 'resolved'
                   ELSE list_contains(?::VARCHAR[], i.incident_id) END
        ORDER BY i.opened_at, i.incident_id
        """,
        [list(_CLOCK_KINDS), list(_LEVEL_KINDS), list(_NOTIFIED_KINDS), incident_ids, incident_ids],
    ).to_pylist()
    return [
        IncidentState(
            r["incident_id"], r["severity"], r["status"], r["level"], _policy(r["policy"]),
            r["clock_at"], r["level_at"], r["notified_at"], frozenset(r["breached"]),
        )
        for r in rows
    ]


@lru_cache(maxsize=64)
def _policy(text: str) -> EscalationPolicy:
    """Incidents opened under the same config share one policy text: parse it once."""
    return EscalationPolicy.from_json(text)


def open_incidents(cur: duckdb.DuckDBPyConnection, now: datetime, hypercare: bool) -> pd.DataFrame:
    """Unresolved incidents with SLA countdowns, most urgent first.

    `hypercare`: whether the window's (faster) targets are in force at `now`. Minutes left are
    negative once a deadline has passed; `breached` lists the SLAs missed ("ack", "resolve").
    Order: most SLAs breached, then least time left, then severity.
    """
    states = incident_states(cur)
    info = {
        r["incident_id"]: r
        for r in arrow(
            cur,
            """SELECT incident_id, title, owner, opened_at, source_kind, source_ref
               FROM incidents WHERE status <> 'resolved'""",
        ).to_pylist()
    }
    rows = []
    for s in states:
        d = deadlines(s, hypercare)
        ack_left = _minutes_left(d.ack_due_at, now)
        resolve_left = _minutes_left(d.resolve_due_at, now)
        missed = set(s.breached)
        missed |= {sla for sla, left in (("ack", ack_left), ("resolve", resolve_left)) if left is not None and left <= 0}
        lefts = [x for x in (ack_left, resolve_left) if x is not None]
        i = info[s.incident_id]
        rows.append({
            "incident_id": s.incident_id,
            "title": i["title"],
            "severity": s.severity,
            "status": s.status,
            "level": s.level,
            "level_name": s.policy.level_name(s.level),
            "owner": i["owner"],
            "opened_at": i["opened_at"],
            "age_minutes": (now - s.clock_started_at).total_seconds() / 60,
            "ack_due_at": d.ack_due_at,
            "ack_minutes_left": ack_left,
            "resolve_due_at": d.resolve_due_at,
            "resolve_minutes_left": resolve_left,
            "escalates_at": d.escalate_at,
            "breached": ", ".join(sorted(missed)),
            "targets": d.targets,
            "source": f"{i['source_kind']} {i['source_ref']}" if i["source_kind"] else "",
            "_missed": len(missed),
            "_left": min(lefts) if lefts else float("inf"),
        })
    columns = [
        "incident_id", "title", "severity", "status", "level", "level_name", "owner", "opened_at",
        "age_minutes", "ack_due_at", "ack_minutes_left", "resolve_due_at", "resolve_minutes_left",
        "escalates_at", "breached", "targets", "source",
    ]
    if not rows:
        return pd.DataFrame(columns=columns)
    df = pd.DataFrame(rows).sort_values(["_missed", "_left", "severity"], ascending=[False, True, True])
    return df[columns].reset_index(drop=True)


def _minutes_left(due: datetime | None, now: datetime) -> float | None:
    return None if due is None else (due - now).total_seconds() / 60


def last_incident_number(cur: duckdb.DuckDBPyConnection) -> int:
    """The highest N among ids INC-N (0 when there are none)."""
    return cur.execute(
        "SELECT coalesce(max(TRY_CAST(regexp_extract(incident_id, '^INC-(\\d+)$', 1) AS BIGINT)), 0) FROM incidents"
    ).fetchall()[0][0]


def unresolved_for_source(cur: duckdb.DuckDBPyConnection, source_kind: str, source_ref: str | None) -> str | None:
    """The id of an unresolved incident linked to this source, if any."""
    row = cur.execute(
        """SELECT min(incident_id) FROM incidents WHERE status <> 'resolved'
           AND source_kind = ? AND source_ref IS NOT DISTINCT FROM ?""",
        [source_kind, source_ref],
    ).fetchall()[0]
    return row[0]


def source_coverage(cur: duckdb.DuckDBPyConnection) -> dict[tuple[str, str], datetime | None]:
    """Per linked source: None while an incident for it is unresolved, else its latest resolution."""
    rows = arrow(
        cur,
        """SELECT source_kind, source_ref, bool_or(status <> 'resolved') AS active, max(resolved_at) AS resolved_at
           FROM incidents WHERE source_kind IS NOT NULL GROUP BY ALL""",
    ).to_pylist()
    return {(r["source_kind"], r["source_ref"]): None if r["active"] else r["resolved_at"] for r in rows}


def all_incidents(cur: duckdb.DuckDBPyConnection) -> pd.DataFrame:
    """Every incident, unresolved first, newest first: the choices for the actions panel.

    `version` is what an action taken from the panel compares against (see actions.perform)."""
    return frame(
        cur,
        """SELECT incident_id, title, severity, status, level, owner, opened_at, source_kind, source_ref, version
           FROM incidents ORDER BY status = 'resolved', opened_at DESC, incident_id""",
    )


def incident_timeline(cur: duckdb.DuckDBPyConnection, incident_id: str) -> pd.DataFrame:
    """The incident's audit log, oldest first."""
    return frame(
        cur,
        """SELECT occurred_at, kind, from_value, to_value, actor, note FROM incident_events
           WHERE incident_id = ? ORDER BY occurred_at, kind = 'open' DESC, event_id""",
        [incident_id],
    )


def incident_notifications(cur: duckdb.DuckDBPyConnection, incident_id: str) -> pd.DataFrame:
    """The incident's outbox rows: what was (or is still to be) sent where."""
    return frame(
        cur,
        """SELECT created_at, kind, channel, sent_at, attempts, last_error, message FROM notifications
           WHERE incident_id = ? ORDER BY created_at, notification_id""",
        [incident_id],
    )


def incident_counts(cur: duckdb.DuckDBPyConnection) -> pd.DataFrame:
    """Incidents by severity (rows SEV1..SEV4) and state (columns, plus total); zeros included."""
    counts = frame(cur, "SELECT severity, status, count(*) AS n FROM incidents GROUP BY ALL")
    table = pd.DataFrame(0, index=pd.Index(SEVERITIES, name="severity"), columns=list(STATES), dtype="int64")
    for r in counts.itertuples():
        if r.severity in table.index and r.status in table.columns:
            table.loc[r.severity, r.status] = r.n
    table["total"] = table.sum(axis=1)
    return table


def open_incidents_by_severity(cur: duckdb.DuckDBPyConnection, now: datetime) -> dict[str, int]:
    """Unresolved incidents opened by `now`, per severity (every severity present, 0 when none)."""
    rows = cur.execute(
        "SELECT severity, count(*) FROM incidents WHERE status <> 'resolved' AND opened_at <= ? GROUP BY ALL",
        [now],
    ).fetchall()
    found = dict(rows)
    return {sev: int(found.get(sev, 0)) for sev in SEVERITIES}


@dataclass(frozen=True)
class ResponseTimes:
    """Mean minutes from opening to acknowledgement (MTTA) and to resolution (MTTR)."""

    opened: int
    acknowledged: int
    resolved: int
    mtta_minutes: float | None  # None: nothing acknowledged yet
    mttr_minutes: float | None


def response_times(cur: duckdb.DuckDBPyConnection, start: datetime, end: datetime) -> ResponseTimes:
    """Over incidents opened in [start, end), e.g. the hypercare window."""
    row = cur.execute(
        """
        SELECT count(*),
               count(acknowledged_at),
               count(resolved_at) FILTER (WHERE status = 'resolved'),
               avg(epoch(acknowledged_at - opened_at)) / 60,
               avg(epoch(resolved_at - opened_at)) FILTER (WHERE status = 'resolved') / 60
        FROM incidents WHERE opened_at >= ? AND opened_at < ?
        """,
        [start, end],
    ).fetchall()[0]
    return ResponseTimes(*row)


# --- signals for auto-open (DESIGN.md data contract tables, read as the rules need them) ---

def sentry_signals(cur: duckdb.DuckDBPyConnection, since: datetime, now: datetime) -> list[dict]:
    """Issues first seen in [since, now] that are neither resolved nor ignored."""
    return arrow(
        cur,
        """SELECT issue_id, short_id, title, user_count, event_count, first_seen FROM sentry_issues
           WHERE first_seen >= ? AND first_seen <= ?
             AND coalesce(status, 'unresolved') NOT IN ('resolved', 'ignored')
           ORDER BY first_seen, issue_id""",
        [since, now],
    ).to_pylist()


def check_down_streaks(cur: duckdb.DuckDBPyConnection, since: datetime, now: datetime) -> list[dict]:
    """Checks whose results in (since, now] end in failures: when that run of failures began and
    the last error. Results inside a planned period that covers the check are left out."""
    return arrow(
        cur,
        """
        WITH r AS (
            SELECT h.check_name, h.checked_at, h.ok, h.error FROM health_checks h
            WHERE h.checked_at > ? AND h.checked_at <= ?
              AND NOT EXISTS (SELECT 1 FROM planned_periods p
                              WHERE h.checked_at >= p.starts_at AND h.checked_at < p.ends_at
                                AND (p.check_names IS NULL OR list_contains(p.check_names, h.check_name)))
        ), last AS (
            SELECT check_name, max(checked_at) FILTER (WHERE ok) AS last_ok,
                   arg_max(ok, checked_at) AS latest_ok, arg_max(error, checked_at) AS error
            FROM r GROUP BY check_name
        )
        SELECT r.check_name, min(r.checked_at) AS down_since, any_value(last.error) AS error
        FROM r JOIN last USING (check_name)
        WHERE NOT last.latest_ok AND NOT r.ok AND (last.last_ok IS NULL OR r.checked_at > last.last_ok)
        GROUP BY r.check_name ORDER BY r.check_name
        """,
        [since, now],
    ).to_pylist()


def ticket_counts(cur: duckdb.DuckDBPyConnection, periods: list[tuple[datetime, datetime]]) -> list[int]:
    """Tickets created in each [start, end), all sources together, in the order given."""
    if not periods:
        return []
    rows = cur.execute(
        """
        SELECT p.i, count(t.ticket_id)
        FROM (SELECT unnest(range(len(?::TIMESTAMPTZ[]))) AS i) p
        LEFT JOIN tickets t ON t.created_at >= (?::TIMESTAMPTZ[])[p.i + 1] AND t.created_at < (?::TIMESTAMPTZ[])[p.i + 1]
        GROUP BY p.i ORDER BY p.i
        """,
        [[s for s, _ in periods], [s for s, _ in periods], [e for _, e in periods]],
    ).fetchall()
    return [n for _, n in rows]


def recent_tickets(cur: duckdb.DuckDBPyConnection, since: datetime, now: datetime) -> list[dict]:
    """Tickets created in (since, now]."""
    return arrow(
        cur,
        """SELECT source, ticket_id, priority, title, url, created_at FROM tickets
           WHERE created_at > ? AND created_at <= ? ORDER BY created_at, source, ticket_id""",
        [since, now],
    ).to_pylist()


# --- figures the verdict's rules read (hypercare/verdict/metrics.py) ---

def open_at_each(cur: duckdb.DuckDBPyConnection, instants: Sequence[datetime]) -> list[dict[str, int]]:
    """Incidents open (opened or reopened, not resolved since) at each of `instants`, by severity,
    from the audit log, so a past instant counts what was open then (an exit streak asks for each
    hour: one query). The severity is the incident's current one."""
    if not instants:
        return []
    # the few open/reopen/resolve events, replayed in time order past each instant in turn: the
    # same counts as joining every event to every instant after it, at a third of the cost
    events = cur.execute(
        """SELECT e.occurred_at, e.incident_id, e.kind, i.severity
           FROM incident_events e JOIN incidents i USING (incident_id)
           WHERE e.kind IN ('open', 'reopen', 'resolve') AND e.occurred_at <= ? ORDER BY e.occurred_at""",
        [max(instants)],
    ).fetchall()
    latest: dict[str, tuple[str, str]] = {}  # incident → (its latest kind so far, severity)
    counts: list[dict[str, int]] = [{} for _ in instants]
    k = 0
    for i in sorted(range(len(instants)), key=lambda i: instants[i]):
        while k < len(events) and events[k][0] <= instants[i]:
            _, incident, kind, severity = events[k]
            latest[incident] = (kind, severity)
            k += 1
        for kind, severity in latest.values():
            if kind != "resolve":
                counts[i][severity] = counts[i].get(severity, 0) + 1
    return counts


def sla_breaches(cur: duckdb.DuckDBPyConnection, start: datetime, end: datetime,
                 severities: Sequence[str] | None = None) -> int:
    """SLA breaches (acknowledge or resolve target missed) recorded in [start, end), of incidents
    of `severities` (None: all)."""
    return int(scalar(
        cur,
        """SELECT count(*) FROM incident_events e JOIN incidents i USING (incident_id)
           WHERE e.kind = 'sla_breach' AND e.occurred_at >= ? AND e.occurred_at < ?
             AND (?::VARCHAR[] IS NULL OR list_contains(?::VARCHAR[], i.severity))""",
        [start, end, _list(severities), _list(severities)],
    ))


def _list(values: Sequence[str] | None) -> list[str] | None:
    return None if values is None else list(values)


def resolved_between(cur: duckdb.DuckDBPyConnection, start: datetime, end: datetime) -> pd.DataFrame:
    """Incidents resolved in [start, end) and still resolved, oldest resolution first:
    incident_id, title, severity, owner, opened_at, resolved_at."""
    return frame(
        cur,
        """SELECT incident_id, title, severity, owner, opened_at, resolved_at FROM incidents
           WHERE status = 'resolved' AND resolved_at >= ? AND resolved_at < ?
           ORDER BY resolved_at, incident_id""",
        [start, end],
    )
