"""What the checklist's evidence says at an instant, read from the store, and the checklist's state.

`check:NAME` holds while the check is up, `rule:NAME` while the rule is not met. Evidence that
can't be trusted (the checks source stale or never collected, a rule without data or not in
force, the go-live instant unknown) is unknown, and an unknown proof never makes an item done.
"""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING

import duckdb

from hypercare.readiness.checklist import ItemState, Proof, checklist_states, parse_evidence
from hypercare.states import source_state
from hypercare.store.queries.freshness import source_freshness
from hypercare.store.queries.health import current_states
from hypercare.store.queries.readiness import latest_ticks
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
    rules = [n for k, n in wanted if k == "rule"]
    if rules:
        if evaluation is None and window is not None:
            evaluation = evaluate(cur, config, window, now)
        proofs.update(_rule_proofs(evaluation, rules))
    return checklist_states(items, window.go_live_at if window else None, latest_ticks(cur, now), proofs, now)


def _check_proofs(cur: duckdb.DuckDBPyConnection, config: Config, now: datetime, names: list[str]) -> dict[str, Proof]:
    if not names:
        return {}
    sources = [(n, s) for n, s in config.sources() if n == "checks"]
    state = source_state(source_freshness(cur, now, sources), "health-check")
    if not state.usable:
        return {f"check:{n}": Proof(None, f"check {n}: unknown ({state.reason})") for n in names}
    rows = current_states(cur, now, names).to_dict("records")
    words = {"up": "is up", "down": "is down", "unknown": "has no state yet"}
    return {f"check:{r['check_name']}": Proof({"up": True, "down": False}.get(r["state"]),
                                              f"check {r['check_name']} {words.get(r['state'], r['state'])}")
            for r in rows}


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
