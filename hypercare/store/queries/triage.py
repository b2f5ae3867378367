"""The triage inbox's recorded state: each item's latest action, and what is set aside.

`set_aside(cur, at)` is the one query every new-issue and ticket count goes through: the rows
(issues, tickets) of the items set aside at `at` are left out of the count and counted apart,
so a tile, a rule and the report say the same "10 new issues · 2 set aside". An item is set
aside at `at` when its latest action up to `at` is "set aside" and its `until` (if any) is later.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

import duckdb
import pandas as pd

from hypercare.store.read import arrow, frame, scalar

LATEST = """
    SELECT * FROM triage_actions WHERE acted_at <= ?
    QUALIFY row_number() OVER (PARTITION BY item_key ORDER BY seq DESC) = 1
"""


@dataclass(frozen=True)
class SetAside:
    """What is set aside at one instant: the item keys, and the rows they stand for in counts
    ('sentry:<issue_id>', 'tickets:<source>:<ticket_id>')."""

    keys: frozenset[str] = frozenset()
    members: frozenset[str] = frozenset()

    @property
    def param(self) -> list[str]:
        """The members as a SQL list parameter (sorted, so a query reads the same twice)."""
        return sorted(self.members)


NOTHING = SetAside()
# SQL that is true when a sentry_issues / tickets row stands for a set-aside item; `?` is SetAside.param.
ISSUE_SET_ASIDE = "list_contains(?::VARCHAR[], 'sentry:' || issue_id)"
TICKET_SET_ASIDE = "list_contains(?::VARCHAR[], 'tickets:' || source || ':' || ticket_id)"


@dataclass(frozen=True)
class Counted:
    """A count with the set-aside rows left out of it, and how many those were."""

    counted: int
    set_aside: int = 0


def leaves_out(aside: SetAside, test: str) -> tuple[str, list]:
    """`test` (ISSUE_SET_ASIDE or TICKET_SET_ASIDE) and its parameters; plain `false` when
    nothing is set aside, so the usual count costs nothing more."""
    return (test, [aside.param]) if aside.members else ("false", [])


def left_out(n: int | None) -> str:
    """' · 2 set aside' after a count that left set-aside items out; '' when none was."""
    return f" · {n} set aside" if n else ""


def set_aside(cur: duckdb.DuckDBPyConnection, at: datetime) -> SetAside:
    """The items set aside at `at` and the rows they stand for."""
    rows = arrow(
        cur,
        f"SELECT item_key, members FROM ({LATEST}) WHERE action = 'set aside' AND (until IS NULL OR until > ?)",
        [at, at],
    ).to_pylist()
    return SetAside(frozenset(r["item_key"] for r in rows),
                    frozenset(m for r in rows for m in (r["members"] or ())))


def item_states(cur: duckdb.DuckDBPyConnection, at: datetime) -> list[dict]:
    """Each item's latest action up to `at`, newest first, with its incident's state where it
    has one: item_key, source, ref, title, action, incident_id, incident_status, aside_kind,
    reason, until, score_without_age, members, actor, acted_at. An item without a row is untriaged."""
    return arrow(
        cur,
        f"""SELECT a.item_key, a.source, a.ref, a.title, a.action, a.incident_id, i.status AS incident_status,
                   a.aside_kind, a.reason, a.until, a.score_without_age, a.members, a.actor, a.acted_at
            FROM ({LATEST}) a LEFT JOIN incidents i USING (incident_id) ORDER BY a.acted_at DESC, a.item_key""",
        [at],
    ).to_pylist()


def covering_incidents(cur: duckdb.DuckDBPyConnection) -> dict[tuple[str, str], tuple[str, str]]:
    """(source_kind, source_ref) → (incident id, status) of the unresolved incident open for each
    source (the engine's auto-open, or one opened by hand with a source); and ("incidents", id) →
    (id, status) of every incident itself, for the inbox's incident items."""
    rows = cur.execute(
        """SELECT source_kind, source_ref, min(incident_id), arg_min(status, incident_id) FROM incidents
           WHERE status <> 'resolved' AND source_kind IS NOT NULL GROUP BY ALL
           UNION ALL SELECT 'incidents', incident_id, incident_id, status FROM incidents"""
    ).fetchall()
    return {(kind, ref): (inc, status) for kind, ref, inc, status in rows}


def latest_action(cur: duckdb.DuckDBPyConnection, key: str) -> dict | None:
    """The latest action on one item (any time), with its incident's state; None: untriaged."""
    rows = arrow(cur, "SELECT a.*, i.status AS incident_status FROM triage_actions a LEFT JOIN incidents i "
                      "USING (incident_id) WHERE item_key = ? ORDER BY seq DESC LIMIT 1", [key]).to_pylist()
    return rows[0] if rows else None


def next_seq(cur: duckdb.DuckDBPyConnection) -> int:
    return scalar(cur, "SELECT coalesce(max(seq), 0) + 1 FROM triage_actions")


def history(cur: duckdb.DuckDBPyConnection) -> pd.DataFrame:
    """Every action, newest first: acted_at, item_key, title, action, incident_id, aside_kind,
    reason, until, actor."""
    return frame(
        cur,
        "SELECT acted_at, item_key, title, action, incident_id, aside_kind, reason, until, actor "
        "FROM triage_actions ORDER BY seq DESC",
    )
