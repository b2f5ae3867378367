"""Writing decisions: one `decisions` row per decision, in one transaction, by an identity allowed to."""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping
from dataclasses import replace
from datetime import datetime
from typing import Any

import duckdb

from hypercare.auth.identity import Identity, require
from hypercare.decisions.model import Decision, new_decision
from hypercare.store import Store

Evidence = Callable[[duckdb.DuckDBPyConnection], Mapping[str, Any]]


def record_decision(store: Store, identity: Identity, kind: str, summary: str, reason: str, now: datetime,
                    hours: float | None = None, evidence: Evidence | None = None) -> Decision:
    """Record a decision by `identity` (a lead) at `now`; returns it as stored.

    `evidence` is called with the transaction's cursor and its result frozen into
    `decisions.evidence`, so the evidence is read from the same state of the store the row is
    written into (see hypercare.decisions.evidence.freeze). Raises PermissionDenied or
    DecisionError before anything is read or written."""
    require(identity, "lead", "recording a decision")
    decision = new_decision(kind, summary, reason, identity.actor, now, hours)
    with store.transaction() as cur:
        frozen = dict(evidence(cur)) if evidence is not None else {}
        decision = replace(decision, evidence=frozen)
        insert_decision(cur, decision)
    return decision


def insert_decision(cur: duckdb.DuckDBPyConnection, decision: Decision) -> None:
    """Append `decision` inside the caller's transaction (decisions are never updated)."""
    cur.execute(
        "INSERT INTO decisions (decision_id, decided_at, kind, summary, reason, actor, hours, evidence) "
        "VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
        [decision.decision_id, decision.decided_at, decision.kind, decision.summary, decision.reason,
         decision.actor, decision.hours, json.dumps(decision.evidence, default=str)],
    )
