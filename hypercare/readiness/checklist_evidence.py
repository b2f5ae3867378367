"""What the checklist's evidence says at an instant, read from the store, and the checklist's state.

`check:NAME` holds while the check is up, `reconcile:NAME` while its latest result matches,
`rule:NAME` while the rule is not met. Evidence that can't be trusted (the checks or reconcile
source stale or never collected, a reconciliation whose latest run failed, a rule without data or
not in force, the go-live instant unknown) is unknown, and an unknown proof never makes an item done.
"""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING

import duckdb
import pandas as pd

from hypercare.readiness.checklist import ItemState, Proof, checklist_states, parse_evidence
from hypercare.states import source_state
from hypercare.store.queries.freshness import source_freshness
from hypercare.store.queries.health import current_states
from hypercare.store.queries.readiness import latest_ticks
from hypercare.store.queries.reconcile import latest_results
from hypercare.verdict import Evaluation, evaluate
from hypercare.window import Window

if TYPE_CHECKING:
    from hypercare.config import Config


def checklist_now(cur: duckdb.DuckDBPyConnection, config: Config, window: Window | None, now: datetime,
                  evaluation: Evaluation | None = None) -> list[ItemState]:
    """Every `[[checklist]]` item's state at `now`: its ticks made by then and its evidence as the
    store knew it then. `evaluation` (the verdict at `now`) is computed when a rule is evidence
    and none is given."""
    items = config.checklist
    if not items:
        return []
    wanted = [parse_evidence(i.evidence) for i in items if i.evidence]
    proofs = _check_proofs(cur, config, now, [n for k, n in wanted if k == "check"])
    proofs.update(_reconcile_proofs(cur, config, now, [n for k, n in wanted if k == "reconcile"]))
    rules = [n for k, n in wanted if k == "rule"]
    if rules:
        if evaluation is None and window is not None:
            evaluation = evaluate(cur, config, window, now)
        proofs.update(_rule_proofs(evaluation, rules))
    return checklist_states(items, window.go_live_at if window else None, latest_ticks(cur, now), proofs, now)


def _source_state(cur: duckdb.DuckDBPyConnection, config: Config, now: datetime, collector: str, what: str):
    sources = [(n, s) for n, s in config.sources() if n == collector]
    return source_state(source_freshness(cur, now, sources), what)


def _check_proofs(cur: duckdb.DuckDBPyConnection, config: Config, now: datetime, names: list[str]) -> dict[str, Proof]:
    if not names:
        return {}
    state = _source_state(cur, config, now, "checks", "health-check")
    if not state.usable:
        return {f"check:{n}": Proof(None, f"check {n}: unknown ({state.reason})") for n in names}
    rows = current_states(cur, now, names).to_dict("records")
    words = {"up": "is up", "down": "is down", "unknown": "has no state yet"}
    return {f"check:{r['check_name']}": Proof({"up": True, "down": False}.get(r["state"]),
                                              f"check {r['check_name']} {words.get(r['state'], r['state'])}")
            for r in rows}


def _reconcile_proofs(cur: duckdb.DuckDBPyConnection, config: Config, now: datetime,
                      names: list[str]) -> dict[str, Proof]:
    if not names:
        return {}
    state = _source_state(cur, config, now, "reconcile", "reconciliation")
    if not state.usable:
        return {f"reconcile:{n}": Proof(None, f"reconciliation {n}: unknown ({state.reason})") for n in names}
    latest = {r["name"]: r for r in latest_results(cur, now).to_dict("records")}
    proofs = {}
    for name in names:
        r = latest.get(name)
        if r is None:
            proof = Proof(None, f"reconciliation {name}: not run yet")
        elif pd.isna(r["matched"]):  # a side failed: the run says nothing about the data
            proof = Proof(None, f"reconciliation {name}: unknown (its latest run failed)")
        elif r["matched"]:
            proof = Proof(True, f"reconciliation {name} matches")
        else:
            proof = Proof(False, f"reconciliation {name} is off by {r['difference']:+,.0f}")
        proofs[f"reconcile:{name}"] = proof
    return proofs


def _rule_proofs(evaluation: Evaluation | None, names: list[str]) -> dict[str, Proof]:
    if evaluation is None:
        return {f"rule:{n}": Proof(None, f"rule {n}: unknown (the go-live instant is not known yet)") for n in names}
    results = {r.name: r for r in evaluation.rules}
    proofs = {}
    for name in names:
        r = results.get(name)
        if r is None:
            proof = Proof(None, f"rule {name}: not in force now")
        elif r.insufficient:
            proof = Proof(None, f"rule {name}: insufficient data ({r.reason or r.state})")
        else:
            proof = Proof(not r.met, f"rule {name} is {r.result}")
        proofs[f"rule:{name}"] = proof
    return proofs
